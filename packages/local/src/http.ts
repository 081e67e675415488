import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AwsError, PLAIN_TEXT } from './aws-error.js';
import type { ThroughEndpoint } from './iam/context-keys.js';
import { EMPTY_SHA256, sha256Hex } from './sigv4/canonical.js';
import type { RequestHead } from './sigv4/verify.js';

/**
 * A request at the local stack, with where it came from. Its body is read only when a service
 * asks: a request refused from its head (unsigned, unknown key, unknown route) is answered
 * without a byte of it held.
 */
export interface LocalRequest extends RequestHead {
  sourceIp: string;
  /** The VPC endpoint it came through (the endpoint's own local port). @default none: from the host */
  via?: ThroughEndpoint | undefined;
  /**
   * The body: read on the first call (later calls get the same bytes), within the server's buffer
   * budget and the service's own `limit` (cut where a stream passes it; a declared length past it
   * is the service's to refuse before it reads, as admission does).
   */
  readBody(limit?: BodyLimit): Promise<Buffer>;
  /** The body's SHA-256 (hex): hashed as it streams (within `limit`) and never held, unless it was read already. */
  hashBody(limit?: BodyLimit): Promise<string>;
}

/** A service's own limit on a body it reads (Lambda's 6 MB payload): its size, and its answer past it. */
export interface BodyLimit {
  bytes: number;
  tooLarge: (bytes: number) => AwsError;
}

/**
 * Bytes of request bodies held at once, over every request, so a flood of large bodies cannot
 * grow memory without bound. A body that does not fit is refused at once, never made to wait:
 * a waiting body would hold its share while the requests that could free it (an invocation
 * calling STS, say) wait behind it, and a client gone while waiting would never give it back.
 */
class BodyBudget {
  #used = 0;

  public constructor(public readonly limit: number) {}

  /** Takes `bytes` if they fit now. */
  public take(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  public give(bytes: number): void {
    this.#used -= bytes;
  }
}

/** A header's value, its name in any case (the first, where a request repeats it). */
export const headerOf = (headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined =>
  headers.find(([key]) => key.toLowerCase() === name)?.[1];

/** A response on its way out of the local stack. */
export interface LocalResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
  /**
   * A body written as it comes (the console's event stream): called once the head is sent, with
   * a writer and a signal that the client went away. @default none: `body` is the whole answer
   */
  stream?: ((write: (text: string) => void, closed: AbortSignal) => void) | undefined;
}

/** Request bodies API Gateway accepts. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Serves one parsed request; throws {@link AwsError} for AWS-shaped refusals. */
export type RequestHandler = (request: LocalRequest) => Promise<LocalResponse>;

/** The request line and headers the server reads; past them a request is refused unread (431). */
const NODE_HEAD_BYTES = 64 * 1024;

/** How long an idle kept connection stays open. */
const IDLE_CONNECTION_MS = 60_000;

/** Bytes of request bodies the server holds at once, by default: six of the largest AWS accepts. */
export const BODY_BUDGET_BYTES = 6 * MAX_BODY_BYTES;

/**
 * An HTTP server on 127.0.0.1 that answers as AWS endpoints do: every answer carries
 * `x-amzn-RequestId` and the server clock's `Date`; refusals are `{"message": …}` with
 * `x-amzn-ErrorType`; requests Node cannot parse get an AWS-shaped 400 or 431.
 *
 * @example
 * ```ts
 * const server = await listen(0, async (request) => ({ status: 200, headers: {}, body: 'ok' }), () => new Date());
 * ```
 */
export async function listen(
  port: number,
  handle: RequestHandler,
  now: () => Date,
  {
    bodyBudget = BODY_BUDGET_BYTES,
    unread,
  }: {
    bodyBudget?: number;
    /** Told why a request Node could not read was refused (no service saw it): for its stderr line. */
    unread?: (why: string) => void;
  } = {},
): Promise<Server> {
  const budget = new BodyBudget(Math.max(bodyBudget, MAX_BODY_BYTES));
  // Node's own limit (16 KB) sits above every target's, so each answers its own way past its limit.
  const server = createServer({ maxHeaderSize: NODE_HEAD_BYTES }, (req, res) => {
    serve(req, res, handle, now, budget).catch((error: unknown) => {
      // A client gone mid-body (reset, aborted): nobody to answer, nothing unexpected.
      if (req.destroyed && !req.complete) return;
      // Never reached by an AWS-shaped error; logged without request details (they may hold secrets).
      process.stderr.write(`local stack: unexpected ${error instanceof Error ? error.name : 'error'}\n`);
      if (!res.headersSent)
        send(res, errorResponse(new AwsError(500, 'InternalFailure', 'An internal error occurred.')), now());
    });
  });
  // Answers carry no `Keep-Alive: timeout=…` hint (AWS's carry none), so a client keeps an idle
  // connection until the server closes it, and one reused just as Node's 5 s timer closed it is
  // reset: idle connections are kept a minute instead.
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  // Requests Node cannot parse still get an AWS-shaped answer, then the connection closes.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      unread?.(`its request line and headers pass the ${NODE_HEAD_BYTES / 1024} KB this server reads (answered 431)`);
      const body = headersTooLarge().body;
      return socket.end(
        `HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: ${PLAIN_TEXT.contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    // A parse error is the caller's request; anything else (a reset, a timeout, a body cut short) is its connection.
    if (error.code?.startsWith('HPE_') && error.code !== 'HPE_INVALID_EOF_STATE')
      unread?.(`it is not an HTTP/1.1 request this server can read (${error.code}; answered 400)`);
    const body = JSON.stringify({ message: 'Bad Request' });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nx-amzn-ErrorType: BadRequestException\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  handle: RequestHandler,
  now: () => Date,
  budget: BodyBudget,
) {
  let response: LocalResponse;
  try {
    // A declared length over the limit is refused before anything else, as API Gateway's front end does.
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw bodyTooLarge();
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
    response = await handle({
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      headers,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      ...lazyBody(req, res, budget),
    });
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    response = errorResponse(error);
  }
  // Every AWS answer carries a request id, errors included: it is what support asks for
  // (but the plain-text answers of API Gateway's front end, which come before any API).
  if (response.headers['content-type'] !== PLAIN_TEXT.contentType)
    response.headers['x-amzn-requestid'] ??= randomUUID();
  send(res, response, now());
}

function errorResponse(error: AwsError): LocalResponse {
  const headers: Record<string, string> = { 'content-type': error.shape.contentType ?? 'application/json' };
  if (error.type) headers['x-amzn-errortype'] = error.type;
  return { status: error.status, headers, body: error.body };
}

/** Writes a response; `date` is the server's clock, which clients correct their skew from. */
function send(res: ServerResponse, response: LocalResponse, date: Date): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  const headers = Object.entries(response.headers).map(([name, value]) => [AWS_CASING[name] ?? name, value]);
  // A body read in part and refused (past a limit, throttled): the rest would be read as the next
  // request, so the connection closes after the answer (it says so). One never read, Node drains.
  if (!res.req.complete && res.req.readableDidRead) res.shouldKeepAlive = false;
  // AWS's front ends name a kept connection `Connection: keep-alive` and send no `Keep-Alive`
  // (as recorded); Node would add `Keep-Alive: timeout=5` unless the answer names its connection.
  // (A stream's end is its connection's for an HTTP/1.0 client: Node decides for those.)
  if (res.shouldKeepAlive && !response.stream && !headers.some(([name]) => String(name).toLowerCase() === 'connection'))
    headers.push(['Connection', 'keep-alive']);
  if (response.stream) {
    res.writeHead(response.status, { ...Object.fromEntries(headers), Date: date.toUTCString() });
    res.flushHeaders();
    const closed = new AbortController();
    res.once('close', () => closed.abort());
    response.stream((text) => res.write(text), closed.signal);
    return;
  }
  res.writeHead(response.status, {
    ...Object.fromEntries(headers),
    Date: date.toUTCString(),
    'Content-Length': String(body.length),
  });
  res.end(body);
}

/**
 * Names as AWS writes them (`x-amzn-RequestId`, `x-amzn-ErrorType`, `Content-Type`): HTTP names
 * are case-insensitive, but a raw answer compared with AWS's recorded one is not.
 */
const AWS_CASING: Record<string, string> = {
  'content-type': 'Content-Type',
  'x-amzn-requestid': 'x-amzn-RequestId',
  'x-amzn-errortype': 'x-amzn-ErrorType',
};

/**
 * API Gateway's throttle (429 `TooManyRequestsException`, `{"message":"Too Many Requests"}`,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html):
 * what a request gets when the bodies held at once would pass the local budget.
 */
const throttled = (limit: number) =>
  new AwsError(429, 'TooManyRequestsException', 'Too Many Requests').because(
    `the local stack holds at most ${Math.round(limit / 2 ** 20)} MB of request bodies at once; retry once others are answered`,
  );

/**
 * API Gateway's answer to a body over 10 MB: plain text, no error type, no request id
 * (https://github.com/koki-develop/lgtm-generator/issues/10 shows AWS's answer).
 */
const bodyTooLarge = () => new AwsError(413, '', `HTTP content length exceeded ${MAX_BODY_BYTES} bytes.`, PLAIN_TEXT);

/**
 * API Gateway's answer to a request line and headers over 10,240 bytes: 431, plain text
 * (https://ntsblog.homedev.com.au/index.php/2021/03/09/aws-api-gateway-http-header-is-larger-than-10240-bytes/).
 */
export const headersTooLarge = () =>
  new AwsError(431, '', `HTTP header is larger than ${MAX_HEADER_BYTES} bytes.`, PLAIN_TEXT);

/**
 * API Gateway's quota, the same for REST and HTTP APIs: "Total combined size of request line and
 * header values", 10,240 bytes (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
 */
export const MAX_HEADER_BYTES = 10_240;

/** Whether a request's line and header values pass {@link MAX_HEADER_BYTES}. */
export const headTooLarge = (request: RequestHead): boolean =>
  Buffer.byteLength(`${request.method} ${request.target} HTTP/1.1`) +
    request.headers.reduce((sum, [, value]) => sum + Buffer.byteLength(value), 0) >
  MAX_HEADER_BYTES;

/**
 * A request's body, read only when asked: into memory within the budget (given back once the
 * answer is sent), or through a hash that keeps nothing. A body never asked for is discarded
 * by Node once the answer is sent.
 */
function lazyBody(
  req: IncomingMessage,
  res: ServerResponse,
  budget: BodyBudget,
): Pick<LocalRequest, 'readBody' | 'hashBody'> {
  // Without Content-Length or Transfer-Encoding a request has no body (RFC 9112 §6.3): nothing to read.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    const empty = Promise.resolve(Buffer.alloc(0));
    return { readBody: () => empty, hashBody: () => Promise.resolve(EMPTY_SHA256) };
  }
  let read: Promise<Buffer> | undefined;
  let held = 0;
  let closed = false;
  res.once('close', () => {
    closed = true;
    budget.give(held);
    held = 0;
  });
  /** Holds `bytes` more of this body, or refuses the request as a throttle (nothing waits). */
  const hold = (bytes: number) => {
    if (closed) throw new AwsError(400, '', 'Bad Request').because('the client closed the connection');
    if (!budget.take(bytes)) throw throttled(budget.limit);
    held += bytes;
  };
  /** The refusal of a body streamed past the server's limit or the service's, if it is. */
  const pastLimit = (size: number, limit: BodyLimit | undefined): AwsError | undefined =>
    size > MAX_BODY_BYTES ? bodyTooLarge() : limit && size > limit.bytes ? limit.tooLarge(size) : undefined;
  const readBody = (limit?: BodyLimit) => {
    read ??= (async () => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > 0) hold(declared);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        const past = pastLimit(size, limit);
        if (past) throw past;
        if (size > held) hold(size - held);
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    })();
    return read;
  };
  const hashBody = async (limit?: BodyLimit) => {
    if (read) {
      const body = await read;
      return body.length === 0 ? EMPTY_SHA256 : sha256Hex(body);
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      const past = pastLimit(size, limit);
      if (past) throw past;
      hash.update(chunk as Buffer);
    }
    return hash.digest('hex');
  };
  return { readBody, hashBody };
}
