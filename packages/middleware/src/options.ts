import type { ChecksumConstructor } from '@smithy/types';
import type { AssumeRoleOptions, Credentials, CredentialsProvider } from './credentials.js';
import { IamClientConfigError } from './errors.js';
import type { OutgoingRequestInput } from './outgoing-request.js';
import type { Signer } from './signing.js';

/** Where the client writes one debug line per attempt. Powertools Logger and `console` fit. */
export interface IamClientLogger {
  debug(message: string, attributes: Record<string, unknown>): void;
}

/** Options of `createIamClient()` and `iamClient()`. */
export interface IamClientOptions {
  /** Region to sign for when the URL is not an AWS hostname. @default AWS_REGION */
  region?: string;
  /** SigV4 service when the URL is not an AWS hostname. @default 'execute-api' */
  service?: string;
  /**
   * Sign `UNSIGNED-PAYLOAD` instead of the body hash. `true` for an `execute-api` or `lambda`
   * target is an {@link IamClientConfigError}: API Gateway and Lambda refuse unsigned payloads.
   * @default true for VPC Lattice URLs, else false
   */
  unsignedPayload?: boolean;
  /** Static credentials or a provider (memoized, refreshed ~5 min before expiry). @default the Lambda environment */
  credentials?: Credentials | CredentialsProvider;
  /** Sign as this role, assumed with STS from `credentials`; for targets without a resource policy. @default none */
  assumeRole?: AssumeRoleOptions;
  /** Time budget of one call, retries included, in ms. @default 10000 */
  timeoutMs?: number;
  /** Attempts for retryable failures (network errors, 429, 502, 503, 504). @default 3 */
  maxAttempts?: number;
  /** Base of the exponential backoff (full jitter) in ms. @default 100 */
  retryBaseDelayMs?: number;
  /** Longest wait between attempts in ms, `Retry-After` included. @default 5000 */
  retryMaxDelayMs?: number;
  /** Stop this long before the Lambda's deadline so the handler can still answer. @default 250 */
  deadlineMarginMs?: number;
  /** Debug line per attempt: method, host, path, status, attempt, ms. @default no logging */
  logger?: IamClientLogger;
  /** Hash implementation, e.g. `Sha256` of `@aws-crypto/sha256-js` where `node:crypto` is missing. @default `NodeCryptoSha256` (node:crypto) */
  sha256?: ChecksumConstructor;
  /**
   * The `fetch` that sends every attempt: undici's with a keep-alive or proxy dispatcher, a test
   * double. It gets the signed URL and init, or the `signer`'s Request, with `redirect: 'manual'`.
   * @default the global `fetch`, looked up at each call
   */
  fetch?: typeof fetch;
  /**
   * Signs every attempt instead of the client's own SigV4 signer: Powertools' `SigV4Signer` or
   * anything with `sign(input, init) => Promise<Request>`. It holds its own credentials and scope,
   * so `credentials`, `assumeRole`, `region`, `service`, `unsignedPayload` and `sha256` are refused
   * beside it, and clock skew is not corrected (its clock is its own).
   * @default the client's own signer
   */
  signer?: Signer;
}

/** What one call may set beside the request: its signing scope and its budget. */
export interface IamCallOptions {
  /** SigV4 service of this call, e.g. `lambda`; wins over the URL. @default from the URL, else the client's `service` */
  service?: string;
  /** Region of this call; wins over the URL. @default from the URL (or `signingHost`), else the client's `region` */
  region?: string;
  /**
   * Host to sign (`host[:port]`) while the request goes to the URL's: the API's own host behind
   * CloudFront or a proxy that forwards it with that `Host`. Service and region are then read from it.
   * @default the URL's host
   */
  signingHost?: string;
  /** Time budget of this call, retries included, in ms. @default the client's `timeoutMs` */
  timeoutMs?: number;
  /** Attempts for retryable failures. @default the client's `maxAttempts` */
  maxAttempts?: number;
  /** Retry this POST or PATCH too: say so only when repeating it is harmless. @default false */
  idempotent?: boolean;
}

/** One call of `IamClient.request()`. */
export interface IamRequestOptions extends OutgoingRequestInput, IamCallOptions {
  /** Aborts the call; the abort reason is thrown. */
  signal?: AbortSignal | undefined;
}

/** Options of `IamClient.sign()`: the signing scope of one request. */
export type IamSignOptions = Pick<IamCallOptions, 'service' | 'region' | 'signingHost'>;

/** Options of the method shortcuts (`get`, `post`, …): everything but `method` and `url`. */
export type IamMethodOptions = Omit<IamRequestOptions, 'method' | 'url'>;

// What a `signer` holds itself: set beside it, they would be silently ignored.
const SIGNER_OWNED = ['credentials', 'assumeRole', 'region', 'service', 'unsignedPayload', 'sha256'] as const;

/** A duration option: a finite number ≥ 0, or `fallback` when not given. */
export function nonNegative(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new IamClientConfigError(`\`${name}\` must be a finite number ≥ 0, got ${String(value)}.`);
  }
  return value;
}

/** `maxAttempts`: a whole number from 1 to 10, or `fallback` when not given. */
export function attempts(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 10) {
    throw new IamClientConfigError(`\`maxAttempts\` must be a whole number from 1 to 10, got ${String(value)}.`);
  }
  return value;
}

/** The `signer` option, checked: a `sign` method, and nothing beside it that it would ignore. */
export function checkSigner(options: IamClientOptions): Signer | undefined {
  const { signer } = options;
  if (signer === undefined) return undefined;
  if (typeof signer?.sign !== 'function') {
    throw new IamClientConfigError('`signer` must have a `sign(input, init)` method that returns a signed Request.');
  }
  const clashing = SIGNER_OWNED.filter((name) => options[name] !== undefined);
  if (clashing.length > 0) {
    throw new IamClientConfigError(
      `\`signer\` signs with its own credentials and scope: leave out ${clashing.map((name) => `\`${name}\``).join(', ')}.`,
    );
  }
  return signer;
}
