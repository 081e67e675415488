// Edges of API Gateway's own integrations and Lambda authorizers, where a stand-in most easily
// says yes where AWS says no, or answers as AWS would not: a CDK app synthesized here, served,
// and called with real HTTP requests; its HTTP backends are real servers on 127.0.0.1.
// - A REQUEST authorizer needs an identity source to cache (API_Authorizer, identitySource: "required
//   when authorization caching is enabled"): https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html
// - One authorizer, one cache, whatever the number of methods it guards (Knowledge Center, "Lambda
//   authorizer errors": a cached policy scoped to one method denies the next):
//   https://aws.amazon.com/premiumsupport/knowledge-center/api-gateway-lambda-authorization-errors/
// - HTTP proxy integrations pass the request and the answer through; API Gateway drops the caller's
//   Content-Length and sets its own ("Amazon API Gateway important notes"):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html
// - Mapping templates' references ("API Gateway mapping template and access logging variable reference"):
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
import { mkdtempSync } from 'node:fs';
import { createServer, get, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import {
  ApiDefinition,
  AuthorizationType,
  CfnAuthorizer,
  HttpIntegration,
  LambdaIntegration,
  MockIntegration,
  PassthroughBehavior,
  RestApi,
  SpecRestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { onThisNetwork } from '../../src/services/rest-api/http-backend.js';
import { renderTemplate } from '../../src/services/rest-api/mock.js';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { startStack } from '../helpers/stack.js';

/** Answers `x-user: admin` only: a REQUEST authorizer without identity sources. */
const HEADER_AUTHORIZER = `exports.handler = async (event) => {
  const admin = (event.headers || {})['x-user'] === 'admin';
  return { principalId: admin ? 'admin' : 'nobody', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: admin ? 'Allow' : 'Deny', Resource: event.methodArn }] } };
};`;
/** Allows exactly the method it is asked about (the pitfall, once cached). */
const METHOD_AUTHORIZER = `exports.handler = async (event) => ({ principalId: 'user', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] } });`;
const BACKEND = `exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ path: event.path }) });`;

let stack: LocalStack;
let state: LocalState;
let backend: Server;
const warnings: string[] = [];
/** What the HTTP backend received last. */
let received: { url?: string; length?: string; body?: string } = {};

beforeAll(async () => {
  backend = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received = {
        url: request.url,
        length: request.headers['content-length'],
        body: Buffer.concat(chunks).toString(),
      };
      if (request.url?.includes('gzip')) {
        response.setHeader('content-encoding', 'gzip');
        response.setHeader('content-type', 'application/json');
        response.end(gzipSync('{"zipped":true}'));
        return;
      }
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(received));
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const port = (backend.address() as AddressInfo).port;

  const outdir = mkdtempSync(join(inject('scratchRoot'), 'gateway-edges-'));
  const app = new App({ outdir });
  const scope = new Stack(app, 'Edges', { env: { account: '222222222222', region: 'us-east-1' } });
  const inline = (id: string, code: string) =>
    new lambda.Function(scope, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(code),
    });
  const backendFunction = inline('Backend', BACKEND);

  const api = new RestApi(scope, 'Api', { deployOptions: { stageName: 'prod' } });
  // A REQUEST authorizer with no identity source, TTL left to API Gateway's default (300 s).
  const headerFunction = inline('HeaderAuthorizer', HEADER_AUTHORIZER);
  const noSource = new CfnAuthorizer(scope, 'NoSource', {
    restApiId: api.restApiId,
    name: 'NoSource',
    type: 'REQUEST',
    authorizerUri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${headerFunction.functionArn}/invocations`,
  });
  headerFunction.addPermission('ApiGateway', {
    principal: new ServicePrincipal('apigateway.amazonaws.com'),
    sourceArn: `arn:aws:execute-api:us-east-1:222222222222:${api.restApiId}/authorizers/*`,
  });
  api.root.addResource('ns').addMethod('GET', new LambdaIntegration(backendFunction), {
    authorizationType: AuthorizationType.CUSTOM,
    authorizer: { authorizerId: noSource.ref, authorizationType: AuthorizationType.CUSTOM },
  });
  // HTTP_PROXY to a local backend (a body passes once, a gzip answer keeps its encoding), and to the internet.
  const proxy = api.root.addResource('b').addResource('{proxy+}');
  proxy.addMethod(
    'ANY',
    new HttpIntegration(`http://127.0.0.1:${port}/{proxy}`, {
      httpMethod: 'ANY',
      options: { requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' } },
    }),
    { requestParameters: { 'method.request.path.proxy': true } },
  );
  api.root.addResource('mapped-v4').addMethod('GET', new HttpIntegration('http://[::ffff:1.1.1.1]/'));
  // HTTP (non-proxy) that takes JSON only: any other content type is 415 (passthrough NEVER).
  api.root.addResource('json-only').addMethod(
    'POST',
    new HttpIntegration(`http://127.0.0.1:${port}/json`, {
      proxy: false,
      httpMethod: 'POST',
      options: {
        passthroughBehavior: PassthroughBehavior.NEVER,
        requestTemplates: { 'application/json': '{"wrapped": $input.json(\'$\')}' },
        integrationResponses: [{ statusCode: '200' }],
      },
    }),
    { methodResponses: [{ statusCode: '200' }] },
  );
  // MOCK: its answer has no body of the caller's.
  api.root.addResource('mock').addMethod(
    'POST',
    new MockIntegration({
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      integrationResponses: [{ statusCode: '200' }],
    }),
    { methodResponses: [{ statusCode: '200' }] },
  );

  // An OpenAPI API whose one token authorizer guards two operations.
  const methodFunction = inline('MethodAuthorizer', METHOD_AUTHORIZER);
  const uri = (fn: lambda.IFunction) =>
    `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${fn.functionArn}/invocations`;
  const operation = {
    security: [{ token: [] }],
    'x-amazon-apigateway-integration': { type: 'aws_proxy', httpMethod: 'POST', uri: uri(backendFunction) },
  };
  const spec = new SpecRestApi(scope, 'Spec', {
    deployOptions: { stageName: 'spec' },
    apiDefinition: ApiDefinition.fromInline({
      openapi: '3.0.1',
      info: { title: 'spec', version: '1' },
      paths: { '/a': { get: operation }, '/b': { get: operation } },
      components: {
        securitySchemes: {
          token: {
            type: 'apiKey',
            name: 'Authorization',
            in: 'header',
            'x-amazon-apigateway-authtype': 'custom',
            'x-amazon-apigateway-authorizer': {
              type: 'token',
              authorizerUri: uri(methodFunction),
              authorizerResultTtlInSeconds: 300,
            },
          },
        },
      },
    }),
  });
  for (const fn of [methodFunction, backendFunction])
    fn.addPermission(`Spec${fn.node.id}`, {
      principal: new ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: `arn:aws:execute-api:us-east-1:222222222222:${spec.restApiId}/*`,
    });
  backendFunction.addPermission('Rest', {
    principal: new ServicePrincipal('apigateway.amazonaws.com'),
    sourceArn: api.arnForExecuteApi(),
  });
  app.synth();
  ({ stack, state } = await startStack(outdir, { warn: (line) => warnings.push(line) }));
});
afterAll(() => {
  stack?.close();
  backend?.close();
});

const urlOf = (stage: string) => state.apis.find((api) => api.stage === stage)?.url ?? '';

describe('Lambda authorizers: what is remembered, and for whom', () => {
  it("a REQUEST authorizer without identity sources is asked on every call: one caller never gets another one's answer", async () => {
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /Lambda authorizer NoSource caches answers for 300 s with no identity source.*not cached locally/,
      ),
    );
    expect((await fetch(`${urlOf('prod')}ns`, { headers: { 'x-user': 'admin' } })).status).toBe(200);
    expect((await fetch(`${urlOf('prod')}ns`)).status).toBe(403);
    expect((await fetch(`${urlOf('prod')}ns`, { headers: { 'x-user': 'admin' } })).status).toBe(200);
  });

  it('an OpenAPI security scheme is one authorizer: its cached answer for /a is the answer for /b (the pitfall)', async () => {
    const headers = { Authorization: 'token-1' };
    expect((await fetch(`${urlOf('spec')}a`, { headers })).status).toBe(200);
    const refused = await fetch(`${urlOf('spec')}b`, { headers });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ Message: 'User is not authorized to access this resource' });
  });
});

describe('HTTP_PROXY integrations', () => {
  it('a POST body reaches the backend once, with one Content-Length of its own', async () => {
    const response = await fetch(`${urlOf('prod')}b/echo`, { method: 'POST', body: 'hello' });
    expect(response.status).toBe(200);
    expect(received).toEqual({ url: '/echo', length: '5', body: 'hello' });
  });

  it('a gzip answer keeps its Content-Encoding, so the caller can read it', async () => {
    const response = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      get(`${urlOf('prod')}b/gzip`, { headers: { 'accept-encoding': 'gzip' } }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => resolve({ encoding: answer.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(response.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(response.body).toString())).toEqual({ zipped: true });
  });

  it('an IPv4-mapped IPv6 address of the internet is not this machine: one line at start, and 500, never called', async () => {
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /GET \/mapped-v4: its HTTP integration calls http:\/\/\[::ffff:101:101\], outside this machine/,
      ),
    );
    const response = await fetch(`${urlOf('prod')}mapped-v4`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
  });
});

describe('what API Gateway sends, and what it answers itself', () => {
  it("a path parameter never names another host: a backslash is sent encoded, to the URI's own host", async () => {
    const { host, port } = new URL(urlOf('prod'));
    const response = await new Promise<number>((resolve, reject) => {
      // Raw, so the backslash reaches the stack as sent (a URL would make it a slash).
      request(
        { host: host.split(':')[0], port, path: `${new URL(urlOf('prod')).pathname}b/\\evil.example/x` },
        (answer) => {
          answer.resume();
          answer.on('end', () => resolve(answer.statusCode ?? 0));
        },
      )
        .on('error', reject)
        .end();
    });
    expect(response).toBe(200);
    expect(received.url).toBe('/%5Cevil.example/x');
  });

  it('HTTP with passthrough NEVER: a content type without a template is 415; JSON goes through its template', async () => {
    const refused = await fetch(`${urlOf('prod')}json-only`, {
      method: 'POST',
      body: 'plain',
      headers: { 'content-type': 'text/plain' },
    });
    expect(refused.status).toBe(415);
    expect(await refused.json()).toEqual({ message: 'Unsupported Media Type' });
    const passed = await fetch(`${urlOf('prod')}json-only`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(passed.status).toBe(200);
    expect(received.body).toBe('{"wrapped": {"a":1}}');
  });

  it('a MOCK answer without a response template is empty, whatever the caller sent', async () => {
    const response = await fetch(`${urlOf('prod')}mock`, {
      method: 'POST',
      body: '{"secret":"from caller"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it.each([
    ['127.0.0.1', true],
    ['[::1]', true],
    ['[::ffff:7f00:1]', true],
    ['[::ffff:101:101]', false],
    ['10.1.2.3', true],
    ['8.8.8.8', false],
    ['localhost', true],
    ['example.com', false],
    ['[2606:4700::1111]', false],
  ])('%s is on this machine or its network: %s', (host, local) => {
    expect(onThisNetwork(new URL(`http://${host}/`).hostname)).toBe(local);
  });
});

describe('mapping template references', () => {
  const values = {
    context: { requestTimeEpoch: '17', stage: 'prod', requestId: 'r1' },
    param: (name: string) => (name === 'id' ? '42' : undefined),
    body: '',
  };
  it.each([
    ['{"epoch": $context.requestTimeEpoch}', '{"epoch": 17}'],
    [`{"a": $input.json('$')}`, '{"a": {}}'],
    ['$context.stage.', 'prod.'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Velocity's `${ref}`, not JavaScript's
    ['${context.requestId}x', 'r1x'],
    ['${context.stage', '${context.stage'],
    ['$context.unknown', '$context.unknown'],
    ['$!context.unknown-', '-'],
    [`{"id": "$input.params('id')"}`, '{"id": "42"}'],
  ])('%s → %s', (template, rendered) => {
    expect(renderTemplate(template, values)).toBe(rendered);
  });

  it('a directive is not evaluated: undefined, so the call answers 500 with a line', () => {
    expect(renderTemplate('#set($x = 1)$x', values)).toBeUndefined();
  });
});
