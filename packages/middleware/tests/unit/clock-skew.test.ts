import { afterEach, describe, expect, it } from 'vitest';
import { createIamClient } from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';
import { type Loopback, type Responder, startLoopback, verifyReceived } from '../helpers/loopback.js';

const FIVE_MINUTES = 5 * 60_000;
const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '');
const parseAmzDate = (value: string) =>
  Date.parse(value.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

/** A server whose clock is `offsetMs` off, rejecting stale or early signatures as API Gateway does. */
const skewedGateway =
  (offsetMs: number): Responder =>
  (request, response) => {
    const now = Date.now() + offsetMs;
    const signed = String(request.headers['x-amz-date'] ?? '');
    const at = parseAmzDate(signed);
    const date = new Date(now).toUTCString();
    const reject = (message: string) =>
      response
        .writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidSignatureException', date })
        .end(JSON.stringify({ message }));
    if (at < now - FIVE_MINUTES) {
      return reject(
        `Signature expired: ${signed} is now earlier than ${amzDate(now - FIVE_MINUTES)} (${amzDate(now)} - 5 min.)`,
      );
    }
    if (at > now + FIVE_MINUTES) {
      return reject(
        `Signature not yet current: ${signed} is still later than ${amzDate(now + FIVE_MINUTES)} (${amzDate(now)} + 5 min.)`,
      );
    }
    const valid = verifyReceived(request, testCredentials).valid;
    response.writeHead(valid ? 200 : 403, { date }).end(JSON.stringify({ valid }));
  };

describe('clock skew correction', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each([
    ['10 minutes ahead', 10 * 60_000],
    ['10 minutes behind', -10 * 60_000],
  ])('re-signs once against a server whose clock is %s, and keeps the offset', async (_label, offsetMs) => {
    // Prepare
    server = await startLoopback(skewedGateway(offsetMs));
    const client = createIamClient({ credentials: testCredentials, region: 'us-east-1' });

    // Act
    const first = await client.get(`${server.origin}/prod/`);
    const second = await client.post(`${server.origin}/prod/`, { json: { n: 2 } });

    // Assess
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ valid: true });
    expect(second.status).toBe(200);
    expect(server.received).toHaveLength(3); // one rejection, then every call signed right the first time
    // HTTP dates have a one-second resolution.
    expect(Math.abs(client.clockOffsetMs - offsetMs)).toBeLessThan(2_000);
  });

  it('corrects a POST too: a skew rejection happens before any processing', async () => {
    // Prepare
    server = await startLoopback(skewedGateway(10 * 60_000));
    const client = createIamClient({ credentials: testCredentials, region: 'us-east-1' });

    // Act
    const response = await client.post(`${server.origin}/prod/`, { json: { once: true } });

    // Assess
    expect(response.status).toBe(200);
    expect(server.received).toHaveLength(2);
  });

  it('returns other InvalidSignatureException answers as they are, body intact, without re-sending', async () => {
    // Prepare
    const message = 'The request signature we calculated does not match the signature you provided.';
    server = await startLoopback((_request, response) => {
      response
        .writeHead(403, { 'x-amzn-errortype': 'InvalidSignatureException', date: new Date().toUTCString() })
        .end(JSON.stringify({ message }));
    });
    const client = createIamClient({ credentials: testCredentials, region: 'us-east-1' });

    // Act
    const response = await client.get(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(await response.json()).toEqual({ message });
    expect(server.received).toHaveLength(1);
    expect(client.clockOffsetMs).toBe(0);
  });

  it('re-signs only once: a server that keeps saying "expired" gets two requests', async () => {
    // Prepare: a server that is a day ahead and always too far for any correction to fix.
    server = await startLoopback((request, response, index) =>
      skewedGateway(index === 0 ? 10 * 60_000 : 24 * 3_600_000)(request, response, index),
    );
    const client = createIamClient({ credentials: testCredentials, region: 'us-east-1' });

    // Act
    const response = await client.get(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(403);
    expect(server.received).toHaveLength(2);
  });
});
