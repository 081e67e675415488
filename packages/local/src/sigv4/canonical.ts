import { createHash } from 'node:crypto';
import { AwsError } from '../aws-error.js';

/** SHA-256 of nothing, the payload hash of an empty body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const encoder = new TextEncoder();

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** RFC 3986 percent-encoding of the UTF-8 bytes of `value`: everything but `A–Z a–z 0–9 - . _ ~`. */
export function uriEncode(value: string): string {
  let out = '';
  for (const char of value) {
    if (UNRESERVED.test(char)) out += char;
    else for (const byte of encoder.encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-decodes as SigV4 does: `%XX` to bytes, `+` left alone. Throws on bad escapes or UTF-8. */
export function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new AwsError(400, 'BadRequestException', 'The request query or path has invalid percent-encoding.');
  }
}

/**
 * The canonical URI of a path as received on the wire. Dot segments and empty segments are
 * removed (`normalize`), then each segment is URI-encoded — an already encoded wire path is
 * thus encoded twice, as every service but S3 expects.
 */
export function canonicalPath(wirePath: string, normalize = true): string {
  if (!normalize) return wirePath.split('/').map(uriEncode).join('/') || '/';
  const segments: string[] = [];
  for (const segment of wirePath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && wirePath.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/** Query parameters, decoded, in wire order. */
export type QueryPairs = [name: string, value: string][];

/** Splits and decodes a raw query string (no `?`); a name without `=` has the value ''. */
export function parseQuery(rawQuery: string): QueryPairs {
  const pairs: QueryPairs = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    pairs.push([
      percentDecode(eq === -1 ? part : part.slice(0, eq)),
      percentDecode(eq === -1 ? '' : part.slice(eq + 1)),
    ]);
  }
  return pairs;
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The canonical query string: names and values re-encoded, sorted by name, then value. */
export function canonicalQuery(pairs: QueryPairs): string {
  return pairs
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([an, av], [bn, bv]) => byCodeUnit(an, bn) || byCodeUnit(av, bv))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** Headers as received: name and value per line, repeats kept, in order. */
export type HeaderLines = ReadonlyArray<readonly [name: string, value: string]>;

/**
 * The canonical headers block for the signed header names: values trimmed, inner runs of
 * white space folded to one space, repeats joined with `,`.
 *
 * @returns undefined when a signed header was not received.
 */
export function canonicalHeaders(headers: HeaderLines, signedHeaders: readonly string[]): string | undefined {
  const lines: string[] = [];
  for (const name of signedHeaders) {
    const values = headers
      .filter(([header]) => header.toLowerCase() === name)
      .map(([, value]) => value.trim().replace(/\s+/g, ' '));
    if (values.length === 0) return undefined;
    lines.push(`${name}:${values.join(',')}\n`);
  }
  return lines.join('');
}
