import middy from '@middy/core';
import { describe, expectTypeOf, it } from 'vitest';
import { createIamClient, type IamClient, type IamClientOptions, iamClient, type Signer } from '../../src/index.js';

/** The contract of Powertools' `Signer` (`@aws-lambda-powertools/signer`), as published. */
interface PowertoolsSigner {
  sign(input: string | URL | Request, init?: RequestInit): Promise<Request>;
}

describe('web-standard types', () => {
  it('client.fetch and fetcher() have exactly the global fetch type', () => {
    const client = createIamClient();
    expectTypeOf(client.fetch).toEqualTypeOf<typeof fetch>();
    expectTypeOf(client.fetcher({ signingHost: 'abc.execute-api.eu-west-1.amazonaws.com' })).toEqualTypeOf<
      typeof fetch
    >();
    // Anything typed to take a fetch takes ours.
    const takesFetch = (options: { fetch: typeof globalThis.fetch }) => options;
    takesFetch({ fetch: client.fetch });
  });

  it('context.iamClient.fetch under Middy is the global fetch type', () => {
    middy()
      .use(iamClient())
      .handler(async (_event, context) => {
        expectTypeOf(context.iamClient.fetch).toEqualTypeOf<typeof fetch>();
        expectTypeOf(context.iamClient.sign).returns.resolves.toEqualTypeOf<Request>();
      });
  });

  it('Signer is Powertools’ contract both ways; an IamClient is a Signer', () => {
    expectTypeOf<Signer>().toEqualTypeOf<PowertoolsSigner>();
    expectTypeOf<IamClient>().toMatchTypeOf<Signer>();
    expectTypeOf<{ signer: PowertoolsSigner; fetch: typeof fetch }>().toMatchTypeOf<IamClientOptions>();
  });

  it('options are checked', () => {
    const client = createIamClient();
    // @ts-expect-error: a signer needs a sign method
    createIamClient({ signer: {} });
    // @ts-expect-error: fetch is a function
    createIamClient({ fetch: 'undici' });
    // @ts-expect-error: sign() takes the scope only, not a budget
    client.sign('https://example.com/', {}, { timeoutMs: 5 });
    // @ts-expect-error: no such per-call option
    client.fetcher({ host: 'x' });
    client.request({ url: 'https://example.com/', signingHost: 'abc.execute-api.eu-west-1.amazonaws.com' });
  });
});
