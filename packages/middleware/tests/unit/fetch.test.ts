import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createIamClient,
  IamClientConfigError,
  type IamClientOptions,
  IamNetworkError,
  IamTimeoutError,
  MAX_STREAMED_BODY_BYTES,
} from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';
import {
  type Loopback,
  type ReceivedRequest,
  type Responder,
  startLoopback,
  verifyReceived,
} from '../helpers/loopback.js';

const fast: IamClientOptions = { credentials: testCredentials, region: 'eu-west-1', retryBaseDelayMs: 5 };

/** A stream of `chunks` byte arrays of `size` bytes each, recording whether it was cancelled. */
function byteStream(chunks: number, size: number): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let sent = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === chunks) return controller.close();
      controller.enqueue(new Uint8Array(size).fill(sent % 256));
      sent++;
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

describe('client.fetch sends every body as fetch would, signed', () => {
  let server: Loopback;
  const client = createIamClient(fast);

  beforeAll(async () => {
    server = await startLoopback();
  });
  afterAll(() => server.close());

  const last = (): ReceivedRequest => {
    const received = server.received.at(-1);
    if (!received) throw new Error('the server received nothing');
    return received;
  };

  // Each body is made twice: once for the global fetch, once for ours (streams are read once).
  it.each<[string, () => RequestInit['body']]>([
    ['a string', () => 'héllo wörld'],
    ['a Uint8Array', () => new Uint8Array([0, 1, 2, 254, 255])],
    ['an ArrayBuffer', () => new Uint8Array([9, 8, 7]).buffer],
    ['a DataView on part of a buffer', () => new DataView(new Uint8Array([1, 2, 3, 4, 5]).buffer, 1, 3)],
    ['a Buffer', () => Buffer.from('buffered')],
    ['a typed Blob', () => new Blob(['a,b\n1,2\n'], { type: 'text/csv' })],
    ['an untyped Blob', () => new Blob([new Uint8Array([7, 7])])],
    ['URLSearchParams', () => new URLSearchParams({ q: 'a b', ключ: 'значение', plus: '+' })],
    ['a ReadableStream', () => byteStream(3, 1_000).stream],
  ])('%s: the same bytes and Content-Type as the global fetch, and a valid signature', async (_label, body) => {
    // Prepare: what the platform's own fetch sends, unsigned.
    await fetch(`${server.origin}/prod/plain`, { method: 'POST', body: body(), duplex: 'half' } as RequestInit);
    const plain = last();

    // Act
    const response = await client.fetch(`${server.origin}/prod/signed`, { method: 'POST', body: body() });

    // Assess
    expect(response.status).toBe(200);
    const signed = last();
    expect(signed.headers['content-type']).toBe(plain.headers['content-type']);
    expect([...signed.body]).toEqual([...plain.body]);
    expect(verifyReceived(signed, testCredentials)).toMatchObject({ valid: true, service: 'execute-api' });
  });

  it('FormData: multipart as fetch encodes it, the boundary in the signed Content-Type', async () => {
    // Prepare
    const form = new FormData();
    form.append('name', 'héllo');
    form.append('file', new Blob(['file content'], { type: 'text/plain' }), 'a.txt');

    // Act
    await client.fetch(`${server.origin}/prod/form`, { method: 'POST', body: form });

    // Assess
    const received = last();
    const contentType = String(received.headers['content-type']);
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(verifyReceived(received, testCredentials).signedHeaders).toContain('content-type');
    expect(verifyReceived(received, testCredentials).valid).toBe(true);
    const parsed = await new Response(received.body, { headers: { 'content-type': contentType } }).formData();
    expect(parsed.get('name')).toBe('héllo');
    expect(await (parsed.get('file') as Blob).text()).toBe('file content');
  });

  it("a caller's Content-Type wins over the body's", async () => {
    // Act
    await client.fetch(`${server.origin}/prod/json`, {
      method: 'PUT',
      body: JSON.stringify({ a: 1 }),
      headers: { 'Content-Type': 'application/json' },
    });

    // Assess
    expect(last().headers['content-type']).toBe('application/json');
    expect(verifyReceived(last(), testCredentials).valid).toBe(true);
  });

  it('a Request input: its method, headers, body and query, the body read once', async () => {
    // Prepare
    const request = new Request(`${server.origin}/prod/req?b=2&a=1`, {
      method: 'PATCH',
      headers: { 'x-trace': 'abc', 'content-type': 'application/json' },
      body: '{"patched":true}',
    });

    // Act
    await client.fetch(request);

    // Assess
    const received = last();
    expect(received).toMatchObject({ method: 'PATCH', target: '/prod/req?b=2&a=1' });
    expect(received.headers['x-trace']).toBe('abc');
    expect(received.body.toString()).toBe('{"patched":true}');
    expect(request.bodyUsed).toBe(true);
    expect(verifyReceived(received, testCredentials).valid).toBe(true);
  });

  it('init wins over a Request (method, headers, body), as new Request(input, init) does', async () => {
    // Prepare
    const request = new Request(`${server.origin}/prod/req`, { method: 'POST', headers: { 'x-a': '1' }, body: 'old' });

    // Act
    await client.fetch(request, { method: 'PUT', headers: [['x-b', '2']], body: 'new' });

    // Assess
    const received = last();
    expect(received.method).toBe('PUT');
    expect(received.headers['x-a']).toBeUndefined();
    expect(received.headers['x-b']).toBe('2');
    expect(received.body.toString()).toBe('new');
    expect(verifyReceived(received, testCredentials).valid).toBe(true);
  });

  it('a URL object and a GET without init', async () => {
    // Act
    const response = await client.fetch(new URL(`${server.origin}/prod/ünï code?x=a b`));

    // Assess
    expect(await response.json()).toEqual({ ok: true });
    expect(last()).toMatchObject({ method: 'GET', target: '/prod/%C3%BCn%C3%AF%20code?x=a%20b' });
    expect(verifyReceived(last(), testCredentials).valid).toBe(true);
  });

  it(`a stream past ${MAX_STREAMED_BODY_BYTES} bytes: an IamClientConfigError naming the limit, the stream cancelled, nothing sent`, async () => {
    // Prepare
    const { stream, cancelled } = byteStream(20, 1024 * 1024);
    const before = server.received.length;

    // Act
    const call = client.fetch(`${server.origin}/prod/big`, { method: 'POST', body: stream });

    // Assess
    await expect(call).rejects.toThrow(IamClientConfigError);
    await expect(call).rejects.toThrow(
      `\`init.body\` is over ${MAX_STREAMED_BODY_BYTES} bytes (10 MiB, API Gateway's payload limit).`,
    );
    expect(cancelled()).toBe(true);
    expect(server.received.length).toBe(before);
  });

  it.each<[string, () => Promise<Response>, RegExp]>([
    [
      'a relative URL',
      () => client.fetch('/prod/items'),
      /`input` must be an absolute http\(s\) URL, got "\/prod\/items"/,
    ],
    ['a number', () => client.fetch(42 as never), /`input` must be a URL string, a URL or a Request, got number/],
    ['an ftp URL', () => client.fetch('ftp://example.com/'), /must use https: or http:/],
    ['init that is a string', () => client.fetch('https://example.com/', 'POST' as never), /`init` must be an object/],
    [
      'a plain object body',
      () => client.fetch('https://example.com/', { method: 'POST', body: { a: 1 } as never }),
      /`init.body` must be a string, an ArrayBuffer .* got Object/,
    ],
    [
      'a stream of strings',
      () =>
        client.fetch('https://example.com/', {
          method: 'POST',
          body: new ReadableStream({
            start(controller) {
              controller.enqueue('text');
              controller.close();
            },
          }) as never,
        }),
      /`init.body` gave a string chunk; a body stream must give Uint8Arrays/,
    ],
    [
      'a bad header pair',
      () => client.fetch('https://example.com/', { headers: [['x-a']] as never }),
      /pairs must each/,
    ],
    [
      'a Host header',
      () => client.fetch('https://example.com/', { headers: { Host: 'other.example.com' } }),
      /Header "Host" is set by the client or the transport; leave it out \(to sign for another host, pass `signingHost`\)/,
    ],
    [
      'a GET with a body',
      () => client.fetch('https://example.com/', { body: 'x' }),
      /A GET request cannot have a body/,
    ],
  ])('%s: an IamClientConfigError naming the input', async (_label, call, message) => {
    // Act
    const result = call();

    // Assess
    await expect(result).rejects.toThrow(IamClientConfigError);
    await expect(result).rejects.toThrow(message);
  });

  it('a Request whose body was read: an IamClientConfigError, not an empty body', async () => {
    // Prepare
    const request = new Request(`${server.origin}/prod/`, { method: 'POST', body: 'once' });
    await request.text();

    // Act & Assess
    await expect(client.fetch(request)).rejects.toThrow("The Request's body was already read");
  });

  it('never echoes a header value in its error', async () => {
    // Act
    const call = client.fetch('https://example.com/', { headers: { authorization: 'Bearer topsecret' } });

    // Assess
    await expect(call).rejects.toThrow(IamClientConfigError);
    await expect(call).rejects.not.toThrow(/topsecret/);
  });
});

describe('client.fetch keeps the client guarantees', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
    server = undefined;
  });

  /** Answers `statuses` in turn, then 200. */
  const answers =
    (statuses: number[]): Responder =>
    (_request, response, index) => {
      response
        .writeHead(statuses[index] ?? 200, { 'content-type': 'application/json' })
        .end(`{"attempt":${index + 1}}`);
    };

  it('retries a GET on 503, re-signing each attempt with a fresh X-Amz-Date', async () => {
    // Prepare: the clock moves a minute per answer, so a reused signature would show.
    vi.useFakeTimers({ toFake: ['Date'] });
    const reply = answers([503, 503]);
    server = await startLoopback((request, response, index) => {
      vi.setSystemTime(Date.now() + 60_000);
      reply(request, response, index);
    });
    const client = createIamClient(fast);

    // Act
    const response = await client.fetch(`${server.origin}/prod/`);

    // Assess
    expect(await response.json()).toEqual({ attempt: 3 });
    expect(server.received).toHaveLength(3);
    for (const received of server.received) expect(verifyReceived(received, testCredentials).valid).toBe(true);
    expect(new Set(server.received.map((r) => r.headers['x-amz-date'])).size).toBe(3);
  });

  it("a Request's body is read once and sent whole on every attempt", async () => {
    // Prepare
    server = await startLoopback(answers([502, 502]));
    const client = createIamClient(fast);
    const request = new Request(`${server.origin}/prod/`, {
      method: 'PUT',
      body: byteStream(4, 10).stream,
      duplex: 'half',
    } as RequestInit);

    // Act
    const response = await client.fetch(request);

    // Assess
    expect(response.status).toBe(200);
    expect(server.received.map((r) => r.body.length)).toEqual([40, 40, 40]);
    for (const received of server.received) expect(verifyReceived(received, testCredentials).valid).toBe(true);
  });

  it('a POST is not retried; a fetcher({ idempotent: true }) POST is', async () => {
    // Prepare
    server = await startLoopback(answers([503, 503]));
    const client = createIamClient(fast);

    // Act
    const once = await client.fetch(`${server.origin}/prod/`, { method: 'POST', body: '{}' });
    const optedIn = await client.fetcher({ idempotent: true })(`${server.origin}/prod/`, {
      method: 'POST',
      body: '{}',
    });

    // Assess
    expect(once.status).toBe(503);
    expect(optedIn.status).toBe(200);
    expect(server.received).toHaveLength(3);
  });

  it('a non-2xx answer is a Response, body intact, not a throw', async () => {
    // Prepare
    server = await startLoopback((_request, response) => {
      response
        .writeHead(403, { 'x-amzn-errortype': 'AccessDeniedException', 'content-type': 'application/json' })
        .end('{"Message":"User: arn:aws:sts::111111111111:assumed-role/r/s is not authorized"}');
    });
    const client = createIamClient(fast);

    // Act
    const response = await client.fetch(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(await response.json()).toEqual({ Message: expect.stringContaining('is not authorized') });
  });

  it('throws IamTimeoutError after timeoutMs; a fetcher sets its own budget', async () => {
    // Prepare
    server = await startLoopback(() => undefined);
    const client = createIamClient({ ...fast, timeoutMs: 60_000 });

    // Act
    const call = client.fetcher({ timeoutMs: 150 })(`${server.origin}/prod/slow`);

    // Assess
    await expect(call).rejects.toThrow(IamTimeoutError);
    await expect(call).rejects.toMatchObject({ timeoutMs: 150 });
  });

  it("rethrows init.signal's reason, and aborts with a Request's own signal (what ky passes)", async () => {
    // Prepare
    server = await startLoopback(() => undefined);
    const client = createIamClient(fast);
    const viaInit = new AbortController();
    const viaRequest = new AbortController();
    const reason = new Error('caller gave up');

    // Act
    const first = client.fetch(`${server.origin}/prod/slow`, { signal: viaInit.signal });
    const second = client.fetch(new Request(`${server.origin}/prod/slow`, { signal: viaRequest.signal }));
    setTimeout(() => {
      viaInit.abort(reason);
      viaRequest.abort(reason);
    }, 50);

    // Assess
    await expect(first).rejects.toBe(reason);
    await expect(second).rejects.toBe(reason);
  });

  it('corrects clock skew from the server Date, as request() does', async () => {
    // Prepare: a gateway ten minutes ahead, rejecting the first signature as expired.
    server = await startLoopback((_request, response, index) => {
      const date = new Date(Date.now() + 10 * 60_000).toUTCString();
      if (index === 0) {
        return response
          .writeHead(403, { 'x-amzn-errortype': 'InvalidSignatureException', date })
          .end(
            '{"message":"Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z (20260101T001000Z - 5 min.)"}',
          );
      }
      response.writeHead(200, { date }).end('{}');
    });
    const client = createIamClient(fast);

    // Act
    const response = await client.fetch(`${server.origin}/prod/`, { method: 'POST', body: 'x' });

    // Assess
    expect(response.status).toBe(200);
    expect(server.received).toHaveLength(2);
    expect(Math.abs(client.clockOffsetMs - 10 * 60_000)).toBeLessThan(2_000);
  });

  it('throws IamNetworkError after the attempts when the server is gone', async () => {
    // Prepare
    const closed = await startLoopback();
    await closed.close();
    const client = createIamClient(fast);

    // Act
    const call = client.fetch(`${closed.origin}/prod/`);

    // Assess
    await expect(call).rejects.toThrow(IamNetworkError);
    await expect(call).rejects.toMatchObject({ attempts: 3 });
  });

  it('sends through the `fetch` option, with redirect: manual, once per attempt', async () => {
    // Prepare
    server = await startLoopback(answers([503]));
    const seen: RequestInit[] = [];
    const client = createIamClient({
      ...fast,
      fetch: (input, init) => {
        seen.push(init ?? {});
        return fetch(input, init);
      },
    });

    // Act
    const response = await client.fetch(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(200);
    expect(seen).toHaveLength(2);
    expect(seen.map((init) => init.redirect)).toEqual(['manual', 'manual']);
  });

  it('an unknown `fetch` option is refused when the client is made', () => {
    expect(() => createIamClient({ ...fast, fetch: 'undici' as never })).toThrow(
      '`fetch` must be a fetch function, got string.',
    );
  });
});

describe('fetcher(): per-call scope', () => {
  let server: Loopback;
  const client = createIamClient(fast);

  beforeAll(async () => {
    server = await startLoopback();
  });
  afterAll(() => server.close());

  it('signingHost: signs for the API host while connecting elsewhere; scope read from that host', async () => {
    // Prepare: a CloudFront-like front that forwards to the API with the API's Host.
    const apiHost = 'abc123.execute-api.us-west-2.amazonaws.com';
    const viaFront = client.fetcher({ signingHost: apiHost });

    // Act
    const response = await viaFront(`${server.origin}/prod/items?x=1`, { method: 'POST', body: '{"a":1}' });

    // Assess
    expect(response.status).toBe(200);
    const received = server.received.at(-1) as ReceivedRequest;
    expect(received.headers.host).toBe(new URL(server.origin).host);
    const asForwarded = { ...received, headers: { ...received.headers, host: apiHost } };
    expect(verifyReceived(asForwarded, testCredentials)).toMatchObject({
      valid: true,
      service: 'execute-api',
      region: 'us-west-2',
    });
    expect(verifyReceived(received, testCredentials).valid).toBe(false);
  });

  it('region and service: win over the URL, for this fetcher only', async () => {
    // Act
    await client.fetcher({ service: 'lambda', region: 'ap-southeast-2' })(
      `${server.origin}/2015-03-31/functions/f/invocations`,
      {
        method: 'POST',
        body: '{}',
      },
    );
    const lambdaCall = server.received.at(-1) as ReceivedRequest;
    await client.fetch(`${server.origin}/prod/`);

    // Assess
    expect(verifyReceived(lambdaCall, testCredentials)).toMatchObject({
      valid: true,
      service: 'lambda',
      region: 'ap-southeast-2',
    });
    expect(verifyReceived(server.received.at(-1) as ReceivedRequest, testCredentials)).toMatchObject({
      service: 'execute-api',
      region: 'eu-west-1',
    });
  });

  it.each([
    [{ signingHost: 'https://abc.example.com/' }, /`signingHost` must be a host name with an optional port/],
    [{ region: 'EU West' }, /`region` must be lower-case letters, digits and dashes like eu-west-1, got "EU West"/],
    [{ service: '' }, /`service` must be lower-case letters/],
    [{ timeoutMs: -5 }, /`timeoutMs` must be a finite number ≥ 0, got -5/],
    [{ maxAttempts: 11 }, /`maxAttempts` must be a whole number from 1 to 10, got 11/],
  ])('%j is refused when the fetcher is made', (options, message) => {
    expect(() => client.fetcher(options)).toThrow(IamClientConfigError);
    expect(() => client.fetcher(options)).toThrow(message);
  });
});
