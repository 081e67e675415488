import middy from '@middy/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIamClient, IamClientConfigError, iamClient } from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';
import { lambdaContext } from '../helpers/lambda-context.js';
import { type Loopback, type Responder, startLoopback, verifyReceived } from '../helpers/loopback.js';
import { PowertoolsLikeSigner } from '../helpers/powertools-like-signer.js';

const signerFor = (region = 'eu-west-1') =>
  new PowertoolsLikeSigner({ service: 'execute-api', region, credentials: testCredentials });

/** Answers `statuses` in turn, then 200. */
const answers =
  (statuses: number[]): Responder =>
  (_request, response, index) => {
    response.writeHead(statuses[index] ?? 200, { 'content-type': 'application/json' }).end(`{"attempt":${index + 1}}`);
  };

describe('the `signer` option: a Powertools-style signer plugs in', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
    server = undefined;
  });

  it('signs every attempt again: retries call the signer once each, with a fresh date', async () => {
    // Prepare: the clock moves a minute per answer.
    vi.useFakeTimers({ toFake: ['Date'] });
    const reply = answers([503, 502]);
    server = await startLoopback((request, response, index) => {
      vi.setSystemTime(Date.now() + 60_000);
      reply(request, response, index);
    });
    const signer = signerFor();
    const client = createIamClient({ signer, retryBaseDelayMs: 5 });

    // Act
    const response = await client.fetch(`${server.origin}/prod/items?page=2`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });

    // Assess
    expect(await response.json()).toEqual({ attempt: 3 });
    expect(signer.calls).toBe(3);
    for (const received of server.received) {
      expect(verifyReceived(received, testCredentials)).toMatchObject({ valid: true, region: 'eu-west-1' });
      expect(received.body.toString()).toBe('{"a":1}');
    }
    expect(new Set(server.received.map((r) => r.headers['x-amz-date'])).size).toBe(3);
  });

  it('request(), json() and sign() go through the signer too; no region is needed beside it', async () => {
    // Prepare
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    server = await startLoopback();
    const signer = signerFor('sa-east-1');
    const client = createIamClient({ signer });

    // Act
    const body = await client.json({ url: `${server.origin}/prod/` });
    const signed = await client.sign(`${server.origin}/prod/signed`);
    await fetch(signed);
    vi.unstubAllEnvs();

    // Assess
    expect(body).toEqual({ ok: true });
    expect(signer.calls).toBe(2);
    for (const received of server.received) {
      expect(verifyReceived(received, testCredentials)).toMatchObject({ valid: true, region: 'sa-east-1' });
    }
  });

  it('another IamClient is a Signer as it is', async () => {
    // Prepare
    server = await startLoopback();
    const inner = createIamClient({ credentials: testCredentials, region: 'us-east-2' });
    const client = createIamClient({ signer: inner });

    // Act
    const response = await client.fetch(`${server.origin}/prod/`);

    // Assess
    expect(response.status).toBe(200);
    expect(verifyReceived(server.received[0] as never, testCredentials)).toMatchObject({
      valid: true,
      region: 'us-east-2',
    });
  });

  it('context.iamClient under Middy signs with the configured signer', async () => {
    // Prepare
    server = await startLoopback();
    const signer = signerFor();
    const origin = server.origin;
    const handler = middy()
      .use(iamClient({ signer }))
      .handler(async (_event: unknown, context) => (await context.iamClient.fetch(`${origin}/prod/`)).status);

    // Act
    const status = await handler({}, lambdaContext());

    // Assess
    expect(status).toBe(200);
    expect(signer.calls).toBe(1);
  });

  it.each([
    [
      'credentials beside it',
      { signer: signerFor(), credentials: testCredentials },
      '`signer` signs with its own credentials and scope: leave out `credentials`.',
    ],
    [
      'a region and a service beside it',
      { signer: signerFor(), region: 'eu-west-1', service: 'lambda' },
      'leave out `region`, `service`.',
    ],
    [
      'no sign method',
      { signer: {} as never },
      '`signer` must have a `sign(input, init)` method that returns a signed Request.',
    ],
  ])('refuses a signer with %s when the client is made', (_label, options, message) => {
    expect(() => createIamClient(options)).toThrow(IamClientConfigError);
    expect(() => createIamClient(options)).toThrow(message);
  });

  it('refuses a per-call scope the signer would ignore, before sending', async () => {
    // Prepare
    const client = createIamClient({ signer: signerFor() });

    // Act & Assess
    expect(() => client.fetcher({ signingHost: 'abc.execute-api.eu-west-1.amazonaws.com' })).toThrow(
      "`signingHost` cannot apply: the client's `signer` signs with its own scope.",
    );
    await expect(client.get('https://example.com/', { region: 'eu-west-2' })).rejects.toThrow(
      "`region` cannot apply: the client's `signer` signs with its own scope.",
    );
    await expect(client.sign('https://example.com/', undefined, { service: 'lambda' })).rejects.toThrow(
      IamClientConfigError,
    );
  });
});
