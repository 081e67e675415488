import { randomUUID } from 'node:crypto';
import { namesFunction, parseFunctionReference, versionOf } from '../../assembly/function-reference.js';
import type { FunctionModel } from '../../assembly/model.js';
import { AwsError, CAPITAL_MESSAGE, LAMBDA_ERROR } from '../../aws-error.js';
import type { LocalResponse } from '../../http.js';
import { authorize, denialSuffix } from '../../iam/authorize.js';
import { type RequestFacts, requestContext } from '../../iam/context-keys.js';
import type { DecisionSink } from '../../iam/decisions.js';
import type { Identity } from '../../iam/identities.js';
import type { FunctionRuntime } from '../../lambda/runtime.js';
import { parseTraceHeader } from '../../lambda/tracing.js';
import { type ReceivedRequest, verifySignature } from '../../sigv4/verify.js';
import type { ServiceContext } from '../context.js';

/** Lambda's synchronous request payload limit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Lambda's response payload limit: 100 bytes more than the request's, as Lambda counts. */
export const MAX_RESPONSE_BYTES = MAX_PAYLOAD_BYTES + 100;
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
      resourcePolicy: fn.permissions.length > 0 ? { Statement: fn.permissions } : undefined,
      resourcePolicyName: `${fn.stackName}/${fn.logicalId} permissions`,
      context: requestContext(facts),
      kind: 'invoke',
      endpoint: `Invoke ${fn.name}${qualifier ? `:${qualifier}` : ''}`,
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

/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`): SigV4 with the
 * service `lambda`, `lambda:InvokeFunction` checked against the caller's identity policies and
 * the function's permissions, `RequestResponse`, `Event` and `DryRun` invocation types.
 */
export async function handleInvoke(
  request: ReceivedRequest,
  name: string,
  context: ServiceContext & { region: string },
): Promise<LocalResponse> {
  const caller = verifySignature(request, {
    service: 'lambda',
    region: context.region,
    lookup: context.identities.lookup,
    now: context.now?.(),
  }).identity;
  const query = new URLSearchParams(request.target.split('?')[1] ?? '');
  const found = findFunction(context.runtimes.values(), name, caller.principal.accountId);
  const qualifier = found?.qualifier ?? query.get('Qualifier') ?? undefined;
  const version = found && versionOf(found.runtime.fn.qualifiers, qualifier);
  if (!found || version === undefined) {
    const arn = found
      ? `${found.runtime.fn.arn}:${qualifier}`
      : name.startsWith('arn:')
        ? name
        : `arn:aws:lambda:${context.region}:${caller.principal.accountId}:function:${name}`;
    throw new AwsError(404, 'ResourceNotFoundException', `Function not found: ${arn}`, LAMBDA_ERROR);
  }
  const { runtime } = found;
  const { fn } = runtime;
  authorizeInvoke(
    fn,
    qualifier,
    caller,
    {
      now: context.now?.() ?? new Date(),
      sourceIp: (request as { sourceIp?: string }).sourceIp ?? '127.0.0.1',
      headers: request.headers,
      region: context.region,
    },
    context.decisions,
  );
  const header = (wanted: string) => request.headers.find(([h]) => h.toLowerCase() === wanted)?.[1];
  const type = header('x-amz-invocation-type') ?? 'RequestResponse';
  if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
    throw new AwsError(400, 'InvalidParameterValueException', `Unsupported invocation type: ${type}`, LAMBDA_ERROR);
  }
  if (type === 'Event' && request.body.length > MAX_EVENT_PAYLOAD_BYTES) {
    throw new AwsError(
      413,
      'RequestEntityTooLargeException',
      `${request.body.length} byte payload is too large for the Event invocation type (limit ${MAX_EVENT_PAYLOAD_BYTES} bytes)`,
      LAMBDA_ERROR,
    );
  }
  if (request.body.length > MAX_PAYLOAD_BYTES) {
    throw new AwsError(
      413,
      'RequestEntityTooLargeException',
      `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      LAMBDA_ERROR,
    );
  }
  let event: unknown = {};
  const text = Buffer.from(request.body).toString('utf8');
  if (text.trim() !== '') {
    try {
      event = JSON.parse(text);
    } catch (error) {
      throw new AwsError(
        400,
        'InvalidRequestContentException',
        `Could not parse request body into json: ${(error as Error).message}`,
        LAMBDA_ERROR,
      );
    }
  }
  const requestId = randomUUID();
  // Lambda continues the caller's trace (an instrumented SDK client sends X-Amzn-Trace-Id).
  const trace = parseTraceHeader(header('x-amzn-trace-id'));
  const base = { 'x-amzn-requestid': requestId, 'x-amz-executed-version': version };
  if (type === 'DryRun') return { status: 204, headers: base, body: '' };
  if (type === 'Event') {
    void runtime.invoke(event, { requestId, version, trace });
    return { status: 202, headers: base, body: '' };
  }
  const outcome = await runtime.invoke(event, { requestId, version, trace });
  if (!outcome.ok && outcome.error.errorType === 'Runtime.Unsupported') {
    throw new AwsError(502, 'ServiceException', outcome.error.errorMessage, LAMBDA_ERROR);
  }
  const headers: Record<string, string> = { ...base, 'content-type': 'application/json' };
  if (header('x-amz-log-type') === 'Tail' && outcome.log !== undefined) {
    // The last 4 KB of the invocation's log, base64.
    headers['x-amz-log-result'] = Buffer.from(outcome.log, 'utf8').subarray(-4096).toString('base64');
  }
  let body = outcome.ok ? JSON.stringify(outcome.result) : JSON.stringify(outcome.error);
  if (outcome.ok && Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
    body = JSON.stringify({
      errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      errorType: 'Function.ResponseSizeTooLarge',
    });
    return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, body };
  }
  return outcome.ok
    ? { status: 200, headers, body }
    : { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, body };
}
