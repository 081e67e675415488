import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface RestEventInput {
  method?: string;
  resource?: string;
  path?: string;
  query?: Record<string, string[]>;
  headers?: Record<string, string>;
  body?: string | null;
  isBase64Encoded?: boolean;
  accountId?: string;
  userArn?: string;
}

/** A REST API proxy (v1) event as API Gateway sends it for an IAM-authorized call. */
export function restProxyEvent(input: RestEventInput = {}): APIGatewayProxyEvent {
  const method = input.method ?? 'GET';
  const resource = input.resource ?? '/';
  const path = input.path ?? '/';
  const accountId = input.accountId ?? '111111111111';
  const userArn = input.userArn ?? `arn:aws:sts::${accountId}:assumed-role/requestor-role/requestor`;
  const query = input.query ?? null;
  return {
    resource,
    path,
    httpMethod: method,
    headers: { Host: 'abc123.execute-api.us-east-1.amazonaws.com', ...input.headers },
    multiValueHeaders: Object.fromEntries(
      Object.entries({ Host: 'abc123.execute-api.us-east-1.amazonaws.com', ...input.headers }).map(([k, v]) => [
        k,
        [v],
      ]),
    ),
    queryStringParameters: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.at(-1) ?? ''])),
    multiValueQueryStringParameters: query,
    pathParameters: resource === '/{proxy+}' ? { proxy: path.slice(1) } : null,
    stageVariables: null,
    body: input.body ?? null,
    isBase64Encoded: input.isBase64Encoded ?? false,
    requestContext: {
      accountId: '222222222222',
      apiId: 'abc123',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      path: `/prod${path}`,
      stage: 'prod',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: resource,
      identity: {
        accessKey: 'ASIAIOSFODNN7EXAMPLE',
        accountId,
        apiKey: null,
        apiKeyId: null,
        caller: 'AROAEXAMPLEROLEID:requestor',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: 'AROAEXAMPLEROLEID:requestor',
        userAgent: 'node',
        userArn,
      },
    },
  };
}

// One Lambda-like context for every package's tests.
export { lambdaContext } from '../../../middleware/tests/helpers/lambda-context.js';
