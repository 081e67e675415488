import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AwsError, PLAIN_TEXT } from './aws-error.js';
import type { ReceivedRequest } from './sigv4/verify.js';

/** A request at the local stack, with where it came from. */
export interface LocalRequest extends ReceivedRequest {
  sourceIp: string;
}

/** A response on its way out of the local stack. */
export interface LocalResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

/** Request bodies API Gateway accepts. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Serves one parsed request; throws {@link AwsError} for AWS-shaped refusals. */
export type RequestHandler = (request: LocalRequest) => Promise<LocalResponse>;

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
export async function listen(port: number, handle: RequestHandler, now: () => Date): Promise<Server> {
  const server = createServer((req, res) => {
    serve(req, res, handle, now).catch((error: unknown) => {
      // Never reached by an AWS-shaped error; logged without request details (they may hold secrets).
      process.stderr.write(`local stack: unexpected ${error instanceof Error ? error.name : 'error'}\n`);
      if (!res.headersSent)
        send(res, errorResponse(new AwsError(500, 'InternalFailure', 'An internal error occurred.')), now());
    });
  });
  // Requests Node cannot parse still get an AWS-shaped answer, then the connection closes.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      const body = headersTooLarge().body;
      return socket.end(
        `HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: ${PLAIN_TEXT.contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
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

async function serve(req: IncomingMessage, res: ServerResponse, handle: RequestHandler, now: () => Date) {
  let response: LocalResponse;
  try {
    const body = await readBody(req, MAX_BODY_BYTES);
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
    response = await handle({
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      headers,
      body,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
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
  res.writeHead(response.status, {
    ...response.headers,
    date: date.toUTCString(),
    'content-length': String(body.length),
  });
  res.end(body);
}

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

/** API Gateway's quota: "Total combined size of request line and header values", 10,240 bytes. */
export const MAX_HEADER_BYTES = 10_240;

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw bodyTooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw bodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
