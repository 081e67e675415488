// Lambda authorizers of REST APIs (TOKEN and REQUEST), served from the `authorizers` fixture app and
// from a CDK app synthesized here, called with real HTTP requests (and real SigV4 signatures for
// AWS_IAM methods). Every expectation is AWS's documented behaviour, taken from:
// - "Use API Gateway Lambda authorizers":
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
// - "Input to an API Gateway Lambda authorizer":
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
// - "Output from an API Gateway Lambda authorizer":
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
// - "How API Gateway resource policies affect authorization workflow" (Table A):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
// - "Gateway response types for API Gateway":
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
// - AWS Knowledge Center, Lambda authorizer errors (the cached-policy pitfall):
//   https://aws.amazon.com/premiumsupport/knowledge-center/api-gateway-lambda-authorization-errors/
// - API reference, Authorizer (identity sources, validation expression, TTL):
//   https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html
// Rows are never bent to the implementation: a failing row is a disagreement with AWS to report.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { LambdaIntegration, RestApi, TokenAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterEach, beforeAll, describe, expect, inject, it, type MockInstance, vi } from 'vitest';
import type { DecisionRecord } from '../../src/iam/decisions.js';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { awsError, clientFor, maskedAccount, rawGet, startStack } from '../helpers/stack.js';

/** "Use API Gateway Lambda authorizers": `Unauthorized` → 401, any other error → 500; context values. */
const USE_AUTHORIZERS =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html';
/** "Input to an API Gateway Lambda authorizer": the TOKEN and REQUEST events. */
const INPUT = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html';
/** "Output from an API Gateway Lambda authorizer": principalId, policyDocument, context (stringified). */
const OUTPUT = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html';
/** "How API Gateway resource policies affect authorization workflow": deny first, then Table A. */
const AUTHORIZATION_FLOW =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html';
/** "Gateway response types": UNAUTHORIZED 401, ACCESS_DENIED 403, AUTHORIZER_CONFIGURATION_ERROR 500, MISSING_AUTHENTICATION_TOKEN 403. */
const GATEWAY_RESPONSES =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html';
/** KC "Why do I get authorization errors with my Lambda authorizer": a cached policy scoped to one method. */
const CACHED_POLICY_PITFALL =
  'https://aws.amazon.com/premiumsupport/knowledge-center/api-gateway-lambda-authorization-errors/';
/** KC "Why do I get 403 errors with a Lambda authorizer": the two ACCESS_DENIED messages; missing identity → 401. */
const KC_403 = 'https://aws.amazon.com/premiumsupport/knowledge-center/api-gateway-403-error-lambda-authorizer/';
/** API reference, Authorizer: identity sources present and non-empty, validation expression, TTL (0 disables). */
const API_AUTHORIZER = 'https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html';

const API_ACCOUNT = '222222222222';

// The answers' exact bodies (KC_403, GATEWAY_RESPONSES; AUTHORIZER_CONFIGURATION_ERROR's `{"message": null}`).
const UNAUTHORIZED = '{"message":"Unauthorized"}';
const NOT_AUTHORIZED = '{"Message":"User is not authorized to access this resource"}';
const EXPLICIT_DENY = '{"Message":"User is not authorized to access this resource with an explicit deny"}';
const CONFIGURATION_ERROR = '{"message": null}';

/** A served copy of the `authorizers` fixture, fresh for each test: no answer is remembered from another test. */
interface Served {
  stack: LocalStack;
  state: LocalState;
  /** The REST API's stage URL (`…/prod/`) and id. */
  url: string;
  apiId: string;
  records: DecisionRecord[];
  /** The authorizer functions' invocations, spied on. */
  tokenCalls: MockInstance;
  requestCalls: MockInstance;
}

let served: Served | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await served?.stack.close();
  served = undefined;
});

/** The `Name` CDK gives each authorizer (what decisions name), by logical id prefix. */
function authorizerNames(): Record<'token' | 'request' | 'cachedRequest', string> {
  const template = JSON.parse(
    readFileSync(join(inject('fixtures').authorizers, 'AuthorizersApi.template.json'), 'utf8'),
  ) as { Resources: Record<string, { Type: string; Properties: { Name?: string } }> };
  const name = (prefix: string) =>
    Object.entries(template.Resources).find(
      ([id, resource]) => resource.Type === 'AWS::ApiGateway::Authorizer' && id.startsWith(prefix),
    )?.[1].Properties.Name ?? `no authorizer ${prefix}`;
  return { token: name('TokenAuthorizer'), request: name('RequestAuthorizer'), cachedRequest: name('CachedRequest') };
}

async function serve(now?: () => Date): Promise<Served> {
  const records: DecisionRecord[] = [];
  const { stack, state } = await startStack(inject('fixtures').authorizers, {
    warn: () => {},
    decisions: (record) => records.push(record),
    ...(now ? { now } : {}),
  });
  const api = state.apis.find((candidate) => candidate.stage === 'prod');
  const tokenFunction = stack.runtime('TokenAuthorizerFunction');
  const requestFunction = stack.runtime('RequestAuthorizerFunction');
  if (!api || !tokenFunction || !requestFunction) throw new Error('the authorizers fixture no longer has its REST API');
  served = {
    stack,
    state,
    url: api.url,
    apiId: api.restApiId,
    records,
    tokenCalls: vi.spyOn(tokenFunction, 'invoke'),
    requestCalls: vi.spyOn(requestFunction, 'invoke'),
  };
  return served;
}

/** An unsigned request to the served API; `authorization` as the Authorization header (none when undefined). */
const call = (
  app: Served,
  path: string,
  {
    authorization,
    headers = {},
    method = 'GET',
  }: { authorization?: string; headers?: Record<string, string>; method?: string } = {},
) =>
  fetch(`${app.url}${path}`, {
    method,
    headers: { ...headers, ...(authorization === undefined ? {} : { Authorization: authorization }) },
    ...(method === 'POST' ? { body: 'hello' } : {}),
  });

/** Status, error type and the exact body text of an answer. */
async function answer(response: Response): Promise<{ status: number; type: string | null; body: string }> {
  return { status: response.status, type: response.headers.get('x-amzn-errortype'), body: await response.text() };
}

/** The resource policy's explicit deny for an anonymous caller, as API Gateway writes it (AWS masks the account). */
const resourcePolicyDeny = (apiId: string, path: string) =>
  `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:${maskedAccount(API_ACCOUNT)}:${apiId}/prod/GET/${path} with an explicit deny"}`;

interface TokenRow {
  row: string;
  path: string;
  authorization: string | undefined;
  status: number;
  type: string | null;
  /** The exact body; for 200 the backend's answer, checked by `principalId`. */
  body: string | { principalId: string };
  /** How many times the authorizer function runs. */
  invoked: number;
}

describe(`TOKEN authorizer (header Authorization, regex ^Bearer [-0-9a-zA-Z\\.]*$, TTL 300) (${USE_AUTHORIZERS})`, () => {
  const rows: TokenRow[] = [
    {
      row: `no Authorization header: 401 without calling the function (${API_AUTHORIZER}, ${KC_403})`,
      path: 'token',
      authorization: undefined,
      status: 401,
      type: 'UnauthorizedException',
      body: UNAUTHORIZED,
      invoked: 0,
    },
    {
      row: `an empty Authorization header: 401 without calling the function ("missing, null, or empty", ${KC_403})`,
      path: 'token',
      authorization: '',
      status: 401,
      type: 'UnauthorizedException',
      body: UNAUTHORIZED,
      invoked: 0,
    },
    {
      row: `a token the validation expression refuses ("Basic abc"): 401 without calling the function (${API_AUTHORIZER}: identityValidationExpression)`,
      path: 'token',
      authorization: 'Basic abc',
      status: 401,
      type: 'UnauthorizedException',
      body: UNAUTHORIZED,
      invoked: 0,
    },
    {
      row: `"Bearer allow" (Allow on methodArn): 200 (${OUTPUT})`,
      path: 'token',
      authorization: 'Bearer allow',
      status: 200,
      type: null,
      body: { principalId: 'user-allow' },
      invoked: 1,
    },
    {
      row: `"Bearer allow-all" (Allow on <api>/*/*) on another method: 200 (${CACHED_POLICY_PITFALL}: the wildcard fix)`,
      path: 'token/other',
      authorization: 'Bearer allow-all',
      status: 200,
      type: null,
      body: { principalId: 'user-allow-all' },
      invoked: 1,
    },
    {
      row: `"Bearer deny" (Deny on methodArn): 403 AccessDeniedException "… with an explicit deny" (${KC_403})`,
      path: 'token',
      authorization: 'Bearer deny',
      status: 403,
      type: 'AccessDeniedException',
      body: EXPLICIT_DENY,
      invoked: 1,
    },
    {
      row: `"Bearer unauthorized" (throws "Unauthorized"): 401 (${USE_AUTHORIZERS}: callback("Unauthorized"))`,
      path: 'token',
      authorization: 'Bearer unauthorized',
      status: 401,
      type: 'UnauthorizedException',
      body: UNAUTHORIZED,
      invoked: 1,
    },
    {
      row: `"Bearer boom" (throws another error): 500 AuthorizerConfigurationException {"message": null} (${USE_AUTHORIZERS}; ${GATEWAY_RESPONSES})`,
      path: 'token',
      authorization: 'Bearer boom',
      status: 500,
      type: 'AuthorizerConfigurationException',
      body: CONFIGURATION_ERROR,
      invoked: 1,
    },
    {
      row: `"Bearer malformed" (no principalId, no policyDocument): 500 AuthorizerConfigurationException (${OUTPUT}: "must include")`,
      path: 'token',
      authorization: 'Bearer malformed',
      status: 500,
      type: 'AuthorizerConfigurationException',
      body: CONFIGURATION_ERROR,
      invoked: 1,
    },
    {
      row: `GET /blocked, "Bearer allow-all": the resource policy's explicit deny, before the authorizer is called (${AUTHORIZATION_FLOW})`,
      path: 'blocked',
      authorization: 'Bearer allow-all',
      status: 403,
      type: 'AccessDeniedException',
      body: 'resource policy deny',
      invoked: 0,
    },
  ];

  it.each(rows)('$row', async ({ path, authorization, status, type, body, invoked }) => {
    // Prepare
    const app = await serve();

    // Act
    const got = await answer(await call(app, path, { authorization }));

    // Assess
    expect({ status: got.status, type: got.type }).toEqual({ status, type });
    if (typeof body === 'string')
      expect(got.body).toBe(body === 'resource policy deny' ? resourcePolicyDeny(app.apiId, path) : body);
    else expect(JSON.parse(got.body)).toMatchObject({ authorizer: { principalId: body.principalId } });
    expect(app.tokenCalls).toHaveBeenCalledTimes(invoked);
  });

  it(`"Bearer slow" (sleeps 10 s, function timeout 3 s): 500 AuthorizerConfigurationException {"message": null} (${GATEWAY_RESPONSES})`, {
    timeout: 15_000,
  }, async () => {
    // Prepare
    const app = await serve();

    // Act
    const got = await answer(await call(app, 'token', { authorization: 'Bearer slow' }));

    // Assess
    expect(got).toEqual({ status: 500, type: 'AuthorizerConfigurationException', body: CONFIGURATION_ERROR });
  });

  it(`the function receives {type, authorizationToken, methodArn} and nothing else (${INPUT})`, async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app, 'token/other', { authorization: 'Bearer allow-all' });

    // Assess
    expect(app.tokenCalls.mock.calls[0]?.[0]).toEqual({
      type: 'TOKEN',
      authorizationToken: 'Bearer allow-all',
      methodArn: `arn:aws:execute-api:us-east-1:${API_ACCOUNT}:${app.apiId}/prod/GET/token/other`,
    });
  });

  it(`the integration gets the context stringified, principalId and integrationLatency as requestContext.authorizer (${OUTPUT})`, async () => {
    // Prepare
    const app = await serve();

    // Act
    const response = await call(app, 'token', { authorization: 'Bearer allow' });

    // Assess: the function answered `{tenant: 'acme', count: 3, admin: true}`; "The returned values are all stringified".
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      path: '/token',
      authorizer: {
        tenant: 'acme',
        count: '3',
        admin: 'true',
        principalId: 'user-allow',
        integrationLatency: expect.any(Number),
      },
    });
  });
});

describe(`TOKEN answers are cached per token for the TTL, whatever the method (${API_AUTHORIZER}; ${CACHED_POLICY_PITFALL})`, () => {
  it('"Bearer allow" allowed on /token, then denied on /token/other from the cached policy (the pitfall), one call', async () => {
    // Prepare
    const app = await serve();
    expect((await call(app, 'token', { authorization: 'Bearer allow' })).status).toBe(200);

    // Act
    const got = await answer(await call(app, 'token/other', { authorization: 'Bearer allow' }));

    // Assess: the KC's "User is not authorized to access this resource" for a path the cached policy does not name.
    expect(got).toEqual({ status: 403, type: 'AccessDeniedException', body: NOT_AUTHORIZED });
    expect(app.tokenCalls).toHaveBeenCalledTimes(1);
  });

  it('"Bearer allow-all" on /token then /token/other: both 200, the function called once', async () => {
    // Prepare
    const app = await serve();

    // Act
    const first = await call(app, 'token', { authorization: 'Bearer allow-all' });
    const second = await call(app, 'token/other', { authorization: 'Bearer allow-all' });

    // Assess
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.json()).toMatchObject({
      path: '/token/other',
      authorizer: { principalId: 'user-allow-all', tenant: 'acme' },
    });
    expect(app.tokenCalls).toHaveBeenCalledTimes(1);
  });

  it('a cached Deny answers the next call with the same token without calling the function', async () => {
    // Prepare
    const app = await serve();
    await call(app, 'token', { authorization: 'Bearer deny' });

    // Act
    const got = await answer(await call(app, 'token/other', { authorization: 'Bearer deny' }));

    // Assess: the cached policy denies only /token; on /token/other it is silent (implicit deny).
    expect(got).toEqual({ status: 403, type: 'AccessDeniedException', body: NOT_AUTHORIZED });
    expect(app.tokenCalls).toHaveBeenCalledTimes(1);
  });

  it('past the TTL (300 s) the function is asked again, and the method-scoped policy then allows /token/other', async () => {
    // Prepare: the servers' clock, moved by the test.
    let skewMs = 0;
    const app = await serve(() => new Date(Date.now() + skewMs));
    expect((await call(app, 'token', { authorization: 'Bearer allow' })).status).toBe(200);
    skewMs = 299_000;
    expect((await call(app, 'token/other', { authorization: 'Bearer allow' })).status).toBe(403);

    // Act
    skewMs = 301_000;
    const response = await call(app, 'token/other', { authorization: 'Bearer allow' });

    // Assess
    expect(response.status).toBe(200);
    expect(app.tokenCalls).toHaveBeenCalledTimes(2);
  });

  it('the resource policy’s explicit deny of /blocked comes before the cache too: a cached Allow-all does not pass it', async () => {
    // Prepare
    const app = await serve();
    expect((await call(app, 'token', { authorization: 'Bearer allow-all' })).status).toBe(200);

    // Act
    const got = await answer(await call(app, 'blocked', { authorization: 'Bearer allow-all' }));

    // Assess
    expect(got).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      body: resourcePolicyDeny(app.apiId, 'blocked'),
    });
    expect(app.tokenCalls).toHaveBeenCalledTimes(1);
  });

  it('answers that are not policies (401, 500) are not remembered: the same token calls the function again', async () => {
    // Prepare
    const app = await serve();

    // Act
    const statuses = [];
    for (const token of ['Bearer unauthorized', 'Bearer unauthorized', 'Bearer boom', 'Bearer boom'])
      statuses.push((await call(app, 'token', { authorization: token })).status);

    // Assess
    expect(statuses).toEqual([401, 401, 500, 500]);
    expect(app.tokenCalls).toHaveBeenCalledTimes(4);
  });
});

describe(`REQUEST authorizers (X-Tenant header and key query string) (${INPUT}; ${API_AUTHORIZER})`, () => {
  it('X-Tenant acme, key=k1: 200 with the context the function made from the request', async () => {
    // Prepare
    const app = await serve();

    // Act
    const response = await call(app, 'request?key=k1', { headers: { 'X-Tenant': 'acme' } });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      path: '/request',
      authorizer: {
        tenant: 'acme',
        path: '/request',
        method: 'GET',
        principalId: 'tenant-acme',
        integrationLatency: expect.any(Number),
      },
    });
  });

  it('POST /request: the same authorizer, the event names the method', async () => {
    // Prepare
    const app = await serve();

    // Act
    const response = await call(app, 'request?key=k1', { headers: { 'X-Tenant': 'acme' }, method: 'POST' });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ authorizer: { method: 'POST', principalId: 'tenant-acme' } });
  });

  it('the event is the request as a proxy event without its body, with type REQUEST and methodArn', async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app, 'request?key=k1', { headers: { 'X-Tenant': 'acme' }, method: 'POST' });

    // Assess
    const event = app.requestCalls.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(event).toMatchObject({
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:us-east-1:${API_ACCOUNT}:${app.apiId}/prod/POST/request`,
      resource: '/request',
      path: '/request',
      httpMethod: 'POST',
      queryStringParameters: { key: 'k1' },
      requestContext: expect.objectContaining({ stage: 'prod', resourcePath: '/request', httpMethod: 'POST' }),
    });
    expect(Object.entries(event.headers as Record<string, string>)).toContainEqual([
      expect.stringMatching(/^x-tenant$/i),
      'acme',
    ]);
    expect(event).not.toHaveProperty('body');
  });

  it(`key=k2 (the function's Deny): 403 "… with an explicit deny" (${KC_403})`, async () => {
    // Prepare
    const app = await serve();

    // Act
    const got = await answer(await call(app, 'request?key=k2', { headers: { 'X-Tenant': 'acme' } }));

    // Assess
    expect(got).toEqual({ status: 403, type: 'AccessDeniedException', body: EXPLICIT_DENY });
  });

  it.each([
    ['no key', 'request', { 'X-Tenant': 'acme' }],
    ['an empty key', 'request?key=', { 'X-Tenant': 'acme' }],
    ['no X-Tenant', 'request?key=k1', {}],
  ])(
    `%s: 401 without calling the function (identity sources "present, not null and non-empty", ${API_AUTHORIZER})`,
    async (_case, path, headers) => {
      // Prepare
      const app = await serve();

      // Act
      const got = await answer(await call(app, path, { headers }));

      // Assess
      expect(got).toEqual({ status: 401, type: 'UnauthorizedException', body: UNAUTHORIZED });
      expect(app.requestCalls).not.toHaveBeenCalled();
    },
  );

  it.each(['x-tenant', 'X-TENANT', 'X-Tenant'])(
    'the header identity source is found whatever the casing of its name on the wire (%s)',
    async (name) => {
      // Prepare
      const app = await serve();

      // Act
      const got = await rawGet(`${app.url}request?key=k1`, { [name]: 'acme' });

      // Assess
      expect(got).toMatchObject({ status: 200, body: { authorizer: { tenant: 'acme', principalId: 'tenant-acme' } } });
    },
  );

  it('TTL 0: every call asks the function; TTL 60 (GET /request-cached): once per identity', async () => {
    // Prepare
    const app = await serve();
    const acme = { headers: { 'X-Tenant': 'acme' } };

    // Act: twice uncached, twice cached, then a new key part (a new cache key: the function is asked again).
    const statuses = [];
    for (const path of ['request?key=k1', 'request?key=k1', 'request-cached?key=k1', 'request-cached?key=k1'])
      statuses.push((await call(app, path, acme)).status);
    const uncached = app.requestCalls.mock.calls.length;
    const otherKey = await call(app, 'request-cached?key=k2', acme);

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(uncached).toBe(3);
    expect(otherKey.status).toBe(403);
    expect(app.requestCalls).toHaveBeenCalledTimes(4);
  });
});

describe(`NONE and AWS_IAM methods beside the authorizers (${AUTHORIZATION_FLOW})`, () => {
  it('GET /open (NONE, the resource policy allows *): 200 unsigned, no authorizer context', async () => {
    // Prepare
    const app = await serve();

    // Act
    const response = await call(app, 'open');

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: '/open', authorizer: null });
  });

  it.each(['operator', 'operator-111111111111'])(
    'GET /iam signed by %s (the resource policy allows both accounts): 200',
    async (who) => {
      // Prepare
      const app = await serve();

      // Act
      const response = await clientFor(app.state, who).get(`${app.url}iam`);

      // Assess
      expect(response.status).toBe(200);
    },
  );

  it(`GET /iam unsigned: 403 Missing Authentication Token (${GATEWAY_RESPONSES}: MISSING_AUTHENTICATION_TOKEN)`, async () => {
    // Prepare
    const app = await serve();

    // Act
    const got = await awsError(await call(app, 'iam'));

    // Assess
    expect(got).toEqual({
      status: 403,
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('GET /iam signed by the outsider (an account the policy does not name): 403 AccessDeniedException', async () => {
    // Prepare
    const app = await serve();

    // Act
    const got = await awsError(await clientFor(app.state, 'outsider').get(`${app.url}iam`));

    // Assess
    expect(got).toMatchObject({ status: 403, type: 'AccessDeniedException' });
    expect(got.message).toMatch(/^User: arn:aws:sts::999999999999:assumed-role\/outsider\/outsider is not authorized/);
  });

  it('GET /iam by the Caller function of 111111111111, whose own policy names another API id: 403 (Table B: both must allow)', async () => {
    // Prepare: the fixture synthesized without `-c apiId=…`, so the Caller's grant is on API `placeholder`.
    const app = await serve();

    // Act
    const got = await awsError(await clientFor(app.state, 'Caller').get(`${app.url}iam`));

    // Assess
    expect(got).toMatchObject({ status: 403, type: 'AccessDeniedException' });
  });
});

describe('decision records name the Lambda authorizer and its answer', () => {
  const names = () => authorizerNames();

  it('a Deny answer: the record’s principal is the authorizer with the principalId, its policy the explicit deny', async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app, 'token', { authorization: 'Bearer deny' });

    // Assess
    expect(app.records).toEqual([
      expect.objectContaining({
        allowed: false,
        kind: 'rest',
        principal: `${names().token} (principalId user-deny)`,
        caller: 'anonymous',
        resource: `arn:aws:execute-api:us-east-1:${API_ACCOUNT}:${app.apiId}/prod/GET/token`,
        reason: expect.stringMatching(/^explicit deny in an identity-based policy \(.*answer's policyDocument/),
      }),
    ]);
  });

  it('the cached-policy pitfall: the record says the Lambda authorizer’s policy does not allow it', async () => {
    // Prepare
    const app = await serve();
    await call(app, 'token', { authorization: 'Bearer allow' });
    app.records.length = 0;

    // Act
    await call(app, 'token/other', { authorization: 'Bearer allow' });

    // Assess
    expect(app.records).toEqual([
      expect.objectContaining({
        allowed: false,
        principal: `${names().token} (principalId user-allow)`,
        reason: expect.stringContaining("the Lambda authorizer's policy does not allow it"),
      }),
    ]);
  });

  it('an Allow answer of a REQUEST authorizer: allowed, by its answer’s policyDocument', async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app, 'request-cached?key=k1', { headers: { 'X-Tenant': 'acme' } });

    // Assess
    expect(app.records).toEqual([
      expect.objectContaining({
        allowed: true,
        principal: `${names().cachedRequest} (principalId tenant-acme)`,
        reason: `allowed by ${names().cachedRequest} answer's policyDocument statement #0`,
      }),
    ]);
  });

  it('a refusal before or by the function (401, 500): the reason names the authorizer', async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app, 'token', { authorization: 'Basic abc' });
    await call(app, 'token', { authorization: 'Bearer boom' });

    // Assess
    expect(app.records.map((record) => [record.allowed, record.reason])).toEqual([
      [false, expect.stringContaining(`the Lambda authorizer ${names().token}`)],
      [false, expect.stringMatching(new RegExp(`^the Lambda authorizer ${names().token} failed: Error: boom`))],
    ]);
  });

  it('GET /blocked: the one record is the resource policy’s explicit deny, for the anonymous caller', async () => {
    // Prepare
    const app = await serve();

    // Act
    await call(app, 'blocked', { authorization: 'Bearer allow-all' });

    // Assess
    expect(app.records).toEqual([
      expect.objectContaining({
        allowed: false,
        principal: 'anonymous',
        reason: expect.stringMatching(/^explicit deny in a resource-based policy/),
      }),
    ]);
  });
});

// ——— Table A on an app synthesized here ———

/**
 * The authorizer of the app below: `Bearer allow` allows exactly the method, `Bearer deny` denies
 * it, `Bearer silent` allows only a method that does not exist (silent on every real one). Its
 * context reports the event it received.
 */
const TABLE_AUTHORIZER = `
exports.handler = async (event) => {
  const word = String(event.authorizationToken).replace(/^Bearer /, '');
  const apiArn = event.methodArn.split('/')[0];
  const statement =
    word === 'deny' ? { Effect: 'Deny', Resource: event.methodArn }
    : word === 'silent' ? { Effect: 'Allow', Resource: apiArn + '/*/GET/nowhere' }
    : { Effect: 'Allow', Resource: event.methodArn };
  return {
    principalId: 'user-' + word,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', ...statement }] },
    context: { keys: Object.keys(event).sort().join(',') },
  };
};`;

const TABLE_BACKEND =
  'exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ path: event.path, authorizer: event.requestContext.authorizer }) });';

/**
 * Two REST APIs in one account, each with a TOKEN authorizer on the function above:
 * `table` (TTL 0): the resource policy allows anyone `GET /allowed`, denies anyone `GET /denied`,
 * is silent on `GET /silent`; `cached` (TTL 300): it allows anyone `execute-api:/*` but denies `GET /denied`.
 */
function synthTableApp(): string {
  const outdir = mkdtempSync(join(inject('scratchRoot'), 'authorizer-table-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'AuthorizerTable', { env: { account: '111111111111', region: 'us-east-1' } });
  const inline = (id: string, code: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(code),
    });
  const authorizerFunction = inline('Authorizer', TABLE_AUTHORIZER);
  const integration = new LambdaIntegration(inline('Backend', TABLE_BACKEND));
  const anyone = (effect: Effect, resource: string) =>
    new PolicyStatement({
      effect,
      principals: [new AnyPrincipal()],
      actions: ['execute-api:Invoke'],
      resources: [resource],
    });
  const api = (id: string, stageName: string, statements: PolicyStatement[], ttl: Duration, paths: string[]) => {
    const rest = new RestApi(stack, id, {
      deployOptions: { stageName },
      policy: new PolicyDocument({ statements }),
    });
    const authorizer = new TokenAuthorizer(stack, `${id}Authorizer`, {
      handler: authorizerFunction,
      resultsCacheTtl: ttl,
    });
    for (const path of paths) rest.root.addResource(path).addMethod('GET', integration, { authorizer });
  };
  api(
    'Table',
    'table',
    [anyone(Effect.ALLOW, 'execute-api:/*/GET/allowed'), anyone(Effect.DENY, 'execute-api:/*/GET/denied')],
    Duration.seconds(0),
    ['allowed', 'silent', 'denied'],
  );
  api(
    'Cached',
    'cached',
    [anyone(Effect.ALLOW, 'execute-api:/*'), anyone(Effect.DENY, 'execute-api:/*/GET/denied')],
    Duration.seconds(300),
    ['one', 'two', 'denied'],
  );
  app.synth();
  return outdir;
}

describe(`Table A: the authorizer's policy with the resource policy, same account (${AUTHORIZATION_FLOW})`, () => {
  let assembly = '';
  beforeAll(() => {
    assembly = synthTableApp();
  });

  async function serveTable() {
    const { stack, state } = await startStack(assembly, { warn: () => {} });
    const authorizerFunction = stack.runtime('Authorizer');
    if (!authorizerFunction) throw new Error('no Authorizer function in the app');
    const calls = vi.spyOn(authorizerFunction, 'invoke');
    served = { stack, state, url: '', apiId: '', records: [], tokenCalls: calls, requestCalls: calls };
    const api = (stage: string) => {
      const found = state.apis.find((candidate) => candidate.stage === stage);
      if (!found) throw new Error(`no API of stage ${stage}`);
      return found;
    };
    return { state, calls, table: api('table'), cached: api('cached') };
  }

  const deniedByResourcePolicy = (apiId: string, stage: string) =>
    `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:${maskedAccount('111111111111')}:${apiId}/${stage}/GET/denied with an explicit deny"}`;

  // Table A, row by row: authorizer policy × resource policy → outcome. Which 403 message an
  // authorizer's explicit deny gives when the resource policy allows is not documented; the
  // authorizer's ACCESS_DENIED message (KC_403) is expected.
  const rows: { authorizer: string; resource: string; token: string; path: string; status: number; body?: string }[] = [
    { authorizer: 'Allow', resource: 'Allow', token: 'allow', path: 'allowed', status: 200 },
    { authorizer: 'Allow', resource: 'Neither', token: 'allow', path: 'silent', status: 200 },
    { authorizer: 'Allow', resource: 'Deny', token: 'allow', path: 'denied', status: 403, body: 'resource' },
    { authorizer: 'Neither', resource: 'Allow', token: 'silent', path: 'allowed', status: 200 },
    { authorizer: 'Neither', resource: 'Neither', token: 'silent', path: 'silent', status: 403, body: NOT_AUTHORIZED },
    { authorizer: 'Neither', resource: 'Deny', token: 'silent', path: 'denied', status: 403, body: 'resource' },
    { authorizer: 'Deny', resource: 'Allow', token: 'deny', path: 'allowed', status: 403, body: EXPLICIT_DENY },
    { authorizer: 'Deny', resource: 'Neither', token: 'deny', path: 'silent', status: 403, body: EXPLICIT_DENY },
    { authorizer: 'Deny', resource: 'Deny', token: 'deny', path: 'denied', status: 403, body: 'resource' },
  ];

  it.each(rows)(
    `authorizer $authorizer × resource policy $resource → $status (Table A, ${AUTHORIZATION_FLOW})`,
    async ({ token, path, status, body }) => {
      // Prepare
      const { table, calls } = await serveTable();

      // Act
      const response = await fetch(`${table.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      const text = await response.text();

      // Assess: a resource-policy Deny is found before the authorizer is called, which then never is.
      expect(response.status).toBe(status);
      if (body === 'resource') {
        expect(text).toBe(deniedByResourcePolicy(table.restApiId, 'table'));
        expect(calls).not.toHaveBeenCalled();
      } else {
        if (body !== undefined) expect(text).toBe(body);
        expect(calls).toHaveBeenCalledTimes(1);
      }
    },
  );

  it('authorizer silent (a cached policy for another method) × resource policy Allow → 200 (Table A "Neither/Allow")', async () => {
    // Prepare
    const { cached, calls } = await serveTable();
    const first = await fetch(`${cached.url}one`, { headers: { Authorization: 'Bearer x' } });

    // Act
    const second = await fetch(`${cached.url}two`, { headers: { Authorization: 'Bearer x' } });

    // Assess: the cached answer allows only GET /one; the resource policy's Allow lets GET /two through.
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.json()).toMatchObject({ path: '/two', authorizer: { principalId: 'user-x' } });
    expect(calls).toHaveBeenCalledTimes(1);
  });

  it('authorizer Allow (cached) × resource policy explicit Deny of the path → 403 with the resource policy’s message', async () => {
    // Prepare
    const { cached, calls } = await serveTable();
    expect((await fetch(`${cached.url}one`, { headers: { Authorization: 'Bearer x' } })).status).toBe(200);

    // Act
    const response = await fetch(`${cached.url}denied`, { headers: { Authorization: 'Bearer x' } });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(await response.text()).toBe(deniedByResourcePolicy(cached.restApiId, 'cached'));
    expect(calls).toHaveBeenCalledTimes(1);
  });

  it(`the TOKEN event of a CDK TokenAuthorizer has exactly type, authorizationToken and methodArn (${INPUT})`, async () => {
    // Prepare
    const { table } = await serveTable();

    // Act
    const response = await fetch(`${table.url}allowed`, { headers: { Authorization: 'Bearer allow' } });

    // Assess
    expect(await response.json()).toMatchObject({ authorizer: { keys: 'authorizationToken,methodArn,type' } });
  });
});
