import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NodeCryptoSha256, RequestSigner, type SignableRequest, type SigningScope } from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';

const scope: SigningScope = { service: 'execute-api', region: 'eu-west-1', unsignedPayload: false };
const body = new TextEncoder().encode('{"item":"book"}');
const request: SignableRequest = {
  method: 'POST',
  protocol: 'https:',
  hostname: 'abc123.execute-api.eu-west-1.amazonaws.com',
  path: '/prod/items',
  query: { page: '2' },
  headers: { 'content-type': 'application/json' },
  body,
};
/** `x-amz-date` as SigV4 writes it, from the date itself. */
const amzDate = (date: Date) => `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
/** What a signer with nothing cached signs for the same request and date. */
const freshSignature = async (date: Date, credentials = testCredentials) =>
  (await new RequestSigner({ credentials: async () => credentials }).sign(request, scope, date)).authorization;

describe('RequestSigner caches: dates once per second, signing keys per day, body hashed once', () => {
  it('formats the date once per second and anew when the real clock crosses a second', async () => {
    // Prepare
    const signer = new RequestSigner({ credentials: async () => testCredentials });
    const first = new Date();
    const before = await signer.sign(request, scope, first);

    // Act: let the real clock move into the next second, then sign at both times again.
    while (Math.floor(Date.now() / 1000) === Math.floor(first.getTime() / 1000)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const second = new Date();
    const after = await signer.sign(request, scope, second);
    const backAgain = await signer.sign(request, scope, first);

    // Assess
    expect(before['x-amz-date']).toBe(amzDate(first));
    expect(after['x-amz-date']).toBe(amzDate(second));
    expect(after['x-amz-date']).not.toBe(before['x-amz-date']);
    expect(backAgain['x-amz-date']).toBe(amzDate(first));
    expect(after.authorization).toBe(await freshSignature(second));
    expect(backAgain.authorization).toBe(await freshSignature(first));
  });

  it('derives a new signing key across midnight, and for rotated credentials', async () => {
    // Prepare
    const rotated = { ...testCredentials, secretAccessKey: `${testCredentials.secretAccessKey}2` };
    let current = testCredentials;
    const signer = new RequestSigner({ credentials: async () => current });
    const lastMs = new Date('2026-11-24T23:59:59.999Z');
    const midnight = new Date('2026-11-25T00:00:00.000Z');

    // Act
    const day1 = await signer.sign(request, scope, lastMs);
    const day2 = await signer.sign(request, scope, midnight);
    current = rotated;
    const afterRotation = await signer.sign(request, scope, midnight);

    // Assess
    expect(day1.authorization).toContain('/20261124/eu-west-1/execute-api/aws4_request');
    expect(day2.authorization).toContain('/20261125/eu-west-1/execute-api/aws4_request');
    expect(day1.authorization).toBe(await freshSignature(lastMs));
    expect(day2.authorization).toBe(await freshSignature(midnight));
    expect(afterRotation.authorization).toBe(await freshSignature(midnight, rotated));
    expect(afterRotation.authorization).not.toBe(day2.authorization);
  });

  it('copies the headers and hashes the body once; every attempt signs the prepared request', async () => {
    // Prepare
    const signer = new RequestSigner({ credentials: async () => testCredentials });
    const prepared = signer.prepare(request, scope);
    const date = new Date();

    // Act
    const first = await signer.signPrepared(prepared, date);
    const second = await signer.signPrepared(prepared, date);

    // Assess: the body's hash is in the prepared headers; signing adds to copies, never to them.
    expect(prepared.request.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(Object.keys(prepared.request.headers).sort()).toEqual(['content-type', 'host', 'x-amz-content-sha256']);
    expect(request.headers).toEqual({ 'content-type': 'application/json' });
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    expect(first.authorization).toBe(await freshSignature(date));
  });
});

describe('NodeCryptoSha256 keeps one KeyObject per HMAC key', () => {
  const hmac = async (key: Uint8Array, data: string) => {
    const hash = new NodeCryptoSha256(key);
    hash.update(new TextEncoder().encode(data));
    return Buffer.from(await hash.digest()).toString('hex');
  };
  const expected = (key: Uint8Array, data: string) => createHmac('sha256', key).update(data).digest('hex');

  it('signs with the bytes a reused key buffer holds now, not the ones it held when first used', async () => {
    // Prepare
    const key = Buffer.from('first-key-bytes!');
    const first = await hmac(key, 'string to sign');

    // Act: the same buffer, new bytes.
    key.write('other-key-bytes!');
    const second = await hmac(key, 'string to sign');

    // Assess
    expect(first).toBe(expected(Buffer.from('first-key-bytes!'), 'string to sign'));
    expect(second).toBe(expected(Buffer.from('other-key-bytes!'), 'string to sign'));
    expect(await hmac(key, 'again')).toBe(expected(key, 'again'));
  });
});
