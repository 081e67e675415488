import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error.js';
import type { LocalResponse } from '../gateway/event.js';
import type { GatewayContext } from '../gateway/rest-api.js';
import { evaluateAccess } from '../iam/evaluate.js';
import { type ReceivedRequest, verifySignature } from '../sigv4/verify.js';
import type { FunctionRuntime } from './runtime.js';

/** Lambda's synchronous payload limit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Finds a function by name, `name:qualifier`, partial (`account:function:name`) or full ARN. */
export function findFunction(runtimes: Iterable<FunctionRuntime>, name: string): FunctionRuntime | undefined {
  const parts = name.split(':');
  const arn = name.startsWith('arn:') ? parts.slice(0, 7).join(':') : undefined;
  const functionName = arn ? parts[6] : parts[1] === 'function' ? parts[2] : parts[0];
  for (const runtime of runtimes) {
    if (runtime.fn.functionName === functionName && (arn === undefined || runtime.fn.arn === arn)) return runtime;
  }
  return undefined;
}

/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`): SigV4 with the
 * service `lambda`, `lambda:InvokeFunction` checked against the caller's identity policies and
 * the function's permissions, `RequestResponse`, `Event` and `DryRun` invocation types.
 */
export async function handleInvoke(
  request: ReceivedRequest,
  name: string,
  context: GatewayContext & { region: string },
): Promise<LocalResponse> {
  const caller = verifySignature(request, {
    service: 'lambda',
    region: context.region,
    lookup: context.identities.lookup,
    now: context.now?.(),
  }).identity;
  const runtime = findFunction(context.runtimes.values(), name);
  if (!runtime) {
    const arn = name.startsWith('arn:')
      ? name
      : `arn:aws:lambda:${context.region}:${caller.principal.accountId}:function:${name}`;
    throw new AwsError(404, 'ResourceNotFoundException', `Function not found: ${arn}`);
  }
  const { fn } = runtime;
  const decision = evaluateAccess(
    { principal: caller.principal, action: 'lambda:InvokeFunction', resource: fn.arn, resourceAccountId: fn.accountId },
    {
      identityPolicies: caller.policies,
      resourcePolicy: fn.permissions.length > 0 ? { Statement: fn.permissions } : undefined,
    },
  );
  if (!decision.allowed) {
    throw new AwsError(
      403,
      'AccessDeniedException',
      `User: ${caller.principal.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn}${decision.explicitDeny ? ' with an explicit deny' : ''}`,
    );
  }
  if (request.body.length > MAX_PAYLOAD_BYTES) {
    throw new AwsError(
      413,
      'RequestEntityTooLargeException',
      `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
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
      );
    }
  }
  const type =
    request.headers.find(([header]) => header.toLowerCase() === 'x-amz-invocation-type')?.[1] ?? 'RequestResponse';
  const requestId = randomUUID();
  const base = { 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' };
  if (type === 'DryRun') return { status: 204, headers: base, body: '' };
  if (type === 'Event') {
    void runtime.invoke(event, requestId);
    return { status: 202, headers: base, body: '' };
  }
  if (type !== 'RequestResponse') {
    throw new AwsError(400, 'InvalidParameterValueException', `Unsupported invocation type: ${type}`);
  }
  const outcome = await runtime.invoke(event, requestId);
  if (!outcome.ok && outcome.error.errorType === 'Runtime.Unsupported') {
    throw new AwsError(502, 'ServiceException', outcome.error.errorMessage);
  }
  return outcome.ok
    ? { status: 200, headers: { ...base, 'content-type': 'application/json' }, body: JSON.stringify(outcome.result) }
    : {
        status: 200,
        headers: { ...base, 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' },
        body: JSON.stringify(outcome.error),
      };
}
