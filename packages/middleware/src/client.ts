import { setTimeout as sleep } from 'node:timers/promises';
import type { ChecksumConstructor } from '@smithy/types';
import {
  type AssumeRoleOptions,
  type Credentials,
  type CredentialsProvider,
  fromAssumeRole,
  resolveCredentialsOption,
} from './credentials.js';
import { resolveSigningScope, type SigningScope } from './endpoint.js';
import { IamClientConfigError, IamClientError, IamNetworkError, IamRequestError, IamTimeoutError } from './errors.js';
import { type OutgoingRequest, type OutgoingRequestInput, toOutgoingRequest } from './outgoing-request.js';
import { RequestSigner } from './signing.js';

/** Where the client writes one debug line per attempt. Powertools Logger and `console` fit. */
export interface IamClientLogger {
  debug(message: string, attributes: Record<string, unknown>): void;
}

/** Options of {@link createIamClient} and `iamClient()`. */
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
}

/** One call of {@link IamClient.request}. */
export interface IamRequestOptions extends OutgoingRequestInput {
  /** Aborts the call; the abort reason is thrown. */
  signal?: AbortSignal;
  /** Time budget of this call, retries included, in ms. @default the client's `timeoutMs` */
  timeoutMs?: number;
  /** Attempts for retryable failures. @default the client's `maxAttempts` */
  maxAttempts?: number;
  /** Retry this POST or PATCH too: say so only when repeating it is harmless. @default false */
  idempotent?: boolean;
}

/** Options of the method shortcuts (`get`, `post`, …): everything but `method` and `url`. */
export type IamMethodOptions = Omit<IamRequestOptions, 'method' | 'url'>;

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const SKEW_MESSAGE = /Signature expired|Signature not yet current/i;

function nonNegative(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new IamClientConfigError(`\`${name}\` must be a finite number ≥ 0, got ${String(value)}.`);
  }
  return value;
}

function attempts(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 10) {
    throw new IamClientConfigError(`\`maxAttempts\` must be a whole number from 1 to 10, got ${String(value)}.`);
  }
  return value;
}

/** Reads `Retry-After` (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function errorTypeOf(response: Response): string | undefined {
  return response.headers.get('x-amzn-errortype')?.split(':')[0] || undefined;
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** One call in flight: its wire form, scope, budget and signals. */
interface Call {
  outgoing: OutgoingRequest;
  scope: SigningScope;
  maxAttempts: number;
  retryable: boolean;
  budgetMs: number;
  deadline: number;
  /** The budget is the Lambda's remaining time rather than `timeoutMs`. */
  lambdaBound: boolean;
  callerSignal: AbortSignal | undefined;
  /** Aborts when the budget runs out. */
  timeout: AbortSignal;
  signal: AbortSignal;
}

// The middleware ties a client to the current invocation's remaining time.
const remainingTimeOf = new WeakMap<IamClient, () => number>();

/**
 * Bounds every call of `client` by the Lambda's remaining time (what `iamClient()` does in `before`).
 *
 * @example
 * ```ts
 * bindRemainingTime(client, () => context.getRemainingTimeInMillis());
 * ```
 */
export function bindRemainingTime(client: IamClient, remaining: () => number): void {
  remainingTimeOf.set(client, remaining);
}

/**
 * An HTTP client that signs every request with AWS SigV4: what the Middy middleware puts on
 * `context.iamClient`. Retries idempotent requests (re-signed each time), corrects clock skew,
 * stops before the Lambda's deadline, and never puts a secret in an error or a log line.
 *
 * @example
 * ```ts
 * const client = createIamClient();
 * const response = await client.get('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/');
 * const hello = await client.json<{ hello: string }>({ url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/' });
 * ```
 */
export class IamClient {
  readonly #options: IamClientOptions;
  readonly #signer: RequestSigner;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #marginMs: number;
  #clockOffsetMs = 0;

  public constructor(options: IamClientOptions = {}) {
    this.#options = options;
    this.#timeoutMs = nonNegative(options.timeoutMs, 'timeoutMs', 10_000);
    this.#maxAttempts = attempts(options.maxAttempts, 3);
    this.#baseDelayMs = nonNegative(options.retryBaseDelayMs, 'retryBaseDelayMs', 100);
    this.#maxDelayMs = nonNegative(options.retryMaxDelayMs, 'retryMaxDelayMs', 5_000);
    this.#marginMs = nonNegative(options.deadlineMarginMs, 'deadlineMarginMs', 250);
    const base = resolveCredentialsOption(options.credentials);
    const credentials = options.assumeRole ? fromAssumeRole(options.assumeRole, base) : base;
    this.#signer = new RequestSigner({ credentials, sha256: options.sha256 });
  }

  /** The offset, in ms, added to the local clock when signing, learnt from a skew error. */
  public get clockOffsetMs(): number {
    return this.#clockOffsetMs;
  }

  /**
   * Sends a signed request and returns the response, whatever its status (redirects are
   * not followed: they would carry the session token to another host).
   *
   * @throws {IamClientConfigError} bad input, no region or no credentials.
   * @throws {IamTimeoutError} the budget (`timeoutMs` or the Lambda deadline) ran out.
   * @throws {IamNetworkError} no HTTP answer on the last attempt.
   *
   * @example
   * ```ts
   * const response = await client.request({ method: 'PUT', url, json: { name: 'a' }, timeoutMs: 2_000 });
   * if (!response.ok) console.warn(response.status);
   * ```
   */
  public async request(options: IamRequestOptions): Promise<Response> {
    return this.#send(this.#prepare(options));
  }

  /**
   * Sends a signed request and parses the JSON answer (`undefined` for an empty body).
   *
   * @throws {IamRequestError} when the status is not 2xx, with the AWS error type, message and request id.
   *
   * @example
   * ```ts
   * const { hello } = await context.iamClient.json<{ hello: string }>({ url: process.env.IAM_API! });
   * ```
   */
  public async json<T = unknown>(options: IamRequestOptions): Promise<T> {
    const call = this.#prepare(options);
    const response = await this.#send(call);
    const text = await response.text();
    const { method, displayUrl } = call.outgoing;
    if (!response.ok) {
      throw new IamRequestError({
        method,
        url: displayUrl,
        status: response.status,
        errorType: errorTypeOf(response),
        serviceMessage: messageOf(text),
        requestId:
          response.headers.get('x-amzn-requestid') ??
          response.headers.get('x-amz-apigw-id') ??
          response.headers.get('x-amz-request-id') ??
          undefined,
      });
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new IamClientError(`The answer of ${method} ${displayUrl} is not JSON.`, { cause });
    }
  }

  /** Signed GET. @example `await client.get(url, { query: { page: 2 } })` */
  public get(url: string | URL, options?: IamMethodOptions): Promise<Response> {
    return this.request({ ...options, method: 'GET', url });
  }

  /** Signed HEAD. @example `await client.head(url)` */
  public head(url: string | URL, options?: IamMethodOptions): Promise<Response> {
    return this.request({ ...options, method: 'HEAD', url });
  }

  /** Signed DELETE. @example `await client.delete(url)` */
  public delete(url: string | URL, options?: IamMethodOptions): Promise<Response> {
    return this.request({ ...options, method: 'DELETE', url });
  }

  /** Signed POST, not retried unless `idempotent: true`. @example `await client.post(url, { json: { a: 1 } })` */
  public post(url: string | URL, options?: IamMethodOptions): Promise<Response> {
    return this.request({ ...options, method: 'POST', url });
  }

  /** Signed PUT. @example `await client.put(url, { json: { a: 1 } })` */
  public put(url: string | URL, options?: IamMethodOptions): Promise<Response> {
    return this.request({ ...options, method: 'PUT', url });
  }

  /** Signed PATCH, not retried unless `idempotent: true`. @example `await client.patch(url, { json: { a: 1 } })` */
  public patch(url: string | URL, options?: IamMethodOptions): Promise<Response> {
    return this.request({ ...options, method: 'PATCH', url });
  }

  #prepare(options: IamRequestOptions): Call {
    const outgoing = toOutgoingRequest(options);
    const own = nonNegative(options.timeoutMs, 'timeoutMs', this.#timeoutMs);
    const remaining = remainingTimeOf.get(this);
    const lambdaMs = remaining ? remaining() - this.#marginMs : Number.POSITIVE_INFINITY;
    // setTimeout holds at most 2^31-1 ms.
    const budgetMs = Math.max(0, Math.min(own, lambdaMs, 2_147_483_647));
    // A timeout signal, not a controller and a timer: cheaper per request, and nothing to clear.
    const timeout = AbortSignal.timeout(budgetMs);
    return {
      outgoing,
      scope: resolveSigningScope(outgoing.url, this.#options),
      maxAttempts: attempts(options.maxAttempts, this.#maxAttempts),
      retryable: options.idempotent === true || IDEMPOTENT_METHODS.has(outgoing.method),
      budgetMs,
      deadline: Date.now() + budgetMs,
      lambdaBound: lambdaMs < own,
      callerSignal: options.signal,
      timeout,
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    };
  }

  async #send(call: Call): Promise<Response> {
    const { outgoing } = call;
    let skewCorrected = false;
    for (let attempt = 1; ; attempt++) {
      const headers = await this.#signer.sign(outgoing, call.scope, new Date(Date.now() + this.#clockOffsetMs));
      delete headers.host; // fetch sends the URL's host itself, the same value
      const started = performance.now();
      let response: Response;
      try {
        response = await fetch(outgoing.wireUrl, {
          method: outgoing.method,
          headers,
          body: outgoing.body,
          redirect: 'manual',
          signal: call.signal,
        });
      } catch (error) {
        this.#log(outgoing, attempt, started, undefined, describeCause(error));
        throwIfAborted(call);
        if (!call.retryable || attempt >= call.maxAttempts) {
          throw new IamNetworkError(
            `${outgoing.method} ${outgoing.displayUrl} failed after ${attempt} attempt(s): ${describeCause(error)}`,
            attempt,
            error,
          );
        }
        await this.#backoff(call, attempt, undefined);
        continue;
      }
      this.#log(outgoing, attempt, started, response.status);
      if (response.status === 403 && !skewCorrected && errorTypeOf(response) === 'InvalidSignatureException') {
        const text = await response.text();
        const serverDate = Date.parse(response.headers.get('date') ?? '');
        if (!SKEW_MESSAGE.test(text) || Number.isNaN(serverDate)) return new Response(text, response);
        // Rejected before any processing, so re-sending is safe even for POST; not counted as an attempt.
        this.#clockOffsetMs = serverDate - Date.now();
        skewCorrected = true;
        attempt--;
        continue;
      }
      if (call.retryable && attempt < call.maxAttempts && RETRYABLE_STATUS.has(response.status)) {
        const wait = retryAfterMs(response);
        if (wait === undefined || (wait <= this.#maxDelayMs && wait < call.deadline - Date.now())) {
          await response.body?.cancel();
          await this.#backoff(call, attempt, wait);
          continue;
        }
      }
      return response;
    }
  }

  async #backoff(call: Call, attempt: number, retryAfter: number | undefined): Promise<void> {
    // Full jitter: a random wait up to the exponential cap, unless the server said how long.
    const cap = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    try {
      await sleep(retryAfter ?? Math.random() * cap, undefined, { signal: call.signal });
    } catch {
      throwIfAborted(call);
    }
  }

  #log(outgoing: OutgoingRequest, attempt: number, started: number, status?: number, error?: string): void {
    this.#options.logger?.debug('iam-m2m request', {
      method: outgoing.method,
      host: outgoing.url.host,
      path: outgoing.path,
      status,
      attempt,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(error ? { error } : {}),
    });
  }
}

function throwIfAborted(call: Call): void {
  if (call.callerSignal?.aborted) throw call.callerSignal.reason;
  if (call.timeout.aborted) {
    const what = call.lambdaBound ? "the Lambda function's remaining time" : 'timeoutMs';
    throw new IamTimeoutError(
      `${call.outgoing.method} ${call.outgoing.displayUrl} did not complete within ${Math.round(call.budgetMs)} ms (${what}).`,
      call.budgetMs,
    );
  }
}

/**
 * The session token as AWS echoes it: API Gateway's wrong-signature message prints the
 * canonical request it expected, signed `x-amz-security-token` header included
 * (https://github.com/mhart/aws4/issues/110), or `X-Amz-Security-Token` in a presigned query.
 */
const ECHOED_TOKEN = /^(x-amz-security-token:).*$|((?:^|&)X-Amz-Security-Token=)[^&\s']*/gim;

/** The service's message, the session token it may echo replaced by `<redacted>`. */
function messageOf(text: string): string | undefined {
  let message: string | undefined = text === '' ? undefined : text.slice(0, 256);
  try {
    const body = JSON.parse(text) as { message?: unknown; Message?: unknown };
    const field = body.message ?? body.Message;
    if (typeof field === 'string') message = field;
  } catch {
    // Not JSON: fall back to the text itself.
  }
  return message?.replace(ECHOED_TOKEN, (_match, header?: string, query?: string) => `${header ?? query}<redacted>`);
}

/**
 * Creates a signing HTTP client for code without Middy. Create it once, at module scope,
 * and reuse it across invocations: credentials, signing keys and keep-alive sockets are cached.
 *
 * @example
 * ```ts
 * import { createIamClient } from '@iam-m2m/middleware';
 *
 * const client = createIamClient({ timeoutMs: 3_000 });
 * export const handler = async () => client.json({ url: process.env.IAM_API! });
 * ```
 */
export function createIamClient(options?: IamClientOptions): IamClient {
  return new IamClient(options);
}
