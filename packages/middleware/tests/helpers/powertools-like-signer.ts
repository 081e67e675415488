import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import type { Credentials, Signer } from '../../src/index.js';

class Sha256 implements Checksum {
  readonly #secret: SourceData | undefined;
  #chunks: Uint8Array[] = [];

  public constructor(secret?: SourceData) {
    this.#secret = secret;
  }

  public update(data: Uint8Array): void {
    this.#chunks.push(data);
  }

  public async digest(): Promise<Uint8Array> {
    const secret = this.#secret;
    const hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : new Uint8Array(secret as ArrayBuffer));
    for (const chunk of this.#chunks) hash.update(chunk);
    return new Uint8Array(hash.digest());
  }

  public reset(): void {
    this.#chunks = [];
  }
}

/**
 * A stand-in for Powertools' `SigV4Signer` (`@aws-lambda-powertools/signer`, not a dependency
 * here), with its contract and its steps: `new Request(input, init)`, every header plus `host`,
 * the body buffered, `@smithy/signature-v4` for a fixed service and region, a new `Request`
 * back. It counts its calls.
 */
export class PowertoolsLikeSigner implements Signer {
  public calls = 0;
  readonly #service: string;
  readonly #region: string;
  readonly #credentials: Credentials;

  public constructor(options: { service: string; region: string; credentials: Credentials }) {
    this.#service = options.service;
    this.#region = options.region;
    this.#credentials = options.credentials;
  }

  public async sign(input: string | URL | Request, init?: RequestInit): Promise<Request> {
    this.calls++;
    const request = new Request(input, init);
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) headers[name] = value;
    headers.host = url.host;
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    const buffer = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const body = buffer && buffer.byteLength > 0 ? buffer : undefined;
    const signer = new SignatureV4({
      service: this.#service,
      region: this.#region,
      credentials: this.#credentials,
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers,
      body,
    });
    return new Request(request.url, { method: signed.method, headers: signed.headers, body });
  }
}
