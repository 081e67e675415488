import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';

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

export interface PayloadV2EventInput {
  /** Function URL (`$default` route key, `lambda-url` host) or HTTP API (`GET /`-style route key). @default 'functionUrl' */
  target?: 'functionUrl' | 'httpApi';
  method?: string;
  /** Route key of an HTTP API. @default `GET /` for `/`, else `ANY /{proxy+}` */
  routeKey?: string;
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  accountId?: string;
  userArn?: string;
}

/** Splits a raw query as API Gateway does for payload 2.0: decoded, repeated keys joined with commas. */
function commaJoinedQuery(raw: string): Record<string, string> | undefined {
  if (raw === '') return undefined;
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(raw.replaceAll('+', '%2B'))) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  return query;
}

/** A payload 2.0 event as a function URL or an HTTP API sends it for an IAM-authorized call. */
export function payloadV2Event(input: PayloadV2EventInput = {}): APIGatewayProxyEventV2WithIAMAuthorizer {
  const target = input.target ?? 'functionUrl';
  const method = input.method ?? 'GET';
  const rawPath = input.rawPath ?? '/';
  const rawQueryString = input.rawQueryString ?? '';
  const accountId = input.accountId ?? '111111111111';
  const userArn = input.userArn ?? `arn:aws:sts::${accountId}:assumed-role/requestor-role/requestor`;
  const domainName =
    target === 'functionUrl'
      ? 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws'
      : 'abc1234567.execute-api.us-east-1.amazonaws.com';
  const routeKey =
    target === 'functionUrl' ? '$default' : (input.routeKey ?? (rawPath === '/' ? 'GET /' : 'ANY /{proxy+}'));
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers: { host: domainName, ...input.headers },
    queryStringParameters: commaJoinedQuery(rawQueryString),
    ...(input.body === undefined ? {} : { body: input.body }),
    isBase64Encoded: input.isBase64Encoded ?? false,
    requestContext: {
      accountId: target === 'functionUrl' ? 'anonymous' : '222222222222',
      apiId: domainName.split('.')[0] ?? '',
      authorizer: {
        iam: {
          accessKey: 'ASIAIOSFODNN7EXAMPLE',
          accountId,
          callerId: 'AROAEXAMPLEROLEID:requestor',
          cognitoIdentity: null,
          principalOrgId: 'o-aa111bb222',
          userArn,
          userId: 'AROAEXAMPLEROLEID:requestor',
        },
      },
      domainName,
      domainPrefix: domainName.split('.')[0] ?? '',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'node' },
      requestId: 'b2a6c0de-2f4e-4c7a-9a41-93e8deadbeef',
      routeKey,
      stage: '$default',
      time: '09/Apr/2015:12:34:56 +0000',
      timeEpoch: Date.now(),
    },
  };
}

// One Lambda-like context for every package's tests.
export { lambdaContext } from '../../../middleware/tests/helpers/lambda-context.js';
