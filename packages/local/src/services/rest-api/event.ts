import type { RestApiModel } from '../../assembly/model.js';
import { AwsError, GATEWAY_MESSAGE } from '../../aws-error.js';
import { headerOf, type LocalResponse } from '../../http.js';
import type { Identity } from '../../iam/identities.js';
import { randomBase64url, randomHex } from '../../random-ids.js';
import { parseQuery, type QueryPairs } from '../../sigv4/canonical.js';
import { answerableStatus, forwardedHeaders, headerFields, writableHeader } from '../integration.js';

/** What the gateway knows of a request when it builds the integration's event. */
export interface EventInput {
  api: RestApiModel;
  resourceId: string;
  resourcePath: string;
  /** Path after the stage, as received (still percent-encoded, as REST APIs pass it). */
  path: string;
  httpMethod: string;
  /** The headers the integration receives ({@link restIntegrationHeaders}, or an HTTP API's). */
  headers: ReadonlyArray<readonly [string, string]>;
  query: QueryPairs;
  pathParameters: Record<string, string> | null;
  body: Buffer;
  /** The body is binary (its Content-Type is one of the API's binary media types): base64 in the event. @default false */
  binaryBody?: boolean | undefined;
  caller: Identity | undefined;
  sourceIp: string;
  requestId: string;
  /** API Gateway's own id of the request (also its answer's `x-amz-apigw-id`). */
  extendedRequestId: string;
  /** When the gateway received the request. */
  now: Date;
  /** The VPC endpoint a private API's request came through. @default none */
  via?: { endpoint: { id: string; vpcId: string } } | undefined;
  /** `requestContext.authorizer`: what a Lambda authorizer passed on. @default none */
  authorizer?: Record<string, unknown> | undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `requestContext.requestTime` as API Gateway writes it: `09/Apr/2015:12:34:56 +0000`. */
export const requestTime = (date: Date): string =>
  `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;

/** API Gateway's id of a request: 15 characters of base64url and `=`, as in `x-amz-apigw-id`. */
export const newExtendedRequestId = (): string => `${randomBase64url(11)}=`;

/** A query as the proxy event carries it: each name and value decoded, `+` a space (`?plus=a+b` → `a b`). */
export const proxyQuery = (rawQuery: string): QueryPairs => parseQuery(rawQuery.replaceAll('+', '%20'));

/**
 * A REST method's path parameters as API Gateway passes them: as received, not decoded; a
 * greedy one keeps inner empty segments and loses a trailing slash (`/a//b/` → `a//b`).
 *
 * @example
 * ```ts
 * restPathParameters('/{proxy+}', '/user/test%2Balias@x.com/'); // → { proxy: 'user/test%2Balias@x.com' }
 * ```
 */
export function restPathParameters(resourcePath: string, path: string): Record<string, string> | null {
  const params: Record<string, string> = {};
  let rest = path.replace(/\/$/, '');
  for (const part of resourcePath.split('/').filter(Boolean)) {
    rest = rest.replace(/^\/+/, '');
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy) {
      params[greedy[1] ?? ''] = rest;
      break;
    }
    const slash = rest.indexOf('/');
    const param = /^\{(.+)\}$/.exec(part);
    if (param) params[param[1] ?? ''] = slash === -1 ? rest : rest.slice(0, slash);
    rest = slash === -1 ? '' : rest.slice(slash);
  }
  return Object.keys(params).length > 0 ? params : null;
}

/**
 * Whether the first media type of a header (`Accept`, `Content-Type`) is one of a REST API's
 * binary media types: the same type, or `<type>/*` for any of its subtypes; `*\/*` covers all.
 * A wildcard on the left (`*\/png`) or in the header (`image/*`) matches nothing else (as AWS
 * answered LocalStack's test_aws_proxy_binary_response).
 */
export function isBinaryMediaType(header: string | undefined, binaryMediaTypes: readonly string[] = []): boolean {
  const types = binaryMediaTypes.map((entry) => (entry.split(';')[0] ?? '').trim().toLowerCase());
  if (types.includes('*/*')) return true;
  const first = (header ?? '').split(',')[0]?.split(';')[0]?.trim().toLowerCase() ?? '';
  const [type, subtype, extra] = first.split('/');
  if (!type || !subtype || extra !== undefined || type === '*') return false;
  return types.some((entry) => {
    const [entryType, entrySubtype] = entry.split('/');
    return entryType === type && (entrySubtype === subtype || entrySubtype === '*');
  });
}

/** What CloudFront adds to one request to an EDGE API and to its answer. */
export interface CloudFrontHop {
  /** `Via`: `1.1 <id>.cloudfront.net (CloudFront)`. */
  via: string;
  /** `X-Amz-Cf-Id`: CloudFront's id of the request. */
  id: string;
}

/** A request's hop through CloudFront, to an EDGE API. */
export const cloudFrontHop = (): CloudFrontHop => ({
  via: `1.1 ${randomHex(16)}.cloudfront.net (CloudFront)`,
  id: `${randomBase64url(40)}==`,
});

/**
 * CloudFront's request headers; the viewer's country and network are fixed locally (`US`,
 * Amazon's AS 16509), its device a desktop.
 */
const cloudFrontRequestHeaders = (hop: CloudFrontHop): [string, string][] => [
  ['CloudFront-Forwarded-Proto', 'https'],
  ['CloudFront-Is-Desktop-Viewer', 'true'],
  ['CloudFront-Is-Mobile-Viewer', 'false'],
  ['CloudFront-Is-SmartTV-Viewer', 'false'],
  ['CloudFront-Is-Tablet-Viewer', 'false'],
  ['CloudFront-Viewer-ASN', '16509'],
  ['CloudFront-Viewer-Country', 'US'],
  ['Via', hop.via],
  ['X-Amz-Cf-Id', hop.id],
];

/** CloudFront's answer headers (a miss, at one fixed edge location locally). */
export const cloudFrontResponseHeaders = (hop: CloudFrontHop): [string, string][] => [
  ['Via', hop.via],
  ['X-Amz-Cf-Id', hop.id],
  ['X-Amz-Cf-Pop', 'IAD89-C1'],
  ['X-Cache', 'Miss from cloudfront'],
];

/** The address CloudFront's edge forwards from, after the caller's in `X-Forwarded-For`: the loopback locally. */
const EDGE_ADDRESS = '127.0.0.1';
/** Names CloudFront writes in its own casing, whatever the caller's. */
const CLOUDFRONT_CASING = new Map([
  ['authorization', 'Authorization'],
  ['user-agent', 'User-Agent'],
]);
/** A REST API drops the caller's `Content-Length` too: the event's body says it all. */
const REST_DROPS = new Set(['content-length']);

/**
 * The headers a REST API's Lambda proxy integration receives, as AWS recorded them for
 * LocalStack's test_lambda_aws_proxy_integration: the caller's (no `Connection`, no
 * `Content-Length`, `Authorization` and `User-Agent` so cased), the front door's `Host`,
 * `X-Forwarded-*` and `X-Amzn-Trace-Id`; through an EDGE endpoint, CloudFront's too.
 */
export function restIntegrationHeaders(
  headers: ReadonlyArray<readonly [string, string]>,
  door: { api: RestApiModel; sourceIp: string; traceHeader: string; edge: CloudFrontHop | undefined },
): [string, string][] {
  const { api, edge } = door;
  const cased = headers.map(([name, value]): [string, string] => [
    CLOUDFRONT_CASING.get(name.toLowerCase()) ?? name,
    value,
  ]);
  return forwardedHeaders(cased, {
    host: `${api.restApiId}.execute-api.${api.region}.amazonaws.com`,
    sourceIp: door.sourceIp,
    traceHeader: door.traceHeader,
    drops: REST_DROPS,
    edgeAddress: edge && EDGE_ADDRESS,
    adds: edge && cloudFrontRequestHeaders(edge),
  });
}

/** Single (the last value) and multi-value maps of header or query pairs; names grouped case-insensitively for headers. */
function multiMap(pairs: ReadonlyArray<readonly [string, string]>, caseless = false) {
  const multi: Record<string, string[]> = {};
  const names = new Map<string, string>();
  for (const [raw, value] of pairs) {
    const key = caseless ? raw.toLowerCase() : raw;
    const name = names.get(key) ?? raw;
    names.set(key, name);
    multi[name] ??= [];
    multi[name].push(value);
  }
  const single = Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values.at(-1) ?? '']));
  return Object.keys(multi).length === 0 ? { single: null, multi: null } : { single, multi };
}

/** `requestContext.identity`, filled from the verified caller (all null but the source for an anonymous one). */
function identityOf(input: EventInput, userAgent: string | null) {
  const principal = input.caller?.principal;
  return {
    accessKey: input.caller?.credentials.accessKeyId ?? null,
    accountId: principal?.accountId ?? null,
    caller: input.caller?.userId ?? null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: principal?.orgId ?? null,
    sourceIp: input.sourceIp,
    user: input.caller?.userId ?? null,
    userAgent,
    userArn: principal?.arn ?? null,
    // A private API's request names the VPC endpoint and VPC it came through.
    ...(input.via ? { vpceId: input.via.endpoint.id, vpcId: input.via.endpoint.vpcId } : {}),
  };
}

/**
 * The REST API Lambda proxy (v1) event, identity filled from the verified caller: `path` with
 * its leading slashes made one, `requestContext.path` as received.
 */
export function restProxyEvent(input: EventInput): Record<string, unknown> {
  const headers = multiMap(input.headers, true);
  const query = multiMap(input.query);
  const userAgent = headerOf(input.headers, 'user-agent') ?? null;
  const { api, now } = input;
  const binary = input.binaryBody === true;
  return {
    resource: input.resourcePath,
    path: input.path.replace(/^\/+/, '/'),
    httpMethod: input.httpMethod,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: input.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: api.accountId,
      apiId: api.restApiId,
      ...(input.authorizer ? { authorizer: input.authorizer } : {}),
      ...(api.deploymentId ? { deploymentId: api.deploymentId } : {}),
      // What the caller would have used on AWS: the API's own execute-api host name.
      domainName: `${api.restApiId}.execute-api.${api.region}.amazonaws.com`,
      domainPrefix: api.restApiId,
      extendedRequestId: input.extendedRequestId,
      httpMethod: input.httpMethod,
      identity: identityOf(input, userAgent),
      // An HTTP API's `$default` stage is no part of its paths (payload 1.0: `"path": "/my/path"`).
      path: api.stageName === '$default' ? input.path : `/${api.stageName}${input.path}`,
      protocol: 'HTTP/1.1',
      requestId: input.requestId,
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: input.resourceId,
      resourcePath: input.resourcePath,
      stage: api.stageName,
    },
    body: input.body.length === 0 ? null : input.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary && input.body.length > 0,
  };
}

const SCALAR = new Set(['string', 'number', 'boolean']);
/** The keys a proxy answer may have: any other makes it malformed (AWS: 502). */
const RESPONSE_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);
/** Headers of the function's answer that API Gateway keeps for itself: the function's go out as `x-amzn-Remapped-<name>`. */
const REMAPPED = new Map(
  ['Connection', 'Content-Length', 'Date', 'Server', 'x-amzn-RequestId'].map((name) => [name.toLowerCase(), name]),
);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** The status of a proxy answer: 200 when absent, an integer or a string of digits, 200–599; undefined when malformed. */
function proxyStatus(statusCode: unknown): number | undefined {
  if (statusCode === undefined || statusCode === null) return 200;
  const status = typeof statusCode === 'string' && /^\d+$/.test(statusCode) ? Number(statusCode) : statusCode;
  return typeof status === 'number' && answerableStatus(status) ? status : undefined;
}

/**
 * A proxy answer's headers as API Gateway sends them: `multiValueHeaders` first (their casing
 * kept), then `headers` of the same name added to them (`value-multi, value-solo`), else in their
 * own casing; `Content-Type: application/json` unless given; the ones it keeps for itself remapped
 * (`x-amzn-Remapped-<name>`), `Transfer-Encoding` dropped. Undefined when
 * malformed: either map not an object, a value of a wrong type, a name or value that cannot go
 * on the wire.
 */
function proxyHeaders(headers: unknown, multiValueHeaders: unknown): Record<string, string | string[]> | undefined {
  const single = headerFields(headers);
  const multi = headerFields(multiValueHeaders);
  if (single === undefined || multi === undefined) return undefined;
  const entries = new Map<string, { name: string; values: string[] }>();
  const add = (name: string, values: string[]) => {
    const key = name.toLowerCase();
    if (key === 'transfer-encoding') return;
    const known = entries.get(key);
    if (known) known.values.push(...values);
    else entries.set(key, { name: REMAPPED.has(key) ? `x-amzn-Remapped-${REMAPPED.get(key)}` : name, values });
  };
  for (const [name, values] of Object.entries(multi)) {
    if (!Array.isArray(values) || !values.every((value) => SCALAR.has(typeof value))) return undefined;
    const texts = values.map(String);
    if (!texts.every((value) => writableHeader(name, value))) return undefined;
    add(name, texts);
  }
  for (const [name, value] of Object.entries(single)) {
    if (!SCALAR.has(typeof value) || !writableHeader(name, String(value))) return undefined;
    add(name, [String(value)]);
  }
  if (!entries.has('content-type')) entries.set('content-type', { name: 'Content-Type', values: ['application/json'] });
  return Object.fromEntries(
    [...entries.values()].map(({ name, values }) => [name, values.length === 1 ? (values[0] ?? '') : values]),
  );
}

/**
 * Maps a proxy integration's result to the HTTP response, as API Gateway does: undefined when
 * the result is malformed (API Gateway then answers 502): not an object, a key besides
 * `statusCode`, `headers`, `multiValueHeaders`, `body`, `isBase64Encoded`, one of a wrong type,
 * a status outside 200–599, a header that cannot go on the wire.
 * A base64 body is decoded only with `decodeBase64` (a REST API: the request's `Accept` is one of
 * its binary media types; an HTTP API: always); one that is no base64 then fails with 500.
 */
export function toProxyResponse(result: unknown, options: { decodeBase64: boolean }): LocalResponse | undefined {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const fields = result as Record<string, unknown>;
  if (Object.keys(fields).some((key) => !RESPONSE_KEYS.has(key))) return undefined;
  const { body, isBase64Encoded } = fields;
  const status = proxyStatus(fields.statusCode);
  const headers = proxyHeaders(fields.headers, fields.multiValueHeaders);
  if (status === undefined || headers === undefined) return undefined;
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean')
    return undefined;
  const text = typeof body === 'string' ? body : '';
  if (!(options.decodeBase64 && isBase64Encoded === true)) return { status, headers, body: text };
  if (!BASE64.test(text))
    throw new AwsError(500, 'InternalServerErrorException', 'Internal server error', GATEWAY_MESSAGE);
  return { status, headers, body: Buffer.from(text, 'base64') };
}
