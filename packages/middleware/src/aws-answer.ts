// What AWS answered, read for retries and errors.

/** Reads `Retry-After` (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** `x-amzn-ErrorType` without the `:http://…` suffix AWS sometimes adds. */
export function errorTypeOf(response: Response): string | undefined {
  return response.headers.get('x-amzn-errortype')?.split(':')[0] || undefined;
}

/**
 * The session token as AWS echoes it: API Gateway's wrong-signature message prints the
 * canonical request it expected, signed `x-amz-security-token` header included
 * (https://github.com/mhart/aws4/issues/110), or `X-Amz-Security-Token` in a presigned query.
 */
const ECHOED_TOKEN = /^(x-amz-security-token:).*$|((?:^|&)X-Amz-Security-Token=)[^&\s']*/gim;

/** The service's message, the session token it may echo replaced by `<redacted>`. */
export function messageOf(text: string): string | undefined {
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
