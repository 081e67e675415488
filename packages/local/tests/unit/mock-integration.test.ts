// MOCK integrations of REST methods (API Gateway, "Set up mock integrations in API Gateway":
// https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-mock-integration.html), as
// aws-sigv4-fetch's own end-to-end app and CDK's CORS preflight methods use them: a CDK app
// synthesized in the test, served, and called with real signed requests.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { AuthorizationType, HttpIntegration, MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { awsError, clientFor, startStack } from '../helpers/stack.js';

let stack: LocalStack;
let state: LocalState;
const warnings: string[] = [];

beforeAll(async () => {
  const outdir = mkdtempSync(join(tmpdir(), 'iam-m2m-mock-'));
  const app = new App({ outdir });
  const api = new RestApi(new Stack(app, 'MockApi', { env: { account: '111111111111', region: 'us-east-1' } }), 'Api', {
    defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
    defaultCorsPreflightOptions: { allowOrigins: ['https://example.com'] },
  });
  const json = { 'application/json': '{"statusCode": 200}' };
  // As aws-sigv4-fetch's e2e app: a static answer from the integration's templates.
  api.root.addResource('foo').addMethod(
    'GET',
    new MockIntegration({
      requestTemplates: json,
      integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"foo":"bar"}' } }],
    }),
    { methodResponses: [{ statusCode: '200' }] },
  );
  // A status the request template names, picked by its selection pattern; a static header.
  api.root.addResource('missing').addMethod(
    'GET',
    new MockIntegration({
      requestTemplates: { 'application/json': '{"statusCode": 404}' },
      integrationResponses: [
        { statusCode: '200', responseTemplates: { 'application/json': '{}' } },
        {
          statusCode: '404',
          selectionPattern: '4\\d{2}',
          responseTemplates: { 'application/json': '{"message":"no such thing"}' },
          responseParameters: { 'method.response.header.X-Reason': "'mocked'" },
        },
      ],
    }),
    {
      methodResponses: [
        { statusCode: '200' },
        { statusCode: '404', responseParameters: { 'method.response.header.X-Reason': true } },
      ],
    },
  );
  api.root.addResource('velocity').addMethod(
    'GET',
    new MockIntegration({
      requestTemplates: json,
      integrationResponses: [
        { statusCode: '200', responseTemplates: { 'application/json': '{"id": "$context.requestId"}' } },
      ],
    }),
    { methodResponses: [{ statusCode: '200' }] },
  );
  api.root.addResource('directive').addMethod(
    'GET',
    new MockIntegration({
      requestTemplates: json,
      integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '#set($x = 1){"x": $x}' } }],
    }),
    { methodResponses: [{ statusCode: '200' }] },
  );
  api.root.addResource('http').addMethod('GET', new HttpIntegration('https://example.com/'));
  // HTTP_PROXY to a backend on this machine (a real server on 127.0.0.1), its {proxy} filled in.
  backend = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.setHeader('x-backend', 'yes');
    response.statusCode = request.url?.includes('teapot') ? 418 : 200;
    response.end(
      JSON.stringify({
        url: request.url,
        method: request.method,
        host: request.headers.host,
        authorization: request.headers.authorization ?? null,
        apiId: request.headers['x-amzn-apigateway-api-id'],
      }),
    );
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const port = (backend.address() as AddressInfo).port;
  api.root
    .addResource('backend')
    .addResource('{proxy+}')
    .addMethod(
      'ANY',
      new HttpIntegration(`http://127.0.0.1:${port}/base/{proxy}`, {
        httpMethod: 'ANY',
        options: { requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' } },
      }),
      { requestParameters: { 'method.request.path.proxy': true } },
    );
  // HTTP (non-proxy) to the same backend: its status selects the integration response.
  api.root
    .addResource('mapped')
    .addResource('{id}')
    .addMethod(
      'GET',
      new HttpIntegration(`http://127.0.0.1:${port}/items/{id}`, {
        proxy: false,
        options: {
          requestParameters: { 'integration.request.path.id': 'method.request.path.id' },
          integrationResponses: [
            {
              statusCode: '200',
              responseParameters: { 'method.response.header.X-Backend': 'integration.response.header.x-backend' },
            },
            {
              statusCode: '404',
              selectionPattern: '418',
              responseTemplates: { 'application/json': '{"missing": "$input.params(\'id\')"}' },
            },
          ],
        },
      }),
      {
        requestParameters: { 'method.request.path.id': true },
        methodResponses: [
          { statusCode: '200', responseParameters: { 'method.response.header.X-Backend': true } },
          { statusCode: '404' },
        ],
      },
    );
  app.synth();
  ({ stack, state } = await startStack(outdir, { warn: (line) => warnings.push(line) }));
});
let backend: Server;
afterAll(() => {
  stack?.close();
  backend?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  clientFor(state, 'operator').request({ method: 'GET', url: `${state.apis[0]?.url}${path}`, headers });

describe('MOCK integrations answer from their templates', () => {
  it('GET /foo, signed: 200 {"foo":"bar"} as aws-sigv4-fetch\'s e2e app expects', async () => {
    const response = await get('foo');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe('{"foo":"bar"}');
  });

  it('the status the request template names selects the integration response; its static header is set', async () => {
    const response = await get('missing');
    expect(response.status).toBe(404);
    expect(response.headers.get('x-reason')).toBe('mocked');
    expect(await response.text()).toBe('{"message":"no such thing"}');
  });

  it('unsigned, an AWS_IAM MOCK method is refused as any other (403 Missing Authentication Token)', async () => {
    const response = await fetch(`${state.apis[0]?.url}foo`);
    expect(await awsError(response)).toMatchObject({ status: 403, message: 'Missing Authentication Token' });
  });

  it('a template reference ($context.requestId) is filled in, as API Gateway renders it', async () => {
    const response = await get('velocity');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: response.headers.get('x-amzn-requestid') });
  });

  it('a Velocity directive, and an HTTP_PROXY to the internet: one warning line each at start, then 500', async () => {
    expect(warnings.filter((line) => line.includes('integration'))).toEqual([
      expect.stringMatching(/^MockApi \S+ GET \/directive: its MOCK integration templates use VTL directives/),
      expect.stringMatching(
        /^MockApi \S+ GET \/http: its HTTP integration calls https:\/\/example.com, outside this machine/,
      ),
    ]);
    expect(await awsError(await get('directive'))).toMatchObject({ status: 500, message: 'Internal server error' });
    expect(await awsError(await get('http'))).toMatchObject({ status: 500, message: 'Internal server error' });
  });

  // https://docs.aws.amazon.com/apigateway/latest/developerguide/setup-http-integrations.html: the request passes
  // through ({proxy} filled in, query kept), the backend's status and body come back; a SigV4 Authorization is dropped.
  it('HTTP_PROXY to a backend on this machine: the request passes through, the answer comes back as it is', async () => {
    const response = await get('backend/a/b?x=1');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-backend')).toBe('yes');
    expect(response.headers.get('x-amz-apigw-id')).toBeTruthy();
    const seen = await response.json();
    expect(seen).toMatchObject({
      url: '/base/a/b?x=1',
      method: 'GET',
      authorization: null,
      apiId: state.apis[0]?.restApiId,
    });
    expect((await get('backend/teapot')).status).toBe(418);
  });

  // https://docs.aws.amazon.com/apigateway/latest/developerguide/setup-http-integrations.html (custom
  // integration): the backend's status selects the integration response (its pattern, else the default).
  it("HTTP (non-proxy): the backend gets API Gateway's request; its status selects the integration response", async () => {
    const ok = await get('mapped/7?x=1', { 'x-custom': 'kept?' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-backend')).toBe('yes');
    expect(await ok.json()).toMatchObject({ url: '/items/7', method: 'GET', authorization: null });
    const missing = await get('mapped/teapot');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ missing: 'teapot' });
  });

  it("CDK's CORS preflight (OPTIONS, NONE, MOCK) answers 204 with its Access-Control headers", async () => {
    const response = await fetch(`${state.apis[0]?.url}foo`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'GET' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://example.com');
  });
});
