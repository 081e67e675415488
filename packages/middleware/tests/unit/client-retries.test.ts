import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createIamClient,
  type IamClientOptions,
  IamNetworkError,
  IamRequestError,
  IamTimeoutError,
} from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';
import { type Loopback, type Responder, startLoopback, verifyReceived } from '../helpers/loopback.js';

const fast: IamClientOptions = { credentials: testCredentials, region: 'us-east-1', retryBaseDelayMs: 5 };

/** Answers `statuses` in turn, then 200. */
const answers =
  (statuses: number[], headers: Record<string, string> = {}): Responder =>
  (_request, response, index) => {
    const status = statuses[index] ?? 200;
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(`{"attempt":${index + 1}}`);
  };

describe('retries', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each([429, 502, 503, 504])(
    'retries a GET on %i, re-signing each attempt with a fresh X-Amz-Date',
    async (status) => {
      // Prepare: the clock moves a minute per answer (timers stay real), so a reused signature would show.
      vi.useFakeTimers({ toFake: ['Date'] });
      const reply = answers([status, status]);
      server = await startLoopback((request, response, index) => {
        vi.setSystemTime(Date.now() + 60_000);
        reply(request, response, index);
      });
      const client = createIamClient(fast);

      // Act
      const response = await client.get(`${server.origin}/prod/`);
      vi.useRealTimers();

      // Assess
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ attempt: 3 });
      expect(server.received).toHaveLength(3);
      for (const received of server.received) expect(verifyReceived(received, testCredentials).valid).toBe(true);
      const dates = server.received.map((r) => String(r.headers['x-amz-date']));
      expect(new Set(dates).size).toBe(3);
      expect([...dates].sort()).toEqual(dates);
    },
  );

  it('gives up after maxAttempts and returns the last answer', async () => {
    // Prepare
    server = await startLoopback(answers([503, 503, 503, 503]));
    const client = createIamClient({ ...fast, maxAttempts: 2 });

    // Act
    const response = await client.get(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(503);
    expect(server.received).toHaveLength(2);
  });

  it.each([500, 400, 403, 404])('does not retry %i', async (status) => {
    // Prepare
    server = await startLoopback(answers([status]));
    const client = createIamClient(fast);

    // Act
    const response = await client.get(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(status);
    expect(server.received).toHaveLength(1);
  });

  it.each(['POST', 'PATCH'])('never retries a %s unless told it is idempotent', async (method) => {
    // Prepare
    server = await startLoopback(answers([503, 503]));
    const client = createIamClient(fast);

    // Act
    const once = await client.request({ method, url: `${server.origin}/prod/`, json: { n: 1 } });
    const optedIn = await client.request({ method, url: `${server.origin}/prod/`, json: { n: 1 }, idempotent: true });

    // Assess
    expect(once.status).toBe(503);
    expect(optedIn.status).toBe(200);
    expect(server.received).toHaveLength(3);
  });

  it.each(['PUT', 'DELETE', 'HEAD', 'OPTIONS'])('retries the idempotent %s', async (method) => {
    // Prepare
    server = await startLoopback(answers([502]));
    const client = createIamClient(fast);

    // Act
    const response = await client.request({ method, url: `${server.origin}/prod/` });

    // Assess
    expect(response.status).toBe(200);
    expect(server.received).toHaveLength(2);
  });

  it('honours Retry-After', async () => {
    // Prepare
    server = await startLoopback(answers([429], { 'retry-after': '1' }));
    const client = createIamClient(fast);
    const started = Date.now();

    // Act
    const response = await client.get(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('does not wait for a Retry-After longer than its budget: returns the 429 at once', async () => {
    // Prepare
    server = await startLoopback(answers([429], { 'retry-after': '3600' }));
    const client = createIamClient(fast);

    // Act
    const response = await client.get(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(429);
    expect(server.received).toHaveLength(1);
  });

  it('retries a GET on a connection reset, counting attempts', async () => {
    // Prepare: the first two connections are destroyed before any answer.
    server = await startLoopback((_request, response, index) => {
      if (index < 2) response.socket?.destroy();
      else response.writeHead(200).end('{}');
    });
    const client = createIamClient(fast);

    // Act
    const response = await client.get(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(200);
    expect(server.received).toHaveLength(3);
  });

  it('throws IamNetworkError with the attempt count when the server stays unreachable', async () => {
    // Prepare: a port that was just closed refuses connections.
    const closed = await startLoopback();
    await closed.close();
    const client = createIamClient(fast);

    // Act
    const call = client.get(`${closed.origin}/prod/`);

    // Assess
    await expect(call).rejects.toThrow(IamNetworkError);
    await expect(call).rejects.toMatchObject({ attempts: 3, message: expect.stringContaining('ECONNREFUSED') });
  });

  it('does not retry a POST on a connection reset', async () => {
    // Prepare
    server = await startLoopback((_request, response) => response.socket?.destroy());
    const client = createIamClient(fast);

    // Act
    const call = client.post(`${server.origin}/prod/`, { json: {} });

    // Assess
    await expect(call).rejects.toMatchObject({ name: 'IamNetworkError', attempts: 1 });
    expect(server.received).toHaveLength(1);
  });
});

describe('timeouts and cancellation', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const never: Responder = () => {
    // Never answers: the client must give up by itself.
  };

  it('throws IamTimeoutError after timeoutMs', async () => {
    // Prepare
    server = await startLoopback(never);
    const client = createIamClient({ ...fast, timeoutMs: 200 });
    const started = Date.now();

    // Act
    const call = client.get(`${server.origin}/prod/slow`);

    // Assess
    await expect(call).rejects.toThrow(IamTimeoutError);
    await expect(call).rejects.toThrow(/did not complete within 200 ms \(timeoutMs\)/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a per-request timeoutMs overrides the client default', async () => {
    // Prepare
    server = await startLoopback(never);
    const client = createIamClient({ ...fast, timeoutMs: 60_000 });

    // Act
    const call = client.get(`${server.origin}/prod/slow`, { timeoutMs: 100 });

    // Assess
    await expect(call).rejects.toMatchObject({ name: 'IamTimeoutError', timeoutMs: 100 });
  });

  it('the timeout covers the retries and their backoff', async () => {
    // Prepare
    server = await startLoopback(answers([503, 503, 503, 503, 503]));
    const client = createIamClient({ ...fast, retryBaseDelayMs: 1_000, maxAttempts: 5, timeoutMs: 300 });

    // Act
    const call = client.get(`${server.origin}/prod/`);

    // Assess
    await expect(call).rejects.toThrow(IamTimeoutError);
    expect(server.received.length).toBeLessThan(5);
  });

  it("rethrows the caller's abort reason", async () => {
    // Prepare
    server = await startLoopback(never);
    const client = createIamClient(fast);
    const controller = new AbortController();
    const reason = new Error('caller gave up');

    // Act
    const call = client.get(`${server.origin}/prod/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);

    // Assess
    await expect(call).rejects.toBe(reason);
  });
});

describe('json()', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('throws IamRequestError with status, AWS error type, message and request id on non-2xx', async () => {
    // Prepare: API Gateway's answer to a caller its policies do not allow.
    server = await startLoopback((_request, response) => {
      response
        .writeHead(403, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/',
          'x-amzn-requestid': 'req-123',
        })
        .end(
          '{"Message":"User: arn:aws:sts::111111111111:assumed-role/r/s is not authorized to perform: execute-api:Invoke"}',
        );
    });
    const client = createIamClient(fast);

    // Act
    const call = client.json({ url: `${server.origin}/prod/?secret=not-in-error` });

    // Assess
    await expect(call).rejects.toThrow(IamRequestError);
    await expect(call).rejects.toMatchObject({
      status: 403,
      errorType: 'AccessDeniedException',
      serviceMessage: expect.stringContaining('is not authorized to perform: execute-api:Invoke'),
      requestId: 'req-123',
      url: `${server.origin}/prod/`,
    });
    await expect(call).rejects.not.toThrow(/not-in-error/);
  });

  it('throws a clear error when a 2xx answer is not JSON', async () => {
    // Prepare
    server = await startLoopback((_request, response) => response.writeHead(200).end('<html>'));
    const client = createIamClient(fast);

    // Act
    const call = client.json({ url: `${server.origin}/prod/` });

    // Assess
    await expect(call).rejects.toThrow(`The answer of GET ${server.origin}/prod/ is not JSON.`);
  });

  it('returns undefined for an empty 2xx answer', async () => {
    // Prepare
    server = await startLoopback((_request, response) => response.writeHead(204).end());
    const client = createIamClient(fast);

    // Act & Assess
    expect(await client.json({ method: 'DELETE', url: `${server.origin}/prod/1` })).toBeUndefined();
  });
});
