import { Sha256 } from '@aws-crypto/sha256-js';
import { RequestSigner, resolveSigningScope, toOutgoingRequest } from '@iam-m2m/middleware';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import { median, round } from './stats.js';

const credentials = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLEtoken',
};
const URL_ = 'https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/items/42?page=2&tag=a&tag=b';
const BODY = JSON.stringify({ item: 'book', quantity: 2, note: 'héllo' });

/**
 * Median µs per call of each function, over `batches` rounds of `size` calls in which every
 * function takes its turn (after a warm-up round): a busy machine slows all of them alike.
 */
async function timeAll<K extends string>(runs: Record<K, () => unknown>, size = 2000, batches = 15) {
  const names = Object.keys(runs) as K[];
  const perCall = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let b = -1; b < batches; b++) {
    for (const name of names) {
      const run = runs[name];
      const start = process.hrtime.bigint();
      for (let i = 0; i < size; i++) await run();
      if (b >= 0) perCall[name].push(Number(process.hrtime.bigint() - start) / 1000 / size);
    }
  }
  return Object.fromEntries(names.map((name) => [name, round(median(perCall[name]), 2)])) as Record<K, number>;
}

export interface SigningCost {
  iamClientUs: number;
  /** The same path with `@aws-crypto/sha256-js` as the hash (the option for non-Node runtimes). */
  iamClientSha256JsUs: number;
  aws4Us: number;
  smithyNodeCryptoUs: number;
}

/** µs to sign the same POST with our signing path, aws4, and smithy with Node's crypto hash. */
export async function measureSigning(): Promise<SigningCost> {
  // Our client's path: wire form (as request() builds it), headers and body hash once, then the signer.
  const prepare = () =>
    toOutgoingRequest({ method: 'POST', url: URL_, body: BODY, headers: { 'content-type': 'application/json' } });
  const scope = resolveSigningScope(new URL(URL_));
  const ours = new RequestSigner({ credentials: async () => credentials });
  const oursJs = new RequestSigner({ credentials: async () => credentials, sha256: Sha256 });
  const smithy = new SignatureV4({
    credentials,
    region: 'us-east-1',
    service: 'execute-api',
    sha256: Hash.bind(null, 'sha256'),
  });
  const url = new URL(URL_);
  const body = Buffer.from(BODY);
  return timeAll({
    iamClientUs: () => ours.sign(prepare(), scope),
    iamClientSha256JsUs: () => oursJs.sign(prepare(), scope),
    aws4Us: () =>
      aws4.sign(
        {
          host: url.host,
          method: 'POST',
          path: `${url.pathname}${url.search}`,
          body,
          headers: { 'content-type': 'application/json' },
          service: 'execute-api',
          region: 'us-east-1',
        },
        credentials,
      ),
    smithyNodeCryptoUs: () =>
      smithy.sign(
        new HttpRequest({
          method: 'POST',
          protocol: 'https:',
          hostname: url.hostname,
          path: url.pathname,
          query: { page: '2', tag: ['a', 'b'] },
          headers: { host: url.host, 'content-type': 'application/json' },
          body,
        }),
      ),
  });
}
