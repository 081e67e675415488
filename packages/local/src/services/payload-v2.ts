import type { LocalResponse } from '../http.js';
import type { Identity } from '../iam/identities.js';
import { answerableStatus, headerFields, RESPONSE_FRAMING, writableHeader } from './integration.js';
import { requestTime } from './rest-api/event.js';

/** What a Function URL or an HTTP API knows of a request when it builds the payload 2.0 event. */
export interface V2EventInput {
  /** `$default`, or the HTTP API route's key (`ANY /{proxy+}`). */
  routeKey: string;
  /** The path as the caller sent it, without the local prefix (`/lambda-url/<id>`), still encoded. */
  rawPath: string;
  /** The query as the caller sent it, without `?`. */
  rawQueryString: string;
  method: string;
  /** The headers the function receives, as the front door hands them on (`forwardedHeaders`). */
  headers: ReadonlyArray<readonly [string, string]>;
  body: Buffer;
  /** The verified caller; undefined for `NONE` auth. */
  caller: Identity | undefined;
  sourceIp: string;
  requestId: string;
  now: Date;
  /** The account of the URL's function or of the API. */
  accountId: string;
  /** The URL id or the API id. */
  apiId: string;
  /** The host name the caller would have used on AWS. */
  domainName: string;
  stage: string;
  /** HTTP APIs only (function URLs leave them out). @default absent */
  pathParameters?: Record<string, string> | undefined;
  /** `requestContext.authorizer`, from a Lambda authorizer (`{lambda: …}`). @default the verified caller's `iam` */
  authorizer?: Record<string, unknown> | undefined;
}

/** Content types whose bodies reach the function as text; any other body is base64. */
const TEXTUAL = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|yaml|x-yaml)\b|[^;]*\+(json|xml)\b)/i;

/**
 * The payload format 2.0 event Function URLs and HTTP APIs send: lowercase header names with
 * repeated values joined by commas, `cookies` apart, repeated query values joined by commas,
 * `requestContext.authorizer.iam` filled from the verified caller.
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)
 */
export function payloadV2Event(input: V2EventInput): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [rawName, value] of input.headers) {
    const name = rawName.toLowerCase();
    if (name === 'cookie') cookies.push(...value.split(/;\s*/).filter(Boolean));
    else headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const part of input.rawQueryString.split('&').filter(Boolean)) {
    const [name = '', value = ''] = part.split(/=(.*)/s).map((text) => decodeQueryPart(text));
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const principal = input.caller?.principal;
  const textual = TEXTUAL.test(headers['content-type'] ?? 'text/plain');
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: input.accountId,
      apiId: input.apiId,
      ...(input.authorizer
        ? { authorizer: input.authorizer }
        : input.caller && principal
          ? {
              authorizer: {
                iam: {
                  accessKey: input.caller.credentials.accessKeyId,
                  accountId: principal.accountId,
                  callerId: input.caller.userId,
                  cognitoIdentity: null,
                  principalOrgId: principal.orgId ?? null,
                  userArn: principal.arn,
                  userId: input.caller.userId,
                },
              },
            }
          : {}),
      domainName: input.domainName,
      domainPrefix: input.domainName.split('.')[0],
      http: {
        method: input.method,
        path: safeDecodePath(input.rawPath),
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: input.routeKey,
      stage: input.stage,
      time: requestTime(input.now),
      timeEpoch: input.now.getTime(),
    },
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    ...(input.body.length > 0 ? { body: textual ? input.body.toString('utf8') : input.body.toString('base64') } : {}),
    isBase64Encoded: input.body.length > 0 && !textual,
  };
  return event;
}

function decodeQueryPart(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

function safeDecodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

const SCALAR = new Set(['string', 'number', 'boolean']);

/**
 * The function's `Content-Length` as function URLs answer it, renamed `x-amzn-Remapped-…` (a
 * function's `content-length` reached the caller from AWS as `x-amzn-remapped-content-length`:
 * https://github.com/cargo-lambda/cargo-lambda/issues/862); HTTP APIs are taken to do the same.
 * The other framing and hop-by-hop headers are dropped.
 */
const REMAPPED_LENGTH = 'x-amzn-remapped-content-length';

/** A payload 2.0 `statusCode`: an integer, or a string of digits; undefined otherwise. */
function v2Status(statusCode: unknown): number | undefined {
  const status = typeof statusCode === 'string' && /^\d+$/.test(statusCode) ? Number(statusCode) : statusCode;
  return typeof status === 'number' && answerableStatus(status) ? status : undefined;
}

/**
 * Maps a function's payload 2.0 result to the HTTP response: an object with `statusCode` is a
 * response (`headers`, `cookies`, `body`, `isBase64Encoded`); anything else is JSON with 200
 * (a string as it is). Undefined when the result is a malformed response: a status outside
 * 200–599, `headers` not an object, a header name or value that cannot go on the wire, a cookie
 * that is no string or cannot go on the wire. The function's framing and hop-by-hop headers never
 * reach the caller (its `Content-Length` is remapped, as function URLs do; the rest dropped).
 */
export function toV2Response(result: unknown): LocalResponse | undefined {
  const isResponse = result !== null && typeof result === 'object' && 'statusCode' in result;
  if (!isResponse) {
    // A string is the body itself (`"hello"` answers `hello`: AWS's recording for LocalStack's
    // test_lambda_url_invocation[string]; the HTTP API guide's "Lambda function response for format 2.0").
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: result === undefined ? '' : typeof result === 'string' ? result : JSON.stringify(result),
    };
  }
  const { statusCode, headers, cookies, body, isBase64Encoded } = result as Record<string, unknown>;
  const status = v2Status(statusCode);
  const fields = headerFields(headers);
  if (status === undefined || fields === undefined) return undefined;
  const out: Record<string, string | string[]> = {};
  for (const [raw, value] of Object.entries(fields)) {
    if (!SCALAR.has(typeof value) || !writableHeader(raw, String(value))) return undefined;
    const name = raw.toLowerCase();
    if (name === 'content-length') out[REMAPPED_LENGTH] = String(value);
    else if (!RESPONSE_FRAMING.has(name)) out[name] = String(value);
  }
  if (cookies !== undefined) {
    if (!Array.isArray(cookies)) return undefined;
    if (!cookies.every((cookie) => typeof cookie === 'string' && writableHeader('set-cookie', cookie)))
      return undefined;
    if (cookies.length > 0) out['set-cookie'] = cookies;
  }
  const text = body === undefined || body === null ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  out['content-type'] ??= 'application/json';
  return { status, headers: out, body: isBase64Encoded === true ? Buffer.from(text, 'base64') : text };
}
