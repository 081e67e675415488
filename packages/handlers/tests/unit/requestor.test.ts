import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../src/requestor.js';
import { lambdaContext } from '../helpers/events.js';

const credentials = {
  accessKeyId: 'ASIAREQUESTOREXAMPLE',
  secretAccessKey: 'requestorSecretKeyEXAMPLEEXAMPLEEXAMPLE1',
  sessionToken: 'requestorSessionTokenEXAMPLE',
};

interface Seen {
  method: string;
  target: string;
  authorization: string | undefined;
  body: string;
}

// A stand-in for API Gateway with AWS_IAM (AWS itself cannot run here): it answers as API
// Gateway does to an unsigned call, and echoes signed ones. The signature's correctness is the
// middleware's tests' business; here we check the handler signs with its role's key.
const seen: Seen[] = [];
const api = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    const authorization = req.headers.authorization;
    seen.push({ method: req.method ?? '', target: req.url ?? '', authorization, body });
    if (!authorization) {
      res
        .writeHead(403, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'MissingAuthenticationTokenException',
        })
        .end('{"message":"Missing Authentication Token"}');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(
        JSON.stringify({ hello: 'world', method: req.method, target: req.url, body: body ? JSON.parse(body) : null }),
      );
  });
});
let origin: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));
beforeEach(() => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
  vi.stubEnv('AWS_SESSION_TOKEN', credentials.sessionToken);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  seen.length = 0;
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('requestor', () => {
  it('returns the seed output: denied without a signature, answered with one', async () => {
    // Prepare
    vi.stubEnv('IAM_API', `${origin}/prod/`);

    // Act
    const result = await handler(undefined, lambdaContext(30_000, 'requestor'));

    // Assess
    expect(result).toEqual({
      without: { message: 'Missing Authentication Token' },
      with: { hello: 'world', method: 'GET', target: '/prod/', body: null },
      functionUrl: { message: 'IAM_FUNCTION_URL is not set' },
      httpApi: { message: 'IAM_HTTP_API is not set' },
    });
    expect(seen.map((s) => s.authorization === undefined)).toEqual([true, false]);
    expect(seen[1]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAREQUESTOREXAMPLE\/\d{8}\/us-east-1\/execute-api\//,
    );
  });

  it('calls the route, method and body the event names', async () => {
    // Prepare: a stage URL without its trailing slash still works.
    vi.stubEnv('IAM_API', `${origin}/prod`);

    // Act
    const result = await handler(
      { path: '/echo/a b', method: 'post', body: { n: 1 } },
      lambdaContext(30_000, 'requestor'),
    );

    // Assess
    expect(result.with).toEqual({ hello: 'world', method: 'POST', target: '/prod/echo/a%20b', body: { n: 1 } });
    expect(seen[0]).toMatchObject({ method: 'POST', body: '{"n":1}', authorization: undefined });
  });

  it('reports an unreachable API as a message instead of failing', async () => {
    // Prepare
    vi.stubEnv('IAM_API', 'http://127.0.0.1:1/prod/');

    // Act
    const result = await handler({}, lambdaContext(5_000, 'requestor'));

    // Assess
    expect(result.without).toEqual({ message: expect.any(String) });
    expect(result.with).toEqual({
      message: expect.stringMatching(/GET http:\/\/127.0.0.1:1\/prod\/ failed after 3 attempt/),
    });
  });

  it.each([
    [undefined, /IAM_API is not set/],
    ['not a url', /IAM_API must be an http\(s\) URL, got "not a url"/],
    ['ftp://example.com/prod/', /IAM_API must be an http\(s\) URL, got "ftp:\/\/example.com\/prod\/"/],
  ])('IAM_API=%s fails with an error naming the variable', async (value, message) => {
    // Prepare
    vi.stubEnv('IAM_API', value as string);

    // Act & Assess
    await expect(handler({}, lambdaContext(30_000, 'requestor'))).rejects.toThrow(message);
    expect(seen).toHaveLength(0);
  });
});

// A stand-in for STS (AWS itself cannot run here): AssumeRole answers fixed credentials.
const assumed: string[] = [];
const sts = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    const params = new URLSearchParams(body);
    assumed.push(params.get('RoleArn') ?? '');
    res
      .writeHead(200, { 'content-type': 'text/xml' })
      .end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIACALLERROLEEXAMPLE</AccessKeyId><SecretAccessKey>callerRoleSecretKeyEXAMPLEEXAMPLEEXAMPLE</SecretAccessKey><SessionToken>callerRoleSessionToken</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/caller/s</Arn><AssumedRoleId>AROACALLER:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
  });
});
let stsUrl: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
  stsUrl = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => sts.close(() => resolve())));

const keyIdOf = (authorization: string | undefined) => /Credential=([^/]+)\//.exec(authorization ?? '')?.[1];
const serviceOf = (authorization: string | undefined) =>
  /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(authorization ?? '')?.[1];

describe('requestor: the function URL and the HTTP API besides the REST API', () => {
  beforeEach(() => {
    assumed.length = 0;
  });

  it('calls all three targets, signed, and keeps the seed keys first', async () => {
    // Prepare
    vi.stubEnv('IAM_API', `${origin}/prod/`);
    vi.stubEnv('IAM_FUNCTION_URL', `${origin}/function-url/`);
    vi.stubEnv('IAM_HTTP_API', `${origin}/http-api`);

    // Act
    const result = await handler(undefined, lambdaContext(30_000, 'requestor'));

    // Assess
    expect(Object.keys(result)).toEqual(['without', 'with', 'functionUrl', 'httpApi']);
    expect(result.functionUrl).toEqual({ hello: 'world', method: 'GET', target: '/function-url/', body: null });
    expect(result.httpApi).toEqual({ hello: 'world', method: 'GET', target: '/http-api/', body: null });
    expect(seen.map((s) => [s.target, keyIdOf(s.authorization), serviceOf(s.authorization)])).toEqual([
      ['/prod/', undefined, undefined],
      ['/prod/', credentials.accessKeyId, 'execute-api'],
      // Function URLs sign for `lambda`, whatever the host name says.
      ['/function-url/', credentials.accessKeyId, 'lambda'],
      ['/http-api/', credentials.accessKeyId, 'execute-api'],
    ]);
    expect(assumed).toEqual([]);
  });

  it('sends the route, method and body of the event to every target', async () => {
    // Prepare
    vi.stubEnv('IAM_API', `${origin}/prod/`);
    vi.stubEnv('IAM_FUNCTION_URL', `${origin}/`);
    vi.stubEnv('IAM_HTTP_API', `${origin}/`);

    // Act
    const result = await handler(
      { path: '/echo/ü?a=1&a=2', method: 'post', body: { greeting: 'héllo 👋' } },
      lambdaContext(30_000, 'requestor'),
    );

    // Assess
    const echoed = { hello: 'world', method: 'POST', target: '/echo/%C3%BC?a=1&a=2', body: { greeting: 'héllo 👋' } };
    expect(result.functionUrl).toEqual(echoed);
    expect(result.httpApi).toEqual(echoed);
    expect(seen.slice(2).map((s) => s.body)).toEqual(['{"greeting":"héllo 👋"}', '{"greeting":"héllo 👋"}']);
  });

  it('IAM_HTTP_API_ROLE: the HTTP API call is signed as the assumed role, assumed once per container', async () => {
    // Prepare
    const roleArn = 'arn:aws:iam::222222222222:role/IamM2mApi-HttpApiCallerRole';
    vi.stubEnv('IAM_API', `${origin}/prod/`);
    vi.stubEnv('IAM_FUNCTION_URL', `${origin}/function-url/`);
    vi.stubEnv('IAM_HTTP_API', `${origin}/http-api/`);
    vi.stubEnv('IAM_HTTP_API_ROLE', roleArn);
    vi.stubEnv('AWS_ENDPOINT_URL_STS', stsUrl);

    // Act
    const first = await handler(undefined, lambdaContext(30_000, 'requestor'));
    const second = await handler(undefined, lambdaContext(30_000, 'requestor'));

    // Assess
    expect(first.httpApi).toEqual({ hello: 'world', method: 'GET', target: '/http-api/', body: null });
    expect(second.httpApi).toEqual(first.httpApi);
    const httpApiCalls = seen.filter((s) => s.target === '/http-api/');
    expect(httpApiCalls.map((s) => keyIdOf(s.authorization))).toEqual([
      'ASIACALLERROLEEXAMPLE',
      'ASIACALLERROLEEXAMPLE',
    ]);
    // The other targets keep the function's own role.
    expect(
      seen.filter((s) => s.target !== '/http-api/' && s.authorization).map((s) => keyIdOf(s.authorization)),
    ).toEqual(Array(4).fill(credentials.accessKeyId));
    expect(assumed).toEqual([roleArn]);
  });

  it.each([
    [{ IAM_HTTP_API_ROLE: 'not-an-arn' }, 'httpApi', /`assumeRole.roleArn` must be an IAM role ARN/],
    [{ IAM_FUNCTION_URL: 'nope' }, 'functionUrl', /^IAM_FUNCTION_URL must be an http\(s\) URL, got "nope"$/],
    [{ IAM_HTTP_API: 'ftp://example.com/' }, 'httpApi', /^IAM_HTTP_API must be an http\(s\) URL/],
  ] as const)('%j: that target answers a message naming it; the others still run', async (env, key, message) => {
    // Prepare
    vi.stubEnv('IAM_API', `${origin}/prod/`);
    vi.stubEnv('IAM_FUNCTION_URL', `${origin}/function-url/`);
    vi.stubEnv('IAM_HTTP_API', `${origin}/http-api/`);
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);

    // Act
    const result = await handler(undefined, lambdaContext(30_000, 'requestor'));

    // Assess
    expect(result[key]).toEqual({ message: expect.stringMatching(message) });
    expect(result.with).toMatchObject({ hello: 'world' });
  });
});
