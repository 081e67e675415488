import axios from 'axios';
import ky from 'ky';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { clientFor, maskedAccount, principal, startStack } from '../helpers/stack.js';

/** The caller API Gateway puts in the integration's event, as hello-world echoes it. */
interface Caller {
  accountId: string | null;
  userArn: string | null;
}

/** What openapi-typescript would generate for the hello-world API (abridged). */
interface paths {
  '/': {
    get: {
      responses: {
        200: { content: { 'application/json': { hello: string; caller: Caller } } };
        403: { content: { 'application/json': { message?: string; Message?: string } } };
      };
    };
  };
  '/echo/{name}': {
    post: {
      parameters: { path: { name: string }; query: { tag: string[] } };
      requestBody: { content: { 'application/json': { greeting: string } } };
      responses: {
        200: {
          content: {
            'application/json': {
              method: string;
              path: string;
              query: Record<string, string[]>;
              body: unknown;
              caller: Caller;
            };
          };
        };
      };
    };
  };
}

let stack: LocalStack;
let state: LocalState;
let url: string;

beforeAll(async () => {
  ({ stack, state, url } = await startStack(inject('oneAccount')));
});
afterAll(() => stack.close());

const callerOf = (name: string): Caller => {
  const who = principal(state, name);
  return { accountId: who.accountId, userArn: who.arn };
};

describe('libraries that take a fetch, given client.fetch, against the local API Gateway', () => {
  it('openapi-fetch: the requestor gets 200 and is named as the caller', async () => {
    // Prepare
    const api = createClient<paths>({ baseUrl: url, fetch: clientFor(state, 'requestor').fetch });

    // Act
    const { data, response } = await api.GET('/');

    // Assess
    expect(response.status).toBe(200);
    expect(data).toEqual({ hello: 'world', caller: callerOf('requestor') });
  });

  it('openapi-fetch: path parameter, repeated query and JSON body survive signing', async () => {
    // Prepare
    const api = createClient<paths>({ baseUrl: url, fetch: clientFor(state, 'operator').fetch });

    // Act
    const { data, response } = await api.POST('/echo/{name}', {
      params: { path: { name: 'ünï code' }, query: { tag: ['a', 'b c'] } },
      body: { greeting: 'héllo 👋' },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(data).toMatchObject({
      method: 'POST',
      path: '/echo/%C3%BCn%C3%AF%20code',
      query: { tag: ['a', 'b c'] },
      body: { greeting: 'héllo 👋' },
      caller: callerOf('operator'),
    });
  });

  it('openapi-fetch: an identity of an account the API does not trust gets the 403 as data, not a throw', async () => {
    // Prepare
    const api = createClient<paths>({ baseUrl: url, fetch: clientFor(state, 'outsider').fetch });

    // Act
    const { error, response } = await api.GET('/');

    // Assess
    const apiState = state.apis[0];
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(error).toEqual({
      Message: `User: ${principal(state, 'outsider').arn} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:${state.region}:${maskedAccount(apiState?.accountId ?? '')}:${apiState?.restApiId}/prod/GET/`,
    });
  });

  it('ky: the requestor gets 200 and is named as the caller', async () => {
    // Prepare: the client retries (re-signed), so ky does not.
    const api = ky.create({ baseUrl: url, fetch: clientFor(state, 'requestor').fetch, retry: 0 });

    // Act
    const body = await api.get('').json<{ hello: string; caller: Caller }>();

    // Assess
    expect(body).toEqual({ hello: 'world', caller: callerOf('requestor') });
  });

  it('ky: a JSON POST with searchParams, signed with the body ky built', async () => {
    // Prepare
    const api = ky.create({ baseUrl: url, fetch: clientFor(state, 'operator').fetch, retry: 0 });

    // Act
    const body = await api
      .post('echo/ky', { json: { from: 'ky', text: 'ünï' }, searchParams: { x: '1', y: 'ünï' } })
      .json<Record<string, unknown>>();

    // Assess
    expect(body).toMatchObject({
      method: 'POST',
      path: '/echo/ky',
      query: { x: ['1'], y: ['ünï'] },
      body: { from: 'ky', text: 'ünï' },
      caller: callerOf('operator'),
    });
  });

  it('ky without a signing fetch: 403 Missing Authentication Token', async () => {
    // Act
    const response = await ky.get(url, { retry: 0, throwHttpErrors: false });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });
});

describe('axios with headers from client.sign()', () => {
  it('a GET: the requestor gets 200 and is named as the caller', async () => {
    // Prepare
    const signed = await clientFor(state, 'requestor').sign(url);

    // Act
    const response = await axios.get(signed.url, { headers: Object.fromEntries(signed.headers) });

    // Assess
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ hello: 'world', caller: callerOf('requestor') });
  });

  it('a request interceptor that signs every request, body included', async () => {
    // Prepare: the recipe of the middleware README.
    const client = clientFor(state, 'operator');
    const api = axios.create({ baseURL: url });
    api.interceptors.request.use(async (config) => {
      // A retry comes back with the string signed before: sign it as it is.
      const body =
        config.data === undefined || typeof config.data === 'string' ? config.data : JSON.stringify(config.data);
      const signed = await client.sign(api.getUri(config), {
        method: config.method?.toUpperCase(),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body,
      });
      config.url = signed.url;
      config.baseURL = undefined;
      config.params = undefined;
      config.data = body;
      for (const [name, value] of signed.headers) config.headers.set(name, value);
      return config;
    });

    // Act: the second send is what axios-retry does, the config of the first again.
    const response = await api.post('echo/axios', { from: 'axios' }, { params: { q: 'ünï', n: 2 } });
    const again = await api.request(response.config);

    // Assess
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({
      method: 'POST',
      path: '/echo/axios',
      query: { q: ['ünï'], n: ['2'] },
      body: { from: 'axios' },
      caller: callerOf('operator'),
    });
    expect(again.data).toEqual(response.data);
  });

  it('unsigned: 403 Missing Authentication Token', async () => {
    // Act
    const response = await axios.get(url, { validateStatus: () => true });

    // Assess
    expect(response.status).toBe(403);
    expect(response.data).toEqual({ message: 'Missing Authentication Token' });
  });
});
