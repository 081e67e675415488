import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../src/hello-world.js';
import { lambdaContext, restProxyEvent } from '../helpers/events.js';

let logs: string[];
beforeEach(() => {
  logs = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logs.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe('hello-world', () => {
  it('GET / answers hello world with the verified caller', async () => {
    // Prepare
    const event = restProxyEvent({ accountId: '333333333333' });

    // Act
    const result = await handler(event, lambdaContext(30_000, 'hello-world'));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(result.body)).toEqual({
      hello: 'world',
      caller: { accountId: '333333333333', userArn: 'arn:aws:sts::333333333333:assumed-role/requestor-role/requestor' },
    });
  });

  it('logs JSON with the REST request id as correlation id', async () => {
    // Act
    await handler(restProxyEvent(), lambdaContext(30_000, 'hello-world'));

    // Assess
    const line = logs.map((l) => JSON.parse(l)).find((entry) => entry.message === 'hello-world called');
    expect(line).toMatchObject({
      level: 'INFO',
      correlation_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      function_name: 'hello-world',
      caller: { accountId: '111111111111' },
    });
  });

  it('ANY /{proxy+} echoes method, path, multi-value query and the parsed JSON body', async () => {
    // Prepare
    const event = restProxyEvent({
      method: 'POST',
      resource: '/{proxy+}',
      path: '/echo/with space/ünï',
      query: { a: ['1', '2'], ключ: ['значение'] },
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ greeting: 'héllo 👋' }),
    });

    // Act
    const result = await handler(event, lambdaContext(30_000, 'hello-world'));

    // Assess
    expect(JSON.parse(result.body)).toEqual({
      hello: 'world',
      caller: { accountId: '111111111111', userArn: expect.stringContaining(':assumed-role/') },
      method: 'POST',
      path: '/echo/with space/ünï',
      query: { a: ['1', '2'], ключ: ['значение'] },
      body: { greeting: 'héllo 👋' },
    });
  });

  it.each([
    [
      'base64 JSON',
      {
        body: Buffer.from('{"n":1}').toString('base64'),
        isBase64Encoded: true,
        headers: { 'content-type': 'application/json' },
      },
      { n: 1 },
    ],
    ['plain text', { body: 'just text', headers: { 'content-type': 'text/plain' } }, 'just text'],
    ['broken JSON', { body: '{oops', headers: { 'content-type': 'application/json' } }, '{oops'],
    ['no body', { body: null }, null],
  ])('echo handles %s bodies', async (_label, input, expected) => {
    // Act
    const result = await handler(
      restProxyEvent({ method: 'PUT', resource: '/{proxy+}', path: '/x', ...input }),
      lambdaContext(30_000, 'hello-world'),
    );

    // Assess
    expect(JSON.parse(result.body).body).toEqual(expected);
  });
});
