import { randomUUID } from 'node:crypto';
import {
  type FunctionReference,
  namesFunction,
  parseFunctionReference,
  versionOf,
} from '../../assembly/function-reference.js';
import { partitionOf } from '../../assembly/intrinsics.js';
import type { FunctionModel } from '../../assembly/model.js';
import { AwsError, CAPITAL_MESSAGE, LAMBDA_ERROR, LAMBDA_ERROR_LOWERCASE } from '../../aws-error.js';
import { type BodyLimit, headerOf, type LocalRequest, type LocalResponse } from '../../http.js';
import { authorize, denialSuffix } from '../../iam/authorize.js';
import { type RequestFacts, requestContext } from '../../iam/context-keys.js';
import type { DecisionSink } from '../../iam/decisions.js';
import type { Identity } from '../../iam/identities.js';
import { type FunctionRuntime, type InvocationResult, JsonPayload } from '../../lambda/runtime.js';
import { parseTraceHeader } from '../../lambda/tracing.js';
import { verifyHead } from '../../sigv4/verify.js';
import { admit } from '../admission.js';
import type { ServiceContext } from '../context.js';
import { functionPolicy, MAX_EVENT_BYTES, MAX_RESULT_BYTES } from '../integration.js';
import { endpointPolicy } from '../vpc-endpoint/endpoint.js';
import { invokeValidation } from './validation.js';

/** Lambda's asynchronous (`Event`) payload limit. */
export const MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024;

/**
 * A function by name, `name:qualifier`, partial (`account:function:name[:qualifier]`) or full
 * ARN, and the qualifier named; a name without account is the caller's account's.
 */
export function findFunction(
  runtimes: Iterable<FunctionRuntime>,
  name: string,
  callerAccountId: string,
): { runtime: FunctionRuntime; qualifier: string | undefined } | undefined {
  const reference = parseFunctionReference(name, callerAccountId);
  for (const runtime of runtimes) {
    if (namesFunction(reference, runtime.fn)) return { runtime, qualifier: reference.qualifier };
  }
  return undefined;
}

/**
 * `lambda:InvokeFunction` on the function, version or alias ARN that was called (Lambda's
 * "Resources and conditions for Lambda actions": a grant on `name` does not cover `name:live`),
 * by the caller's identity policies and the function's permissions. Throws Lambda's 403.
 */
export function authorizeInvoke(
  fn: FunctionModel,
  qualifier: string | undefined,
  caller: Identity,
  facts: RequestFacts,
  decisions?: DecisionSink,
): void {
  const resource = qualifier ? `${fn.arn}:${qualifier}` : fn.arn;
  const decision = authorize(
    {
      caller,
      action: 'lambda:InvokeFunction',
      resource,
      resourceAccountId: fn.accountId,
      resourcePolicy: fn.permissions.length > 0 ? functionPolicy(fn) : undefined,
      resourcePolicyName: `${fn.stackName}/${fn.logicalId} permissions`,
      context: requestContext(facts),
      kind: 'invoke',
      endpoint: `Invoke ${fn.name}${qualifier ? `:${qualifier}` : ''}`,
      // Through a Lambda VPC endpoint, its policy first.
      endpointPolicy: facts.via && endpointPolicy(facts.via.endpoint),
    },
    decisions,
  );
  if (!decision.allowed) {
    // IAM's wording names the kind of policy that decided.
    throw new AwsError(
      403,
      'AccessDeniedException',
      `User: ${caller.principal.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${resource}${denialSuffix(decision, 'lambda:InvokeFunction')}`,
      CAPITAL_MESSAGE,
    );
  }
}

/** The invocation types of the Invoke API (`X-Amz-Invocation-Type`). */
type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

/**
 * What an Invoke call names: the `FunctionName` path parameter in any of Lambda's forms, with
 * the `Qualifier` query parameter (empty names none). As Lambda checks them: either outside its
 * length or pattern is a 400 ValidationException; a qualifier in the name (`fn:live`, an ARN's or
 * partial ARN's) and a `Qualifier` that differs are a 400 InvalidParameterValueException ("The
 * derived qualifier from the function name does not match the specified qualifier."); an ARN of
 * another region a 404.
 *
 * @example
 * ```ts
 * invokedReference('fn:live', 'live', '111111111111', 'us-east-1'); // { account, name: 'fn', qualifier: 'live' }
 * invokedReference('fn:live', '$LATEST', '111111111111', 'us-east-1'); // throws 400
 * ```
 */
export function invokedReference(
  name: string,
  queryQualifier: string | null,
  callerAccountId: string,
  region: string,
): FunctionReference {
  const qualifier = queryQualifier || undefined;
  const invalid = invokeValidation(name, qualifier);
  if (invalid) throw invalid;
  const reference = parseFunctionReference(name, callerAccountId);
  if (reference.qualifier !== undefined && qualifier !== undefined && reference.qualifier !== qualifier) {
    throw new AwsError(
      400,
      'InvalidParameterValueException',
      'The derived qualifier from the function name does not match the specified qualifier.',
      LAMBDA_ERROR_LOWERCASE,
    );
  }
  if (reference.region !== undefined && reference.region !== region) {
    throw new AwsError(
      404,
      'ResourceNotFoundException',
      `Functions from '${reference.region}' are not reachable in this region ('${region}')`,
      LAMBDA_ERROR,
    );
  }
  return { ...reference, qualifier: reference.qualifier ?? qualifier };
}

/**
 * The largest payload of an invocation type, and Lambda's 413 past it: 6 MB, 1 MB for `Event`
 * (a type Lambda does not know is refused after the body, as before).
 */
function payloadLimit(type: string | undefined): BodyLimit {
  if (type === 'Event')
    return {
      bytes: MAX_EVENT_PAYLOAD_BYTES,
      tooLarge: (size) =>
        new AwsError(
          413,
          'RequestEntityTooLargeException',
          `${size} byte payload is too large for the Event invocation type (limit ${MAX_EVENT_PAYLOAD_BYTES} bytes)`,
          LAMBDA_ERROR,
        ),
    };
  return {
    bytes: MAX_EVENT_BYTES,
    tooLarge: () =>
      new AwsError(
        413,
        'RequestEntityTooLargeException',
        `Request must be smaller than ${MAX_EVENT_BYTES} bytes for the InvokeFunction operation`,
        LAMBDA_ERROR,
      ),
  };
}

/**
 * The payload of an Invoke call, its body's one read (within its {@link payloadLimit}): Lambda's
 * 400 for what is not JSON, else the JSON text as sent (an empty body is `{}`), which the
 * function's runtime parses as Lambda's does.
 */
function invocationPayload(body: Buffer): JsonPayload {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    if (text.trim() === '') return new JsonPayload('{}');
    JSON.parse(text);
    return new JsonPayload(text);
  } catch (error) {
    throw new AwsError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: Could not parse payload into json: ${(error as Error).message}`,
      LAMBDA_ERROR_LOWERCASE,
    );
  }
}

/** The invocation type a call asks for, or Lambda's 400. */
function invocationType(value: string | undefined): InvocationType {
  const type = value ?? 'RequestResponse';
  if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
    throw new AwsError(
      400,
      'InvalidParameterValueException',
      `Unsupported invocation type: ${type}`,
      LAMBDA_ERROR_LOWERCASE,
    );
  }
  return type;
}

/**
 * Lambda's 404 for a function, version or alias it does not have, naming the ARN that was
 * invoked: its qualifier, `$LATEST` when none (AWS's Invoke answers recorded in 2025 add it, a
 * 2023 recording did not; GetFunction still leaves it out).
 */
function functionNotFound(reference: FunctionReference, fn: FunctionModel | undefined, region: string): AwsError {
  const where = reference.region ?? region;
  const arn = fn?.arn ?? `arn:${partitionOf(where)}:lambda:${where}:${reference.account}:function:${reference.name}`;
  const qualified = `${arn}:${reference.qualifier ?? '$LATEST'}`;
  return new AwsError(404, 'ResourceNotFoundException', `Function not found: ${qualified}`, LAMBDA_ERROR);
}

/**
 * Why a name found nothing, for stderr: a function of that name in another account (a name
 * resolves in the caller's own account; call it by ARN, or as that account's principal).
 */
function withHint(error: AwsError, reference: FunctionReference, context: ServiceContext): AwsError {
  const elsewhere = [...context.runtimes.values()]
    .map((runtime) => runtime.fn)
    .filter((fn) => fn.functionName === reference.name || fn.name === reference.name)
    .filter((fn) => fn.accountId !== reference.account);
  if (elsewhere.length === 0) return error;
  const where = elsewhere.map((fn) => `${fn.arn} (account ${fn.accountId})`).join(', ');
  return error.because(
    `no function ${reference.name} in account ${reference.account}; one is at ${where}: call it by that ARN, or as a principal of that account`,
  );
}

/** The function and version a call names, if the caller may invoke it; else Lambda's 400, 404 or 403. */
function invokedFunction(
  request: LocalRequest,
  name: string,
  caller: Identity,
  context: ServiceContext & { region: string },
  now: Date,
): { runtime: FunctionRuntime; version: string } {
  const query = new URLSearchParams(request.target.split('?')[1] ?? '');
  const reference = invokedReference(name, query.get('Qualifier'), caller.principal.accountId, context.region);
  const { qualifier } = reference;
  const runtime = [...context.runtimes.values()].find((candidate) => namesFunction(reference, candidate.fn));
  const version = runtime && versionOf(runtime.fn.qualifiers, qualifier);
  if (!runtime || version === undefined)
    throw withHint(functionNotFound(reference, runtime?.fn, context.region), reference, context);
  const facts = { now, sourceIp: request.sourceIp, headers: request.headers, region: context.region, via: request.via };
  authorizeInvoke(runtime.fn, qualifier, caller, facts, context.decisions);
  return { runtime, version };
}

/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`): SigV4 with the
 * service `lambda`, `lambda:InvokeFunction` checked against the caller's identity policies and
 * the function's permissions, `RequestResponse`, `Event` and `DryRun` invocation types.
 */
export async function handleInvoke(
  request: LocalRequest,
  name: string,
  context: ServiceContext & { region: string },
): Promise<LocalResponse> {
  const now = context.now?.() ?? new Date();
  let invoked: { runtime: FunctionRuntime; version: string } | undefined;
  const { body } = await admit(
    request,
    {
      verify: () =>
        verifyHead(request, { service: 'lambda', region: context.region, lookup: context.identities.lookup, now }),
      // The function, its qualifier and the permission, decided once the signature holds.
      authorize: (caller, decisions) => {
        invoked = invokedFunction(request, name, caller as Identity, { ...context, decisions }, now);
      },
      bodyLimit: payloadLimit(headerOf(request.headers, 'x-amz-invocation-type')),
    },
    context.decisions,
  );
  if (!invoked) throw new Error('admitted an invocation without its function');
  const { runtime, version } = invoked;
  const header = (wanted: string) => headerOf(request.headers, wanted);
  const type = invocationType(header('x-amz-invocation-type'));
  const payload = invocationPayload(body);
  const requestId = randomUUID();
  // Lambda continues the caller's trace (an instrumented SDK client sends X-Amzn-Trace-Id).
  const trace = parseTraceHeader(header('x-amzn-trace-id'));
  const base = { 'x-amzn-requestid': requestId, 'x-amz-executed-version': version };
  if (type === 'DryRun') return { status: 204, headers: base, body: '' };
  if (type === 'Event') {
    void runtime.invoke(payload, { requestId, version, trace });
    return { status: 202, headers: base, body: '' };
  }
  const outcome = await runtime.invoke(payload, { requestId, version, trace });
  return invocationAnswer(outcome, base, header('x-amz-log-type') === 'Tail');
}

/** Lambda's answer to a synchronous invocation: the result, or the error with `X-Amz-Function-Error`. */
function invocationAnswer(outcome: InvocationResult, base: Record<string, string>, tail: boolean): LocalResponse {
  if (!outcome.ok && outcome.error.errorType === 'Runtime.Unsupported') {
    throw new AwsError(502, 'ServiceException', outcome.error.errorMessage, LAMBDA_ERROR);
  }
  const headers: Record<string, string> = { ...base, 'content-type': 'application/json' };
  if (tail && outcome.log !== undefined) {
    // The last 4 KB of the invocation's log, base64.
    headers['x-amz-log-result'] = Buffer.from(outcome.log, 'utf8').subarray(-4096).toString('base64');
  }
  const failed = { ...headers, 'x-amz-function-error': 'Unhandled' };
  if (!outcome.ok) return { status: 200, headers: failed, body: JSON.stringify(outcome.error) };
  const body = JSON.stringify(outcome.result);
  if (Buffer.byteLength(body) <= MAX_RESULT_BYTES) return { status: 200, headers, body };
  return {
    status: 200,
    headers: failed,
    body: JSON.stringify({
      errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESULT_BYTES} bytes).`,
      errorType: 'Function.ResponseSizeTooLarge',
    }),
  };
}
