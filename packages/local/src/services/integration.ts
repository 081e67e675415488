import { validateHeaderName, validateHeaderValue } from 'node:http';
import { versionOf } from '../assembly/function-reference.js';
import type { FunctionModel } from '../assembly/model.js';
import { type AwsError, integrationError } from '../aws-error.js';
import { headerOf } from '../http.js';
import { authorize } from '../iam/authorize.js';
import { derivedPolicy } from '../iam/decision-cache.js';
import type { Identity } from '../iam/identities.js';
import type { PolicyDocument } from '../iam/policy.js';
import { type FunctionRuntime, type InvocationResult, JsonPayload } from '../lambda/runtime.js';
import { newTraceId, type TraceContext } from '../lambda/tracing.js';
import type { RequestHead } from '../sigv4/verify.js';
import type { ServiceContext } from './context.js';

/** Lambda's synchronous payload limits: the event, and the result (100 bytes more, as Lambda counts). */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;
export const MAX_RESULT_BYTES = MAX_EVENT_BYTES + 100;

/** API Gateway as Lambda sees it when it invokes an integration: the service principal, no policies of its own. */
const API_GATEWAY: Identity = {
  name: 'apigateway.amazonaws.com',
  principal: { arn: 'apigateway.amazonaws.com', accountId: '', entityArn: 'apigateway.amazonaws.com', service: true },
  userId: '',
  credentials: { accessKeyId: '', secretAccessKey: '', sessionToken: '' },
  policies: [],
};

/** A function's resource-based policy (its permissions) as one document, the same object for every request. */
export const functionPolicy = (fn: FunctionModel): PolicyDocument =>
  derivedPolicy(fn, 'permissions', () => ({ Statement: fn.permissions }));

/** The function an API Gateway integration names (an alias or version ARN runs that version). */
export interface Integration {
  runtime: FunctionRuntime;
  version: string;
}

/**
 * The integration's function, when its resource policy lets API Gateway invoke it for this
 * request (Lambda decides that as for any caller: principal `apigateway.amazonaws.com`,
 * `aws:SourceArn` the method or route ARN); else API Gateway's 500 ("Invalid permissions on
 * Lambda function" in its logs).
 */
export function apiGatewayIntegration(
  context: ServiceContext,
  integrationArn: string | undefined,
  sourceArn: string,
  apiAccountId: string,
  options: { withRole?: string | undefined } = {},
): Integration {
  const arn = integrationArn ?? '';
  const runtime = context.runtimes.get(arn.split(':').slice(0, 7).join(':'));
  const version = runtime && versionOf(runtime.fn.qualifiers, arn.split(':')[7]);
  // With a role of its own (an authorizer's `AuthorizerCredentials`), API Gateway invokes as that
  // role: the function's permissions do not apply (the role's are not checked locally; a line at start says so).
  const permitted =
    runtime !== undefined &&
    version !== undefined &&
    (options.withRole !== undefined ||
      authorize({
        caller: API_GATEWAY,
        action: 'lambda:InvokeFunction',
        resource: arn,
        resourceAccountId: runtime.fn.accountId,
        resourcePolicy: functionPolicy(runtime.fn),
        context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': apiAccountId },
        kind: 'invoke',
        endpoint: `Invoke ${runtime.fn.name}`,
      }).allowed);
  if (!runtime || version === undefined || !permitted)
    throw integrationError(
      !runtime
        ? `its function ${arn || '(none)'} is not in the app`
        : version === undefined
          ? `its integration names a version or alias ${arn} does not have`
          : `${runtime.fn.name}'s resource policy does not let API Gateway invoke it from ${sourceArn} (AWS::Lambda::Permission)`,
    );
  return { runtime, version };
}

/** Runs the event on the function within `timeoutMs`; `'timeout'` when it took longer. */
export async function invokeWithin(
  { runtime, version }: Integration,
  event: unknown,
  timeoutMs: number,
  trace?: TraceContext,
): Promise<InvocationResult | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  return Promise.race([runtime.invoke(event, { version, trace }), timedOut]).finally(() => clearTimeout(timer));
}

/**
 * Bytes of a request below which no event made from it can pass Lambda's payload limit: each of
 * its bytes is in the event at most four times (single and multi-value headers and query) and
 * JSON writes a byte as at most six characters (`\u0000`), besides what the door adds (ids,
 * identity, context: well under 64 KB).
 */
const SURELY_SMALL_REQUEST = Math.floor((MAX_EVENT_BYTES - 64 * 1024) / 24);

/**
 * The event the function receives, or the door's `tooLarge` answer when it is over Lambda's
 * synchronous payload limit. A request too small to make an event that large hands the event on
 * as it is, serialized once on its way to the function; a larger one is measured, and its JSON
 * text handed on, so it is serialized once either way.
 */
export function eventPayload(
  event: unknown,
  from: { request: RequestHead; body: Buffer },
  tooLarge: () => AwsError,
): unknown {
  let bytes = from.body.length + from.request.target.length;
  for (const [name, value] of from.request.headers) bytes += name.length + value.length;
  if (bytes < SURELY_SMALL_REQUEST) return event;
  const text = JSON.stringify(event);
  if (Buffer.byteLength(text) > MAX_EVENT_BYTES) throw tooLarge();
  return new JsonPayload(text);
}

/** Whether a successful result is over Lambda's response limit (the integration then fails). */
export const resultTooLarge = (outcome: InvocationResult): boolean =>
  outcome.ok && Buffer.byteLength(JSON.stringify(outcome.result ?? null)) > MAX_RESULT_BYTES;

/**
 * A function's outcome as its caller's answer (`map` gives undefined for a result it cannot
 * read), or the front door's `failure`, saying why on stderr.
 */
export function functionAnswer<T>(
  outcome: InvocationResult,
  map: (result: unknown) => T | undefined,
  failure: () => AwsError,
): T {
  const answer = outcome.ok && !resultTooLarge(outcome) ? map(outcome.result) : undefined;
  if (answer === undefined) throw failure().because(failedOutcome(outcome));
  return answer;
}

/** Why a function's outcome is no answer for its caller: its error, an answer past 6 MB, or one the front door cannot read. */
function failedOutcome(outcome: InvocationResult): string {
  if (!outcome.ok)
    return `the function failed: ${outcome.error.errorType}: ${outcome.error.errorMessage.split('\n')[0] ?? ''}`;
  if (resultTooLarge(outcome)) return `the function's answer passes ${MAX_RESULT_BYTES} bytes`;
  return "the function's answer is not one the front door can map (statusCode, headers, body…)";
}

/**
 * Headers that end at the front door (hop-by-hop, RFC 9110 §7.6.1, and `Expect`, which the front
 * door answers): no integration sees them. LocalStack's recordings of AWS show `Connection`
 * dropped for REST APIs and function URLs alike.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** What the front door of an AWS endpoint knows when it hands a request on. */
export interface FrontDoor {
  /** The host name the caller would have used on AWS: the `Host` the integration sees. */
  host: string;
  sourceIp: string;
  /** The `X-Amzn-Trace-Id` the integration sees (see {@link traceHeaderFor}). */
  traceHeader: string;
  /** Lowercase names it drops besides the hop-by-hop ones (REST APIs: `content-length`). @default none */
  drops?: ReadonlySet<string> | undefined;
  /** The address of a hop between the caller and the endpoint (CloudFront's edge), after the caller's in `X-Forwarded-For`. @default none */
  edgeAddress?: string | undefined;
  /** Headers it adds (or sets, replacing the caller's) after the caller's. @default none */
  adds?: ReadonlyArray<readonly [string, string]> | undefined;
}

/**
 * The headers an integration receives: the caller's, less the hop-by-hop ones, with what AWS's
 * HTTPS front ends set: `Host` (the AWS host name), `X-Forwarded-For` (the caller's address
 * appended to any it sent), `X-Forwarded-Port: 443`, `X-Forwarded-Proto: https`, `X-Amzn-Trace-Id`.
 *
 * @example
 * ```ts
 * forwardedHeaders([['Connection', 'keep-alive'], ['Accept', '*\/*']], { host: 'abc.lambda-url.us-east-1.on.aws', sourceIp: '10.0.0.1', traceHeader: 'Root=1-…' });
 * // → Accept, Host, X-Forwarded-For: 10.0.0.1, X-Forwarded-Port, X-Forwarded-Proto, X-Amzn-Trace-Id
 * ```
 */
export function forwardedHeaders(
  headers: ReadonlyArray<readonly [string, string]>,
  door: FrontDoor,
): [string, string][] {
  const forwardedFor = headers.filter(([name]) => name.toLowerCase() === 'x-forwarded-for').map(([, value]) => value);
  const set: [string, string][] = [
    ['Host', door.host],
    ['X-Forwarded-For', [...forwardedFor, door.sourceIp, ...(door.edgeAddress ? [door.edgeAddress] : [])].join(', ')],
    ['X-Forwarded-Port', '443'],
    ['X-Forwarded-Proto', 'https'],
    ['X-Amzn-Trace-Id', door.traceHeader],
    ...(door.adds ?? []).map(([name, value]): [string, string] => [name, value]),
  ];
  const replaced = new Set(set.map(([name]) => name.toLowerCase()));
  const kept = headers.filter(([raw]) => {
    const name = raw.toLowerCase();
    return !replaced.has(name) && !HOP_BY_HOP.has(name) && !door.drops?.has(name);
  });
  return [...kept.map(([name, value]): [string, string] => [name, value]), ...set];
}

/** The caller's `X-Amzn-Trace-Id` when it sent one (its trace continues), else a new trace's root. */
export const traceHeaderFor = (headers: ReadonlyArray<readonly [string, string]>): string =>
  headerOf(headers, 'x-amzn-trace-id') ?? `Root=${newTraceId()}`;

/** Sets a response header, replacing any of the same name in another casing. */
export function setHeader(headers: Record<string, string | string[]>, name: string, value: string | string[]): void {
  for (const existing of Object.keys(headers))
    if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
  headers[name] = value;
}

/**
 * Headers of a function's answer that frame the message or end at the hop (RFC 9110 §6.1, §7.6.1):
 * the gateway frames its own answer (`Content-Length`), so none of the function's may reach the
 * caller as such. API Gateway and function URLs answer with their own; a caller that got both
 * would see two conflicting framings.
 */
export const RESPONSE_FRAMING = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * Whether a header of a function's answer can be written on the wire: a token for its name, no
 * control character (CR, LF, NUL…) nor character past Latin-1 in its value. One that cannot
 * makes the answer malformed (node:http's own checks, which `writeHead` would throw on).
 */
export function writableHeader(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

/** A function's `headers` (or `multiValueHeaders`): absent or null, else a plain object; undefined when malformed. */
export function headerFields(headers: unknown): Record<string, unknown> | undefined {
  if (headers === undefined || headers === null) return {};
  if (typeof headers !== 'object' || Array.isArray(headers)) return undefined;
  return headers as Record<string, unknown>;
}

/**
 * A status code API Gateway and function URLs answer with: 200–599. A 1xx is no final answer
 * (HTTP/1.1 would send it as an interim one and then nothing), so, like any other code outside
 * that range, it makes the result malformed
 * (https://repost.aws/knowledge-center/malformed-502-api-gateway).
 */
export const answerableStatus = (status: number): boolean => Number.isInteger(status) && status >= 200 && status <= 599;
