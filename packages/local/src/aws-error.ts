/** How an error's body is written: AWS's services and their gateway responses differ. */
export interface ErrorShape {
  /** The body for a message. @default `{"message":…}` */
  body?: (message: string) => string;
  /** @default 'application/json' */
  contentType?: string;
}

/**
 * An error AWS would answer with: HTTP status, `x-amzn-ErrorType` (none when `type` is empty)
 * and message, in the body shape of the service that answers. Every part of the local stack
 * throws these; the servers turn them into responses.
 *
 * @example
 * ```ts
 * throw new AwsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
 * throw new AwsError(404, 'ResourceNotFoundException', 'Function not found: …', LAMBDA_ERROR);
 * ```
 */
export class AwsError extends Error {
  public constructor(
    public readonly status: number,
    public readonly type: string,
    message: string,
    public readonly shape: ErrorShape = {},
  ) {
    super(message);
    this.name = 'AwsError';
  }

  /** Why, for the one line on stderr that explains a refusal: never in the answer. @default none */
  public why: string | undefined;

  /** Notes why (for stderr, never the answer), e.g. `no stage dev on API abc123; its stages: prod`. */
  public because(why: string): this {
    this.why = why;
    return this;
  }

  /** The body AWS would send. */
  public get body(): string {
    return this.shape.body?.(this.message) ?? JSON.stringify({ message: this.message });
  }
}

/** API Gateway's IAM authorization denials: `{"Message":…}`, capital M. */
export const CAPITAL_MESSAGE: ErrorShape = { body: (message) => JSON.stringify({ Message: message }) };

/** The Lambda API's own errors: `{"Type":"User","Message":…}` (`ResourceNotFoundException`, `ServiceException`). */
export const LAMBDA_ERROR: ErrorShape = { body: (message) => JSON.stringify({ Type: 'User', Message: message }) };

/**
 * The Lambda API's errors whose message member is lowercase in its model and on the wire
 * (`InvalidParameterValueException`, `InvalidRequestContentException`, `RequestTooLargeException`,
 * `ResourceConflictException`): `{"Type":"User","message":…}`.
 */
export const LAMBDA_ERROR_LOWERCASE: ErrorShape = {
  body: (message) => JSON.stringify({ Type: 'User', message }),
};

/** API Gateway's answers for integration failures, written as AWS writes them: `{"message": "…"}`. */
export const GATEWAY_MESSAGE: ErrorShape = { body: (message) => `{"message": ${JSON.stringify(message)}}` };

/** API Gateway's front end, before any API: plain text, as AWS answers oversized requests. */
export const PLAIN_TEXT: ErrorShape = { body: (message) => message, contentType: 'text; charset=utf-8' };

/** API Gateway's 500 `Internal server error` for an integration it cannot run, with why (for stderr). */
export const integrationError = (why: string): AwsError =>
  new AwsError(500, 'InternalServerErrorException', 'Internal server error', GATEWAY_MESSAGE).because(why);

export const missingAuthenticationToken = (): AwsError =>
  new AwsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
