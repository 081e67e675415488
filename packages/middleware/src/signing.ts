import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, ChecksumConstructor, HttpRequest, SourceData } from '@smithy/types';
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
    // A Buffer is a Uint8Array: no copy.
    return Promise.resolve(this.#hash.digest());
  }

  public reset(): void {
    this.#hash = this.#create();
  }

  #create(): Hash | Hmac {
    const secret = this.#secret;
    if (secret === undefined) return createHash('sha256');
    // The signing key (the same bytes all day, from the signer's cache) as one KeyObject, not a
    // new one made from its bytes on every signature; other keys as node:crypto takes them. The
    // bytes are compared too: a caller may reuse its buffer for another key.
    if (secret instanceof Uint8Array) {
      let known = KEY_OBJECTS.get(secret);
      if (!known?.bytes.equals(secret)) {
        known = { bytes: Buffer.from(secret), key: createSecretKey(secret) };
        KEY_OBJECTS.set(secret, known);
      }
      return createHmac('sha256', known.key);
    }
    // node:crypto takes a string, an ArrayBuffer or any view of one as the key as it is.
    return createHmac('sha256', secret as string | Uint8Array);
  }
}

/** HMAC keys by the key bytes' object: weak, so a day's signing key goes with the signer's cache entry. */
const KEY_OBJECTS = new WeakMap<Uint8Array, { bytes: Buffer; key: KeyObject }>();

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
 * A request ready to be signed, as often as there are attempts: its headers copied once with
 * `host` and `x-amz-content-sha256` (the body hashed once), and the scope it is signed for.
 */
export interface PreparedRequest {
  /** What `@smithy/signature-v4` signs (it copies it again to add its headers). */
  readonly request: HttpRequest;
  readonly scope: SigningScope;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA256_HEADER = 'x-amz-content-sha256';

type SigningKeyOf = (
  credentials: AwsCredentialIdentity,
  region: string,
  shortDate: string,
  service?: string,
) => Promise<Uint8Array>;

interface DerivedKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
  key: Promise<Uint8Array>;
}

/**
 * `@smithy/signature-v4` with what it recomputes per request computed less often: the dates
 * once per second, and the signing key once per day, region, service and credentials (smithy's
 * own cache HMACs the key id on every lookup).
 */
class CachingSignatureV4 extends SignatureV4 {
  #second = Number.NaN;
  #dates = { longDate: '', shortDate: '' };
  readonly #keys = new Map<string, DerivedKey>();

  public constructor(init: ConstructorParameters<typeof SignatureV4>[0]) {
    super(init);
    // A private method in smithy's types; shadowed on the instance. The official vectors check it.
    const self = this as unknown as { getSigningKey: SigningKeyOf };
    const derive = self.getSigningKey.bind(this);
    self.getSigningKey = (credentials, region, shortDate, service = this.service) => {
      const id = `${shortDate}/${region}/${service}`;
      const cached = this.#keys.get(id);
      if (
        cached?.accessKeyId === credentials.accessKeyId &&
        cached.secretAccessKey === credentials.secretAccessKey &&
        cached.sessionToken === credentials.sessionToken
      ) {
        return cached.key;
      }
      // A few scopes at most; a new day or new credentials start over.
      if (this.#keys.size >= 16) this.#keys.clear();
      const key = derive(credentials, region, shortDate, service);
      const { accessKeyId, secretAccessKey, sessionToken } = credentials;
      this.#keys.set(id, { accessKeyId, secretAccessKey, sessionToken, key });
      key.catch(() => this.#keys.delete(id));
      return key;
    };
  }

  protected override formatDate(now: Date | number | string): { longDate: string; shortDate: string } {
    if (!(now instanceof Date)) return super.formatDate(now);
    const second = Math.floor(now.getTime() / 1000);
    if (second !== this.#second) {
      const longDate = `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
      this.#dates = { longDate, shortDate: longDate.slice(0, 8) };
      this.#second = second;
    }
    return this.#dates;
  }
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
  readonly #hashBody: boolean;

  public constructor(options: RequestSignerOptions) {
    const applyChecksum = options.applyChecksum ?? true;
    this.#signer = new CachingSignatureV4({
      credentials: options.credentials,
      // Placeholders: every call passes its own scope.
      region: 'us-east-1',
      service: 'execute-api',
      sha256: options.sha256 ?? NodeCryptoSha256,
      uriEscapePath: true,
      applyChecksum,
    });
    // With another hash (sha256-js where node:crypto is missing), smithy hashes the body itself.
    this.#hashBody = applyChecksum && (options.sha256 === undefined || options.sha256 === NodeCryptoSha256);
  }

  /**
   * Copies the request's headers once, adding `host` (the scope's `host` if it has one) and
   * `x-amz-content-sha256` (the body's hash, or `UNSIGNED-PAYLOAD`), for
   * {@link RequestSigner.signPrepared} to sign on every attempt.
   *
   * @example
   * ```ts
   * const prepared = signer.prepare(request, scope);
   * const headers = await signer.signPrepared(prepared);
   * ```
   */
  public prepare(request: SignableRequest, scope: SigningScope): PreparedRequest {
    const host = scope.host ?? (request.port === undefined ? request.hostname : `${request.hostname}:${request.port}`);
    const headers: Record<string, string> = { ...request.headers, host };
    if (scope.unsignedPayload) headers[SHA256_HEADER] = 'UNSIGNED-PAYLOAD';
    else if (this.#hashBody && headers[SHA256_HEADER] === undefined) {
      const body = request.body;
      headers[SHA256_HEADER] =
        body === undefined || body.byteLength === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
    }
    return {
      request: {
        method: request.method,
        protocol: request.protocol,
        hostname: request.hostname,
        port: request.port,
        path: request.path,
        query: request.query,
        headers,
        body: request.body,
      },
      scope,
    };
  }

  /** Signs a prepared request; returns the headers to send (a new object each time). */
  public async signPrepared(
    prepared: PreparedRequest,
    signingDate: Date = new Date(),
  ): Promise<Record<string, string>> {
    const { request, scope } = prepared;
    const signed = await this.#signer.sign(request, {
      signingDate,
      signingRegion: scope.region,
      signingService: scope.service,
    });
    return signed.headers;
  }

  /**
   * Returns the headers to send: the request's own plus `host` (the scope's `host` if it has
   * one), `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a session token)
   * and `authorization`.
   */
  public sign(
    request: SignableRequest,
    scope: SigningScope,
    signingDate: Date = new Date(),
  ): Promise<Record<string, string>> {
    return this.signPrepared(this.prepare(request, scope), signingDate);
  }
}
