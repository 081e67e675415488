/**
 * Gives a class a `name` no minifier renames: esbuild, terser and others shorten class names
 * unless told to keep them, and `error.name` is what Lambda reports as `errorType`. Defined in
 * a static block, not as a static field, since a compiler that lowers fields to assignments
 * would throw on the read-only `Function.name`.
 */
function nameClass(target: object, name: string): void {
  Object.defineProperty(target, 'name', { value: name, configurable: true });
}

/**
 * Base class of every error this package throws, so callers can catch them all at once.
 *
 * No error message ever holds a secret key, a session token, a signature or an
 * Authorization header: messages name inputs, never their secret values.
 *
 * @example
 * ```ts
 * try {
 *   await client.json({ url });
 * } catch (error) {
 *   if (error instanceof IamClientError) logger.warn('call failed', { error });
 *   throw error;
 * }
 * ```
 */
export class IamClientError extends Error {
  static {
    nameClass(IamClientError, 'IamClientError');
  }

  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // The subclass's own name (kept by nameClass), so a minified bundle still says IamRequestError.
    this.name = new.target.name;
  }
}

/**
 * The client was configured or called with input it cannot use: no region,
 * no credentials, a URL that is not http(s), a body and `json` at once…
 *
 * @example
 * ```ts
 * import { createIamClient, IamClientConfigError } from '@iam-m2m/middleware';
 * try {
 *   await createIamClient().get('https://internal.example.com/');
 * } catch (error) {
 *   if (error instanceof IamClientConfigError) console.error(error.message); // names the URL and the fix
 * }
 * ```
 */
export class IamClientConfigError extends IamClientError {
  static {
    nameClass(IamClientConfigError, 'IamClientConfigError');
  }
}

/** What an {@link IamRequestError} is built from. */
export interface IamRequestErrorDetails {
  /** HTTP method of the request. */
  method: string;
  /** URL of the request, without its query string. */
  url: string;
  /** HTTP status of the response. */
  status: number;
  /** The `x-amzn-ErrorType` header, without the `:http://…` suffix AWS sometimes adds. */
  errorType?: string | undefined;
  /** The error message from the response body (`message` or `Message`), or its first 256 characters. */
  serviceMessage?: string | undefined;
  /** `x-amzn-RequestId` (or `x-amz-apigw-id`, `x-amz-request-id`). */
  requestId?: string | undefined;
}

/**
 * The service answered with a status outside 2xx (thrown by `client.json()`).
 *
 * @example
 * ```ts
 * try {
 *   await context.iamClient.json({ url });
 * } catch (error) {
 *   if (error instanceof IamRequestError && error.errorType === 'AccessDeniedException') {
 *     // the caller's role or the API's resource policy does not allow execute-api:Invoke
 *   }
 * }
 * ```
 */
export class IamRequestError extends IamClientError {
  static {
    nameClass(IamRequestError, 'IamRequestError');
  }

  public readonly method: string;
  public readonly url: string;
  public readonly status: number;
  public readonly errorType: string | undefined;
  public readonly serviceMessage: string | undefined;
  public readonly requestId: string | undefined;

  public constructor(details: IamRequestErrorDetails) {
    const type = details.errorType ? ` ${details.errorType}` : '';
    const text = details.serviceMessage ? `: ${details.serviceMessage}` : '';
    const id = details.requestId ? ` (request id ${details.requestId})` : '';
    super(`${details.method} ${details.url} answered ${details.status}${type}${text}${id}`);
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.errorType = details.errorType;
    this.serviceMessage = details.serviceMessage;
    this.requestId = details.requestId;
  }
}

/**
 * The request did not complete in time: its `timeoutMs`, or the Lambda's own deadline.
 *
 * @example
 * ```ts
 * try {
 *   await client.get(url, { timeoutMs: 2_000 });
 * } catch (error) {
 *   if (error instanceof IamTimeoutError) console.warn(`gave up after ${error.timeoutMs} ms`);
 * }
 * ```
 */
export class IamTimeoutError extends IamClientError {
  static {
    nameClass(IamTimeoutError, 'IamTimeoutError');
  }

  public readonly timeoutMs: number;

  public constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The request never got an HTTP answer (connection refused or reset, DNS failure)
 * on its last attempt. `cause` holds the underlying error.
 *
 * @example
 * ```ts
 * try {
 *   await client.get(url);
 * } catch (error) {
 *   if (error instanceof IamNetworkError) console.warn(error.message, error.attempts);
 * }
 * ```
 */
export class IamNetworkError extends IamClientError {
  static {
    nameClass(IamNetworkError, 'IamNetworkError');
  }

  public readonly attempts: number;

  public constructor(message: string, attempts: number, cause: unknown) {
    super(message, { cause });
    this.attempts = attempts;
  }
}
