/**
 * Answers a function gives that no client could read as the function wrote them, over real HTTP
 * to a local stack, for the three targets: a REST API (Lambda proxy), an HTTP API (payload 2.0)
 * and a function URL. One row per case per target, each with the page AWS's behaviour comes from.
 *
 * - The function's framing headers never reach the caller next to the stack's own
 *   `Content-Length`: a `content-length` is remapped (`x-amzn-Remapped-Content-Length`), a
 *   `transfer-encoding` and (payload 2.0) the hop-by-hop ones dropped.
 * - A status no final answer can have (1xx, past 599) and a header that cannot go on the wire
 *   (a control character in its value, a space in its name, `headers` no object) are a malformed
 *   result: each target's own answer to one, never the stack's 500 `InternalFailure`.
 *
 * The stack serves the `targets` fixture app with one function added, `MalformedAnswer`, which
 * answers what the request's body says (as recorded-proxy.test.ts's `RecordedAnswer`, after
 * LocalStack's `LAMBDA_RESPONSE_FROM_BODY`), behind a REST API (`ANY /{proxy+}`, NONE), an HTTP
 * API (`$default`, NONE, payload 2.0) and a function URL (NONE).
 */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type DecisionRecord, decisionLine } from '../../src/iam/decisions.js';
import { LocalStack } from '../../src/stack.js';
import { editedAssembly, inlineFunction } from '../helpers/stack.js';

const ANSWER = `exports.handler = async (event) => {
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text === undefined || text === null) throw new TypeError('no body to answer with');
  return JSON.parse(text);
};`;

const FN = 'MalformedAnswer';
const REST = 'MalformedRest';
const HTTP = 'MalformedHttpApi';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

function malformedAssembly(): string {
  return editedAssembly(inject('fixtures').targets, 'Targets', (template) => {
    const resources = template.Resources as Resources;
    const role = Object.keys(resources).find(
      (id) => id.startsWith('EchoServiceRole') && resources[id]?.Type === 'AWS::IAM::Role',
    );
    if (!role) throw new Error('the targets app has no EchoServiceRole');
    const fnArn = { 'Fn::GetAtt': [FN, 'Arn'] };
    resources[FN] = inlineFunction(ANSWER, role);
    const permission = (suffix: string, properties: Record<string, unknown>) => {
      resources[`${FN}${suffix}`] = {
        Type: 'AWS::Lambda::Permission',
        Properties: { FunctionName: fnArn, ...properties },
      };
    };
    permission('FromApiGateway', { Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
    // A public function URL (both permissions since October 2025).
    resources[`${FN}Url`] = { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: fnArn, AuthType: 'NONE' } };
    permission('PublicUrl', { Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' });
    permission('PublicInvoke', { Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true });

    // A REST API: ANY /{proxy+}, Lambda proxy, authorization NONE, stage `test`.
    resources[REST] = { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: REST } };
    resources[`${REST}Proxy`] = {
      Type: 'AWS::ApiGateway::Resource',
      Properties: {
        RestApiId: { Ref: REST },
        ParentId: { 'Fn::GetAtt': [REST, 'RootResourceId'] },
        PathPart: '{proxy+}',
      },
    };
    resources[`${REST}ProxyAny`] = {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        RestApiId: { Ref: REST },
        ResourceId: { Ref: `${REST}Proxy` },
        HttpMethod: 'ANY',
        AuthorizationType: 'NONE',
        Integration: {
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          Uri: {
            'Fn::Sub': `arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${FN}.Arn}/invocations`,
          },
        },
      },
    };
    resources[`${REST}Deployment`] = {
      Type: 'AWS::ApiGateway::Deployment',
      Properties: { RestApiId: { Ref: REST }, StageName: 'test' },
      DependsOn: [`${REST}ProxyAny`],
    };

    // An HTTP API: `$default` route, authorization NONE, payload 2.0, stage `$default`.
    resources[HTTP] = { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: HTTP, ProtocolType: 'HTTP' } };
    resources[`${HTTP}Integration`] = {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: {
        ApiId: { Ref: HTTP },
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: fnArn,
        PayloadFormatVersion: '2.0',
      },
    };
    resources[`${HTTP}Route`] = {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: HTTP },
        RouteKey: '$default',
        AuthorizationType: 'NONE',
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: `${HTTP}Integration` }]] },
      },
    };
    resources[`${HTTP}Stage`] = {
      Type: 'AWS::ApiGatewayV2::Stage',
      Properties: { ApiId: { Ref: HTTP }, StageName: '$default', AutoDeploy: true },
    };
  });
}

// ---------------------------------------------------------------------------------------------

type Target = 'REST API' | 'HTTP API' | 'function URL';
const TARGETS: Target[] = ['REST API', 'HTTP API', 'function URL'];

let stack: LocalStack;
const urls = {} as Record<Target, string>;
/** What the server wrote to stderr: an unexpected error (the 500 `InternalFailure` path) leaves a line there. */
const stderr: string[] = [];
/** The decisions recorded: a failed function's answer is one, whose reason says what failed. */
const records: DecisionRecord[] = [];

beforeAll(async () => {
  stack = await LocalStack.start({
    assemblyDir: malformedAssembly(),
    functionOutput: 'ignore',
    warn: () => {},
    decisions: (record) => records.push(record),
  });
  const rest = stack.model.apis.find((api) => api.logicalId === REST);
  const http = stack.model.httpApis.find((api) => api.logicalId === HTTP);
  const url = stack.model.functionUrls.find((candidate) => candidate.functionArn.split(':')[6]?.includes(FN));
  if (!rest || !http || !url) throw new Error('the edited app lacks one of its targets');
  urls['REST API'] = `${stack.origin}/restapis/${rest.restApiId}/test/answer`;
  urls['HTTP API'] = `${stack.httpApiUrl(http)}answer`;
  urls['function URL'] = `${stack.functionUrl(url)}answer`;
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk, ...rest: unknown[]) => {
    stderr.push(String(chunk));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** The target's answer when its function returns `result` (Node's fetch: it refuses conflicting framing). */
async function answer(target: Target, result: unknown): Promise<Answer> {
  const response = await fetch(urls[target], {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(result),
    // A 1xx "answer" would leave the client waiting for the final one: fail fast instead.
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Each target's answer to a malformed Lambda result. */
const MALFORMED: Record<Target, { status: number; text: string }> = {
  'REST API': { status: 502, text: '{"message": "Internal server error"}' },
  'HTTP API': { status: 500, text: '{"message":"Internal Server Error"}' },
  'function URL': { status: 502, text: '{"Message":"Internal Server Error"}' },
};

/** Where each target's answer to a malformed result comes from. */
const MALFORMED_SOURCE: Record<Target, string> = {
  'REST API': 'https://repost.aws/knowledge-center/malformed-502-api-gateway',
  'HTTP API': 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html',
  'function URL': 'https://github.com/awsdocs/aws-lambda-developer-guide/issues/430',
};

const expectMalformed = (target: Target, got: Answer) => {
  expect({ status: got.status, text: got.text }).toEqual(MALFORMED[target]);
  expect(got.headers.get('x-amzn-errortype')).not.toBe('InternalFailure');
};

interface Row {
  target: Target;
  behaviour: string;
  source: string;
  run: () => Promise<void>;
}

const rows: Row[] = [];
const each = (targets: Target[], make: (target: Target) => Omit<Row, 'target'>) => {
  for (const target of targets) rows.push({ target, ...make(target) });
};

// ——— Framing headers ———

each(TARGETS, (target) => ({
  behaviour: "the function's content-length is remapped to x-amzn-Remapped-Content-Length; the answer is framed once",
  source:
    target === 'REST API'
      ? 'https://github.com/aws/aws-sdk-java/pull/1854 (API Gateway overrides Content-Length, adds x-amzn-Remapped-Content-Length)'
      : 'https://github.com/cargo-lambda/cargo-lambda/issues/862 (function URL: the header becomes x-amzn-remapped-content-length)',
  run: async () => {
    const got = await answer(target, { statusCode: 200, headers: { 'content-length': '999' }, body: 'ok' });
    expect({ status: got.status, text: got.text }).toEqual({ status: 200, text: 'ok' });
    expect(got.headers.get('content-length')).toBe('2');
    expect(got.headers.get('x-amzn-remapped-content-length')).toBe('999');
  },
}));

each(TARGETS, (target) => ({
  behaviour: "the function's transfer-encoding is dropped: the answer is framed by the gateway's Content-Length alone",
  source:
    'no AWS page found: the gateway frames its own answer; RFC 9112 §6.3 (Transfer-Encoding with Content-Length is an error)',
  run: async () => {
    const got = await answer(target, { statusCode: 200, headers: { 'Transfer-Encoding': 'chunked' }, body: 'ok' });
    expect({ status: got.status, text: got.text }).toEqual({ status: 200, text: 'ok' });
    expect(got.headers.get('transfer-encoding')).toBeNull();
    expect(got.headers.get('content-length')).toBe('2');
  },
}));

each(['HTTP API', 'function URL'], (target) => ({
  behaviour: "the function's hop-by-hop headers (connection, keep-alive, upgrade, trailer) do not reach the caller",
  source: 'no AWS page found: RFC 9110 §7.6.1 (hop-by-hop fields end at the hop: the gateway)',
  run: async () => {
    const got = await answer(target, {
      statusCode: 200,
      headers: { connection: 'close', 'keep-alive': 'timeout=1', upgrade: 'h2c', trailer: 'x-late', 'x-kept': 'yes' },
      body: 'ok',
    });
    expect({ status: got.status, text: got.text }).toEqual({ status: 200, text: 'ok' });
    expect(got.headers.get('connection')).not.toBe('close');
    expect([got.headers.get('keep-alive'), got.headers.get('upgrade'), got.headers.get('trailer')]).toEqual([
      null,
      null,
      null,
    ]);
    expect(got.headers.get('x-kept')).toBe('yes');
  },
}));

// ——— Status codes ———

for (const statusCode of [100, 101, 103, 199, 600, 99, '150'] as const)
  each(TARGETS, (target) => ({
    behaviour: `statusCode ${JSON.stringify(statusCode)} is a malformed result → ${MALFORMED[target].status}`,
    source: MALFORMED_SOURCE[target],
    run: async () => expectMalformed(target, await answer(target, { statusCode, body: 'ok' })),
  }));

for (const statusCode of [200, 599] as const)
  each(TARGETS, (target) => ({
    behaviour: `statusCode ${statusCode} is answered as given`,
    source: MALFORMED_SOURCE[target],
    run: async () => {
      const got = await answer(target, { statusCode, body: 'ok' });
      expect({ status: got.status, text: got.text }).toEqual({ status: statusCode, text: 'ok' });
    },
  }));

// ——— Headers that cannot go on the wire ———

const BAD_HEADERS: [string, unknown][] = [
  ['a header value with a line feed', { 'x-bad': 'a\nb' }],
  ['a header value with CR LF and a header after it', { 'x-bad': 'a\r\nSet-Cookie: injected=1' }],
  ['a header name with a space', { 'x bad': 'v' }],
  ['an empty header name', { '': 'v' }],
  ['a header value past Latin-1', { 'x-bad': '日本' }],
  ['headers a string', 'abc'],
  ['headers an array', ['a', 'b']],
];
for (const [what, headers] of BAD_HEADERS)
  each(TARGETS, (target) => ({
    behaviour: `${what} is a malformed result → ${MALFORMED[target].status}`,
    source: MALFORMED_SOURCE[target],
    run: async () => {
      const got = await answer(target, { statusCode: 200, headers, body: 'ok' });
      expectMalformed(target, got);
      expect(got.headers.get('set-cookie')).toBeNull();
    },
  }));

each(['HTTP API', 'function URL'], (target) => ({
  behaviour: `a cookie with a line feed is a malformed result → ${MALFORMED[target].status}`,
  source: MALFORMED_SOURCE[target],
  run: async () => expectMalformed(target, await answer(target, { statusCode: 200, cookies: ['a=b\nc=d'] })),
}));

for (const [what, multiValueHeaders] of [
  ['multiValueHeaders with a line feed in a value', { 'x-bad': ['ok', 'a\nb'] }],
  ['multiValueHeaders a string', 'abc'],
] as const)
  each(['REST API'], (target) => ({
    behaviour: `${what} is a malformed result → 502`,
    source: MALFORMED_SOURCE[target],
    run: async () => expectMalformed(target, await answer(target, { statusCode: 200, multiValueHeaders, body: 'ok' })),
  }));

describe('malformed and mis-framed Lambda answers, as each target gives them', () => {
  it.each(rows.map((row) => [row.target, row.behaviour, row.source, row] as const))(
    '%s: %s (%s)',
    async (_t, _b, _s, row) => {
      await row.run();
    },
  );

  it.each(TARGETS)(
    '%s: the record of a failed function or an unreadable answer says which, for stderr',
    async (target) => {
      // Act: a body the function cannot answer with (it throws), then a result of no known shape
      records.length = 0;
      await fetch(urls[target], { method: 'POST' });
      await answer(target, { statusCode: 1000 });

      // Assess
      const failures = records.filter((record) => !record.allowed);
      expect(failures.map((record) => decisionLine(record).split(' ')[0])).toEqual(['FAIL', 'FAIL']);
      const reasons = failures.map((record) => record.reason);
      expect(reasons).toEqual([
        expect.stringMatching(/^the function failed: TypeError: no body to answer with \(answered 50[02]/),
        expect.stringMatching(/^the function's answer is not one the front door can map .* \(answered 50[02]/),
      ]);
    },
  );

  it('no answer went down the 500 InternalFailure path', () => {
    expect(stderr.filter((line) => line.includes('local stack: unexpected'))).toEqual([]);
  });
});
