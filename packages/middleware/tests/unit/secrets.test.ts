import { inspect } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIamClient, IamRequestError } from '../../src/index.js';
import { secretsOf, testCredentials } from '../helpers/credentials.js';
import { type Loopback, type Responder, startLoopback } from '../helpers/loopback.js';

/** Every failure the client can meet, one after another. */
const scenarios: Responder = (request, response, index) => {
  switch (request.target.split('?')[0]) {
    case '/prod/flaky':
      return index % 2 === 0 ? response.writeHead(503).end() : response.writeHead(200).end('{}');
    case '/prod/denied':
      return response
        .writeHead(403, { 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-requestid': 'r-1' })
        .end('{"Message":"User: arn:aws:sts::111111111111:assumed-role/r/s is not authorized"}');
    case '/prod/reset':
      return response.socket?.destroy();
    default:
      return response.writeHead(200).end('{"ok":true}');
  }
};

describe('secrets never reach a log line or an error', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close();
  });

  it('across successes, retries, denials, resets, timeouts and bad input', async () => {
    // Prepare: a real Powertools Logger at DEBUG, its output captured.
    server = await startLoopback(scenarios);
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const logger = new Logger({ serviceName: 'requestor', logLevel: 'DEBUG' });
    const client = createIamClient({ credentials: testCredentials, region: 'us-east-1', retryBaseDelayMs: 1, logger });
    const base = server.origin;
    const errors: unknown[] = [];
    const attempt = async (call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (error) {
        errors.push(error);
      }
    };

    // Act
    await attempt(() => client.json({ url: `${base}/prod/ok` }));
    await attempt(() => client.json({ url: `${base}/prod/flaky` }));
    await attempt(() => client.json({ url: `${base}/prod/denied` }));
    await attempt(() => client.get(`${base}/prod/reset`));
    await attempt(() => client.get(`${base}/prod/reset`, { timeoutMs: 0 }));
    await attempt(() => client.get(`${base}/prod/ok`, { headers: { 'x-token': `${testCredentials.sessionToken}\n` } }));
    await attempt(() => client.get(`${base}/prod/ok`, { headers: { authorization: testCredentials.secretAccessKey } }));
    vi.restoreAllMocks();

    // Assess: the scenarios did produce log lines and errors to look into.
    // ok 1 + flaky 2 + denied 1 + reset 3 attempts
    expect(lines.filter((line) => line.includes('iam-m2m request')).length).toBeGreaterThanOrEqual(7);
    expect(errors.map((error) => (error as Error).name)).toEqual([
      'IamRequestError',
      'IamNetworkError',
      'IamTimeoutError',
      'IamClientConfigError',
      'IamClientConfigError',
    ]);
    const signatures = server.received.map(
      (r) => /Signature=([0-9a-f]{64})/.exec(String(r.headers.authorization))?.[1],
    );
    const forbidden = [...secretsOf(testCredentials), ...signatures.filter(Boolean), 'AWS4-HMAC-SHA256', 'Signature='];
    const everything = [
      ...lines,
      ...errors.flatMap((error) => [
        String(error),
        (error as Error).stack,
        inspect(error, { depth: 5 }),
        JSON.stringify(error),
      ]),
    ].join('\n');
    for (const secret of forbidden) expect(everything).not.toContain(secret);
  });

  it('the same across fetch(), fetcher(), sign() and a plugged-in signer', async () => {
    // Prepare: a real Powertools Logger at DEBUG, its output captured.
    server = await startLoopback(scenarios);
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const logger = new Logger({ serviceName: 'requestor', logLevel: 'DEBUG' });
    const client = createIamClient({ credentials: testCredentials, region: 'us-east-1', retryBaseDelayMs: 1, logger });
    const viaSigner = createIamClient({ signer: client, retryBaseDelayMs: 1, logger });
    const base = server.origin;
    const errors: unknown[] = [];
    const attempt = async (call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (error) {
        errors.push(error);
      }
    };

    // Act
    await attempt(() => client.fetch(`${base}/prod/ok`));
    await attempt(() => client.fetch(`${base}/prod/flaky`));
    await attempt(() => client.fetch(new Request(`${base}/prod/denied`)));
    await attempt(() => client.fetch(`${base}/prod/reset`));
    await attempt(() => client.fetcher({ timeoutMs: 0 })(`${base}/prod/reset`));
    await attempt(() => viaSigner.fetch(`${base}/prod/flaky`));
    await attempt(() => viaSigner.fetch(`${base}/prod/reset`));
    await attempt(() =>
      client.fetch(`${base}/prod/ok`, { headers: { 'x-token': `${testCredentials.sessionToken}\n` } }),
    );
    await attempt(() =>
      client.fetch(`${base}/prod/ok`, { headers: { authorization: testCredentials.secretAccessKey } }),
    );
    await attempt(() =>
      client.sign(`${base}/prod/ok`, { headers: [['x-amz-security-token', testCredentials.sessionToken]] }),
    );
    await attempt(() => client.sign(`${base}/prod/ok`, {}, { signingHost: testCredentials.secretAccessKey }));
    vi.restoreAllMocks();

    // Assess: the scenarios did produce log lines and errors to look into.
    // (Not an exact count: the zero-budget call may end before its attempt is logged, as timers fall.)
    const logged = lines.filter((line) => line.includes('iam-m2m request')).map((line) => JSON.parse(line));
    expect(logged.length).toBeGreaterThanOrEqual(10);
    expect(new Set(logged.map((line) => line.attempt))).toEqual(new Set([1, 2, 3]));
    expect(errors.map((error) => (error as Error).name)).toEqual([
      'IamNetworkError',
      'IamTimeoutError',
      'IamNetworkError',
      'IamClientConfigError',
      'IamClientConfigError',
      'IamClientConfigError',
      'IamClientConfigError',
    ]);
    const signatures = server.received.map(
      (r) => /Signature=([0-9a-f]{64})/.exec(String(r.headers.authorization))?.[1],
    );
    const forbidden = [...secretsOf(testCredentials), ...signatures.filter(Boolean), 'AWS4-HMAC-SHA256', 'Signature='];
    const everything = [
      ...lines,
      ...errors.flatMap((error) => [
        String(error),
        (error as Error).stack,
        inspect(error, { depth: 5 }),
        JSON.stringify(error),
      ]),
    ].join('\n');
    const leaked = forbidden.filter((secret) => secret !== undefined && everything.includes(secret));
    expect(leaked.length).toBe(0);
  });

  it("redacts the session token API Gateway echoes in a wrong signature's canonical request (https://github.com/mhart/aws4/issues/110)", async () => {
    // Prepare: the answer API Gateway gives, built from what this client sent.
    server = await startLoopback((request, response) => {
      const token = String(request.headers['x-amz-security-token']);
      const message = `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'GET\n/prod/\nX-Amz-Security-Token=${encodeURIComponent(token)}\nhost:${request.headers.host}\nx-amz-date:${request.headers['x-amz-date']}\nx-amz-security-token:${token}\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/execute-api/aws4_request\n${'0'.repeat(64)}'\n`;
      response
        .writeHead(403, { 'x-amzn-errortype': 'InvalidSignatureException', 'content-type': 'application/json' })
        .end(JSON.stringify({ message }));
    });
    const client = createIamClient({ credentials: testCredentials, region: 'us-east-1', maxAttempts: 1 });

    // Act
    const error = await client.json({ url: `${server.origin}/prod/` }).then(
      () => undefined,
      (caught: unknown) => caught,
    );

    // Assess: the message stays AWS's, the token is gone (booleans only: a failure prints no token).
    expect(error).toBeInstanceOf(IamRequestError);
    const { serviceMessage } = error as IamRequestError;
    expect(serviceMessage?.includes('\nx-amz-security-token:<redacted>\n')).toBe(true);
    expect(serviceMessage?.includes('\nX-Amz-Security-Token=<redacted>\n')).toBe(true);
    expect(serviceMessage?.startsWith('The request signature we calculated does not match')).toBe(true);
    const everything = [
      String(error),
      (error as Error).stack,
      inspect(error, { depth: 5 }),
      JSON.stringify(error),
    ].join('\n');
    const leaked = [testCredentials.sessionToken, encodeURIComponent(testCredentials.sessionToken)].filter((secret) =>
      everything.includes(secret),
    );
    expect(leaked.length).toBe(0);
  });

  it('logs one debug line per attempt with method, host, path, status, attempt and ms', async () => {
    // Prepare
    server = await startLoopback(scenarios);
    const debug = vi.fn();
    const client = createIamClient({
      credentials: testCredentials,
      region: 'us-east-1',
      retryBaseDelayMs: 1,
      logger: { debug },
    });

    // Act
    await client.get(`${server.origin}/prod/flaky?q=1`);

    // Assess
    expect(debug).toHaveBeenCalledTimes(2);
    expect(debug.mock.calls.map(([, attributes]) => attributes)).toEqual([
      expect.objectContaining({
        method: 'GET',
        host: new URL(server.origin).host,
        path: '/prod/flaky',
        status: 503,
        attempt: 1,
      }),
      expect.objectContaining({ method: 'GET', path: '/prod/flaky', status: 200, attempt: 2, ms: expect.any(Number) }),
    ]);
  });
});
