import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamClient, IamClientConfigError } from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';
import { type Loopback, type ReceivedRequest, startLoopback, verifyReceived } from '../helpers/loopback.js';

/** Sends with node:http, as axios and got do: every header as given, `host` included. */
function sendWithHttp(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Uint8Array,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('client.sign(): a signed Request, nothing sent', () => {
  let server: Loopback;
  const client = createIamClient({ credentials: testCredentials, region: 'eu-west-1' });

  beforeAll(async () => {
    server = await startLoopback();
  });
  afterAll(() => server.close());

  const last = (): ReceivedRequest => server.received.at(-1) as ReceivedRequest;

  it('signs without sending; the Request, sent by the global fetch, verifies', async () => {
    // Prepare
    const before = server.received.length;

    // Act
    const signed = await client.sign(`${server.origin}/prod/items/a b?z=1&a=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'c-1' },
      body: JSON.stringify({ item: 'book' }),
    });
    const sentBefore = server.received.length;
    const response = await fetch(signed);

    // Assess: booleans only, so a failure prints no signature.
    expect(sentBefore).toBe(before);
    expect(signed.method).toBe('POST');
    expect(signed.url).toBe(`${server.origin}/prod/items/a%20b?z=1&a=2`);
    expect(signed.redirect).toBe('manual');
    const names = [...signed.headers.keys()];
    expect(names).toEqual(
      expect.arrayContaining(['authorization', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']),
    );
    expect(response.status).toBe(200);
    expect(last().body.toString()).toBe('{"item":"book"}');
    expect(verifyReceived(last(), testCredentials)).toMatchObject({ valid: true, region: 'eu-west-1' });
  });

  it('headers for axios or got: node:http with the signed headers and the same body bytes verifies', async () => {
    // Prepare
    const body = new URLSearchParams({ q: 'ünï', page: '2' });
    const signed = await client.sign(`${server.origin}/prod/search`, { method: 'PUT', body });

    // Act
    const status = await sendWithHttp(
      signed.url,
      signed.method,
      Object.fromEntries(signed.headers),
      new Uint8Array(await signed.arrayBuffer()),
    );

    // Assess
    expect(status).toBe(200);
    expect(last().headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(last().body.toString()).toBe(body.toString());
    expect(verifyReceived(last(), testCredentials).valid).toBe(true);
  });

  it('signingHost, region and service: signed for that host, which an http client can send as Host', async () => {
    // Prepare: a private API's host, reached through another address (an endpoint, a tunnel).
    const apiHost = 'abc123.execute-api.us-east-2.amazonaws.com';

    // Act
    const signed = await client.sign(`${server.origin}/prod/`, undefined, { signingHost: apiHost });
    const status = await sendWithHttp(signed.url, 'GET', Object.fromEntries(signed.headers));
    const lambda = await client.sign(
      `${server.origin}/2015-03-31/functions/f/invocations`,
      { method: 'POST', body: '{}' },
      {
        service: 'lambda',
        region: 'ca-central-1',
      },
    );
    await fetch(lambda);

    // Assess
    expect(signed.headers.get('host')).toBe(apiHost);
    expect(status).toBe(200);
    expect(server.received.at(-2)?.headers.host).toBe(apiHost);
    expect(verifyReceived(server.received.at(-2) as ReceivedRequest, testCredentials)).toMatchObject({
      valid: true,
      service: 'execute-api',
      region: 'us-east-2',
    });
    expect(verifyReceived(last(), testCredentials)).toMatchObject({
      valid: true,
      service: 'lambda',
      region: 'ca-central-1',
    });
  });

  it('signs a Request input, keeping its signal', async () => {
    // Prepare
    const controller = new AbortController();
    const input = new Request(`${server.origin}/prod/req`, { method: 'DELETE', signal: controller.signal });

    // Act
    const signed = await client.sign(input);
    controller.abort();

    // Assess
    expect(signed.method).toBe('DELETE');
    expect(signed.signal.aborted).toBe(true);
  });

  it.each<[string, () => Promise<Request>, RegExp]>([
    ['a relative URL', () => client.sign('/prod/'), /`input` must be an absolute http\(s\) URL/],
    [
      'an authorization header',
      () => client.sign('https://example.com/', { headers: { authorization: 'x' } }),
      /Header "authorization" is set by the client/,
    ],
    [
      'a malformed signingHost',
      () => client.sign('https://example.com/', {}, { signingHost: 'a/b' }),
      /`signingHost` must be a host name/,
    ],
  ])('%s: an IamClientConfigError', async (_label, call, message) => {
    // Act
    const result = call();

    // Assess
    await expect(result).rejects.toThrow(IamClientConfigError);
    await expect(result).rejects.toThrow(message);
  });
});
