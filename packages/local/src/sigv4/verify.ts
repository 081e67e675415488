import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { AwsError, missingAuthenticationToken } from '../aws-error.js';
import {
  canonicalHeaders,
  canonicalPath,
  canonicalQuery,
  EMPTY_SHA256,
  type HeaderLines,
  parseQuery,
  type QueryPairs,
  sha256Hex,
} from './canonical.js';

/** What a server has of a request before its body: enough to check everything but the payload hash. */
export interface RequestHead {
  method: string;
  /** The request target as sent: path and query, still encoded. */
  target: string;
  headers: HeaderLines;
}

/** A request as the server received it. */
export interface ReceivedRequest extends RequestHead {
  body: Uint8Array;
}

/** What a verifier knows of an access key. */
export interface KnownKey<TIdentity> {
  secretAccessKey: string;
  /** Required, and must match, for temporary credentials. */
  sessionToken?: string | undefined;
  identity: TIdentity;
}

/** Options of {@link verifySignature}. */
export interface VerifyOptions<TIdentity> {
  /** The service the request must be scoped to (`execute-api`, `lambda`). */
  service: string;
  /** The region the request must be scoped to. */
  region: string;
  /** Finds the secret (and identity) of an access key id; undefined when unknown. */
  lookup: (accessKeyId: string) => KnownKey<TIdentity> | undefined;
  /** The server's clock. @default now */
  now?: Date;
  /** Normalize the path (every service but S3). @default true */
  normalizePath?: boolean;
  /**
   * `x-amz-content-sha256: UNSIGNED-PAYLOAD`. `'refuse'`: the payload hash is always the
   * body's own, so a request signed over `UNSIGNED-PAYLOAD` fails as a signature mismatch
   * (403 `InvalidSignatureException`), as API Gateway and Lambda answer. `'accept'`: the
   * literal is signed in place of the hash, as S3 and VPC Lattice allow. The header itself
   * stays optional: without it the body is hashed.
   * @default 'refuse' (every service this stack verifies for: `execute-api`, `lambda`)
   */
  unsignedPayload?: 'refuse' | 'accept';
  /**
   * A wrong signature's message goes on with the canonical request and the string to sign
   * the server expected, as API Gateway's does; Lambda answers the first sentence only.
   * @default true for `execute-api`, false for any other service
   */
  explainMismatch?: boolean;
}

/**
 * A request whose head checked out (form, scope, clock, credentials, signed headers): what is
 * left is the signature over the payload, once its hash is known.
 */
export interface PendingSignature<TIdentity> {
  /** Who the credentials belong to (not yet proven: the signature is checked by {@link complete}). */
  identity: TIdentity;
  /** Checks the signature with the payload's SHA-256 (hex); throws as AWS answers a mismatch. */
  complete(payloadHash: string): VerifiedRequest<TIdentity>;
}

/** A request whose signature checked out. */
export interface VerifiedRequest<TIdentity> {
  accessKeyId: string;
  identity: TIdentity;
  signedHeaders: string[];
  /** The query without the presigning parameters. */
  query: QueryPairs;
}

/**
 * Runs a verification, answering a request that carries no signature at all with the
 * service's own refusal (`MissingAuthenticationTokenException` is API Gateway REST's).
 */
export function withoutTokenAs<T>(refusal: () => AwsError, verify: () => T): T {
  try {
    return verify();
  } catch (error) {
    if (error instanceof AwsError && error.type === 'MissingAuthenticationTokenException')
      throw error.why ? refusal().because(error.why) : refusal();
    throw error;
  }
}

const SKEW_MS = 5 * 60_000;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const invalidSignature = (message: string) => new AwsError(403, 'InvalidSignatureException', message);
const incompleteSignature = (message: string) => new AwsError(403, 'IncompleteSignatureException', message);
const invalidToken = () =>
  new AwsError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');

const amzDate = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) || amzDate(ms) !== value ? undefined : ms;
}

const headerValue = (headers: HeaderLines, name: string): string | undefined =>
  headers.find(([header]) => header.toLowerCase() === name)?.[1];

/** The parts of SigV4 auth, from the Authorization header or from the query (presigned). */
interface AuthParts {
  credential: string;
  signedHeaders: string;
  signature: string;
  date: string;
  token: string | undefined;
  /** Presigned: seconds the signature is valid for. */
  expires?: number;
  query: QueryPairs;
}

/** Authorization schemes shown by name in a refusal; any other first word may be a secret. */
const KNOWN_SCHEMES = new Set(['Bearer', 'Basic', 'Digest', 'AWS', 'AWS4-HMAC-SHA256', 'Authorization:']);

function fromHeader(authorization: string, headers: HeaderLines, query: QueryPairs): AuthParts {
  const space = authorization.indexOf(' ');
  const algorithm = space === -1 ? authorization : authorization.slice(0, space);
  // After the first word, AWS reads `key=value` pairs split at commas and white space, and
  // names the first one without `=` before it looks at the algorithm, echoing the whole
  // header (the caller's own; we redact it). Seen for `Bearer <token>` on API Gateway
  // (https://github.com/cowinapi/developer.cowin/issues/129,
  // https://github.com/AstronomyAPI/Samples/issues/20), for `Credential= <key id>/…`
  // (https://github.com/boto/boto3/issues/2280) and for a header value that repeats
  // `Authorization: ` (https://github.com/amzn/selling-partner-api-docs/issues/836).
  const fields = new Map<string, string>();
  for (const pair of space === -1 ? [] : authorization.slice(space + 1).split(/[\s,]+/)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq === -1) {
      // AWS echoes the pair and the header; an Authorization header never reaches an error
      // message here (a Bearer token is a secret), so both are shown as `<redacted>`.
      throw incompleteSignature(
        `'<redacted>' not a valid key=value pair (missing equal-sign) in Authorization header: '${KNOWN_SCHEMES.has(algorithm) ? algorithm : '<redacted>'} <redacted>'.`,
      );
    }
    fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  if (algorithm !== ALGORITHM) {
    throw incompleteSignature(`Authorization header requires the algorithm ${ALGORITHM}.`);
  }
  // A well-formed header is not echoed: it carries the caller's key id and signature.
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !fields.get(name));
  if (missing.length > 0) {
    throw incompleteSignature(missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));
  }
  const date = headerValue(headers, 'x-amz-date') ?? httpDate(headerValue(headers, 'date'));
  if (!date) {
    throw incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  return {
    credential: fields.get('Credential') ?? '',
    signedHeaders: fields.get('SignedHeaders') ?? '',
    signature: fields.get('Signature') ?? '',
    date,
    token: headerValue(headers, 'x-amz-security-token'),
    query,
  };
}

function httpDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : amzDate(ms);
}

function fromQuery(query: QueryPairs): AuthParts {
  const get = (name: string) => query.find(([key]) => key === name)?.[1];
  if (get('X-Amz-Algorithm') !== ALGORITHM) {
    throw incompleteSignature(`X-Amz-Algorithm must be ${ALGORITHM}.`);
  }
  const missing = ['X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Date'].filter(
    (name) => !get(name),
  );
  if (missing.length > 0) {
    throw incompleteSignature(
      missing.map((name) => `Query-string authentication requires the ${name} parameter.`).join(' '),
    );
  }
  const expires = Number(get('X-Amz-Expires') ?? '604800');
  if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
    throw incompleteSignature('X-Amz-Expires must be a whole number of seconds from 1 to 604800.');
  }
  return {
    credential: get('X-Amz-Credential') ?? '',
    signedHeaders: get('X-Amz-SignedHeaders') ?? '',
    signature: get('X-Amz-Signature') ?? '',
    date: get('X-Amz-Date') ?? '',
    token: get('X-Amz-Security-Token'),
    expires,
    query: query.filter(([key]) => key !== 'X-Amz-Signature'),
  };
}

const hmac = (key: string | Buffer | KeyObject, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** Signing keys by secret and scope: one per credential and day, as AWS derives them. */
const signingKeys = new Map<string, KeyObject>();

/** The SigV4 signing key of a secret for a day, region and service (four HMACs, then remembered as a key object). */
function signingKey(secretAccessKey: string, day: string, region: string, service: string): KeyObject {
  const id = `${secretAccessKey}\0${day}\0${region}\0${service}`;
  let key = signingKeys.get(id);
  if (key === undefined) {
    key = createSecretKey(hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request'));
    if (signingKeys.size >= 1000) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

/**
 * Verifies an AWS Signature Version 4 request (Authorization header or presigned query),
 * written from the specification, independently of any signer: credential scope, ±5
 * minute window (or `X-Amz-Expires`), session token, canonical request, constant-time
 * signature comparison. Throws an {@link AwsError} shaped as AWS answers.
 *
 * @example
 * ```ts
 * const { identity } = verifySignature(request, { service: 'execute-api', region: 'us-east-1', lookup });
 * ```
 */
export function verifySignature<TIdentity>(
  request: ReceivedRequest,
  options: VerifyOptions<TIdentity>,
): VerifiedRequest<TIdentity> {
  return verifyHead(request, options).complete(request.body.length === 0 ? EMPTY_SHA256 : sha256Hex(request.body));
}

/**
 * Checks everything of a signature that the head of a request holds, in the order AWS answers,
 * so a server refuses an unsigned, malformed, mis-scoped, stale or unknown-key request before
 * it reads a byte of the body; the signature itself waits for the payload's hash.
 *
 * @example
 * ```ts
 * const pending = verifyHead(head, { service: 'execute-api', region: 'us-east-1', lookup });
 * const { identity } = pending.complete(sha256Hex(await readBody()));
 * ```
 */
export function verifyHead<TIdentity>(
  request: RequestHead,
  options: VerifyOptions<TIdentity>,
): PendingSignature<TIdentity> {
  const q = request.target.indexOf('?');
  const wirePath = q === -1 ? request.target : request.target.slice(0, q);
  const query = parseQuery(q === -1 ? '' : request.target.slice(q + 1));
  const authorization = headerValue(request.headers, 'authorization');
  const presigned = query.some(([key]) => key === 'X-Amz-Algorithm');
  if (authorization === undefined && !presigned)
    throw missingAuthenticationToken().because(
      `unsigned request to an endpoint that requires SigV4 (${options.service})`,
    );
  const auth = authorization !== undefined ? fromHeader(authorization, request.headers, query) : fromQuery(query);
  const { accessKeyId, day, region, service } = checkScope(auth, options);
  const key = options.lookup(accessKeyId);
  if (!key) throw invalidToken().because(`access key ${redactKey(accessKeyId)} is not one this local stack issued`);
  if (key.sessionToken !== undefined && !sameText(auth.token ?? '', key.sessionToken))
    throw invalidToken().because(
      `the session token does not belong to access key ${redactKey(accessKeyId)}${auth.token ? '' : ' (none was sent)'}`,
    );

  const signedHeaders = auth.signedHeaders.split(';');
  if (!signedHeaders.includes('host')) {
    throw incompleteSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const sorted = [...signedHeaders].sort();
  if (signedHeaders.some((name, i) => name !== sorted[i] || name !== name.toLowerCase() || name === '')) {
    throw incompleteSignature('SignedHeaders must be lower-case header names, sorted and separated by ";".');
  }
  const headerBlock = canonicalHeaders(request.headers, signedHeaders);
  if (headerBlock === undefined) throw invalidSignature(MISMATCH).because('a header it names as signed is missing');
  const claimed = headerValue(request.headers, 'x-amz-content-sha256');
  const complete = (payloadHash: string): VerifiedRequest<TIdentity> => {
    // UNSIGNED-PAYLOAD is S3's and VPC Lattice's: "VPC Lattice does not support payload
    // signing. You must send an x-amz-content-sha256 header with the value set to
    // "UNSIGNED-PAYLOAD"" (https://docs.aws.amazon.com/vpc-lattice/latest/ug/sigv4-authenticated-requests.html).
    // Lambda: "Lambda doesn't support unsigned payloads"
    // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html).
    // API Gateway: no AWS page names its answer. "Signature mismatch for execute api service"
    // for a request signed over UNSIGNED-PAYLOAD (https://github.com/aws/aws-sdk-js-v3/issues/308);
    // "Only s3 related service support this option, other service would result in
    // `SignatureDoesNotMatch` error" (https://github.com/apache/opendal-reqsign/issues/346);
    // "UnsignedPayload ... will only work for services that have support for this"
    // (https://github.com/aws/aws-sdk-go/blob/v1.44.294/aws/signer/v4/v4.go). So the refusal
    // is the closest documented one, execute-api's mismatch: the body is hashed as if the
    // header were absent, and a signature over the literal is a 403 InvalidSignatureException.
    const unsigned = claimed === 'UNSIGNED-PAYLOAD' && (options.unsignedPayload ?? 'refuse') === 'accept';
    if (claimed !== undefined && claimed !== payloadHash && claimed !== 'UNSIGNED-PAYLOAD') {
      throw invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const canonicalRequest = [
      request.method,
      canonicalPath(wirePath, options.normalizePath ?? true),
      canonicalQuery(auth.query),
      headerBlock,
      auth.signedHeaders,
      unsigned ? 'UNSIGNED-PAYLOAD' : payloadHash,
    ].join('\n');
    const credentialScope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = [ALGORITHM, auth.date, credentialScope, sha256Hex(canonicalRequest)].join('\n');
    const expected = hmac(signingKey(key.secretAccessKey, day, region, service), stringToSign).toString('hex');
    if (!sameText(auth.signature, expected)) {
      const explain =
        (options.explainMismatch ?? options.service === 'execute-api') && !signedHeaders.includes('authorization');
      throw invalidSignature(explain ? explainedMismatch(canonicalRequest, stringToSign) : MISMATCH).because(
        `the signature does not match the request as received (signed with another secret, or the method, path, query, signed headers or body changed after signing${claimed === 'UNSIGNED-PAYLOAD' ? '; UNSIGNED-PAYLOAD is not accepted here' : ''})`,
      );
    }
    return {
      accessKeyId,
      identity: key.identity,
      signedHeaders,
      query: query.filter(([name]) => !(presigned && name.startsWith('X-Amz-'))),
    };
  };
  return { identity: key.identity, complete };
}

/** `ASIA…WXYZ`: enough of a key id to tell which, in a line on stderr. */
const redactKey = (accessKeyId: string) => `${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}`;

/** The credential scope and the clock: the key id, day, region and service the signature is for. */
function checkScope(auth: AuthParts, options: VerifyOptions<unknown>) {
  const signedAt = parseAmzDate(auth.date);
  if (signedAt === undefined) {
    throw incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${auth.date.slice(0, 40)}'.`);
  }
  const scope = auth.credential.split('/');
  const [accessKeyId = '', day = '', region = '', service = '', terminator] = scope;
  if (scope.length !== 5 || terminator !== 'aws4_request' || !accessKeyId) {
    throw incompleteSignature("Credential must have the form '<key id>/<YYYYMMDD>/<region>/<service>/aws4_request'.");
  }
  if (day !== auth.date.slice(0, 8)) {
    throw invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${auth.date.slice(0, 8)}', from 'x-amz-date'.`,
    );
  }
  if (region !== options.region)
    throw invalidSignature('Credential should be scoped to a valid region.').because(
      `signed for ${region.slice(0, 40)}; this endpoint is in ${options.region}`,
    );
  if (service !== options.service) {
    throw invalidSignature(`Credential should be scoped to correct service: '${options.service}'.`).because(
      `signed for service ${service.slice(0, 40)}; this endpoint is ${options.service}`,
    );
  }
  const now = (options.now ?? new Date()).getTime();
  if (auth.expires !== undefined && now > signedAt + auth.expires * 1000) {
    throw invalidSignature(
      `Signature expired: ${auth.date} is now earlier than ${amzDate(now - auth.expires * 1000)} (${amzDate(now)} - ${auth.expires} sec.)`,
    );
  }
  if (auth.expires === undefined && signedAt < now - SKEW_MS) {
    throw invalidSignature(
      `Signature expired: ${auth.date} is now earlier than ${amzDate(now - SKEW_MS)} (${amzDate(now)} - 5 min.)`,
    );
  }
  if (signedAt > now + SKEW_MS) {
    throw invalidSignature(
      `Signature not yet current: ${auth.date} is still later than ${amzDate(now + SKEW_MS)} (${amzDate(now)} + 5 min.)`,
    );
  }
  return { accessKeyId, day, region, service };
}

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * API Gateway's wrong-signature message: the first sentence, then what it computed, as in
 * https://github.com/mhart/aws4/issues/110 and
 * https://github.com/postmanlabs/postman-app-support/issues/1663 (execute-api). The
 * canonical request holds the signed headers' values; `authorization` is never among them
 * here (a request that lists it gets the first sentence only). AWS prints a signed
 * `x-amz-security-token` (aws4 #110 shows the token); we print `<redacted>` in its place, as
 * a secret never reaches an error message here; the string to sign keeps the hash of the
 * real canonical request, so a signer's own hash still compares. Lambda
 * answers the first sentence alone (a 192-byte body in https://github.com/erlcloud/erlcloud/issues/690,
 * the bare message in https://github.com/rusoto/rusoto/issues/1035).
 */
function explainedMismatch(canonicalRequest: string, stringToSign: string): string {
  const shown = canonicalRequest
    .replace(/^x-amz-security-token:.*$/m, 'x-amz-security-token:<redacted>')
    .replace(/(^|&)(X-Amz-Security-Token=)[^&\n]*/m, '$1$2<redacted>');
  return `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${shown}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`;
}

/** Constant-time comparison of two strings (length leaks, content does not). */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
