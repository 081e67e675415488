/**
 * The events an HTTP API hands a Lambda proxy integration, in both payload formats, as AWS's
 * developer guide writes them ("Working with AWS Lambda proxy integrations for HTTP APIs",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)
 * and as events captured on AWS show their front door's headers (lower-case `x-forwarded-*`,
 * `x-amzn-trace-id` and `host`, no CloudFront: HTTP APIs are regional; e.g. Powertools' parser
 * test events, https://docs.powertools.aws.dev/lambda/typescript/latest/features/parser/).
 *
 * The stack serves the `targets` fixture app with an HTTP API added to its template: routes
 * `ANY /v2/{proxy+}` and `ANY /v1/{proxy+}` (authorization NONE) to a function answering its event.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalStack } from '../../src/stack.js';
import { editedAssembly, inlineFunction } from '../helpers/stack.js';

const MIRROR = `exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event) });`;
const HTTP_API_PAGE =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html';

function eventsAssembly(): string {
  return editedAssembly(inject('fixtures').targets, 'Targets', (template) => {
    const resources = template.Resources as Record<string, unknown>;
    const role = Object.keys(resources).find((id) => id.startsWith('EchoServiceRole'));
    if (!role) throw new Error('the targets app has no EchoServiceRole');
    const api = { Ref: 'EventsApi' };
    resources.EventsMirror = inlineFunction(MIRROR, role);
    resources.EventsMirrorPermission = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { 'Fn::GetAtt': ['EventsMirror', 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
      },
    };
    resources.EventsApi = { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'events', ProtocolType: 'HTTP' } };
    resources.EventsStage = {
      Type: 'AWS::ApiGatewayV2::Stage',
      Properties: { ApiId: api, StageName: '$default', AutoDeploy: true },
    };
    for (const version of ['1.0', '2.0']) {
      const id = `EventsV${version[0]}`;
      resources[`${id}Integration`] = {
        Type: 'AWS::ApiGatewayV2::Integration',
        Properties: {
          ApiId: api,
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: { 'Fn::GetAtt': ['EventsMirror', 'Arn'] },
          PayloadFormatVersion: version,
        },
      };
      resources[`${id}Route`] = {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: {
          ApiId: api,
          RouteKey: `ANY /v${version[0]}/{proxy+}`,
          AuthorizationType: 'NONE',
          Target: { 'Fn::Join': ['', ['integrations/', { Ref: `${id}Integration` }]] },
        },
      };
    }
  });
}

let stack: LocalStack;
beforeAll(async () => {
  stack = await LocalStack.start({ assemblyDir: eventsAssembly(), functionOutput: 'ignore', warn: () => {} });
});
afterAll(() => stack?.close());

const eventAt = async (path: string): Promise<Record<string, unknown>> => {
  const api = stack.model.httpApis.find((candidate) => candidate.logicalId === 'EventsApi');
  if (!api) throw new Error('no HTTP API EventsApi');
  const response = await fetch(`${stack.origin}/httpapis/${api.apiId}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Custom-Header': 'Mixed Case', Connection: 'keep-alive' },
    body: '{"hello":"world"}',
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

const FRONT_DOOR = ['host', 'x-amzn-trace-id', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto'];
const NOT_PASSED = /^(connection|keep-alive|via|x-amz-cf-id|cloudfront-.*)$/i;

describe(`HTTP API payload 2.0 event (${HTTP_API_PAGE})`, () => {
  it("has the guide's keys, the front door's lower-case headers, and nothing of CloudFront or the hop", async () => {
    // Act
    const event = await eventAt('/v2/items?a=1&a=2');

    // Assess
    const headers = event.headers as Record<string, string>;
    const context = event.requestContext as Record<string, unknown>;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'ANY /v2/{proxy+}',
      rawPath: '/v2/items',
      rawQueryString: 'a=1&a=2',
      queryStringParameters: { a: '1,2' },
      pathParameters: { proxy: 'items' },
      body: '{"hello":"world"}',
      isBase64Encoded: false,
    });
    expect(Object.keys(context).sort()).toEqual(
      [
        'accountId',
        'apiId',
        'domainName',
        'domainPrefix',
        'http',
        'requestId',
        'routeKey',
        'stage',
        'time',
        'timeEpoch',
      ].sort(),
    );
    expect(context.http).toMatchObject({ method: 'POST', path: '/v2/items', protocol: 'HTTP/1.1' });
    for (const name of Object.keys(headers)) expect(name).toBe(name.toLowerCase());
    expect(Object.keys(headers)).toEqual(expect.arrayContaining([...FRONT_DOOR, 'x-custom-header', 'content-type']));
    expect(Object.keys(headers).filter((name) => NOT_PASSED.test(name))).toEqual([]);
    expect(headers).toMatchObject({
      host: `${context.apiId}.execute-api.us-east-1.amazonaws.com`,
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      'x-custom-header': 'Mixed Case',
    });
    expect(headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}/);
  });
});

describe(`HTTP API payload 1.0 event (${HTTP_API_PAGE})`, () => {
  it("is REST's event with version 1.0, the route as its resource, and nothing of CloudFront or the hop", async () => {
    // Act
    const event = await eventAt('/v1/items?a=1&a=2');

    // Assess
    expect(event).toMatchObject({
      version: '1.0',
      resource: '/v1/{proxy+}',
      path: '/v1/items',
      httpMethod: 'POST',
      queryStringParameters: { a: '2' },
      multiValueQueryStringParameters: { a: ['1', '2'] },
      pathParameters: { proxy: 'items' },
      body: '{"hello":"world"}',
      isBase64Encoded: false,
    });
    const names = Object.keys(event.headers as Record<string, string>);
    expect(names.map((name) => name.toLowerCase())).toEqual(expect.arrayContaining(FRONT_DOOR));
    expect(names.filter((name) => NOT_PASSED.test(name))).toEqual([]);
    expect(Object.keys(event.multiValueHeaders as object).sort()).toEqual([...names].sort());
  });
});
