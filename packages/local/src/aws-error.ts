/**
 * An error AWS would answer with: HTTP status, `x-amzn-ErrorType` and message. Every
 * part of the local stack throws these; the servers turn them into responses.
 *
 * @example
 * ```ts
 * throw new AwsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
 * ```
 */
export class AwsError extends Error {
  public constructor(
    public readonly status: number,
    public readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

export const missingAuthenticationToken = (): AwsError =>
  new AwsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
