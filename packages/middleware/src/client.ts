import { setTimeout as sleep } from 'node:timers/promises';
import { errorTypeOf, messageOf, retryAfterMs } from './aws-answer.js';
import { fromAssumeRole, resolveCredentialsOption } from './credentials.js';
import { deadlineSignal } from './deadline.js';
import { checkScopeOverrides, resolveSigningScope } from './endpoint.js';
import { IamClientConfigError, IamClientError, IamNetworkError, IamRequestError, IamTimeoutError } from './errors.js';
import { fromFetchArguments } from './fetch-input.js';
import {
  attempts,
  checkSigner,
  type IamCallOptions,
  type IamClientOptions,
  type IamMethodOptions,
  type IamRequestOptions,
  type IamSignOptions,
  nonNegative,
} from './options.js';
import { type OutgoingRequest, type OutgoingRequestInput, toOutgoingRequest } from './outgoing-request.js';
import { type PreparedRequest, RequestSigner, type Signer } from './signing.js';

const NO_OPTIONS: IamCallOptions = {};
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const SKEW_MESSAGE = /Signature expired|Signature not yet current/i;

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** One call in flight: its wire form, scope, budget and signals. */
interface Call {
  outgoing: OutgoingRequest;
  /** Headers copied and body hashed once, signed again on every attempt; undefined with a `signer`. */
  prepared: PreparedRequest | undefined;
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
  readonly #external: Signer | undefined;
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
    if (options.fetch !== undefined && typeof options.fetch !== 'function') {
      throw new IamClientConfigError(`\`fetch\` must be a fetch function, got ${typeof options.fetch}.`);
    }
    this.#external = checkSigner(options);
    const base = resolveCredentialsOption(options.credentials);
    const credentials = options.assumeRole ? fromAssumeRole(options.assumeRole, base) : base;
    this.#signer = new RequestSigner({ credentials, sha256: options.sha256 });
  }

  /**
   * Signs and sends a request: the global `fetch`'s exact type, so it can be handed to anything
   * that takes a `fetch` (openapi-fetch, ky, graphql-request, generated SDKs). Same path as
   * {@link IamClient.request}: retries re-signed, timeouts and the Lambda deadline, clock skew;
   * a non-2xx answer is a `Response`, not a throw; redirects are not followed. The body
   * (string, ArrayBuffer and views, Blob, URLSearchParams, FormData, a `Request`'s, or a
   * `ReadableStream` up to `MAX_STREAMED_BODY_BYTES`, 10 MiB) is read once and sent as `fetch` would,
   * Content-Type included. Bound: pass `client.fetch` around as it is.
   *
   * @throws {IamClientConfigError} bad input (naming `input`, `init.headers` or `init.body`), no region or no credentials.
   * @throws {IamTimeoutError} the budget (`timeoutMs` or the Lambda deadline) ran out.
   * @throws {IamNetworkError} no HTTP answer on the last attempt.
   *
   * @example
   * ```ts
   * import createClient from 'openapi-fetch';
   * const api = createClient<paths>({ baseUrl: process.env.API_URL, fetch: context.iamClient.fetch });
   * const response = await context.iamClient.fetch(`${process.env.API_URL}items`, { method: 'POST', body: JSON.stringify(item) });
   * ```
   */
  public readonly fetch: typeof fetch = (input, init) => this.#fetch(input, init, NO_OPTIONS);

  /**
   * A `fetch` bound to per-call options: a signing host, another service or region, a budget.
   * Hand it to a library as its `fetch`, or call it for one request.
   *
   * @throws {IamClientConfigError} when an option is malformed, or a scope option is given with a `signer`.
   *
   * @example
   * ```ts
   * // An API Gateway behind CloudFront: connect to CloudFront, sign for the API.
   * const viaCdn = client.fetcher({ signingHost: 'abc123.execute-api.eu-west-1.amazonaws.com' });
   * await viaCdn('https://d111111abcdef8.cloudfront.net/prod/items');
   * await client.fetcher({ timeoutMs: 2_000, idempotent: true })(url, { method: 'POST', body });
   * ```
   */
  public fetcher(options: IamCallOptions): typeof fetch {
    this.#checkCallOptions(options);
    return (input, init) => this.#fetch(input, init, options);
  }

  /**
   * Signs a request without sending it, for axios, got, an interceptor or your own transport:
   * a `Request` whose URL is the wire form that was signed and whose headers are the request's
   * plus `host`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` and
   * `authorization`. Send that URL, those headers and the same body bytes. It has the shape of a
   * {@link Signer}. A signature is good for five minutes and for one body: sign again for each
   * attempt. Never log what it returns.
   *
   * @throws {IamClientConfigError} bad input, no region or no credentials.
   *
   * @example
   * ```ts
   * import axios from 'axios';
   * const body = JSON.stringify({ item: 'book' });
   * const signed = await client.sign(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
   * const { data } = await axios.post(signed.url, body, { headers: Object.fromEntries(signed.headers) });
   * ```
   */
  public async sign(input: string | URL | Request, init?: RequestInit, options?: IamSignOptions): Promise<Request> {
    const args = await fromFetchArguments(input, init);
    const outgoing = toOutgoingRequest(args);
    if (this.#external) {
      this.#checkCallOptions(options ?? NO_OPTIONS);
      return this.#external.sign(outgoing.wireUrl, externalInit(outgoing));
    }
    const scope = resolveSigningScope(outgoing.url, this.#options, options);
    const headers = await this.#signer.sign(outgoing, scope, new Date(Date.now() + this.#clockOffsetMs));
    return new Request(outgoing.wireUrl, {
      method: outgoing.method,
      headers,
      body: outgoing.body,
      redirect: 'manual',
      signal: args.signal,
    });
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
    return this.#send(this.#prepare(options, options));
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
    const call = this.#prepare(options, options);
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

  async #fetch(
    input: string | URL | Request,
    init: RequestInit | undefined,
    options: IamCallOptions,
  ): Promise<Response> {
    const args = await fromFetchArguments(input, init);
    return this.#send(this.#prepare(args, options));
  }

  /** Refuses malformed per-call options, and scope options a `signer` would ignore. */
  #checkCallOptions(options: IamCallOptions): void {
    if (this.#external) {
      const given = (['service', 'region', 'signingHost'] as const).filter((name) => options[name] !== undefined);
      if (given.length > 0) {
        throw new IamClientConfigError(
          `${given.map((name) => `\`${name}\``).join(', ')} cannot apply: the client's \`signer\` signs with its own scope.`,
        );
      }
    } else checkScopeOverrides(options);
    nonNegative(options.timeoutMs, 'timeoutMs', 0);
    attempts(options.maxAttempts, 1);
  }

  #prepare(request: OutgoingRequestInput & { signal?: AbortSignal | undefined }, options: IamCallOptions): Call {
    const outgoing = toOutgoingRequest(request);
    let prepared: PreparedRequest | undefined;
    if (this.#external) this.#checkCallOptions(options);
    else prepared = this.#signer.prepare(outgoing, resolveSigningScope(outgoing.url, this.#options, options));
    const own = nonNegative(options.timeoutMs, 'timeoutMs', this.#timeoutMs);
    const remaining = remainingTimeOf.get(this);
    const lambdaMs = remaining ? remaining() - this.#marginMs : Number.POSITIVE_INFINITY;
    // setTimeout holds at most 2^31-1 ms.
    const budgetMs = Math.max(0, Math.min(own, lambdaMs, 2_147_483_647));
    // Calls with nearly the same deadline share one timeout signal.
    const timeout = deadlineSignal(budgetMs);
    return {
      outgoing,
      prepared,
      maxAttempts: attempts(options.maxAttempts, this.#maxAttempts),
      retryable: options.idempotent === true || IDEMPOTENT_METHODS.has(outgoing.method),
      budgetMs,
      deadline: Date.now() + budgetMs,
      lambdaBound: lambdaMs < own,
      callerSignal: request.signal,
      timeout,
      signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
    };
  }

  async #send(call: Call): Promise<Response> {
    const { outgoing } = call;
    const transport = this.#options.fetch ?? globalThis.fetch;
    const external = this.#external;
    let skewCorrected = false;
    for (let attempt = 1; ; attempt++) {
      let input: string | Request = outgoing.wireUrl;
      let init: RequestInit;
      if (external) {
        input = await external.sign(outgoing.wireUrl, externalInit(outgoing));
        init = { redirect: 'manual', signal: call.signal };
      } else {
        // Prepared whenever there is no `signer`.
        const prepared = call.prepared as PreparedRequest;
        const headers = await this.#signer.signPrepared(prepared, new Date(Date.now() + this.#clockOffsetMs));
        // fetch sends the URL's host itself; with a signingHost, the front in between sets the signed one.
        delete headers.host;
        init = { method: outgoing.method, headers, body: outgoing.body, redirect: 'manual', signal: call.signal };
      }
      const started = performance.now();
      let response: Response;
      try {
        response = await transport(input, init);
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
      if (
        response.status === 403 &&
        !skewCorrected &&
        !external &&
        errorTypeOf(response) === 'InvalidSignatureException'
      ) {
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

/** What a `signer` is given: the request in wire form, its headers copied (a signer may add to them). */
function externalInit(outgoing: OutgoingRequest): RequestInit {
  return { method: outgoing.method, headers: { ...outgoing.headers }, body: outgoing.body };
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
