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
