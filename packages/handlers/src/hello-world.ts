import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { logger, REST_REQUEST_ID, tracer } from './powertools.js';

/** Who called, as API Gateway verified it (IAM auth fills `requestContext.identity`). */
export interface Caller {
  accountId: string | null;
  userArn: string | null;
}

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

function parseBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === '') return null;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const type = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
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
 * The API's integration (REST proxy, v1 events). `GET /` answers
 * `{"hello":"world","caller":{accountId,userArn}}`; `ANY /{proxy+}` echoes the method, path,
 * multi-value query and parsed body too, to prove end to end that they survive signing.
 */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { correlationIdPath: REST_REQUEST_ID }))
  .handler(async (event) => {
    const identity = event.requestContext?.identity;
    const caller: Caller = { accountId: identity?.accountId ?? null, userArn: identity?.userArn ?? null };
    logger.info('hello-world called', { caller, method: event.httpMethod, resource: event.resource });
    if (event.resource === '/') return json(200, { hello: 'world', caller });
    return json(200, {
      hello: 'world',
      caller,
      method: event.httpMethod,
      path: event.path,
      query: event.multiValueQueryStringParameters ?? {},
      body: parseBody(event),
    });
  });
