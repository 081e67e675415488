import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyResult } from 'aws-lambda';
import { logger, REST_REQUEST_ID, tracer } from './powertools.js';

/** Who called, as the target verified it (IAM auth fills `identity` in v1, `authorizer.iam` in 2.0). */
export interface Caller {
  accountId: string | null;
  userArn: string | null;
}

/**
 * What hello-world receives: a REST API proxy (v1) event, or a payload 2.0 event from a
 * function URL or an HTTP API with AWS_IAM.
 */
export type HelloWorldEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2WithIAMAuthorizer;

/** One request, whichever event format brought it. */
interface HelloRequest {
  caller: Caller;
  method: string;
  path: string;
  /** `GET /`, answered without the echo. */
  root: boolean;
  route: string;
  query: Record<string, string[]>;
  headers: Record<string, string | undefined> | null;
  body: string | null | undefined;
  isBase64Encoded: boolean;
}

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const isPayloadV2 = (event: HelloWorldEvent): event is APIGatewayProxyEventV2WithIAMAuthorizer =>
  (event as { version?: unknown }).version === '2.0';

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A raw query string as a multi-value map, in wire order: `%XX` decoded, `+` left as it is
 * (as API Gateway decodes REST queries), a name without `=` has the value ''.
 * Payload 2.0's `queryStringParameters` joins repeated keys with commas, so the raw string is read.
 */
export function parseRawQuery(raw: string): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    query[name] ??= [];
    query[name].push(value);
  }
  return query;
}

function fromRest(event: APIGatewayProxyEvent): HelloRequest {
  const identity = event.requestContext?.identity;
  return {
    caller: { accountId: identity?.accountId ?? null, userArn: identity?.userArn ?? null },
    method: event.httpMethod,
    path: event.path,
    root: event.resource === '/',
    route: event.resource,
    query: (event.multiValueQueryStringParameters as Record<string, string[]> | null) ?? {},
    headers: event.headers,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded,
  };
}

function fromPayloadV2(event: APIGatewayProxyEventV2WithIAMAuthorizer): HelloRequest {
  const iam = event.requestContext?.authorizer?.iam;
  const method = event.requestContext?.http?.method ?? 'GET';
  const single = event.queryStringParameters ?? {};
  return {
    caller: { accountId: iam?.accountId ?? null, userArn: iam?.userArn ?? null },
    method,
    path: event.rawPath,
    root: event.rawPath === '/' && method === 'GET',
    route: event.routeKey,
    query: event.rawQueryString
      ? parseRawQuery(event.rawQueryString)
      : Object.fromEntries(Object.entries(single).map(([name, value]) => [name, [value ?? '']])),
    headers: event.headers,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded,
  };
}

function parseBody(request: HelloRequest): unknown {
  if (request.body === null || request.body === undefined || request.body === '') return null;
  const text = request.isBase64Encoded ? Buffer.from(request.body, 'base64').toString('utf8') : request.body;
  const type = Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  if (type?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * The integration of every target: a REST API (proxy, v1 events), a function URL and an HTTP
 * API (payload 2.0). `GET /` answers `{"hello":"world","caller":{accountId,userArn}}`; any other
 * route echoes the method, path, multi-value query and parsed body too, to prove end to end that
 * they survive signing. One answer format, whichever target was called.
 */
export const handler = middy<HelloWorldEvent, APIGatewayProxyResult>()
  .use(captureLambdaHandler(tracer))
  // Both formats keep the request id at requestContext.requestId.
  .use(injectLambdaContext(logger, { correlationIdPath: REST_REQUEST_ID }))
  .handler(async (event) => {
    const request = isPayloadV2(event) ? fromPayloadV2(event) : fromRest(event);
    const { caller, method } = request;
    logger.info('hello-world called', { caller, method, resource: request.route });
    if (request.root) return json(200, { hello: 'world', caller });
    return json(200, {
      hello: 'world',
      caller,
      method,
      path: request.path,
      query: request.query,
      body: parseBody(request),
    });
  });
