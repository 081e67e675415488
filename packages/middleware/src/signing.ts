import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, ChecksumConstructor, SourceData } from '@smithy/types';
import type { CredentialsProvider } from './credentials.js';
import type { SigningScope } from './endpoint.js';

/** Query parameters, decoded, by name; a repeated name has an array of values. */
export type QueryMap = Record<string, string | string[]>;

/** A request exactly as it goes on the wire, in the parts SigV4 signs. */
export interface SignableRequest {
  method: string;
  /** `https:` or `http:`. */
  protocol: string;
  hostname: string;
  /** Only when not the scheme's default; it is then part of the signed `host`. */
  port?: number | undefined;
  /** The path as sent: percent-encoded, starting with `/`. The signer encodes it again, as `execute-api` expects. */
  path: string;
  query: QueryMap;
  /** Lower-case names; repeated headers already joined with `,`. */
  headers: Record<string, string>;
  body?: Uint8Array | undefined;
}

/**
 * SHA-256 and HMAC from `node:crypto`: the default hash. Lambda always runs Node.js, where
 * this is native, adds nothing to the bundle, and signs faster than `@aws-crypto/sha256-js`
 * (pass that one as `sha256` for runtimes without `node:crypto`; the digests are the same).
 *
 * @example
 * ```ts
 * import { Sha256 } from '@aws-crypto/sha256-js';
 * createIamClient({ sha256: Sha256 }); // pure JavaScript instead
 * ```
 */
export class NodeCryptoSha256 implements Checksum {
  readonly #secret: SourceData | undefined;
  #hash: Hash | Hmac;

  public constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#create();
  }

  public update(data: Uint8Array): void {
    this.#hash.update(data);
  }

  public digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }

  public reset(): void {
    this.#hash = this.#create();
  }

  #create(): Hash | Hmac {
    const secret = this.#secret;
    if (secret === undefined) return createHash('sha256');
    const key =
      typeof secret === 'string'
        ? secret
        : ArrayBuffer.isView(secret)
          ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
          : new Uint8Array(secret);
    return createHmac('sha256', key);
  }
}

/**
 * Anything that signs a web-standard request: the shape of Powertools' `SigV4Signer`
 * (`@aws-lambda-powertools/signer`) and of `IamClient.sign`. Pass one as the client's
 * `signer` option to sign with it instead of the client's own signer; the client calls it again
 * for every attempt, so retries are re-signed.
 *
 * @example
 * ```ts
 * import { SigV4Signer } from '@aws-lambda-powertools/signer/sigv4';
 * const client = createIamClient({ signer: new SigV4Signer({ service: 'execute-api' }) });
 * ```
 */
export interface Signer {
  /** Signs `input` (with `init` applied, as `new Request(input, init)` would) and returns the signed request; sends nothing. */
  sign(input: string | URL | Request, init?: RequestInit): Promise<Request>;
}

/** Options of {@link RequestSigner}. */
export interface RequestSignerOptions {
  credentials: CredentialsProvider;
  /** Hash implementation. @default {@link NodeCryptoSha256} */
  sha256?: ChecksumConstructor | undefined;
  /** Send `x-amz-content-sha256` (and sign it). @default true */
  applyChecksum?: boolean | undefined;
}

/**
 * Signs {@link SignableRequest}s with SigV4 (`@smithy/signature-v4`), one signer for
 * every scope so derived signing keys are cached across requests.
 *
 * @example
 * ```ts
 * const signer = new RequestSigner({ credentials: fromLambdaEnvironment() });
 * const headers = await signer.sign(request, { service: 'execute-api', region: 'eu-west-1', unsignedPayload: false });
 * ```
 */
export class RequestSigner {
  readonly #signer: SignatureV4;

  public constructor(options: RequestSignerOptions) {
    this.#signer = new SignatureV4({
      credentials: options.credentials,
      // Placeholders: every call passes its own scope.
      region: 'us-east-1',
      service: 'execute-api',
      sha256: options.sha256 ?? NodeCryptoSha256,
      uriEscapePath: true,
      applyChecksum: options.applyChecksum ?? true,
    });
  }

  /**
   * Returns the headers to send: the request's own plus `host` (the scope's `host` if it has
   * one), `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a session token)
   * and `authorization`.
   */
  public async sign(
    request: SignableRequest,
    scope: SigningScope,
    signingDate: Date = new Date(),
  ): Promise<Record<string, string>> {
    const host = scope.host ?? (request.port === undefined ? request.hostname : `${request.hostname}:${request.port}`);
    const headers: Record<string, string> = { ...request.headers, host };
    if (scope.unsignedPayload) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    const signed = await this.#signer.sign(
      new HttpRequest({
        method: request.method,
        protocol: request.protocol,
        hostname: request.hostname,
        port: request.port,
        path: request.path,
        query: request.query,
        headers,
        body: request.body,
      }),
      { signingDate, signingRegion: scope.region, signingService: scope.service },
    );
    return signed.headers;
  }
}
