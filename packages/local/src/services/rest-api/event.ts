import { randomBytes } from 'node:crypto';
import type { RestApiModel } from '../../assembly/model.js';
import type { LocalResponse } from '../../http.js';
import type { Identity } from '../../iam/identities.js';
import type { QueryPairs } from '../../sigv4/canonical.js';

/** What the gateway knows of a request when it builds the integration's event. */
export interface EventInput {
  api: RestApiModel;
  resourceId: string;
  resourcePath: string;
  /** Path after the stage, as received (still percent-encoded, as REST APIs pass it). */
  path: string;
  httpMethod: string;
  headers: ReadonlyArray<readonly [string, string]>;
  query: QueryPairs;
  pathParameters: Record<string, string> | null;
  body: Buffer;
  caller: Identity | undefined;
  sourceIp: string;
  requestId: string;
  /** When the gateway received the request. */
  now: Date;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `requestContext.requestTime` as API Gateway writes it: `09/Apr/2015:12:34:56 +0000`. */
export const requestTime = (date: Date): string =>
  `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;

function multiMap(pairs: ReadonlyArray<readonly [string, string]>) {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of pairs) {
    multi[name] ??= [];
    multi[name].push(value);
  }
  const single = Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values.at(-1) ?? '']));
  return Object.keys(multi).length === 0 ? { single: null, multi: null } : { single, multi };
}

/** The REST API Lambda proxy (v1) event, identity filled from the verified caller. */
export function restProxyEvent(input: EventInput): Record<string, unknown> {
  const headers = multiMap(input.headers);
  const query = multiMap(input.query);
  const userAgent = input.headers.find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? null;
  const now = input.now;
  const principal = input.caller?.principal;
  return {
    resource: input.resourcePath,
    path: input.path,
    httpMethod: input.httpMethod,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: input.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: input.api.accountId,
      apiId: input.api.restApiId,
      // What the caller would have used on AWS: the API's own execute-api host name.
      domainName: `${input.api.restApiId}.execute-api.${input.api.region}.amazonaws.com`,
      domainPrefix: input.api.restApiId,
      extendedRequestId: `${randomBytes(11).toString('base64url')}=`,
      httpMethod: input.httpMethod,
      identity: {
        accessKey: input.caller?.credentials.accessKeyId ?? null,
        accountId: principal?.accountId ?? null,
        apiKey: null,
        apiKeyId: null,
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
      },
      path: `/${input.api.stageName}${input.path}`,
      protocol: 'HTTP/1.1',
      requestId: input.requestId,
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: input.resourceId,
      resourcePath: input.resourcePath,
      stage: input.api.stageName,
    },
    body: input.body.length === 0 ? null : input.body.toString('utf8'),
    isBase64Encoded: false,
  };
}

const SCALAR = new Set(['string', 'number', 'boolean']);

/**
 * Maps a proxy integration's result to the HTTP response, as API Gateway does; undefined
 * when the result is malformed (API Gateway then answers 502).
 */
export function toProxyResponse(result: unknown): LocalResponse | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Record<string, unknown>;
  const status = Number(statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries((headers ?? {}) as Record<string, unknown>)) {
    if (!SCALAR.has(typeof value)) return undefined;
    out[name.toLowerCase()] = String(value);
  }
  for (const [name, values] of Object.entries((multiValueHeaders ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(values) || !values.every((v) => SCALAR.has(typeof v))) return undefined;
    out[name.toLowerCase()] = values.map(String);
  }
  const text = typeof body === 'string' ? body : '';
  return { status, headers: out, body: isBase64Encoded === true ? Buffer.from(text, 'base64') : text };
}
