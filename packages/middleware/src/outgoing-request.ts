import { IamClientConfigError } from './errors.js';
import type { QueryMap, SignableRequest } from './signing.js';

/** A query value; `undefined` and `null` leave the parameter out. */
export type QueryValue = string | number | boolean;

/** Query parameters to add to the URL's own; arrays repeat the name. */
export type QueryInput = Record<string, QueryValue | readonly QueryValue[] | null | undefined>;

/** Request headers; arrays are joined with `,` as HTTP folds repeated headers. */
export type HeadersInput = Record<string, string | number | readonly string[] | undefined> | Headers;

/** A request body. Strings are sent as UTF-8. */
export type BodyInput = string | Uint8Array | ArrayBuffer;

/** What {@link toOutgoingRequest} reads. */
export interface OutgoingRequestInput {
  method?: string | undefined;
  url: string | URL;
  query?: QueryInput | undefined;
  headers?: HeadersInput | undefined;
  body?: BodyInput | undefined;
  json?: unknown;
  /** Content type of `body` when `headers` has none: what `fetch` sends for a string, a Blob, URLSearchParams or FormData. */
  contentType?: string | undefined;
}

/** A validated request in wire form: what is signed and what is sent are built from it. */
export interface OutgoingRequest extends SignableRequest {
  /** The URL to fetch: the normalized path and the query, encoded. */
  wireUrl: string;
  /** Origin and path, no query: safe to show in logs and errors. */
  displayUrl: string;
  /** The parsed URL, for scope inference. */
  url: URL;
}

const METHOD = /^[A-Z]+$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Unreserved characters (and slashes in a path): RFC 3986 encoding leaves them as they are.
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const UNRESERVED_PATH = /^[A-Za-z0-9\-._~/]*$/;
// Set by the signer or the transport: letting callers set them would break the signature or the framing.
const RESERVED_HEADERS = new Set([
  'authorization',
  'connection',
  'content-length',
  'host',
  'transfer-encoding',
  'x-amz-date',
  'x-amz-security-token',
]);
const encoder = new TextEncoder();

/** RFC 3986 percent-encoding: everything but `A–Z a–z 0–9 - . _ ~`. */
export function encodeRfc3986(value: string): string {
  if (UNRESERVED.test(value)) return value;
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeComponent(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // The value is not echoed: a query may carry something private.
    throw new IamClientConfigError(
      `The ${what} has invalid percent-encoding (a % not followed by two hex digits, or not UTF-8).`,
    );
  }
}

function addQuery(query: QueryMap, name: string, value: string): void {
  const existing = query[name];
  if (existing === undefined) query[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else query[name] = [existing, value];
}

function parseUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = input instanceof URL ? input : new URL(input);
  } catch {
    throw new IamClientConfigError(`\`url\` must be an absolute http(s) URL, got ${JSON.stringify(String(input))}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new IamClientConfigError(`\`url\` must use https: or http:, got ${url.protocol} in ${url.origin}.`);
  }
  if (url.username || url.password) {
    throw new IamClientConfigError(`\`url\` must not hold user info (${url.hostname}): SigV4 carries the identity.`);
  }
  return url;
}

/**
 * Parses a raw query string (no leading `?`) into a decoded multi-value map. `+` stays a
 * plus: SigV4 decodes with RFC 3986 rules, not HTML form rules.
 *
 * @throws {IamClientConfigError} on invalid percent-encoding.
 *
 * @example
 * ```ts
 * parseQueryString('a=1&a=2&b=x%20y'); // → { a: ['1', '2'], b: 'x y' }
 * ```
 */
export function parseQueryString(search: string, where = 'query string'): QueryMap {
  const query: QueryMap = {};
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    addQuery(query, decodeComponent(name, where), decodeComponent(value, where));
  }
  return query;
}

function toQuery(url: URL, extra: QueryInput | undefined): QueryMap {
  const query = url.search === '' ? {} : parseQueryString(url.search.slice(1), `query of ${url.origin}${url.pathname}`);
  for (const [name, value] of Object.entries(extra ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) addQuery(query, name, String(item));
    }
  }
  return query;
}

// The signer leaves X-Amz-Signature out of what it signs, and AWS reads these as a presigned
// request's own: sent along, the signature could never match.
const PRESIGNING_PARAMETERS = new Set([
  'x-amz-signature',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-signedheaders',
  'x-amz-security-token',
  'x-amz-expires',
]);

function toHeaders(input: HeadersInput | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  const entries = input instanceof Headers ? [...input.entries()] : Object.entries(input ?? {});
  for (const [rawName, value] of entries) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (!HEADER_NAME.test(name)) {
      throw new IamClientConfigError(`Header name ${JSON.stringify(rawName)} is not a valid HTTP token.`);
    }
    if (RESERVED_HEADERS.has(name)) {
      const hint = name === 'host' ? ' (to sign for another host, pass `signingHost`)' : '';
      throw new IamClientConfigError(
        `Header ${JSON.stringify(rawName)} is set by the client or the transport; leave it out${hint}.`,
      );
    }
    const text = Array.isArray(value) ? value.join(',') : String(value);
    // The value is never echoed: it may be a secret.
    if (/[\r\n\0]/.test(text)) {
      throw new IamClientConfigError(`Header ${JSON.stringify(rawName)} has a CR, LF or NUL in its value.`);
    }
    headers[name] = headers[name] === undefined ? text : `${headers[name]},${text}`;
  }
  return headers;
}

function toBody(input: OutgoingRequestInput, method: string, headers: Record<string, string>): Uint8Array | undefined {
  if (input.body !== undefined && input.json !== undefined) {
    throw new IamClientConfigError('Pass either `body` or `json`, not both.');
  }
  let body: Uint8Array | undefined;
  if (input.json !== undefined) {
    const text = JSON.stringify(input.json);
    if (text === undefined) throw new IamClientConfigError('`json` must be a JSON-serializable value.');
    headers['content-type'] ??= 'application/json';
    body = encoder.encode(text);
  } else if (typeof input.body === 'string') {
    body = encoder.encode(input.body);
  } else if (input.body instanceof Uint8Array) {
    body = input.body;
  } else if (input.body instanceof ArrayBuffer) {
    body = new Uint8Array(input.body);
  } else if (input.body !== undefined) {
    throw new IamClientConfigError(
      '`body` must be a string, a Uint8Array or an ArrayBuffer (streams cannot be re-sent on retry).',
    );
  }
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new IamClientConfigError(`A ${method} request cannot have a body.`);
  }
  return body;
}

/**
 * Validates a request and puts it in wire form, so that what is signed is byte for byte
 * what is sent: the path re-encoded segment by segment with RFC 3986 (an encoded `/`
 * inside a segment stays encoded), the URL's query and `query` merged into one decoded
 * multi-value map and re-encoded, header names lower-cased, the body as bytes.
 *
 * @throws {IamClientConfigError} naming the input that is wrong and what was expected.
 *
 * @example
 * ```ts
 * const request = toOutgoingRequest({ method: 'POST', url: 'https://api.example.com/a b?x=1', json: { ok: true } });
 * request.wireUrl; // 'https://api.example.com/a%20b?x=1'
 * ```
 */
export function toOutgoingRequest(input: OutgoingRequestInput): OutgoingRequest {
  const method = (input.method ?? 'GET').toUpperCase();
  if (!METHOD.test(method)) {
    throw new IamClientConfigError(
      `\`method\` must be an HTTP method like GET or POST, got ${JSON.stringify(input.method)}.`,
    );
  }
  const url = parseUrl(input.url);
  // Most paths have nothing to re-encode: no per-segment decode and encode for them.
  const path = UNRESERVED_PATH.test(url.pathname)
    ? url.pathname
    : url.pathname
        .split('/')
        .map((segment) => encodeRfc3986(decodeComponent(segment, `path of ${url.origin}${url.pathname}`)))
        .join('/');
  const query = toQuery(url, input.query);
  let search = '';
  for (const name of Object.keys(query)) {
    if (PRESIGNING_PARAMETERS.has(name.toLowerCase())) {
      throw new IamClientConfigError(
        `Query parameter ${JSON.stringify(name)} is reserved for presigned requests (SigV4 adds its own): remove it from \`url\` or \`query\`.`,
      );
    }
    const values = query[name] as string | string[];
    for (const value of Array.isArray(values) ? values : [values]) {
      search += `${search === '' ? '' : '&'}${encodeRfc3986(name)}=${encodeRfc3986(value)}`;
    }
  }
  const headers = toHeaders(input.headers);
  const body = toBody(input, method, headers);
  if (input.contentType !== undefined && body !== undefined) headers['content-type'] ??= input.contentType;
  const origin = url.origin;
  return {
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path,
    query,
    headers,
    body,
    url,
    wireUrl: `${origin}${path}${search ? `?${search}` : ''}`,
    displayUrl: `${origin}${path}`,
  };
}
