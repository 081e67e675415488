// Lambda authorizers of HTTP APIs (payload formats 1.0 and 2.0, simple answers and IAM policies),
// served from the `authorizers` fixture app and from a CDK app synthesized here, called with real
// HTTP requests. Every expectation is AWS's documented behaviour, taken from:
// - "Control access to HTTP APIs with AWS Lambda authorizers":
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
//   (payload formats, response formats, identity sources, caching, troubleshooting).
// Rows are never bent to the implementation: a failing row is a disagreement with AWS to report.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterEach, beforeAll, describe, expect, inject, it, type MockInstance, vi } from 'vitest';
import type { DecisionRecord } from '../../src/iam/decisions.js';
import type { LocalStack } from '../../src/stack.js';
import { rawGet, startStack } from '../helpers/stack.js';

/** "Control access to HTTP APIs with AWS Lambda authorizers", the page every row cites. */
const HTTP_AUTHORIZERS = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html';
/** Its sections. */
const PAYLOAD_FORMAT = `${HTTP_AUTHORIZERS}#http-api-lambda-authorizer.payload-format`;
const RESPONSE_FORMAT = `${HTTP_AUTHORIZERS}#http-api-lambda-authorizer.payload-format-response`;
const IDENTITY_SOURCES = `${HTTP_AUTHORIZERS}#http-api-lambda-authorizer.identity-sources`;
const CACHING = `${HTTP_AUTHORIZERS}#http-api-lambda-authorizer.caching`;
const TROUBLESHOOTING = `${HTTP_AUTHORIZERS}#http-api-lambda-authorizer.troubleshooting`;

const API_ACCOUNT = '222222222222';

// HTTP APIs' answers (lower-case `message`, unlike REST APIs' gateway responses).
const UNAUTHORIZED = '{"message":"Unauthorized"}';
const FORBIDDEN = '{"message":"Forbidden"}';
const INTERNAL_ERROR = '{"message":"Internal Server Error"}';

/** What a test started: closed after it, so no answer is remembered from another test. */
let started: LocalStack | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await started?.close();
  started = undefined;
});

/** A served copy of the `authorizers` fixture's HTTP API (stage `$default`). */
interface Served {
  /** `…/httpapis/<api id>/`. */
  url: string;
  apiId: string;
  records: DecisionRecord[];
  /** The authorizer functions' invocations, spied on. */
  simpleCalls: MockInstance;
  policyCalls: MockInstance;
  backendCalls: MockInstance;
}

async function serve(): Promise<Served> {
  const records: DecisionRecord[] = [];
  const { stack, state } = await startStack(inject('fixtures').authorizers, {
    warn: () => {},
    decisions: (record) => records.push(record),
  });
  started = stack;
  const api = state.httpApis[0];
  const simple = stack.runtime('SimpleAuthorizerFunction');
  const policy = stack.runtime('PolicyAuthorizerFunction');
  const backend = stack.runtime('HttpBackend');
  if (!api || !simple || !policy || !backend) throw new Error('the authorizers fixture no longer has its HTTP API');
  expect(api.stage).toBe('$default');
  return {
    url: api.url,
    apiId: api.apiId,
    records,
    simpleCalls: vi.spyOn(simple, 'invoke'),
    policyCalls: vi.spyOn(policy, 'invoke'),
    backendCalls: vi.spyOn(backend, 'invoke'),
  };
}

/** A GET of the served API; `authorization` as the Authorization header (none when undefined). */
const call = (url: string, path: string, authorization?: string, init: RequestInit = {}) =>
  fetch(`${url}${path}`, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string>),
      ...(authorization === undefined ? {} : { Authorization: authorization }),
    },
  });

/** Status and exact body text of an answer. */
async function answer(response: Response): Promise<{ status: number; body: string }> {
  return { status: response.status, body: await response.text() };
}

/** The route ARN API Gateway gives the authorizer: `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<method>/<path>`. */
const routeArn = (apiId: string, path: string) =>
  `arn:aws:execute-api:us-east-1:${API_ACCOUNT}:${apiId}/$default/GET/${path}`;

interface Row {
  row: string;
  path: 'simple' | 'policy';
  authorization: string | undefined;
  status: number;
  /** The exact body, or for 200 what the backend received as `requestContext.authorizer`. */
  body: string | Record<string, unknown>;
  /** How many times the route's authorizer function runs. */
  invoked: number;
}

describe(`the fixture's HTTP API: GET /simple (simple answers, payload 2.0) and GET /policy (IAM policy, payload 1.0), TTL 0 (${HTTP_AUTHORIZERS})`, () => {
  const rows: Row[] = [
    {
      row: `GET /simple without an Authorization header: 401 without calling the function (${IDENTITY_SOURCES})`,
      path: 'simple',
      authorization: undefined,
      status: 401,
      body: UNAUTHORIZED,
      invoked: 0,
    },
    {
      row: `GET /policy without an Authorization header: 401 without calling the function (${IDENTITY_SOURCES})`,
      path: 'policy',
      authorization: undefined,
      status: 401,
      body: UNAUTHORIZED,
      invoked: 0,
    },
    {
      row: `GET /simple "let-me-in" ({isAuthorized: true}): 200, the context as requestContext.authorizer.lambda (${RESPONSE_FORMAT})`,
      path: 'simple',
      authorization: 'let-me-in',
      status: 200,
      body: { lambda: { tenant: 'acme' } },
      invoked: 1,
    },
    {
      row: `GET /policy "let-me-in" (Allow on the route ARN): 200, the context as requestContext.authorizer.lambda (${RESPONSE_FORMAT})`,
      path: 'policy',
      authorization: 'let-me-in',
      status: 200,
      body: { lambda: { tenant: 'acme', admin: true } },
      invoked: 1,
    },
    {
      row: `GET /simple "wrong" ({isAuthorized: false}): 403 Forbidden (${RESPONSE_FORMAT})`,
      path: 'simple',
      authorization: 'wrong',
      status: 403,
      body: FORBIDDEN,
      invoked: 1,
    },
    {
      row: `GET /policy "wrong" (Deny on the route ARN): 403 Forbidden (${RESPONSE_FORMAT})`,
      path: 'policy',
      authorization: 'wrong',
      status: 403,
      body: FORBIDDEN,
      invoked: 1,
    },
    {
      row: `GET /simple "boom" (the function throws): 500 Internal Server Error (${TROUBLESHOOTING})`,
      path: 'simple',
      authorization: 'boom',
      status: 500,
      body: INTERNAL_ERROR,
      invoked: 1,
    },
  ];

  it.each(rows)('$row', async ({ path, authorization, status, body, invoked }) => {
    // Prepare
    const app = await serve();

    // Act
    const got = await answer(await call(app.url, path, authorization));

    // Assess
    expect(got.status).toBe(status);
    if (typeof body === 'string') {
      expect(got.body).toBe(body);
      expect(app.backendCalls).not.toHaveBeenCalled();
    } else {
      const received = JSON.parse(got.body) as { authorizer: unknown; routeKey: string };
      expect(received.routeKey).toBe(`GET /${path}`);
      if (path === 'simple') expect(received.authorizer).toEqual(body);
      else expect(received.authorizer).toMatchObject(body);
    }
    expect(path === 'simple' ? app.simpleCalls : app.policyCalls).toHaveBeenCalledTimes(invoked);
    expect(path === 'simple' ? app.policyCalls : app.simpleCalls).not.toHaveBeenCalled();
  });

  it(`TTL 0: every call asks the function again (${CACHING})`, async () => {
    // Prepare
    const app = await serve();

    // Act
    const statuses = [];
    for (const path of ['simple', 'simple', 'policy', 'policy'])
      statuses.push((await call(app.url, path, 'let-me-in')).status);

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(app.simpleCalls).toHaveBeenCalledTimes(2);
    expect(app.policyCalls).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['simple', 'authorization'],
    ['simple', 'AUTHORIZATION'],
    ['simple', 'AuThOrIzAtIoN'],
    ['policy', 'authorization'],
    ['policy', 'AUTHORIZATION'],
  ])(
    `GET /%s: the header identity source is found whatever the casing of its name on the wire (%s) ("Header names are case-insensitive", ${IDENTITY_SOURCES})`,
    async (path, name) => {
      // Prepare
      const app = await serve();

      // Act
      const got = await rawGet(`${app.url}${path}`, { [name]: 'let-me-in' });

      // Assess
      expect(got).toMatchObject({
        status: 200,
        body: { routeKey: `GET /${path}`, authorizer: { lambda: { tenant: 'acme' } } },
      });
    },
  );

  it(`the payload 2.0 event: version, type REQUEST, routeArn, identitySource as a list, the request without its body (${PAYLOAD_FORMAT})`, async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app.url, 'simple?x=1', 'let-me-in', { headers: { 'X-Extra': 'yes' } });

    // Assess
    const event = app.simpleCalls.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(event).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      routeArn: routeArn(app.apiId, 'simple'),
      identitySource: ['let-me-in'],
      routeKey: 'GET /simple',
      rawPath: '/simple',
      rawQueryString: 'x=1',
      queryStringParameters: { x: '1' },
      headers: expect.objectContaining({ authorization: 'let-me-in', 'x-extra': 'yes' }),
      requestContext: expect.objectContaining({
        accountId: API_ACCOUNT,
        apiId: app.apiId,
        routeKey: 'GET /simple',
        stage: '$default',
        http: expect.objectContaining({ method: 'GET', path: '/simple' }),
      }),
    });
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('isBase64Encoded');
  });

  it(`the payload 1.0 event: version, type REQUEST, methodArn, identitySource and authorizationToken as strings, the request without its body (${PAYLOAD_FORMAT})`, async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app.url, 'policy?x=1', 'let-me-in');

    // Assess
    const event = app.policyCalls.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(event).toMatchObject({
      version: '1.0',
      type: 'REQUEST',
      methodArn: routeArn(app.apiId, 'policy'),
      identitySource: 'let-me-in',
      authorizationToken: 'let-me-in',
      resource: '/policy',
      path: '/policy',
      httpMethod: 'GET',
      queryStringParameters: { x: '1' },
      requestContext: expect.objectContaining({
        accountId: API_ACCOUNT,
        apiId: app.apiId,
        stage: '$default',
        httpMethod: 'GET',
      }),
    });
    expect(Object.entries(event.headers as Record<string, string>)).toContainEqual([
      expect.stringMatching(/^authorization$/i),
      'let-me-in',
    ]);
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('routeArn');
  });

  it(`the payload 1.0 event's requestContext: path and resourcePath are the route's path, without the stage (${PAYLOAD_FORMAT})`, async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app.url, 'policy', 'let-me-in');

    // Assess: the 1.0 example has `"path": "/request"` and `"resourcePath": "/request"` in its requestContext,
    // on stage `test`; the HTTP API 1.0 integration example has `"path": "/my/path"` on stage `$default`.
    const event = app.policyCalls.mock.calls[0]?.[0] as { requestContext: Record<string, unknown> };
    expect({ path: event.requestContext.path, resourcePath: event.requestContext.resourcePath }).toEqual({
      path: '/policy',
      resourcePath: '/policy',
    });
  });
});

describe('decision records name the HTTP API Lambda authorizer and its answer', () => {
  it('GET /policy "wrong": the record’s principal is the authorizer with the principalId, its policy the explicit deny', async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app.url, 'policy', 'wrong');

    // Assess
    expect(app.records).toEqual([
      expect.objectContaining({
        allowed: false,
        kind: 'httpApi',
        principal: 'PolicyAuthorizer (principalId user-wrong)',
        caller: 'anonymous',
        action: 'execute-api:Invoke',
        resource: routeArn(app.apiId, 'policy'),
        reason: expect.stringMatching(
          /^explicit deny in an identity-based policy \(.*PolicyAuthorizer answer's policyDocument/,
        ),
      }),
    ]);
  });

  it('GET /policy "let-me-in": allowed by the answer’s policyDocument', async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app.url, 'policy', 'let-me-in');

    // Assess
    expect(app.records).toEqual([
      expect.objectContaining({
        allowed: true,
        kind: 'httpApi',
        principal: 'PolicyAuthorizer (principalId user-let-me-in)',
        resource: routeArn(app.apiId, 'policy'),
        reason: "allowed by PolicyAuthorizer answer's policyDocument statement #0",
      }),
    ]);
  });

  it('GET /simple: a simple answer’s record names the authorizer and its isAuthorized', async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app.url, 'simple', 'let-me-in');
    await call(app.url, 'simple', 'wrong');

    // Assess
    expect(app.records.map((record) => [record.allowed, record.principal, record.reason])).toEqual([
      [true, 'SimpleAuthorizer', expect.stringContaining('SimpleAuthorizer answer (isAuthorized: true)')],
      [false, 'SimpleAuthorizer', expect.stringContaining('SimpleAuthorizer answer (isAuthorized: false)')],
    ]);
  });

  it('a refusal before or by the function (401, 500): the reason names the authorizer', async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app.url, 'simple');
    await call(app.url, 'simple', 'boom');

    // Assess
    expect(app.records.map((record) => [record.allowed, record.reason])).toEqual([
      [false, expect.stringContaining('the Lambda authorizer SimpleAuthorizer')],
      [false, expect.stringMatching(/^the Lambda authorizer SimpleAuthorizer failed: Error: boom/)],
    ]);
  });
});

// ——— Caching, on an app synthesized here ———

/**
 * The authorizers' function of the app below (simple answers): allows any token but `nope`,
 * answers `{foo: 1}` (malformed) for `malformed`; its context reports what it was given.
 */
const CACHE_AUTHORIZER = `
exports.handler = async (event) => {
  const token = event.headers.authorization;
  if (token === 'malformed') return { foo: 1 };
  return {
    isAuthorized: token !== 'nope',
    context: { token, identity: event.identitySource.join('|'), hasBody: 'body' in event },
  };
};`;

const CACHE_BACKEND =
  'exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ routeKey: event.routeKey, body: event.body ?? null, authorizer: event.requestContext.authorizer ?? null }) });';

/**
 * One HTTP API (stage `$default`) with two Lambda authorizers cached 60 s, each on its own function:
 * `Shared` (identity: the Authorization header) on `GET /one`, `GET /two` and `POST /echo`;
 * `PerRoute` (identity: the Authorization header and `$context.routeKey`) on `GET /three` and `GET /four`.
 */
function synthCacheApp(): string {
  const outdir = mkdtempSync(join(inject('scratchRoot'), 'http-authorizer-cache-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'HttpAuthorizerCache', { env: { account: API_ACCOUNT, region: 'us-east-1' } });
  const inline = (id: string, code: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(code),
    });
  const api = new HttpApi(stack, 'Api');
  const integration = new HttpLambdaIntegration('Backend', inline('Backend', CACHE_BACKEND));
  const authorizer = (id: string, identitySource: string[]) =>
    new HttpLambdaAuthorizer(id, inline(`${id}Function`, CACHE_AUTHORIZER), {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource,
      resultsCacheTtl: Duration.seconds(60),
    });
  const shared = authorizer('Shared', ['$request.header.Authorization']);
  const perRoute = authorizer('PerRoute', ['$request.header.Authorization', '$context.routeKey']);
  for (const path of ['/one', '/two'])
    api.addRoutes({ path, methods: [HttpMethod.GET], integration, authorizer: shared });
  api.addRoutes({ path: '/echo', methods: [HttpMethod.POST], integration, authorizer: shared });
  for (const path of ['/three', '/four'])
    api.addRoutes({ path, methods: [HttpMethod.GET], integration, authorizer: perRoute });
  app.synth();
  return outdir;
}

describe(`caching authorizer responses (TTL 60 s) on an app synthesized here (${CACHING})`, () => {
  let assembly = '';
  beforeAll(() => {
    assembly = synthCacheApp();
  });

  /** The app served; `now` the servers' clock. */
  async function serveCache(now?: () => Date) {
    const { stack, state } = await startStack(assembly, { warn: () => {}, ...(now ? { now } : {}) });
    started = stack;
    const shared = stack.runtime('SharedFunction');
    const perRoute = stack.runtime('PerRouteFunction');
    const api = state.httpApis[0];
    if (!shared || !perRoute || !api) throw new Error('the cache app lacks a function or its HTTP API');
    return { url: api.url, shared: vi.spyOn(shared, 'invoke'), perRoute: vi.spyOn(perRoute, 'invoke') };
  }

  it(`two calls with the same identity: the function is called once, both get its context (${CACHING})`, async () => {
    // Prepare
    const app = await serveCache();

    // Act
    const first = await call(app.url, 'one', 'alice');
    const second = await call(app.url, 'one', 'alice');

    // Assess
    expect([first.status, second.status]).toEqual([200, 200]);
    const context = { lambda: { token: 'alice', identity: 'alice', hasBody: false } };
    expect(await first.json()).toEqual({ routeKey: 'GET /one', body: null, authorizer: context });
    expect(await second.json()).toEqual({ routeKey: 'GET /one', body: null, authorizer: context });
    expect(app.shared).toHaveBeenCalledTimes(1);
  });

  it(`two identities: the function is called for each (the identity sources are the cache key, ${CACHING})`, async () => {
    // Prepare
    const app = await serveCache();

    // Act
    const statuses = [];
    for (const token of ['alice', 'bob', 'alice', 'bob']) statuses.push((await call(app.url, 'one', token)).status);

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(app.shared).toHaveBeenCalledTimes(2);
  });

  it(`without $context.routeKey, one cached answer serves every route of the authorizer ("By default", ${CACHING})`, async () => {
    // Prepare
    const app = await serveCache();

    // Act
    const one = await call(app.url, 'one', 'alice');
    const two = await call(app.url, 'two', 'alice');

    // Assess
    expect([one.status, two.status]).toEqual([200, 200]);
    expect(await two.json()).toMatchObject({ routeKey: 'GET /two', authorizer: { lambda: { token: 'alice' } } });
    expect(app.shared).toHaveBeenCalledTimes(1);
  });

  it(`with $context.routeKey among the identity sources, answers are cached per route (${CACHING})`, async () => {
    // Prepare
    const app = await serveCache();

    // Act
    const statuses = [];
    for (const path of ['three', 'four', 'three', 'four']) statuses.push((await call(app.url, path, 'alice')).status);

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(app.perRoute).toHaveBeenCalledTimes(2);
    expect(app.perRoute.mock.calls.map(([event]) => (event as { identitySource: string[] }).identitySource)).toEqual([
      ['alice', 'GET /three'],
      ['alice', 'GET /four'],
    ]);
  });

  it(`a cached {isAuthorized: false} denies every request with that identity, without a new call (${CACHING})`, async () => {
    // Prepare
    const app = await serveCache();

    // Act
    const first = await answer(await call(app.url, 'one', 'nope'));
    const second = await answer(await call(app.url, 'two', 'nope'));

    // Assess
    expect([first, second]).toEqual([
      { status: 403, body: FORBIDDEN },
      { status: 403, body: FORBIDDEN },
    ]);
    expect(app.shared).toHaveBeenCalledTimes(1);
  });

  it(`past the TTL the function is asked again (${CACHING}: "within the configured TTL")`, async () => {
    // Prepare: the servers' clock, moved by the test.
    let skewMs = 0;
    const app = await serveCache(() => new Date(Date.now() + skewMs));
    expect((await call(app.url, 'one', 'alice')).status).toBe(200);
    skewMs = 59_000;
    expect((await call(app.url, 'one', 'alice')).status).toBe(200);
    expect(app.shared).toHaveBeenCalledTimes(1);

    // Act
    skewMs = 61_000;
    const response = await call(app.url, 'one', 'alice');

    // Assess
    expect(response.status).toBe(200);
    expect(app.shared).toHaveBeenCalledTimes(2);
  });

  it(`an answer in an invalid format: 500 Internal Server Error, not remembered (${TROUBLESHOOTING})`, async () => {
    // Prepare
    const app = await serveCache();

    // Act
    const first = await answer(await call(app.url, 'one', 'malformed'));
    const second = await answer(await call(app.url, 'one', 'malformed'));

    // Assess
    expect([first, second]).toEqual([
      { status: 500, body: INTERNAL_ERROR },
      { status: 500, body: INTERNAL_ERROR },
    ]);
    expect(app.shared).toHaveBeenCalledTimes(2);
  });

  it(`with $context.routeKey, a missing header is still a 401 without a call (${IDENTITY_SOURCES})`, async () => {
    // Prepare
    const app = await serveCache();

    // Act
    const got = await answer(await call(app.url, 'three'));

    // Assess
    expect(got).toEqual({ status: 401, body: UNAUTHORIZED });
    expect(app.perRoute).not.toHaveBeenCalled();
  });

  it(`POST with a body: the authorizer's event has no body, the integration gets it (${PAYLOAD_FORMAT})`, async () => {
    // Prepare
    const app = await serveCache();

    // Act
    const response = await call(app.url, 'echo', 'alice', {
      method: 'POST',
      body: '{"hello":"world"}',
      headers: { 'content-type': 'application/json' },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      routeKey: 'POST /echo',
      body: '{"hello":"world"}',
      authorizer: { lambda: { token: 'alice', identity: 'alice', hasBody: false } },
    });
    const event = app.shared.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(event).toMatchObject({
      type: 'REQUEST',
      routeKey: 'POST /echo',
      requestContext: expect.objectContaining({ http: expect.objectContaining({ method: 'POST' }) }),
    });
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('isBase64Encoded');
  });
});
