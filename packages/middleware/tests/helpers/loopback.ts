import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import aws4 from 'aws4';
import type { Credentials } from '../../src/index.js';

/** A request exactly as the loopback server received it. */
export interface ReceivedRequest {
  method: string;
  /** The request target as sent: encoded path and query. */
  target: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Responder = (request: ReceivedRequest, response: ServerResponse, index: number) => void;

export interface Loopback {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

const ok: Responder = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
};

/** A real HTTP server on 127.0.0.1 that records every request and answers with `respond`. */
export async function startLoopback(respond: Responder = ok): Promise<Loopback> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        target: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(request);
      respond(request, res, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Verification {
  valid: boolean;
  service: string;
  region: string;
  signedHeaders: string[];
  /** Why it is not valid. */
  reason?: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/**
 * Recomputes the signature of a received request with a third-party signer (`aws4`), from
 * the bytes the server saw, and checks the payload hash against the body: the proof that
 * what was signed is what was sent. The signer under test is never used here.
 */
export function verifyReceived(request: ReceivedRequest, credentials: Credentials): Verification {
  const match = AUTHORIZATION.exec(String(request.headers.authorization ?? ''));
  if (!match) return { valid: false, service: '', region: '', signedHeaders: [], reason: 'no SigV4 Authorization' };
  const [, accessKeyId, , region = '', service = '', signedList = '', signature] = match;
  const signedHeaders = signedList.split(';');
  const fail = (reason: string): Verification => ({ valid: false, service, region, signedHeaders, reason });
  if (accessKeyId !== credentials.accessKeyId) return fail('another access key');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) return fail('host or date not signed');
  const payloadHash = String(request.headers['x-amz-content-sha256'] ?? '');
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== createHash('sha256').update(request.body).digest('hex')) {
    return fail('x-amz-content-sha256 is not the hash of the body received');
  }
  const headers: Record<string, string> = {};
  const include: Record<string, boolean> = {};
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return fail(`signed header ${name} was not received`);
    headers[name] = Array.isArray(value) ? value.join(',') : value;
    include[name] = true;
  }
  const signer = new aws4.RequestSigner(
    {
      method: request.method,
      host: headers.host,
      path: request.target,
      headers,
      body: request.body,
      service,
      region,
      doNotModifyHeaders: true,
      extraHeadersToInclude: include,
    } as aws4.Request,
    credentials,
  );
  // With doNotModifyHeaders aws4 would take the date from the local clock: use the one signed.
  (signer as unknown as { datetime: string }).datetime = headers['x-amz-date'] ?? '';
  const expected = signer.signature();
  return expected === signature ? { valid: true, service, region, signedHeaders } : fail('signature mismatch');
}

/** A port on 127.0.0.1 that was free a moment ago, for servers started as other processes. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
