import middy from '@middy/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { IamClient, IamTimeoutError, iamClient } from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';
import { lambdaContext } from '../helpers/lambda-context.js';
import { type Loopback, startLoopback, verifyReceived } from '../helpers/loopback.js';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback((request, response) => {
    if (request.target.startsWith('/prod/slow')) return; // never answers
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}');
  });
});
afterAll(() => server.close());
afterEach(() => vi.unstubAllEnvs());

const lambdaEnvironment = () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', testCredentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', testCredentials.secretAccessKey);
  vi.stubEnv('AWS_SESSION_TOKEN', testCredentials.sessionToken);
  vi.stubEnv('AWS_REGION', 'eu-central-1');
};

describe('iamClient() Middy middleware', () => {
  it('puts one signing client on context.iamClient and request.internal, the same across invocations', async () => {
    // Prepare
    lambdaEnvironment();
    const seen: { context: IamClient; internal: unknown }[] = [];
    const handler = middy()
      .use(iamClient())
      .after((request) => {
        seen.push({ context: request.context.iamClient, internal: request.internal.iamClient });
      })
      .handler(async (_event: unknown, context) => context.iamClient.json({ url: `${server.origin}/prod/` }));

    // Act
    const first = await handler({}, lambdaContext());
    const second = await handler({}, lambdaContext());

    // Assess
    expect(first).toEqual({ hello: 'world' });
    expect(second).toEqual({ hello: 'world' });
    expect(seen).toHaveLength(2);
    expect(seen[0]?.context).toBeInstanceOf(IamClient);
    expect(seen[0]?.internal).toBe(seen[0]?.context);
    expect(seen[1]?.context).toBe(seen[0]?.context);
    expect(verifyReceived(server.received.at(-1) as never, testCredentials)).toMatchObject({
      valid: true,
      region: 'eu-central-1',
    });
  });

  it('`before` returns nothing, so it never ends the request early', () => {
    // Prepare
    const middleware = iamClient({ credentials: testCredentials, region: 'us-east-1' });
    const request = { event: {}, context: lambdaContext(), response: undefined, error: undefined, internal: {} };

    // Act
    const returned = middleware.before?.(request as never);

    // Assess
    expect(returned).toBeUndefined();
    expect(middleware.name).toBe('iamClient');
    expect((request.context as { iamClient?: unknown }).iamClient).toBeInstanceOf(IamClient);
  });

  it("stops a call before the Lambda's deadline, whatever timeoutMs says", async () => {
    // Prepare: 2 s left and a 1 s margin → about 1 s for the call, a second of slack for a busy CI.
    const handler = middy()
      .use(iamClient({ credentials: testCredentials, region: 'us-east-1', timeoutMs: 60_000, deadlineMarginMs: 1_000 }))
      .handler(async (_event: unknown, context) => context.iamClient.get(`${server.origin}/prod/slow`));
    const started = Date.now();

    // Act
    const call = handler({}, lambdaContext(2_000));

    // Assess
    await expect(call).rejects.toThrow(IamTimeoutError);
    await expect(call).rejects.toThrow(/remaining time/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a call made after the middleware ran in an earlier invocation uses the new deadline', async () => {
    // Prepare
    const handler = middy<{ path: string }>()
      .use(iamClient({ credentials: testCredentials, region: 'us-east-1' }))
      .handler(async (event, context) => (await context.iamClient.get(`${server.origin}${event.path}`)).status);

    // Act: the first invocation had almost no time; the second has plenty.
    await expect(handler({ path: '/prod/slow' }, lambdaContext(300))).rejects.toThrow(IamTimeoutError);
    const status = await handler({ path: '/prod/' }, lambdaContext(30_000));

    // Assess
    expect(status).toBe(200);
  });

  it('context.iamClient.fetch works as a bare function (as libraries call it), signed, bound by the deadline', async () => {
    // Prepare: 2 s left and a 1 s margin → about 1 s for the slow call.
    lambdaEnvironment();
    const handler = middy<{ path: string }>()
      .use(iamClient({ timeoutMs: 60_000, deadlineMarginMs: 1_000 }))
      .handler(async (event, context) => {
        const { fetch: signedFetch } = context.iamClient;
        const response = await signedFetch(`${server.origin}${event.path}`, { method: 'POST', body: '{"n":1}' });
        return response.json();
      });
    const started = Date.now();

    // Act
    const body = await handler({ path: '/prod/' }, lambdaContext());
    const slow = handler({ path: '/prod/slow' }, lambdaContext(2_000));

    // Assess
    expect(body).toEqual({ hello: 'world' });
    expect(verifyReceived(server.received.at(-1) as never, testCredentials)).toMatchObject({
      valid: true,
      region: 'eu-central-1',
    });
    await expect(slow).rejects.toThrow(IamTimeoutError);
    await expect(slow).rejects.toThrow(/remaining time/);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
