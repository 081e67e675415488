import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler, parseRawQuery } from '../../src/hello-world.js';
import { lambdaContext, payloadV2Event, restProxyEvent } from '../helpers/events.js';

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

describe('hello-world behind a function URL or an HTTP API (payload 2.0)', () => {
  it.each(['functionUrl', 'httpApi'] as const)(
    '%s: GET / answers hello world with the caller of authorizer.iam',
    async (target) => {
      // Prepare
      const event = payloadV2Event({ target, accountId: '333333333333' });

      // Act
      const result = await handler(event, lambdaContext(30_000, 'hello-world'));

      // Assess
      expect(result.statusCode).toBe(200);
      expect(result.headers).toEqual({ 'content-type': 'application/json' });
      expect(JSON.parse(result.body)).toEqual({
        hello: 'world',
        caller: {
          accountId: '333333333333',
          userArn: 'arn:aws:sts::333333333333:assumed-role/requestor-role/requestor',
        },
      });
    },
  );

  it.each(['functionUrl', 'httpApi'] as const)(
    '%s: a POST echoes as the REST API does: repeated query keys as arrays, unicode body intact',
    async (target) => {
      // Prepare: the same request as a REST proxy event and as a payload 2.0 event.
      const body = JSON.stringify({ greeting: 'héllo 👋', ключ: ['значение'] });
      const rest = restProxyEvent({
        method: 'POST',
        resource: '/{proxy+}',
        path: '/echo/x',
        query: { a: ['1', '2'], 'b c': ['d,e'], ключ: ['значение'], plus: ['1+1'], empty: [''] },
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      const v2 = payloadV2Event({
        target,
        method: 'POST',
        rawPath: '/echo/x',
        rawQueryString:
          'a=1&b%20c=d%2Ce&a=2&%D0%BA%D0%BB%D1%8E%D1%87=%D0%B7%D0%BD%D0%B0%D1%87%D0%B5%D0%BD%D0%B8%D0%B5&plus=1+1&empty',
        headers: { 'content-type': 'application/json' },
        body,
      });

      // Act
      const fromRest = await handler(rest, lambdaContext(30_000, 'hello-world'));
      const fromV2 = await handler(v2, lambdaContext(30_000, 'hello-world'));

      // Assess
      expect(JSON.parse(fromV2.body)).toEqual({
        hello: 'world',
        caller: { accountId: '111111111111', userArn: expect.stringContaining(':assumed-role/') },
        method: 'POST',
        path: '/echo/x',
        query: { a: ['1', '2'], 'b c': ['d,e'], ключ: ['значение'], plus: ['1+1'], empty: [''] },
        body: { greeting: 'héllo 👋', ключ: ['значение'] },
      });
      expect(JSON.parse(fromV2.body)).toEqual(JSON.parse(fromRest.body));
      expect(fromV2.headers).toEqual(fromRest.headers);
    },
  );

  it('a function URL POST to / is echoed (only GET / is the short answer)', async () => {
    // Act
    const result = await handler(payloadV2Event({ method: 'POST', body: 'x' }), lambdaContext(30_000, 'hello-world'));

    // Assess
    expect(JSON.parse(result.body)).toMatchObject({ method: 'POST', path: '/', query: {}, body: 'x' });
  });

  it.each([
    [
      'base64 JSON',
      {
        body: Buffer.from('{"n":"ü"}').toString('base64'),
        isBase64Encoded: true,
        headers: { 'content-type': 'application/json' },
      },
      { n: 'ü' },
    ],
    ['plain text', { body: 'just text', headers: { 'content-type': 'text/plain' } }, 'just text'],
    ['no body', {}, null],
  ])('echo handles %s bodies', async (_label, input, expected) => {
    // Act
    const result = await handler(
      payloadV2Event({ target: 'httpApi', method: 'PUT', rawPath: '/x', ...input }),
      lambdaContext(30_000, 'hello-world'),
    );

    // Assess
    expect(JSON.parse(result.body).body).toEqual(expected);
  });

  it('without rawQueryString, queryStringParameters are read (one value each)', async () => {
    // Prepare
    const event = { ...payloadV2Event({ rawPath: '/q' }), rawQueryString: '', queryStringParameters: { a: '1' } };

    // Act
    const result = await handler(event, lambdaContext(30_000, 'hello-world'));

    // Assess
    expect(JSON.parse(result.body).query).toEqual({ a: ['1'] });
  });

  it('logs the payload 2.0 request id as correlation id and the route key', async () => {
    // Act
    await handler(payloadV2Event({ target: 'httpApi' }), lambdaContext(30_000, 'hello-world'));

    // Assess
    const line = logs.map((l) => JSON.parse(l)).find((entry) => entry.message === 'hello-world called');
    expect(line).toMatchObject({
      correlation_id: 'b2a6c0de-2f4e-4c7a-9a41-93e8deadbeef',
      resource: 'GET /',
      method: 'GET',
      caller: { accountId: '111111111111' },
    });
  });
});

describe('parseRawQuery', () => {
  it.each([
    ['', {}],
    ['a=1&a=2', { a: ['1', '2'] }],
    ['flag&x=', { flag: [''], x: [''] }],
    ['bad=%E0%A4%A&ok=%41', { bad: ['%E0%A4%A'], ok: ['A'] }],
    ['a=b=c', { a: ['b=c'] }],
  ])('%j → %j', (raw, expected) => {
    expect(parseRawQuery(raw)).toEqual(expected);
  });
});
