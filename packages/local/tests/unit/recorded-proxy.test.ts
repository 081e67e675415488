/**
 * Answers real AWS gave, replayed against the local stack over real HTTP and compared key by key.
 *
 * The recordings are LocalStack's parity snapshots (github.com/localstack/localstack,
 * `tests/aws/services/…/*.snapshot.json`, Apache-2.0, attributed in packages/local/NOTICE), each
 * re-validated against AWS on the date its case names. Values AWS makes up per request (ids,
 * dates, IPs, CloudFront's) are placeholders there: here each must have AWS's shape, and one
 * placeholder (`<host:1>`) the same value wherever it appears in a case.
 *
 * The stack serves the `targets` fixture app with resources added to its template, as the tests
 * built them on AWS: `RecordedMirror` (answers `{statusCode: 200, body: <its event as JSON>}`, as
 * LocalStack's `lambda_aws_proxy.py`), `RecordedAnswer` (answers what the request's body says, as
 * its `LAMBDA_RESPONSE_FROM_BODY`), REST APIs with `ANY` methods (authorization NONE, Lambda
 * proxy), and function URLs (AuthType NONE) on both functions.
 */
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalStack } from '../../src/stack.js';
import { editedAssembly, inlineFunction } from '../helpers/stack.js';

const LAMBDA_TEST = 'tests/aws/services/apigateway/test_apigateway_lambda.py';
const COMMON_TEST = 'tests/aws/services/apigateway/test_apigateway_common.py';
const URL_TEST = 'tests/aws/services/lambda_/test_lambda.py';

const MIRROR = `exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event), isBase64Encoded: false });`;
const ANSWER = `exports.handler = async (event) => {
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text === undefined || text === null) throw new TypeError('no body to answer with');
  return JSON.parse(text);
};`;

// ---------------------------------------------------------------------------------------------
// The app: the resources the recorded tests created, as CloudFormation.

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

interface RestApiSpec {
  id: string;
  stage: string;
  fn: 'RecordedMirror' | 'RecordedAnswer';
  /** Each a path part under the root, with its method. */
  methods: [pathPart: string, httpMethod: string][];
  /** Each method's `Integration`. @default a Lambda proxy of `fn` */
  integration?: Record<string, unknown>;
  /** `EndpointConfiguration.Types`. @default none (EDGE) */
  endpoint?: string;
  binaryMediaTypes?: string[];
}

const REST_APIS: RestApiSpec[] = [
  {
    id: 'RecordedEdge',
    stage: 'stage',
    fn: 'RecordedMirror',
    methods: [
      ['{proxy+}', 'ANY'],
      ['hardcoded', 'ANY'],
    ],
  },
  {
    id: 'RecordedRegional',
    stage: 'stage',
    fn: 'RecordedMirror',
    methods: [['{proxy+}', 'ANY']],
    endpoint: 'REGIONAL',
  },
  { id: 'RecordedAnswers', stage: 'test', fn: 'RecordedAnswer', methods: [['{proxy+}', 'ANY']] },
  {
    id: 'RecordedBinaryTest2',
    stage: 'test2',
    fn: 'RecordedAnswer',
    methods: [['{proxy+}', 'ANY']],
    binaryMediaTypes: ['image/png', '*/test'],
  },
  {
    id: 'RecordedBinaryTest3',
    stage: 'test3',
    fn: 'RecordedAnswer',
    methods: [['{proxy+}', 'ANY']],
    // As SAM templates write them: `~1` for `/`.
    binaryMediaTypes: ['image~1png', 'image~1jpg', 'application~1*'],
  },
  {
    id: 'RecordedRouting',
    stage: 'dev',
    fn: 'RecordedMirror',
    methods: [['existing', 'GET']],
    // As test_apigateway_common.py's _create_mock_integration_with_200_response_template.
    integration: {
      Type: 'MOCK',
      RequestTemplates: { 'application/json': '{"statusCode": 200}' },
      IntegrationResponses: [
        {
          StatusCode: '200',
          SelectionPattern: '',
          ResponseTemplates: { 'application/json': JSON.stringify({ statusCode: 200, message: 'exists' }) },
        },
      ],
    },
  },
  {
    id: 'RecordedNonPost',
    stage: 'test',
    fn: 'RecordedMirror',
    methods: [['{proxy+}', 'ANY']],
    integration: lambdaProxy('RecordedMirror', 'GET'),
  },
];

function lambdaProxy(fn: string, integrationHttpMethod = 'POST'): Record<string, unknown> {
  return {
    Type: 'AWS_PROXY',
    IntegrationHttpMethod: integrationHttpMethod,
    Uri: { 'Fn::Sub': `arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${fn}.Arn}/invocations` },
  };
}

const fnArn = (fn: string) => ({ 'Fn::GetAtt': [fn, 'Arn'] });

function addRestApi(resources: Resources, spec: RestApiSpec): void {
  const api = { Ref: spec.id };
  resources[spec.id] = {
    Type: 'AWS::ApiGateway::RestApi',
    Properties: {
      Name: spec.id,
      ...(spec.endpoint ? { EndpointConfiguration: { Types: [spec.endpoint] } } : {}),
      ...(spec.binaryMediaTypes ? { BinaryMediaTypes: spec.binaryMediaTypes } : {}),
    },
  };
  const methods = spec.methods.map(([pathPart, httpMethod], index) => {
    const resourceId = `${spec.id}Resource${index}`;
    resources[resourceId] = {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { RestApiId: api, ParentId: { 'Fn::GetAtt': [spec.id, 'RootResourceId'] }, PathPart: pathPart },
    };
    resources[`${resourceId}Method`] = {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        RestApiId: api,
        ResourceId: { Ref: resourceId },
        HttpMethod: httpMethod,
        AuthorizationType: 'NONE',
        Integration: spec.integration ?? lambdaProxy(spec.fn),
        ...(spec.integration?.Type === 'MOCK' ? { MethodResponses: [{ StatusCode: '200' }] } : {}),
      },
    };
    return `${resourceId}Method`;
  });
  resources[`${spec.id}Deployment`] = {
    Type: 'AWS::ApiGateway::Deployment',
    Properties: { RestApiId: api, StageName: spec.stage },
    DependsOn: methods,
  };
}

function addFunction(resources: Resources, id: string, code: string, role: string): void {
  resources[id] = inlineFunction(code, role);
  const permission = (suffix: string, properties: Record<string, unknown>) => {
    resources[`${id}${suffix}`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: { FunctionName: fnArn(id), ...properties },
    };
  };
  permission('FromApiGateway', { Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
  // A public function URL, as the recorded tests made it (both permissions since October 2025).
  resources[`${id}Url`] = { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: fnArn(id), AuthType: 'NONE' } };
  permission('PublicUrl', { Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' });
  permission('PublicInvoke', { Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true });
}

function recordedAssembly(): string {
  return editedAssembly(inject('fixtures').targets, 'Targets', (template) => {
    const resources = template.Resources as Resources;
    const role = Object.keys(resources).find(
      (id) => id.startsWith('EchoServiceRole') && resources[id]?.Type === 'AWS::IAM::Role',
    );
    if (!role) throw new Error('the targets app has no EchoServiceRole');
    addFunction(resources, 'RecordedMirror', MIRROR, role);
    addFunction(resources, 'RecordedAnswer', ANSWER, role);
    for (const spec of REST_APIS) addRestApi(resources, spec);
  });
}

// ---------------------------------------------------------------------------------------------
// Requests as the recorded tests sent them (python-requests), over a plain HTTP client.

interface Answer {
  status: number;
  /** Header lines in order, as sent (names in the casing on the wire). */
  rawHeaders: [string, string][];
  text: string;
  bytes: Buffer;
}

const agent = new Agent({ keepAlive: true });

/** python-requests' own headers: every recorded request carried them. */
const REQUESTS_DEFAULTS: [string, string][] = [
  ['User-Agent', 'python-requests/2.32.3'],
  ['Accept-Encoding', 'gzip, deflate'],
  ['Accept', '*/*'],
  ['Connection', 'keep-alive'],
];

/** A request with exactly these header lines (the client adds `Host`), body as given. */
function send(url: string, method: string, headers: [string, string][], body?: string): Promise<Answer> {
  const target = new URL(url);
  const merged = new Map<string, [string, string]>();
  for (const [name, value] of [...REQUESTS_DEFAULTS, ...headers]) merged.set(name.toLowerCase(), [name, value]);
  if (body !== undefined) merged.set('content-length', ['Content-Length', String(Buffer.byteLength(body))]);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method,
        path: `${target.pathname}${target.search}`,
        headers: Object.fromEntries([...merged.values()]),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const raw = response.rawHeaders;
          const rawHeaders: [string, string][] = [];
          for (let i = 0; i < raw.length; i += 2) rawHeaders.push([raw[i] ?? '', raw[i + 1] ?? '']);
          const bytes = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, rawHeaders, text: bytes.toString('utf8'), bytes });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Response headers as the recorded tests read them (`dict(response.headers)`: repeated names
 * joined with `, `), names in the casing on the wire.
 */
function responseHeaders(answer: Answer): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of answer.rawHeaders)
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  return headers;
}

/** The body as the recorded tests read it: JSON when it parses, else the text. */
const content = (answer: Answer): unknown => {
  try {
    return JSON.parse(answer.text);
  } catch {
    return answer.text;
  }
};

// ---------------------------------------------------------------------------------------------
// Comparing with a recording, key by key.

const matching = (pattern: RegExp) => (value: unknown) => typeof value === 'string' && pattern.test(value);
const IP = /^(\d{1,3}\.){3}\d{1,3}$/;
const ID_15 = /^[A-Za-z0-9+/_-]{15}=$/;
const TRACE = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}(;|$)/;
const forwardedFor = (value: unknown): boolean =>
  (Array.isArray(value) ? value : [value]).every(
    (item) => typeof item === 'string' && item.split(', ').every((hop) => IP.test(hop)),
  );
const single = (accept: (value: unknown) => boolean) => (value: unknown) =>
  Array.isArray(value) ? value.length === 1 && accept(value[0]) : accept(value);

/** What each placeholder of the recordings stands for: AWS's shape of that value. */
const SHAPES: Record<string, (value: unknown) => boolean> = {
  'api-id': matching(/^[a-z0-9]{10}$/),
  host: matching(/^[a-z0-9]{10}\.execute-api\.us-east-1\.amazonaws\.com$/),
  domain: matching(/^[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws$/),
  'deployment-id': matching(/^[a-z0-9]{6}$/),
  'extended-request-id': matching(ID_15),
  'x-amz-apigw-id': matching(ID_15),
  uuid: matching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  'request-time': matching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
  'request-time-epoch': (value) => typeof value === 'number' && Number.isInteger(value),
  'resource-id': matching(/^[a-z0-9]{6,10}$/),
  'source-ip': matching(IP),
  origin: matching(IP),
  via: matching(/^\d\.\d [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)$/),
  'cf-id': matching(/^[A-Za-z0-9_-]{54}==$/),
  'x--amz--cf--id': matching(/^[A-Za-z0-9_-]{54}==$/),
  'x--amz--cf--pop': matching(/^[A-Z]{3}\d{1,2}-[A-Z0-9]{2,3}$/),
  'x--cache': matching(/^(Miss|Hit|RefreshHit|Error) from cloudfront$/),
  'trace-id': matching(TRACE),
  'x--amzn--trace--id': matching(TRACE),
  'x-amzn-trace-id': matching(TRACE),
  'cloudfront-asn': matching(/^\d+$/),
  'cloudfront-country': matching(/^[A-Z]{2}$/),
  date: matching(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/),
  'x-amzn-tls-cipher-suite': matching(/^[A-Z0-9_-]+$/),
  'x-amzn-tls-version': matching(/^TLSv1\.[23]$/),
  // AWS endpoints are HTTPS only, on 443.
  'X-Forwarded-For': forwardedFor,
  'X-Forwarded-Port': single((value) => value === '443'),
  'X-Forwarded-Proto': single((value) => value === 'https'),
  'x-forwarded-port': (value) => value === '443',
  'x-forwarded-proto': (value) => value === 'https',
};

const PLACEHOLDER = /^<([^:>]+)(?::(\d+))?>$/;

/** Placeholders of what one deployment keeps from call to call (the recording numbers them across its calls). */
const DEPLOYMENT_VALUES = new Set(['api-id', 'host', 'deployment-id', 'resource-id']);

/**
 * The differences between an answer and its recording, one line each (none: the same answer).
 * `deployment` holds the values of DEPLOYMENT_VALUES seen in earlier answers of the same recording.
 */
function differences(actual: unknown, recorded: unknown, deployment = new Map<string, unknown>()): string[] {
  const found: string[] = [];
  const perCall = new Map<string, unknown>();
  const walk = (value: unknown, expected: unknown, at: string): void => {
    const placeholder = typeof expected === 'string' ? PLACEHOLDER.exec(expected) : null;
    if (placeholder) {
      const [whole, name = '', reference] = placeholder;
      const shape = SHAPES[name];
      if (!shape) throw new Error(`no shape for the placeholder ${whole}`);
      if (!shape(value)) found.push(`${at}: ${JSON.stringify(value)} is not ${whole}`);
      const references = DEPLOYMENT_VALUES.has(name) ? deployment : perCall;
      if (reference !== undefined) {
        if (references.has(whole) && references.get(whole) !== value)
          found.push(`${at}: ${JSON.stringify(value)} is not the ${whole} seen before (${references.get(whole)})`);
        // A placeholder of another number is another value in the recording.
        for (const [other, seen] of references)
          if (other !== whole && other.startsWith(`<${name}:`) && seen === value)
            found.push(`${at}: ${JSON.stringify(value)} is ${other}'s value too; AWS has two values`);
        references.set(whole, value);
      }
      return;
    }
    if (expected !== null && typeof expected === 'object') {
      if (value === null || typeof value !== 'object' || Array.isArray(value) !== Array.isArray(expected)) {
        found.push(`${at}: ${JSON.stringify(value)} where AWS has ${JSON.stringify(expected)}`);
        return;
      }
      const got = value as Record<string, unknown>;
      const want = expected as Record<string, unknown>;
      for (const key of Object.keys(want)) {
        if (key in got) walk(got[key], want[key], `${at}.${key}`);
        else found.push(`${at}.${key}: missing (AWS: ${JSON.stringify(want[key])})`);
      }
      for (const key of Object.keys(got))
        if (!(key in want)) found.push(`${at}.${key}: ${JSON.stringify(got[key])} where AWS has none`);
      return;
    }
    if (value !== expected) found.push(`${at}: ${JSON.stringify(value)} where AWS has ${JSON.stringify(expected)}`);
  };
  walk(actual, recorded, '$');
  return found;
}

describe('the comparison with a recording', () => {
  it('finds a missing or extra key, a wrong value, a value of the wrong shape and two values for one placeholder', () => {
    const recorded = { a: '<host:1>', b: '<host:1>', c: 'x', d: '<uuid:1>', e: 1 };
    const actual = {
      a: 'abcdefghij.execute-api.us-east-1.amazonaws.com',
      b: 'klmnopqrst.execute-api.us-east-1.amazonaws.com',
      c: 'y',
      d: 'not-a-uuid',
      f: 2,
    };
    expect(differences(actual, recorded)).toEqual([
      '$.b: "klmnopqrst.execute-api.us-east-1.amazonaws.com" is not the <host:1> seen before (abcdefghij.execute-api.us-east-1.amazonaws.com)',
      '$.c: "y" where AWS has "x"',
      '$.d: "not-a-uuid" is not <uuid:1>',
      '$.e: missing (AWS: 1)',
      '$.f: 2 where AWS has none',
    ]);
  });

  it("finds one value for two placeholders, and a deployment's value changed between calls", () => {
    // Prepare
    const deployment = new Map<string, unknown>();
    const recorded = { a: '<resource-id:1>', b: '<resource-id:2>' };
    differences({ a: 'abc123', b: 'def456' }, recorded, deployment);

    // Act
    const found = differences({ a: 'abc123', b: 'abc123' }, recorded, deployment);

    // Assess
    expect(found).toEqual([
      '$.b: "abc123" is not the <resource-id:2> seen before (def456)',
      `$.b: "abc123" is <resource-id:1>'s value too; AWS has two values`,
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

let stack: LocalStack;
const restApiUrl = (logicalId: string, stage: string, path: string, stagePrefix = '/') => {
  const api = stack.model.apis.find((candidate) => candidate.logicalId === logicalId);
  if (!api) throw new Error(`no REST API ${logicalId}`);
  return `${stack.origin}/restapis/${api.restApiId}${stagePrefix}${stage}${path}`;
};
const functionUrl = (logicalId: string) => {
  const url = stack.model.functionUrls.find((candidate) => candidate.logicalId === logicalId);
  if (!url) throw new Error(`no function URL ${logicalId}`);
  return stack.functionUrl(url);
};

beforeAll(async () => {
  stack = await LocalStack.start({ assemblyDir: recordedAssembly(), functionOutput: 'ignore', warn: () => {} });
});
afterAll(async () => {
  agent.destroy();
  await stack?.close();
});

// ---------------------------------------------------------------------------------------------
// The REST proxy (v1) event: test_lambda_aws_proxy_integration, validated 2024-08-02.

/** `invocation-payload-without-trailing-slash`, as recorded: a GET on an EDGE API, method NONE. */
const RECORDED_EVENT = {
  body: null,
  headers: {
    Accept: '*/*',
    'Accept-Encoding': 'gzip, deflate',
    Authorization: 'random-value',
    'CloudFront-Forwarded-Proto': 'https',
    'CloudFront-Is-Desktop-Viewer': 'true',
    'CloudFront-Is-Mobile-Viewer': 'false',
    'CloudFront-Is-SmartTV-Viewer': 'false',
    'CloudFront-Is-Tablet-Viewer': 'false',
    'CloudFront-Viewer-ASN': '<cloudfront-asn:1>',
    'CloudFront-Viewer-Country': '<cloudfront-country:1>',
    Host: '<host:1>',
    'User-Agent': 'python-requests/testing',
    Via: '<via:1>',
    'X-Amz-Cf-Id': '<cf-id:1>',
    'X-Amzn-Trace-Id': '<trace-id:1>',
    'X-Forwarded-For': '<X-Forwarded-For>',
    'X-Forwarded-Port': '<X-Forwarded-Port>',
    'X-Forwarded-Proto': '<X-Forwarded-Proto>',
    'tEsT-HEADeR': 'aValUE',
  } as Record<string, string>,
  httpMethod: 'GET',
  isBase64Encoded: false,
  multiValueHeaders: {
    Accept: ['*/*'],
    'Accept-Encoding': ['gzip, deflate'],
    Authorization: ['random-value'],
    'CloudFront-Forwarded-Proto': ['https'],
    'CloudFront-Is-Desktop-Viewer': ['true'],
    'CloudFront-Is-Mobile-Viewer': ['false'],
    'CloudFront-Is-SmartTV-Viewer': ['false'],
    'CloudFront-Is-Tablet-Viewer': ['false'],
    'CloudFront-Viewer-ASN': ['<cloudfront-asn:1>'],
    'CloudFront-Viewer-Country': ['<cloudfront-country:1>'],
    Host: ['<host:1>'],
    'User-Agent': ['python-requests/testing'],
    Via: ['<via:1>'],
    'X-Amz-Cf-Id': ['<cf-id:1>'],
    'X-Amzn-Trace-Id': ['<trace-id:1>'],
    // The recording's transformer replaced these lists whole.
    'X-Forwarded-For': '<X-Forwarded-For>',
    'X-Forwarded-Port': '<X-Forwarded-Port>',
    'X-Forwarded-Proto': '<X-Forwarded-Proto>',
    'tEsT-HEADeR': ['aValUE'],
  } as Record<string, unknown>,
  multiValueQueryStringParameters: null as Record<string, string[]> | null,
  path: '/proxy-value',
  pathParameters: { proxy: 'proxy-value' } as Record<string, string> | null,
  queryStringParameters: null as Record<string, string> | null,
  requestContext: {
    accountId: '111111111111',
    apiId: '<api-id>',
    deploymentId: '<deployment-id:1>',
    domainName: '<host:1>',
    domainPrefix: '<api-id>',
    extendedRequestId: '<extended-request-id:1>',
    httpMethod: 'GET',
    identity: {
      accessKey: null,
      accountId: null,
      caller: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: '<source-ip:1>',
      user: null,
      userAgent: 'python-requests/testing',
      userArn: null,
    },
    path: '/stage/proxy-value',
    protocol: 'HTTP/1.1',
    requestId: '<uuid:1>',
    requestTime: '<request-time>',
    requestTimeEpoch: '<request-time-epoch>',
    resourceId: '<resource-id:1>',
    resourcePath: '/{proxy+}',
    stage: 'stage',
  },
  resource: '/{proxy+}',
  stageVariables: null,
};

/** The other recorded events differ from the first in these keys only (transcribed from the recording). */
interface RecordedCase {
  name: string;
  /** After `/restapis/<id>`: the stage and path as requested. */
  target: string;
  post?: boolean;
  differs: Partial<Omit<typeof RECORDED_EVENT, 'requestContext'>> & {
    requestContext?: Partial<typeof RECORDED_EVENT.requestContext>;
  };
}

const GET_HEADERS: [string, string][] = [
  ['User-Agent', 'python-requests/testing'],
  ['tEsT-HEADeR', 'aValUE'],
  ['authorization', 'random-value'],
];
const POST_HEADERS: [string, string][] = [
  ['Content-Type', 'application/json;charset=utf-8'],
  ['aUThorization', 'Bearer token123;API key456'],
  ['User-Agent', 'python-requests/testing'],
];
const PARAMS =
  'dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com&plus=test+alias@gmail.com&url=https://www.google.com/&whitespace=foo%20bar&zhash=abort/';
const EMAILS = '/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com';

const RECORDED_CASES: RecordedCase[] = [
  { name: 'invocation-payload-without-trailing-slash', target: '/stage/proxy-value', differs: {} },
  {
    name: 'invocation-payload-with-trailing-slash',
    target: '/stage/proxy-value/',
    differs: { path: '/proxy-value/', requestContext: { path: '/stage/proxy-value/' } },
  },
  {
    name: 'invocation-payload-with-double-slash',
    target: '/stage/proxy-value//double-slash',
    differs: {
      path: '/proxy-value//double-slash',
      pathParameters: { proxy: 'proxy-value//double-slash' },
      requestContext: { path: '/stage/proxy-value//double-slash' },
    },
  },
  { name: 'invocation-payload-with-prepended-slash-to-stage', target: '//stage/proxy-value', differs: {} },
  {
    name: 'invocation-payload-with-prepended-slash',
    target: '/stage//proxy-value',
    differs: { requestContext: { path: '/stage//proxy-value' } },
  },
  {
    name: 'invocation-payload-without-trailing-slash-and-query-params',
    target: '/stage/proxy-value?urlparam=test',
    differs: { queryStringParameters: { urlparam: 'test' }, multiValueQueryStringParameters: { urlparam: ['test'] } },
  },
  {
    name: 'invocation-payload-with-trailing-slash-and-query-params',
    target: '/stage/proxy-value/?urlparam=test',
    differs: {
      path: '/proxy-value/',
      queryStringParameters: { urlparam: 'test' },
      multiValueQueryStringParameters: { urlparam: ['test'] },
      requestContext: { path: '/stage/proxy-value/' },
    },
  },
  {
    name: 'invocation-payload-with-path-encoded-email',
    target: `/stage/proxy-value${EMAILS}`,
    differs: {
      path: `/proxy-value${EMAILS}`,
      pathParameters: { proxy: `proxy-value${EMAILS}` },
      requestContext: { path: `/stage/proxy-value${EMAILS}` },
    },
  },
  {
    name: 'invocation-payload-with-params-encoding',
    target: `/stage/proxy-value/api?${PARAMS}`,
    differs: {
      path: '/proxy-value/api',
      pathParameters: { proxy: 'proxy-value/api' },
      queryStringParameters: {
        dateTimeOffset: '2023-06-12T18:05:10.123456 00:00',
        email: 'test+alias@gmail.com',
        plus: 'test alias@gmail.com',
        url: 'https://www.google.com/',
        whitespace: 'foo bar',
        zhash: 'abort/',
      },
      multiValueQueryStringParameters: {
        dateTimeOffset: ['2023-06-12T18:05:10.123456 00:00'],
        email: ['test+alias@gmail.com'],
        plus: ['test alias@gmail.com'],
        url: ['https://www.google.com/'],
        whitespace: ['foo bar'],
        zhash: ['abort/'],
      },
      requestContext: { path: '/stage/proxy-value/api' },
    },
  },
  {
    name: 'invocation-payload-with-params-encoding-multi',
    target: '/stage/proxy-value?category=electronics&category=books&price=10&price=20&price=30',
    post: true,
    differs: {
      body: '{"message": "hello world"}' as unknown as null,
      httpMethod: 'POST',
      queryStringParameters: { category: 'books', price: '30' },
      multiValueQueryStringParameters: { category: ['electronics', 'books'], price: ['10', '20', '30'] },
      requestContext: { httpMethod: 'POST' },
    },
  },
  {
    name: 'invocation-hardcoded',
    target: '/stage//hardcoded',
    differs: {
      path: '/hardcoded',
      pathParameters: null,
      resource: '/hardcoded',
      requestContext: { path: '/stage//hardcoded', resourceId: '<resource-id:2>', resourcePath: '/hardcoded' },
    },
  },
];

/** The full recorded event of a case: the first one with the case's own keys. */
function recordedEvent(recorded: RecordedCase): Record<string, unknown> {
  const { requestContext, ...rest } = recorded.differs;
  const event: Record<string, unknown> = {
    ...RECORDED_EVENT,
    ...rest,
    requestContext: { ...RECORDED_EVENT.requestContext, ...requestContext },
  };
  if (recorded.post) {
    // The POST: `aUThorization` arrives as `Authorization`, its Content-Type kept, no tEsT-HEADeR.
    const { 'tEsT-HEADeR': _h, ...headers } = RECORDED_EVENT.headers;
    const { 'tEsT-HEADeR': _m, ...multi } = RECORDED_EVENT.multiValueHeaders;
    const authorization = 'Bearer token123;API key456';
    const contentType = 'application/json;charset=utf-8';
    event.headers = { ...headers, Authorization: authorization, 'Content-Type': contentType };
    event.multiValueHeaders = { ...multi, Authorization: [authorization], 'Content-Type': [contentType] };
  }
  return event;
}

const invokeRecorded = (api: string, recorded: RecordedCase) =>
  recorded.post
    ? send(restApiUrl(api, '', recorded.target, ''), 'POST', POST_HEADERS, '{"message": "hello world"}')
    : send(restApiUrl(api, '', recorded.target, ''), 'GET', GET_HEADERS);

describe(`REST proxy event: ${LAMBDA_TEST}::test_lambda_aws_proxy_integration (AWS, 2024-08-02)`, () => {
  // One deployment across the cases, as recorded: one host and deployment, /hardcoded its own resource.
  const deployment = new Map<string, unknown>();

  it.each(RECORDED_CASES.map((recorded) => [recorded.name, recorded] as const))(
    '%s: the event is AWS’s, key by key',
    async (_name, recorded) => {
      // Act
      const answer = await invokeRecorded('RecordedEdge', recorded);

      // Assess
      expect(answer.status).toBe(200);
      expect(differences(JSON.parse(answer.text), recordedEvent(recorded), deployment)).toEqual([]);
    },
  );

  it('the same event on a REGIONAL API has no CloudFront headers (the recording without them; https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-endpoint-types.html)', async () => {
    // Prepare: a regional endpoint is reached directly, not through CloudFront
    const recorded = recordedEvent(RECORDED_CASES[0] as RecordedCase);
    const cloudFront = /^(CloudFront-|Via$|X-Amz-Cf-Id$)/;
    const withoutCloudFront = (headers: unknown) =>
      Object.fromEntries(Object.entries(headers as Record<string, unknown>).filter(([name]) => !cloudFront.test(name)));

    // Act
    const answer = await invokeRecorded('RecordedRegional', RECORDED_CASES[0] as RecordedCase);

    // Assess
    expect(
      differences(JSON.parse(answer.text), {
        ...recorded,
        headers: withoutCloudFront(recorded.headers),
        multiValueHeaders: withoutCloudFront(recorded.multiValueHeaders),
      }),
    ).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Response mapping: test_aws_proxy_response_payload_format_validation, validated 2024-11-15.

/** The headers AWS answered on an EDGE API, but the function's own. */
const RECORDED_RESPONSE_HEADERS = {
  Connection: 'keep-alive',
  'Content-Length': '0',
  'Content-Type': 'application/json',
  Date: '<date>',
  Via: '<via:1>',
  'X-Amz-Cf-Id': '<x--amz--cf--id:1>',
  'X-Amz-Cf-Pop': '<x--amz--cf--pop:1>',
  'X-Amzn-Trace-Id': '<x--amzn--trace--id:1>',
  'X-Cache': '<x--cache:1>',
  'x-amz-apigw-id': '<x-amz-apigw-id:1>',
  'x-amzn-RequestId': '<uuid:1>',
};
const INTERNAL_SERVER_ERROR = { message: 'Internal server error' };

/** [recorded name, the function's answer (undefined: no body, so the function fails), status, content, its headers]. */
const RESPONSE_CASES: [string, unknown, number, unknown, Record<string, string>?][] = [
  ['invoke-api-no-body', { statusCode: 200 }, 200, ''],
  [
    'invoke-api-with-headers',
    { statusCode: 200, headers: { 'test-header': 'value', 'header-bool': true } },
    200,
    '',
    { 'header-bool': 'true', 'test-header': 'value' },
  ],
  ['invoke-api-with-headers-null', { statusCode: 200, headers: null }, 200, '', {}],
  ['invoke-api-wrong-format', { statusCode: 200, wrongValue: 'value' }, 502, INTERNAL_SERVER_ERROR],
  ['invoke-api-empty-response', undefined, 502, INTERNAL_SERVER_ERROR],
  [
    'invoke-api-b64-encoded-true',
    { statusCode: 200, body: 'dGVzdC1kYXRh', isBase64Encoded: true },
    200,
    'dGVzdC1kYXRh',
  ],
  ['invoke-api-b64-encoded-false', { statusCode: 200, body: 'dGVzdC1kYXRh' }, 200, 'dGVzdC1kYXRh'],
  [
    'invoke-api-multi-headers-valid',
    { statusCode: 200, multiValueHeaders: { 'test-multi': ['value1', 'value2'] } },
    200,
    '',
    { 'test-multi': 'value1, value2' },
  ],
  [
    'invoke-api-multi-headers-overwrite',
    { statusCode: 200, multiValueHeaders: { 'test-multi': ['value-multi'] }, headers: { 'test-multi': 'value-solo' } },
    200,
    '',
    { 'test-multi': 'value-multi, value-solo' },
  ],
  [
    'invoke-api-multi-headers-overwrite-casing',
    { statusCode: 200, multiValueHeaders: { 'tesT-Multi': ['value-multi'] }, headers: { 'test-multi': 'value-solo' } },
    200,
    '',
    { 'tesT-Multi': 'value-multi, value-solo' },
  ],
  [
    'invoke-api-multi-headers-invalid',
    { statusCode: 200, multiValueHeaders: { 'test-multi-invalid': 'value1' } },
    502,
    INTERNAL_SERVER_ERROR,
  ],
  ['invoke-api-invalid-status-code', { statusCode: 'test' }, 502, INTERNAL_SERVER_ERROR],
  ['invoke-api-status-code-str', { statusCode: '201' }, 201, ''],
  ['invoke-api-just-string', 'justAString', 502, INTERNAL_SERVER_ERROR],
  ['invoke-api-only-headers', { headers: { 'test-header': 'value' } }, 200, ''],
];

describe(`REST response mapping: ${LAMBDA_TEST}::test_aws_proxy_response_payload_format_validation (AWS, 2024-11-15)`, () => {
  it.each(RESPONSE_CASES)('%s', async (_name, answerWith, status, expected, functionHeaders) => {
    // Act
    const body = answerWith === undefined ? undefined : JSON.stringify(answerWith);
    const headers: [string, string][] = [['User-Agent', 'python/test']];
    if (body !== undefined) headers.push(['Content-Type', 'application/json']);
    const answer = await send(restApiUrl('RecordedAnswers', 'test', '/test'), 'POST', headers, body ?? '');

    // Assess
    expect(answer.status).toBe(status);
    const recorded: Record<string, unknown> = { content: expected };
    const actual: Record<string, unknown> = { content: content(answer) };
    if (functionHeaders) {
      recorded.headers = { ...RECORDED_RESPONSE_HEADERS, ...functionHeaders };
      actual.headers = responseHeaders(answer);
    }
    expect(differences(actual, recorded)).toEqual([]);
  });

  it('a caller that names no connection (HTTP/1.1, as curl) gets the same headers: Connection: keep-alive, no Keep-Alive', async () => {
    // Prepare: the request line and headers written by hand, so that no Connection header goes out
    const url = new URL(restApiUrl('RecordedAnswers', 'test', '/test'));
    const body = JSON.stringify({ statusCode: 200 });
    const head = [
      `POST ${url.pathname} HTTP/1.1`,
      `Host: ${url.host}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];

    // Act
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write(`${head.join('\r\n')}\r\n\r\n${body}`));
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        if (!text.includes('\r\n\r\n')) return;
        socket.destroy();
        resolve(text);
      });
      socket.on('error', reject);
    });

    // Assess
    const lines = answer.split('\r\n\r\n')[0]?.split('\r\n') ?? [];
    expect(lines[0]).toBe('HTTP/1.1 200 OK');
    expect(
      lines
        .slice(1)
        .map((line) => line.slice(0, line.indexOf(':')))
        .sort(),
    ).toEqual(Object.keys(RECORDED_RESPONSE_HEADERS).sort());
    expect(lines).toContain('Connection: keep-alive');
  });
});

// ---------------------------------------------------------------------------------------------
// Binary responses: test_aws_proxy_binary_response (AWS, 2025-01-29; asserted, not snapshotted).

const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/wIAAgkBAyMAlYwAAAAASUVORK5CYII=';
const PNG = Buffer.from(PNG_BASE64, 'base64');

/** [what the case shows, API, stage, Accept (undefined: requests' default), Content-Type the function answers, binary]. */
const BINARY_CASES: [string, string, string, string | undefined, string | undefined, boolean][] = [
  ['no binary media types: the base64 text', 'RecordedAnswers', 'test', 'image/png', 'image/png', false],
  ['Accept matches a binary media type: the bytes', 'RecordedBinaryTest2', 'test2', 'image/png', 'image/png', true],
  ['Accept not among them: the base64 text', 'RecordedBinaryTest2', 'test2', 'image/jpg', 'image/png', false],
  ['an Accept wildcard matches nothing', 'RecordedBinaryTest2', 'test2', 'image/*', 'image/png', false],
  ['a left-hand wildcard type is not supported', 'RecordedBinaryTest2', 'test2', '*/test', 'image/png', false],
  ['nor does it match a type', 'RecordedBinaryTest2', 'test2', 'random/test', 'image/png', false],
  ['*/* must match exactly too', 'RecordedBinaryTest2', 'test2', '*/*', 'image/png', false],
  [
    'only the first Accept counts',
    'RecordedBinaryTest2',
    'test2',
    'image/webp,image/png,*/*;q=0.8',
    'image/png',
    false,
  ],
  ['the first Accept matches', 'RecordedBinaryTest2', 'test2', 'image/png,image/*,*/*;q=0.8', 'image/png', true],
  ['a right-hand wildcard matches', 'RecordedBinaryTest3', 'test3', 'application/whatever', 'application/test', true],
  ['and itself', 'RecordedBinaryTest3', 'test3', 'application/*', 'application/test', true],
  [
    'a right-hand wildcard matches its own type',
    'RecordedBinaryTest3',
    'test3',
    'application/test',
    'application/test',
    true,
  ],
  ['whatever the answer says', 'RecordedBinaryTest3', 'test3', 'image/png', 'application/whatever', true],
  ['the Content-Type answered does not matter', 'RecordedBinaryTest3', 'test3', 'image/jpg', 'image/png', true],
  ['nor its absence', 'RecordedBinaryTest3', 'test3', 'image/png', undefined, true],
  ['a malformed Accept matches nothing', 'RecordedBinaryTest3', 'test3', 'application', undefined, false],
  ['requests’ default Accept (*/*) matches nothing', 'RecordedBinaryTest3', 'test3', undefined, undefined, false],
];

describe(`REST binary responses: ${LAMBDA_TEST}::test_aws_proxy_binary_response (AWS, 2025-01-29)`, () => {
  it.each(BINARY_CASES)('%s', async (_label, api, stage, accept, contentType, binary) => {
    // Act
    const answerWith = {
      statusCode: 200,
      body: PNG_BASE64,
      isBase64Encoded: true,
      headers: { 'Cache-Control': 'no-cache', ...(contentType ? { 'Content-Type': contentType } : {}) },
    };
    const headers: [string, string][] = [['User-Agent', 'python/test']];
    if (accept) headers.push(['Accept', accept]);
    const answer = await send(restApiUrl(api, stage, '/test'), 'POST', headers, JSON.stringify(answerWith));

    // Assess
    expect(answer.status).toBe(200);
    if (binary) expect(answer.bytes.equals(PNG)).toBe(true);
    else expect(answer.text).toBe(PNG_BASE64);
  });

  it('the function says isBase64Encoded false: the text, even when Accept matches', async () => {
    const answerWith = { statusCode: 200, body: PNG_BASE64, isBase64Encoded: false };
    const body = JSON.stringify(answerWith);
    const answer = await send(
      restApiUrl('RecordedBinaryTest2', 'test2', '/test'),
      'POST',
      [['Accept', 'image/png']],
      body,
    );
    expect(answer.text).toBe(PNG_BASE64);
  });

  it('a body that is no base64 while Accept matches: 500', async () => {
    const answerWith = { statusCode: 200, body: 'èé+à)(', isBase64Encoded: true };
    const body = JSON.stringify(answerWith);
    const answer = await send(
      restApiUrl('RecordedBinaryTest3', 'test3', '/test'),
      'POST',
      [['Accept', 'image/png']],
      body,
    );
    expect(answer.status).toBe(500);
  });
});

// ---------------------------------------------------------------------------------------------
// Routing: TestApigatewayRouting::test_routing_not_found, validated 2024-07-23.

describe(`REST routing: ${COMMON_TEST}::TestApigatewayRouting::test_routing_not_found (AWS, 2024-07-23)`, () => {
  const MISSING = {
    content: { message: 'Missing Authentication Token' },
    errorType: 'MissingAuthenticationTokenException',
  };

  it('working-route: GET /existing answers from its MOCK integration', async () => {
    // Act
    const answer = await send(restApiUrl('RecordedRouting', 'dev', '/existing'), 'GET', []);

    // Assess
    expect(answer.status).toBe(200);
    expect(differences(content(answer), { message: 'exists', statusCode: 200 })).toEqual([]);
  });

  it.each([
    ['not-found', 'GET', '/random-non-existing'],
    ['wrong-method', 'POST', '/existing'],
  ])('%s: %s %s', async (_name, method, path) => {
    // Act
    const answer = await send(
      restApiUrl('RecordedRouting', 'dev', path),
      method,
      [],
      method === 'POST' ? '' : undefined,
    );

    // Assess
    expect(answer.status).toBe(403);
    // Read case-insensitively, as the recorded test did (requests' headers).
    const errorType = answer.rawHeaders.find(([name]) => name.toLowerCase() === 'x-amzn-errortype')?.[1];
    expect(differences({ content: content(answer), errorType }, MISSING)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// A Lambda proxy invoked with GET: test_lambda_aws_proxy_integration_non_post_method, validated 2024-07-10.

describe(`REST Lambda proxy with IntegrationHttpMethod GET: ${LAMBDA_TEST}::test_lambda_aws_proxy_integration_non_post_method (AWS, 2024-07-10)`, () => {
  it('invocation-payload-with-get-proxy-method: 500, the function never invoked', async () => {
    // Act
    const answer = await send(restApiUrl('RecordedNonPost', 'test', '/test-path'), 'GET', [
      ['User-Agent', 'python-requests/testing'],
    ]);

    // Assess
    expect(answer.status).toBe(500);
    expect(differences(content(answer), INTERNAL_SERVER_ERROR)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Function URLs: test_lambda.py::TestLambdaURL, validated 2025-11-24.

describe(`function URL event: ${URL_TEST}::TestLambdaURL::test_lambda_url_echo_http_fixture_default (AWS, 2025-11-24)`, () => {
  it('url_response: the payload 2.0 event’s headers, path and query are AWS’s', async () => {
    // Act
    const answer = await send(
      `${functionUrl('RecordedMirrorUrl')}pa2%Fth/1?q=query&multiQuery=foo&multiQuery=%2Fbar`,
      'POST',
      [
        ['content-type', 'application/json'],
        ['ExTrA-HeadErs', 'With WeiRd CapS'],
        ['user-agent', 'test/echo'],
      ],
      '{"foo": "bar"}',
    );

    // Assess: what the recorded echo function answered of its event (`data` parsed, as the snapshot does)
    const event = JSON.parse(answer.text);
    const echoed = {
      args: event.queryStringParameters ?? {},
      data: JSON.parse(event.body ?? '""'),
      domain: event.requestContext.domainName,
      headers: event.headers,
      method: event.requestContext.http.method,
      origin: event.requestContext.http.sourceIp,
      path: event.requestContext.http.path,
    };
    expect(
      differences(echoed, {
        args: { multiQuery: 'foo,/bar', q: 'query' },
        data: { foo: 'bar' },
        domain: '<domain:1>',
        headers: {
          accept: '*/*',
          'accept-encoding': 'gzip, deflate',
          'content-length': '14',
          'content-type': 'application/json',
          'extra-headers': 'With WeiRd CapS',
          host: '<domain:1>',
          'user-agent': 'test/echo',
          'x-amzn-tls-cipher-suite': '<x-amzn-tls-cipher-suite:1>',
          'x-amzn-tls-version': '<x-amzn-tls-version:1>',
          'x-amzn-trace-id': '<x-amzn-trace-id:1>',
          'x-forwarded-for': '<origin:1>',
          'x-forwarded-port': '<x-forwarded-port:1>',
          'x-forwarded-proto': '<x-forwarded-proto:1>',
        },
        method: 'POST',
        origin: '<origin:1>',
        path: '/pa2%Fth/1',
      }),
    ).toEqual([]);
  });
});

describe(`function URL answers: ${URL_TEST}::TestLambdaURL::test_lambda_url_invocation (AWS, 2025-11-24)`, () => {
  // [case id, what the function returns (as JSON), the body AWS answered]. The recorded `content`
  // of `dict` is the snapshot's parse of `{"hello":"world"}`: its Content-Length, 17, says how it was written.
  it.each([
    ['dict', '{"hello": "world"}', '{"hello":"world"}'],
    ['http-response', '{"statusCode": 200, "body": "body123"}', 'body123'],
    ['http-response-json', '{"statusCode": 200, "body": "{\\"hello\\": \\"world\\"}"}', '{"hello": "world"}'],
    ['list-mixed', '["hello", 3, true]', '["hello",3,true]'],
    ['string', '"hello"', 'hello'],
    ['integer', '3', '3'],
    ['float', '3.1', '3.1'],
    ['boolean', 'true', 'true'],
  ])('[%s]: 200, application/json, %s', async (_id, returns, body) => {
    // Act
    const answer = await send(
      `${functionUrl('RecordedAnswerUrl')}custom_path/extend?test_param=test_value`,
      'POST',
      [],
      returns,
    );

    // Assess
    // The recorded test read these two names case-insensitively (requests' headers).
    const header = (name: string) => answer.rawHeaders.find(([raw]) => raw.toLowerCase() === name)?.[1];
    expect(
      differences(
        {
          statuscode: answer.status,
          headers: { 'Content-Type': header('content-type'), 'Content-Length': header('content-length') },
          content: answer.text,
        },
        {
          statuscode: 200,
          headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
          content: body,
        },
      ),
    ).toEqual([]);
  });
});
