import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamClient, IamClientConfigError } from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';
import { type Loopback, startLoopback, verifyReceived } from '../helpers/loopback.js';

describe('what the server receives is what was signed', () => {
  let server: Loopback;
  const client = createIamClient({ credentials: testCredentials, region: 'eu-west-1' });

  beforeAll(async () => {
    server = await startLoopback();
  });
  afterAll(() => server.close());

  const last = () => {
    const received = server.received.at(-1);
    if (!received) throw new Error('the server received nothing');
    return received;
  };

  it.each([
    ['/prod/', '/prod/'],
    ['/prod/with space/x', '/prod/with%20space/x'],
    ['/prod/ünïcødé/日本', '/prod/%C3%BCn%C3%AFc%C3%B8d%C3%A9/%E6%97%A5%E6%9C%AC'],
    ['/prod/a%2Fb/c', '/prod/a%2Fb/c'],
    ['/prod/a+b/c*d', '/prod/a%2Bb/c%2Ad'],
    ["/prod/(it's)!~", '/prod/%28it%27s%29%21~'],
    ['/prod/already%20encoded', '/prod/already%20encoded'],
  ])('path %s is sent as %s and verifies', async (path, wirePath) => {
    // Act
    const response = await client.get(`${server.origin}${path}`);

    // Assess
    expect(response.status).toBe(200);
    expect(last().target).toBe(wirePath);
    expect(verifyReceived(last(), testCredentials)).toMatchObject({
      valid: true,
      service: 'execute-api',
      region: 'eu-west-1',
    });
  });

  it('keeps repeated, unicode and odd query keys, from the URL and from `query`', async () => {
    // Act
    await client.get(`${server.origin}/prod/q?b=2&a=1&a=0&plus=a+b&empty&sp=a%20b`, {
      query: { ключ: 'значение', a: ['x y', 3], star: '*', skip: undefined, flag: true },
    });

    // Assess
    const received = last();
    expect(verifyReceived(received, testCredentials).valid).toBe(true);
    const params = new URL(received.target, server.origin).searchParams;
    expect(params.getAll('a')).toEqual(['1', '0', 'x y', '3']);
    expect(params.get('plus')).toBe('a+b'); // a literal plus, not a space
    expect(params.get('empty')).toBe('');
    expect(params.get('ключ')).toBe('значение');
    expect(params.get('star')).toBe('*');
    expect(params.get('flag')).toBe('true');
    expect(params.has('skip')).toBe(false);
  });

  it('sends a unicode JSON body with its byte length and hash', async () => {
    // Prepare
    const payload = { greeting: 'héllo wörld 👋', list: ['日本', 'ß'] };

    // Act
    await client.post(`${server.origin}/prod/echo`, { json: payload });

    // Assess
    const received = last();
    expect(received.method).toBe('POST');
    expect(Number(received.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(payload)));
    expect(received.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received.body.toString('utf8'))).toEqual(payload);
    expect(verifyReceived(received, testCredentials)).toMatchObject({ valid: true });
    expect(verifyReceived(received, testCredentials).signedHeaders).toEqual(
      expect.arrayContaining(['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']),
    );
  });

  it('signs the host with its port, the session token and custom headers (repeated ones folded)', async () => {
    // Act
    await client.put(`${server.origin}/prod/item`, {
      body: new Uint8Array([0, 1, 2, 255]),
      headers: { 'X-Custom': '  spaced   value ', 'X-Multi': ['a', 'b'] },
    });

    // Assess
    const received = last();
    expect(received.headers.host).toBe(new URL(server.origin).host);
    expect(received.headers['x-amz-security-token']).toBe(testCredentials.sessionToken);
    expect(received.headers['x-multi']).toBe('a,b');
    expect([...received.body]).toEqual([0, 1, 2, 255]);
    const verification = verifyReceived(received, testCredentials);
    expect(verification.valid).toBe(true);
    expect(verification.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-custom', 'x-multi']));
  });

  it('a byte changed after signing no longer verifies (the check can fail)', async () => {
    // Act
    await client.post(`${server.origin}/prod/echo`, { body: 'original' });
    const tampered = { ...last(), body: Buffer.from('0riginal') };
    const movedPath = { ...last(), target: '/prod/other' };

    // Assess
    expect(verifyReceived(last(), testCredentials).valid).toBe(true);
    expect(verifyReceived(tampered, testCredentials)).toMatchObject({ valid: false });
    expect(verifyReceived(movedPath, testCredentials)).toMatchObject({ valid: false, reason: 'signature mismatch' });
  });

  it('signs UNSIGNED-PAYLOAD when asked (VPC Lattice style)', async () => {
    // Prepare
    const lattice = createIamClient({
      credentials: testCredentials,
      region: 'us-west-2',
      service: 'vpc-lattice-svcs',
      unsignedPayload: true,
    });

    // Act
    await lattice.post(`${server.origin}/orders`, { json: { id: 1 } });

    // Assess
    const received = last();
    expect(received.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(verifyReceived(received, testCredentials)).toMatchObject({
      valid: true,
      service: 'vpc-lattice-svcs',
      region: 'us-west-2',
    });
  });

  it.each([
    // API Gateway answers a signature mismatch (https://github.com/apache/opendal-reqsign/issues/346).
    ['execute-api', undefined, '/prod/orders'],
    // "Lambda doesn't support unsigned payloads."
    // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html)
    ['lambda', 'lambda', '/2015-03-31/functions/f/invocations'],
  ])('refuses unsignedPayload for %s before sending anything', async (service, option, path) => {
    // Prepare
    const unsigned = createIamClient({
      credentials: testCredentials,
      region: 'us-west-2',
      service: option,
      unsignedPayload: true,
    });
    const before = server.received.length;

    // Act
    const call = unsigned.post(`${server.origin}${path}`, { json: { id: 1 } });

    // Assess
    await expect(call).rejects.toThrow(IamClientConfigError);
    await expect(call).rejects.toThrow(`\`unsignedPayload: true\` cannot sign for ${service} (${server.origin})`);
    expect(server.received.length).toBe(before);
  });

  it('signs with static credentials that have no session token', async () => {
    // Prepare
    const { sessionToken: _, ...longTerm } = testCredentials;
    const plain = createIamClient({ credentials: longTerm, region: 'eu-west-1' });

    // Act
    await plain.delete(`${server.origin}/prod/item/1`);

    // Assess
    expect(last().headers['x-amz-security-token']).toBeUndefined();
    expect(verifyReceived(last(), longTerm).valid).toBe(true);
  });

  it('does not follow redirects (the session token must not go to another host)', async () => {
    // Prepare
    const redirecting = await startLoopback((_request, response) => {
      response.writeHead(302, { location: `${server.origin}/elsewhere` }).end();
    });
    const before = server.received.length;

    // Act
    const response = await client.get(`${redirecting.origin}/prod/`);
    await redirecting.close();

    // Assess
    expect(response.status).toBe(302);
    expect(server.received.length).toBe(before);
  });

  it('json() parses the answer', async () => {
    // Act
    const body = await client.json<{ ok: boolean }>({ url: `${server.origin}/prod/` });

    // Assess
    expect(body).toEqual({ ok: true });
  });

  it.each([
    [{ url: 'ftp://example.com/' }, /must use https: or http:/],
    [{ url: 'not a url' }, /`url` must be an absolute http\(s\) URL/],
    [{ url: 'https://user:pw@example.com/' }, /must not hold user info/],
    [{ url: 'https://example.com/%zz' }, /path of https:\/\/example.com\/%zz has invalid percent-encoding/],
    [{ url: 'https://example.com/?a=%E0%A4%A' }, /query of https:\/\/example.com\/ has invalid percent-encoding/],
    [{ url: 'https://example.com/', method: 'GE T' }, /`method` must be an HTTP method/],
    [{ url: 'https://example.com/', body: 'x', json: {} }, /either `body` or `json`/],
    [{ url: 'https://example.com/', method: 'GET', body: 'x' }, /A GET request cannot have a body/],
    [{ url: 'https://example.com/', headers: { Authorization: 'x' } }, /Header "Authorization" is set by the client/],
    [{ url: 'https://example.com/', headers: { 'bad name': 'x' } }, /Header name "bad name" is not a valid HTTP token/],
    [{ url: 'https://example.com/', headers: { 'x-a': 'evil\r\nx-b: 1' } }, /Header "x-a" has a CR, LF or NUL/],
    [{ url: 'https://example.com/', timeoutMs: -1 }, /`timeoutMs` must be a finite number ≥ 0, got -1/],
    [{ url: 'https://example.com/', maxAttempts: 0 }, /`maxAttempts` must be a whole number from 1 to 10, got 0/],
    // The signer leaves X-Amz-Signature (any case) out of what it signs; AWS reads these as a presigned request's.
    [
      { url: 'https://example.com/?x-amz-signature=abc' },
      /Query parameter "x-amz-signature" is reserved for presigned requests/,
    ],
    [
      { url: 'https://example.com/', query: { 'X-Amz-Credential': 'a' } },
      /Query parameter "X-Amz-Credential" is reserved/,
    ],
  ])('rejects bad input %j with a clear IamClientConfigError', async (options, message) => {
    // Act
    const call = client.request(options as never);

    // Assess
    await expect(call).rejects.toThrow(IamClientConfigError);
    await expect(call).rejects.toThrow(message);
  });

  it('never echoes a header value in its error (it may be a secret)', async () => {
    // Act
    const call = client.get('https://example.com/', { headers: { 'x-api-key': 'topsecret\nvalue' } });

    // Assess
    await expect(call).rejects.toThrow(IamClientConfigError);
    await expect(call).rejects.not.toThrow(/topsecret/);
  });
});
