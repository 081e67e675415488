import { IamClientConfigError, IamClientError } from './errors.js';
import type { BodyInput, OutgoingRequestInput } from './outgoing-request.js';

/**
 * The most a streamed body (a `ReadableStream`, an async iterable, a `Request`'s body) may hold:
 * 10 MiB, API Gateway's payload limit. SigV4 signs the body's SHA-256, so a stream is read
 * whole before signing, and a stream past this size is refused rather than held in memory.
 */
export const MAX_STREAMED_BODY_BYTES = 10 * 1024 * 1024;

/** `fetch(input, init)` read into what {@link toOutgoingRequest} takes, the signal beside it. */
export interface FetchArguments extends OutgoingRequestInput {
  url: URL;
  signal?: AbortSignal | undefined;
}

type HeaderRecord = Record<string, string | string[]>;

// What fetch itself sends as Content-Type when the caller sets none.
const TEXT = 'text/plain;charset=UTF-8';
const FORM = 'application/x-www-form-urlencoded;charset=UTF-8';

const kindOf = (value: unknown): string =>
  value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;

function isRequest(value: unknown): value is Request {
  if (value instanceof Request) return true;
  // A Request of another realm or of the undici package: the fields fetch reads.
  const candidate = value as Partial<Request> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.url === 'string' &&
    typeof candidate.method === 'string' &&
    typeof candidate.headers === 'object'
  );
}

function absoluteUrl(value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new IamClientConfigError(
      `\`input\` must be an absolute http(s) URL, got ${JSON.stringify(value)} (outside a browser fetch has no base URL: give the library one, e.g. openapi-fetch's or ky's \`baseUrl\`).`,
    );
  }
}

function headersOf(value: unknown): Headers | HeaderRecord | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Headers) return value;
  if (typeof value !== 'object') {
    throw new IamClientConfigError(
      `\`init.headers\` must be a Headers, an array of [name, value] pairs or a record, got ${kindOf(value)}.`,
    );
  }
  if (!(Symbol.iterator in value)) return value as HeaderRecord;
  // Pairs, or a Headers of another realm: one record, repeated names kept for toHeaders to fold.
  const record: HeaderRecord = {};
  for (const pair of value as Iterable<unknown>) {
    const [name, entry] = Array.isArray(pair) && pair.length === 2 ? pair : [];
    if (typeof name !== 'string' || typeof entry !== 'string') {
      throw new IamClientConfigError('`init.headers` pairs must each be [name, value], two strings.');
    }
    const existing = record[name];
    if (existing === undefined) record[name] = entry;
    else record[name] = Array.isArray(existing) ? [...existing, entry] : [existing, entry];
  }
  return record;
}

/** Reads a stream or an (async) iterable of byte chunks whole, refusing more than {@link MAX_STREAMED_BODY_BYTES}. */
async function readLimited(source: AsyncIterable<unknown> | Iterable<unknown>, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    // Leaving the loop early (a throw) cancels the stream.
    for await (const chunk of source) {
      if (!(chunk instanceof Uint8Array)) {
        throw new IamClientConfigError(`${what} gave a ${kindOf(chunk)} chunk; a body stream must give Uint8Arrays.`);
      }
      total += chunk.byteLength;
      if (total > MAX_STREAMED_BODY_BYTES) {
        throw new IamClientConfigError(
          `${what} is over ${MAX_STREAMED_BODY_BYTES} bytes (10 MiB, API Gateway's payload limit). SigV4 signs the body's hash, so a stream is read whole before it is sent; send less, or split it into several requests.`,
        );
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof IamClientError) throw error;
    throw new IamClientConfigError(`${what} could not be read (locked, already read or failed).`, { cause: error });
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, total);
}

/** A fetch body as bytes (or a string), with the content type fetch would send for it. */
async function bodyOf(
  value: unknown,
  what: string,
): Promise<{ body: BodyInput | undefined; contentType: string | undefined }> {
  if (value === undefined || value === null) return { body: undefined, contentType: undefined };
  if (typeof value === 'string') return { body: value, contentType: TEXT };
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return { body: value, contentType: undefined };
  if (ArrayBuffer.isView(value)) {
    return { body: new Uint8Array(value.buffer, value.byteOffset, value.byteLength), contentType: undefined };
  }
  if (value instanceof URLSearchParams) return { body: value.toString(), contentType: FORM };
  if (value instanceof Blob) {
    return { body: new Uint8Array(await value.arrayBuffer()), contentType: value.type || undefined };
  }
  if (value instanceof FormData) {
    // fetch's own multipart encoding, boundary and Content-Type included: signed as it is sent.
    const encoded = new Request('http://localhost/', { method: 'POST', body: value });
    return {
      body: new Uint8Array(await encoded.arrayBuffer()),
      contentType: encoded.headers.get('content-type') ?? undefined,
    };
  }
  if (typeof value === 'object' && (Symbol.asyncIterator in value || Symbol.iterator in value)) {
    return { body: await readLimited(value as AsyncIterable<unknown>, what), contentType: undefined };
  }
  throw new IamClientConfigError(
    `${what} must be a string, an ArrayBuffer or a view of one (Uint8Array, Buffer, DataView), a Blob, URLSearchParams, FormData or a ReadableStream, got ${kindOf(value)}.`,
  );
}

/**
 * Reads the arguments of `fetch(input, init)` as `new Request(input, init)` would (init wins over
 * a Request's own method, headers, body and signal), and buffers the body: SigV4 signs its hash,
 * and retries send it again.
 *
 * @throws {IamClientConfigError} naming `input`, `init.headers` or `init.body` when it cannot be used.
 *
 * @example
 * ```ts
 * const args = await fromFetchArguments('https://api.example.com/items', { method: 'POST', body: new URLSearchParams({ a: '1' }) });
 * args.contentType; // 'application/x-www-form-urlencoded;charset=UTF-8'
 * ```
 */
export async function fromFetchArguments(input: unknown, init: RequestInit | undefined): Promise<FetchArguments> {
  if (init !== undefined && init !== null && typeof init !== 'object') {
    throw new IamClientConfigError(`\`init\` must be an object (fetch's RequestInit), got ${kindOf(init)}.`);
  }
  const options: RequestInit = init ?? {};
  let request: Request | undefined;
  let url: URL;
  if (typeof input === 'string') url = absoluteUrl(input);
  else if (input instanceof URL) url = input;
  else if (isRequest(input)) {
    request = input;
    url = absoluteUrl(input.url);
  } else {
    throw new IamClientConfigError(`\`input\` must be a URL string, a URL or a Request, got ${kindOf(input)}.`);
  }
  if (options.method !== undefined && typeof options.method !== 'string') {
    throw new IamClientConfigError(`\`init.method\` must be a string like 'POST', got ${kindOf(options.method)}.`);
  }
  let body: BodyInput | undefined;
  let contentType: string | undefined;
  if (options.body !== undefined) {
    ({ body, contentType } = await bodyOf(options.body, '`init.body`'));
  } else if (request?.bodyUsed) {
    throw new IamClientConfigError("The Request's body was already read: pass a Request whose body is unread.");
  } else if (request?.body) {
    body = await readLimited(request.body, "The Request's body");
  }
  return {
    method: options.method ?? request?.method,
    url,
    headers: headersOf(options.headers !== undefined ? options.headers : request?.headers),
    body,
    contentType,
    signal: 'signal' in options ? (options.signal ?? undefined) : request?.signal,
  };
}
