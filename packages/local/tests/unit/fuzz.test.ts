import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { clientFor, fcSeed, startStack } from '../helpers/stack.js';

let stack: LocalStack;
let state: LocalState;
let port: number;

beforeAll(async () => {
  ({ stack, state } = await startStack(inject('oneAccount')));
  port = Number(new URL(state.lambdaEndpoint).port);
});
afterAll(() => stack.close());

interface Raw {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Sends the bytes as they are; a closed connection counts as an answer. */
function send(raw: Raw): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: raw.method, path: raw.path, headers: raw.headers },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: res.headers['x-amzn-errortype'] as string | undefined, body }),
        );
      },
    );
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(raw.body);
  });
}

const amzDate = fc.oneof(
  fc
    .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString().replace(/[-:]|\.\d{3}/g, '')),
  fc.string({ maxLength: 20 }),
);
const authorization = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .record({
      key: fc.oneof(fc.constant('ASIAUNKNOWNKEY'), fc.string({ maxLength: 20 })),
      date: fc.stringMatching(/^\d{8}$/),
      region: fc.constantFrom('us-east-1', 'eu-west-1', ''),
      service: fc.constantFrom('execute-api', 'lambda', 's3'),
      signed: fc.constantFrom('host', 'host;x-amz-date', 'x-amz-date', '', 'host;;x'),
      signature: fc.stringMatching(/^[0-9a-f]{0,70}$/),
    })
    .map(
      (a) =>
        `AWS4-HMAC-SHA256 Credential=${a.key}/${a.date}/${a.region}/${a.service}/aws4_request, SignedHeaders=${a.signed}, Signature=${a.signature}`,
    ),
);
const path = fc.oneof(
  fc.constantFrom(
    '/prod/',
    '/prod',
    '/prod/echo/x',
    '/dev/',
    '/',
    '/prod/%zz',
    '/prod/../x',
    '/prod/%E0%A4%A',
    '/2015-03-31/functions/x/invocations',
  ),
  fc.webPath().map((p) => `/prod${p}`),
  fc.string({ maxLength: 30 }).map((s) => `/prod/${encodeURIComponent(s)}?${encodeURIComponent(s)}=%`),
);
const rawRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  path,
  headers: fc.record(
    {
      authorization,
      'x-amz-date': amzDate,
      'x-amz-security-token': fc.string({ maxLength: 50 }),
      // Up to 20 KB: past Node's 16 KB header limit the answer is 431 and the connection closes.
      'x-pad': fc.nat({ max: 20_000 }).map((size) => 'a'.repeat(size)),
      'x-amz-content-sha256': fc.oneof(
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.constant('UNSIGNED-PAYLOAD'),
        fc.string({ maxLength: 10 }),
      ),
    },
    { requiredKeys: [] },
  ),
  body: fc.string({ maxLength: 200 }),
});

describe('fuzzing the gateway over raw HTTP (fast-check)', () => {
  it('always a 4xx AWS-shaped answer or a closed connection, never a 5xx, and the good request still works', async () => {
    const printable = (headers: Record<string, string>) =>
      Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace(/[^\t\x20-\x7e]/g, '?')]));
    await fc.assert(
      fc.asyncProperty(rawRequest, async (raw) => {
        const answer = await send({
          ...raw,
          headers: printable(raw.headers),
          body: raw.method === 'GET' || raw.method === 'HEAD' ? '' : raw.body,
        });
        if (answer.status === 0) return; // closed connection
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        if (raw.method === 'HEAD') return;
        if (answer.status === 431) {
          // API Gateway's front end: plain text, no error type.
          expect(answer.body).toBe('HTTP header is larger than 10240 bytes.');
        } else {
          expect(answer.type).toMatch(/Exception$/);
          expect(JSON.parse(answer.body)).toEqual({ message: expect.any(String) });
        }
      }),
      { numRuns: 400, seed: fcSeed },
    );
    expect((await clientFor(state, 'requestor').get(state.apis[0]?.url ?? '')).status).toBe(200);
  });
});
