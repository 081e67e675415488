// REST APIs defined by OpenAPI documents (CDK `SpecRestApi`: CloudFormation `Body` inline, and
// `BodyS3Location` from a file asset), served from the `openapi` fixture app and from a CDK app
// synthesized here, and called with real HTTP requests, SigV4-signed where the method is AWS_IAM.
// Every expectation is AWS's documented behaviour, taken from:
// - "Amazon API Gateway important notes" (OpenAPI: "API Gateway doesn't use root level security"):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html
// - "x-amazon-apigateway-authtype" (`awsSigv4` is IAM authorization):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authtype.html
// - "x-amazon-apigateway-authorizer" (a Lambda authorizer from a security scheme):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authorizer.html
// - "x-amazon-apigateway-policy" (`execute-api:/*` is the API's own ARN):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/openapi-extensions-policy.html
// - "x-amazon-apigateway-any-method":
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-any-method.html
// - "How API Gateway resource policies affect authorization workflow" (resource policy only; IAM and resource policy):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
// - "Set up Lambda proxy integrations" (resource, path, pathParameters, requestContext.identity.userArn):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
// - "Gateway response types" (MISSING_AUTHENTICATION_TOKEN 403, ACCESS_DENIED 403, UNAUTHORIZED 401):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
// Rows are never bent to the implementation: a failing row is a disagreement with AWS to report.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { App, Aws, Stack } from 'aws-cdk-lib';
import { ApiDefinition, SpecRestApi } from 'aws-cdk-lib/aws-apigateway';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { awsError, clientFor, editedAssembly, maskedAccount, principal, startStack } from '../helpers/stack.js';

/** "Amazon API Gateway important notes": only operation-level security is used. */
const KNOWN_ISSUES = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html';
/** `x-amazon-apigateway-authtype: awsSigv4`: IAM authorization for the operations that name the scheme. */
const AUTHTYPE =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authtype.html';
/** `x-amazon-apigateway-authorizer`: a TOKEN or REQUEST Lambda authorizer defined in a security scheme. */
const AUTHORIZER_EXTENSION =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authorizer.html';
/** `x-amazon-apigateway-policy`: the resource policy; "execute-api:/*" becomes the API's ARN on import. */
const POLICY_EXTENSION = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/openapi-extensions-policy.html';
/** `x-amazon-apigateway-any-method`: the catch-all ANY method. */
const ANY_METHOD =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-any-method.html';
/** "How API Gateway resource policies affect authorization workflow". */
const AUTHORIZATION_FLOW =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html';
/** "Set up Lambda proxy integrations": the proxy event's resource, path, pathParameters, identity. */
const PROXY_EVENT =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html';
/** "Gateway response types": MISSING_AUTHENTICATION_TOKEN 403, ACCESS_DENIED 403, UNAUTHORIZED 401. */
const GATEWAY_RESPONSES =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html';

const API_ACCOUNT = '222222222222';
const MISSING_TOKEN = {
  status: 403,
  type: 'MissingAuthenticationTokenException',
  message: 'Missing Authentication Token',
};

/** Warnings about the assembly, not about which Node.js majors this machine has. */
const assemblyWarnings = (warnings: string[]) => warnings.filter((line) => !line.startsWith('functions of runtime'));

describe('the openapi fixture: an inline OpenAPI 3 Body (stage v1) and a Swagger 2.0 YAML asset (stage prod)', () => {
  let stack: LocalStack;
  let state: LocalState;
  const warnings: string[] = [];
  /** Stage URLs: `Api` (v1) and `AssetApi` (prod), and `Api`'s id. */
  let api = '';
  let apiId = '';
  let assetApi = '';

  beforeAll(async () => {
    ({ stack, state } = await startStack(inject('fixtures').openapi, { warn: (line) => warnings.push(line) }));
    const v1 = state.apis.find((candidate) => candidate.stage === 'v1');
    api = v1?.url ?? '';
    apiId = v1?.restApiId ?? '';
    assetApi = state.apis.find((candidate) => candidate.stage === 'prod')?.url ?? '';
  });
  afterAll(() => stack?.close());

  const signed = (who: string, url: string, method = 'GET') => clientFor(state, who).request({ method, url });

  it('both APIs are served, and nothing of either is warned about at start', () => {
    expect(state.apis.map((served) => served.stage).sort()).toEqual(['prod', 'v1']);
    expect(state.apis.every((served) => served.accountId === API_ACCOUNT)).toBe(true);
    expect(assemblyWarnings(warnings)).toEqual([]);
  });

  // `Api`: operations secured by the `awsSigv4` scheme; the policy allows both accounts' roots.
  it(`GET /items signed by the operator (of ${API_ACCOUNT}): 200, the backend sees /items and the caller (${AUTHTYPE}; ${PROXY_EVENT})`, async () => {
    // Act
    const response = await signed('operator', `${api}items`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      resource: '/items',
      path: '/items',
      pathParameters: null,
      caller: principal(state, 'operator').arn,
    });
  });

  it(`GET /items unsigned: 403 Missing Authentication Token (${AUTHTYPE}; ${GATEWAY_RESPONSES})`, async () => {
    expect(await awsError(await fetch(`${api}items`))).toEqual(MISSING_TOKEN);
  });

  it(`GET /items/42 signed: 200, resource /items/{id} with pathParameters {id: '42'} (${PROXY_EVENT})`, async () => {
    // Act
    const response = await signed('operator', `${api}items/42`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      resource: '/items/{id}',
      path: '/items/42',
      pathParameters: { id: '42' },
    });
  });

  it.each([
    ['GET', 'anything/else'],
    ['POST', 'anything'],
  ])(`%s /%s signed: 200 from ANY /{proxy+} (${ANY_METHOD})`, async (method, path) => {
    // Act
    const response = await signed('operator', `${api}${path}`, method);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      resource: '/{proxy+}',
      path: `/${path}`,
      pathParameters: { proxy: path },
    });
  });

  it(`GET /anything unsigned: 403 Missing Authentication Token (the ANY method is awsSigv4 too)`, async () => {
    expect(await awsError(await fetch(`${api}anything`))).toEqual(MISSING_TOKEN);
  });

  it(`signed by the outsider (an account x-amazon-apigateway-policy does not name): 403 AccessDeniedException (${POLICY_EXTENSION})`, async () => {
    // Act
    const got = await awsError(await signed('outsider', `${api}items`));

    // Assess: execute-api:/* of the spec is this API's ARN, which does not allow account 999999999999.
    expect(got).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      message: `User: ${principal(state, 'outsider').arn} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:${maskedAccount(API_ACCOUNT)}:${apiId}/v1/GET/items`,
    });
  });

  it(`GET /health (no security: NONE) unsigned: the spec's policy allows only the two accounts' roots, so anonymous is denied (${AUTHORIZATION_FLOW}: "resource policy only", an implicit denial denies)`, async () => {
    // Act
    const got = await awsError(await fetch(`${api}health`));

    // Assess
    expect(got).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:${maskedAccount(API_ACCOUNT)}:${apiId}/v1/GET/health`,
    });
  });

  // `AssetApi`: mocks from the YAML file, no resource policy.
  it(`AssetApi GET /ping signed: 200 {"pong":true} (${AUTHTYPE})`, async () => {
    // Act
    const response = await signed('operator', `${assetApi}ping`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"pong":true}');
  });

  it('AssetApi GET /ping unsigned: 403 Missing Authentication Token', async () => {
    expect(await awsError(await fetch(`${assetApi}ping`))).toEqual(MISSING_TOKEN);
  });

  it('AssetApi GET /public (no security, no resource policy) unsigned: 200 {"public":true}', async () => {
    // Act
    const response = await fetch(`${assetApi}public`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"public":true}');
  });
});

describe(`GET /health answers its mock once the spec's policy allows anyone there (${POLICY_EXTENSION})`, () => {
  it('with a statement Allow * on execute-api:/*/GET/health added to x-amazon-apigateway-policy: 200 {"status":"ok"} unsigned', async () => {
    // Prepare: the fixture's template, its inline Body's policy given one more statement.
    const assembly = editedAssembly(inject('fixtures').openapi, 'OpenApiStack', (template) => {
      const api = Object.entries(template.Resources).find(
        ([id, resource]) => resource.Type === 'AWS::ApiGateway::RestApi' && id.startsWith('Api'),
      )?.[1];
      const body = api?.Properties.Body as { 'x-amazon-apigateway-policy': { Statement: unknown[] } } | undefined;
      if (!body) throw new Error('the openapi fixture no longer has its inline Body');
      body['x-amazon-apigateway-policy'].Statement.push({
        Effect: 'Allow',
        Principal: '*',
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*/GET/health',
      });
    });
    const { stack, state } = await startStack(assembly, { warn: () => {} });
    try {
      const url = state.apis.find((candidate) => candidate.stage === 'v1')?.url ?? '';

      // Act
      const health = await fetch(`${url}health`);
      const items = await fetch(`${url}items`);

      // Assess: the statement opens GET /health only; GET /items stays awsSigv4.
      expect(health.status).toBe(200);
      expect(await health.text()).toBe('{"status":"ok"}');
      expect(await awsError(items)).toEqual(MISSING_TOKEN);
    } finally {
      await stack.close();
    }
  });
});

// ——— An app synthesized here ———

const mock = (body: string) => ({
  type: 'mock',
  requestTemplates: { 'application/json': '{"statusCode": 200}' },
  responses: { default: { statusCode: '200', responseTemplates: { 'application/json': body } } },
});
const OK = { '200': { description: 'OK' } };
const SIGV4 = { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' };

/** `Bearer ok` allowed on the method, any other token denied. */
const TOKEN_AUTHORIZER = `
exports.handler = async (event) => ({
  principalId: 'user',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: event.authorizationToken === 'Bearer ok' ? 'Allow' : 'Deny', Resource: event.methodArn }],
  },
});`;

/**
 * Three SpecRestApis without resource policies: `oas3` (stage `oas3`) and `swagger` (stage
 * `swagger`) declare `security: [{sigv4: []}]` at the root, and name it again on `GET /signed`
 * only; `custom` (stage `custom`) has a TOKEN Lambda authorizer in a security scheme on `GET /custom`.
 */
function synthSpecApp(): string {
  const outdir = mkdtempSync(join(inject('scratchRoot'), 'openapi-spec-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'SpecApis', { env: { account: '111111111111', region: 'us-east-1' } });
  const paths = {
    '/open': { get: { responses: OK, 'x-amazon-apigateway-integration': mock('{"open":true}') } },
    '/signed': {
      get: { security: [{ sigv4: [] }], responses: OK, 'x-amazon-apigateway-integration': mock('{"signed":true}') },
    },
  };
  new SpecRestApi(stack, 'Oas3', {
    deployOptions: { stageName: 'oas3' },
    apiDefinition: ApiDefinition.fromInline({
      openapi: '3.0.1',
      info: { title: 'Oas3', version: '1' },
      security: [{ sigv4: [] }],
      paths,
      components: { securitySchemes: { sigv4: SIGV4 } },
    }),
  });
  new SpecRestApi(stack, 'Swagger', {
    deployOptions: { stageName: 'swagger' },
    apiDefinition: ApiDefinition.fromInline({
      swagger: '2.0',
      info: { title: 'Swagger', version: '1' },
      security: [{ sigv4: [] }],
      securityDefinitions: { sigv4: SIGV4 },
      paths,
    }),
  });
  const authorizer = new lambda.Function(stack, 'TokenAuthorizer', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(TOKEN_AUTHORIZER),
  });
  const custom = new SpecRestApi(stack, 'Custom', {
    deployOptions: { stageName: 'custom' },
    apiDefinition: ApiDefinition.fromInline({
      openapi: '3.0.1',
      info: { title: 'Custom', version: '1' },
      paths: {
        '/custom': {
          get: {
            security: [{ bearer: [] }],
            responses: OK,
            'x-amazon-apigateway-integration': mock('{"custom":true}'),
          },
        },
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'apiKey',
            name: 'Authorization',
            in: 'header',
            'x-amazon-apigateway-authtype': 'custom',
            'x-amazon-apigateway-authorizer': {
              type: 'token',
              authorizerUri: `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}:lambda:path/2015-03-31/functions/${authorizer.functionArn}/invocations`,
              identityValidationExpression: '^Bearer [a-z]+$',
              authorizerResultTtlInSeconds: 0,
            },
          },
        },
      },
    }),
  });
  // As CDK's own authorizers do: API Gateway may invoke it from the API's authorizers.
  authorizer.addPermission('ApiGatewayInvoke', {
    principal: new ServicePrincipal('apigateway.amazonaws.com'),
    sourceArn: stack.formatArn({ service: 'execute-api', resource: custom.restApiId, resourceName: 'authorizers/*' }),
  });
  app.synth();
  return outdir;
}

describe('OpenAPI definitions synthesized here', () => {
  let stack: LocalStack;
  let state: LocalState;
  const warnings: string[] = [];
  const url = (stage: string) => state.apis.find((candidate) => candidate.stage === stage)?.url ?? '';

  beforeAll(async () => {
    ({ stack, state } = await startStack(synthSpecApp(), { warn: (line) => warnings.push(line) }));
  });
  afterAll(() => stack?.close());

  it('no warning at start', () => {
    expect(assemblyWarnings(warnings)).toEqual([]);
  });

  describe.each(['oas3', 'swagger'])(`root-level security is not used (%s) (${KNOWN_ISSUES})`, (stage) => {
    it('an operation without its own security is NONE: GET /open unsigned, 200', async () => {
      // Act
      const response = await fetch(`${url(stage)}open`);

      // Assess
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{"open":true}');
    });

    it('an operation naming the awsSigv4 scheme is AWS_IAM: GET /signed unsigned 403, signed 200', async () => {
      // Act
      const unsigned = await awsError(await fetch(`${url(stage)}signed`));
      const signed = await clientFor(state, 'operator').get(`${url(stage)}signed`);

      // Assess
      expect(unsigned).toEqual(MISSING_TOKEN);
      expect(signed.status).toBe(200);
      expect(await signed.text()).toBe('{"signed":true}');
    });
  });

  describe(`a TOKEN Lambda authorizer from x-amazon-apigateway-authorizer (${AUTHORIZER_EXTENSION})`, () => {
    it.each([
      { row: 'no Authorization header: 401 without calling it', token: undefined, status: 401, invoked: 0 },
      {
        row: 'a token its identityValidationExpression refuses: 401 without calling it',
        token: 'Basic x',
        status: 401,
        invoked: 0,
      },
      { row: 'its Allow: 200 from the mock', token: 'Bearer ok', status: 200, invoked: 1 },
      { row: 'its Deny: 403 AccessDeniedException', token: 'Bearer no', status: 403, invoked: 1 },
    ])(`$row (${GATEWAY_RESPONSES})`, async ({ token, status, invoked }) => {
      // Prepare
      const runtime = stack.runtime('TokenAuthorizer');
      if (!runtime) throw new Error('no TokenAuthorizer function in the app');
      const calls = vi.spyOn(runtime, 'invoke');
      try {
        // Act
        const response = await fetch(`${url('custom')}custom`, {
          headers: token === undefined ? {} : { Authorization: token },
        });

        // Assess
        expect(response.status).toBe(status);
        const text = await response.text();
        if (status === 200) expect(text).toBe('{"custom":true}');
        if (status === 401) expect(text).toBe('{"message":"Unauthorized"}');
        if (status === 403)
          expect(text).toBe('{"Message":"User is not authorized to access this resource with an explicit deny"}');
        expect(calls).toHaveBeenCalledTimes(invoked);
      } finally {
        calls.mockRestore();
      }
    });
  });
});
