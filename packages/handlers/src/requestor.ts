import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { iamClient } from '@iam-m2m/middleware';
import middy from '@middy/core';
import { logger, REST_REQUEST_ID, tracer } from './powertools.js';

/** Optional event: which route to call instead of `GET /`. */
export interface RequestorEvent {
  path?: string;
  method?: string;
  body?: unknown;
}

/** The seed's output: the API's answer without and with a SigV4 signature. */
export interface RequestorResult {
  without: unknown;
  with: unknown;
}

/** Reads and checks `IAM_API`, the API's stage URL. */
export function apiUrlFromEnvironment(): URL {
  const value = process.env.IAM_API;
  if (!value)
    throw new Error(
      'IAM_API is not set: it must be the API stage URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
    );
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`IAM_API must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`IAM_API must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** The parsed JSON body, or `{ message }` with the text (or the error) when it is not JSON. */
async function readAnswer(call: () => Promise<Response>): Promise<unknown> {
  try {
    const text = await (await call()).text();
    try {
      return JSON.parse(text);
    } catch {
      return { message: text };
    }
  } catch (error) {
    return { message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Calls the API twice: once with plain `fetch` (API Gateway answers 403 Missing
 * Authentication Token) and once through `context.iamClient`, signed with the function's role.
 */
export const handler = middy<RequestorEvent | undefined, RequestorResult>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { correlationIdPath: REST_REQUEST_ID }))
  .use(iamClient({ logger }))
  .handler(async (event, context) => {
    const url = new URL((event?.path ?? '/').replace(/^\/+/, ''), apiUrlFromEnvironment());
    const method = (event?.method ?? 'GET').toUpperCase();
    const json = event?.body;
    const init: RequestInit =
      json === undefined
        ? { method }
        : { method, body: JSON.stringify(json), headers: { 'content-type': 'application/json' } };
    const without = await readAnswer(() => fetch(url, init));
    const signed = await readAnswer(() => context.iamClient.request({ method, url, json }));
    logger.info('requestor called the API', { url: `${url.origin}${url.pathname}`, method });
    return { without, with: signed };
  });
