import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { bindRemainingTime, createIamClient, type IamClient, iamClient } from '@iam-m2m/middleware';
import middy from '@middy/core';
import { logger, REST_REQUEST_ID, tracer } from './powertools.js';

/** Optional event: which route to call on every target instead of `GET /`. */
export interface RequestorEvent {
  path?: string;
  method?: string;
  body?: unknown;
}

/**
 * The seed's output (the REST API's answer without and with a SigV4 signature), then the
 * signed answer of the function URL and of the HTTP API.
 */
export interface RequestorResult {
  without: unknown;
  with: unknown;
  functionUrl: unknown;
  httpApi: unknown;
}

/** The targets besides the REST API: result key, environment variable, example value. */
const TARGETS = {
  functionUrl: { variable: 'IAM_FUNCTION_URL', example: 'https://abc123.lambda-url.eu-west-1.on.aws/' },
  httpApi: { variable: 'IAM_HTTP_API', example: 'https://abc123.execute-api.eu-west-1.amazonaws.com/' },
} as const;

/** Reads and checks an http(s) URL from the environment variable `name`; its path ends in `/`. */
export function urlFromEnvironment(name: string, example: string): URL {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: it must be a URL like ${example}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** Reads and checks `IAM_API`, the REST API's stage URL. */
export const apiUrlFromEnvironment = (): URL =>
  urlFromEnvironment('IAM_API', 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/');

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

// Clients of their own, created once per container: function URLs sign for service `lambda`
// (a local endpoint's host name does not say so), and a remote HTTP API is called as the role
// its account trusts (IAM_HTTP_API_ROLE).
let functionUrlClient: IamClient | undefined;
const assumedRoleClients = new Map<string, IamClient>();

function clientForFunctionUrl(): IamClient {
  functionUrlClient ??= createIamClient({ service: 'lambda', logger });
  return functionUrlClient;
}

function clientForHttpApi(own: IamClient): IamClient {
  const roleArn = process.env.IAM_HTTP_API_ROLE;
  if (!roleArn) return own;
  let client = assumedRoleClients.get(roleArn);
  if (!client) {
    client = createIamClient({ assumeRole: { roleArn }, logger });
    assumedRoleClients.set(roleArn, client);
  }
  return client;
}

/**
 * Calls the REST API twice: once with plain `fetch` (API Gateway answers 403 Missing
 * Authentication Token) and once through `context.iamClient`, signed with the function's role;
 * then the function URL and the HTTP API, signed. A target whose variable is not set answers
 * `{ message: "<VAR> is not set" }`.
 */
export const handler = middy<RequestorEvent | undefined, RequestorResult>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { correlationIdPath: REST_REQUEST_ID }))
  .use(iamClient({ logger }))
  .handler(async (event, context) => {
    const relative = (event?.path ?? '/').replace(/^\/+/, '');
    const method = (event?.method ?? 'GET').toUpperCase();
    const json = event?.body;
    const url = new URL(relative, apiUrlFromEnvironment());
    const init: RequestInit =
      json === undefined
        ? { method }
        : { method, body: JSON.stringify(json), headers: { 'content-type': 'application/json' } };
    const without = await readAnswer(() => fetch(url, init));
    const signed = await readAnswer(() => context.iamClient.request({ method, url, json }));

    const callTarget = async (key: keyof typeof TARGETS, client: () => IamClient): Promise<unknown> => {
      const { variable, example } = TARGETS[key];
      if (!process.env[variable]) return { message: `${variable} is not set` };
      return readAnswer(() => {
        const target = new URL(relative, urlFromEnvironment(variable, example));
        const signer = client();
        bindRemainingTime(signer, () => context.getRemainingTimeInMillis());
        return signer.request({ method, url: target, json });
      });
    };
    const functionUrl = await callTarget('functionUrl', clientForFunctionUrl);
    const httpApi = await callTarget('httpApi', () => clientForHttpApi(context.iamClient));
    logger.info('requestor called the targets', { url: `${url.origin}${url.pathname}`, method });
    return { without, with: signed, functionUrl, httpApi };
  });
