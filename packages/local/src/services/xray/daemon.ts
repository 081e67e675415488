import { createSocket, type Socket } from 'node:dgram';
import { createWriteStream, type WriteStream } from 'node:fs';
import { SEGMENT_ID, type SegmentDocument, type SegmentSink, TRACE_ID } from '../../lambda/tracing.js';
import { TraceSampler, type TraceSampling } from './sampling.js';

/** Options of {@link XRayDaemon.start}. */
export interface XRayDaemonOptions {
  /** Every segment document, one JSON line each (`serve --traces <file>`). @default none */
  tracesFile?: string | undefined;
  /** Where the one warning about malformed documents goes. @default stderr */
  warn?: (line: string) => void;
  /** Values never written into a document (credentials the stack minted); each becomes `[redacted]`. @default none */
  secrets?: () => Iterable<string>;
  /** Documents kept in memory for {@link XRayDaemon.trace}, oldest dropped first. @default 20000 */
  maxDocuments?: number;
  /** Which requests without a decision of their own are traced (see {@link TraceSampling}). @default 'all' */
  sampling?: TraceSampling | undefined;
}

/** The daemon protocol's header line, before each document in a datagram (aws-xray-sdk-node's segment_emitter). */
const HEADER = { format: 'json', version: 1 };
/** The daemon's receive buffer: a burst of invocations must not overflow it (the kernel caps it at rmem_max). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * A local X-Ray daemon: UDP on 127.0.0.1 (a free port), the daemon's wire format (a JSON header
 * line `{"format":"json","version":1}`, a newline, one segment document). It keeps what arrives
 * (subsegments sent on their own too) with the segments the local stack records itself, and
 * writes each as one JSON line to the traces file. A malformed datagram is counted, with one
 * warning line, and dropped; nothing that arrives (or fails to) ever reaches an invocation.
 *
 * @example
 * ```ts
 * const daemon = await XRayDaemon.start({ tracesFile: 'traces.jsonl' });
 * // functions get AWS_XRAY_DAEMON_ADDRESS=daemon.address
 * const segments = daemon.trace('1-6740a1b2-0123456789abcdef01234567');
 * await daemon.close();
 * ```
 */
export class XRayDaemon implements SegmentSink {
  /** Documents accepted (received and recorded). */
  public accepted = 0;
  /** Datagrams dropped as malformed. */
  public malformed = 0;
  /** Documents kept, oldest first from `#oldest` (dropping one is O(1); the array is compacted now and then). */
  #documents: (SegmentDocument | undefined)[] = [];
  #oldest = 0;
  readonly #byTrace = new Map<string, SegmentDocument[]>();
  readonly #listeners = new Set<(document: SegmentDocument) => void>();
  #file: WriteStream | undefined;
  #address = '';
  readonly #sampler: TraceSampler;

  private constructor(
    private readonly socket: Socket,
    private readonly options: XRayDaemonOptions,
  ) {
    this.#sampler = new TraceSampler(options.sampling);
  }

  /** Binds the UDP socket on 127.0.0.1 (any free port) and opens the traces file. */
  public static async start(options: XRayDaemonOptions = {}): Promise<XRayDaemon> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
    const daemon = new XRayDaemon(socket, options);
    socket.on('message', (message) => daemon.#receive(message));
    // A socket error (never expected on a bound local socket) must not end the stack.
    socket.on('error', (error) => daemon.#warn(`X-Ray daemon: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    daemon.#address = `127.0.0.1:${socket.address().port}`;
    if (options.tracesFile) {
      daemon.#file = createWriteStream(options.tracesFile, { flags: 'w', mode: 0o600 });
      daemon.#file.on('error', (error) =>
        daemon.#warn(`X-Ray daemon: cannot write ${options.tracesFile}: ${error.message}`),
      );
    }
    return daemon;
  }

  /** `127.0.0.1:<port>`: the functions' `AWS_XRAY_DAEMON_ADDRESS`. */
  public get address(): string {
    return this.#address;
  }

  /** Whether a request to `resource` that brought no sampling decision is traced (the services ask). */
  public sample(resource: string): boolean {
    return this.#sampler.sample(resource);
  }

  /** Records a segment the local stack itself emits (API Gateway's, the Lambda service's). */
  public record(document: SegmentDocument): void {
    this.#accept(document);
  }

  /** Every document of the trace, in the order they arrived. */
  public trace(traceId: string): SegmentDocument[] {
    return [...(this.#byTrace.get(traceId) ?? [])];
  }

  /** Every document kept, in the order they arrived. */
  public documents(): SegmentDocument[] {
    return this.#documents.slice(this.#oldest) as SegmentDocument[];
  }

  /**
   * Resolves once `quietMs` passed without a new document of the trace (functions send theirs
   * as their subsegments close, so the last ones may trail the invocation), or after `timeoutMs`.
   */
  public async settle(traceId: string, quietMs = 150, timeoutMs = 2000): Promise<SegmentDocument[]> {
    await new Promise<void>((resolve) => {
      let quiet: NodeJS.Timeout;
      const done = () => {
        clearTimeout(quiet);
        clearTimeout(limit);
        this.#listeners.delete(listener);
        resolve();
      };
      const listener = (document: SegmentDocument) => {
        if (document.trace_id !== traceId) return;
        clearTimeout(quiet);
        quiet = setTimeout(done, quietMs);
      };
      quiet = setTimeout(done, quietMs);
      const limit = setTimeout(done, timeoutMs);
      this.#listeners.add(listener);
    });
    return this.trace(traceId);
  }

  /** Closes the socket and the traces file (after what was written reaches it). */
  public async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
    const file = this.#file;
    this.#file = undefined;
    if (file) await new Promise<void>((resolve) => file.end(() => resolve()));
  }

  #receive(message: Buffer): void {
    const document = parseDatagram(message);
    if (typeof document === 'string') {
      this.malformed += 1;
      if (this.malformed === 1)
        this.#warn(`X-Ray daemon: dropped a malformed segment datagram (${document}); further ones are only counted`);
      return;
    }
    this.#accept(document);
  }

  #accept(raw: SegmentDocument): void {
    const document = this.#redacted(raw);
    this.accepted += 1;
    this.#documents.push(document);
    let trace = this.#byTrace.get(document.trace_id);
    if (!trace) {
      trace = [];
      this.#byTrace.set(document.trace_id, trace);
    }
    trace.push(document);
    if (this.#documents.length - this.#oldest > (this.options.maxDocuments ?? 20_000)) {
      // Array.shift on 20,000 documents cost ~50 µs each: a moving start and a compaction
      // once half the array is dropped cost O(1) per document.
      const oldest = this.#documents[this.#oldest] as SegmentDocument;
      this.#documents[this.#oldest++] = undefined;
      if (this.#oldest * 2 >= this.#documents.length) {
        this.#documents = this.#documents.slice(this.#oldest);
        this.#oldest = 0;
      }
      const list = this.#byTrace.get(oldest.trace_id);
      list?.shift();
      if (list?.length === 0) this.#byTrace.delete(oldest.trace_id);
    }
    this.#file?.write(`${JSON.stringify(document)}\n`);
    for (const listener of this.#listeners) listener(document);
  }

  /** The document with every secret value replaced, when one appears in it at all. */
  #redacted(document: SegmentDocument): SegmentDocument {
    const secrets = this.options.secrets;
    if (!secrets) return document;
    let text = JSON.stringify(document);
    let changed = false;
    for (const secret of secrets()) {
      if (secret.length < 8 || !text.includes(secret)) continue;
      text = text.replaceAll(secret, '[redacted]');
      changed = true;
    }
    return changed ? (JSON.parse(text) as SegmentDocument) : document;
  }

  #warn(line: string): void {
    (this.options.warn ?? ((text: string) => process.stderr.write(`iam-m2m-local: warning: ${text}\n`)))(line);
  }
}

/** The document of one datagram, or why it is malformed. */
export function parseDatagram(message: Buffer): SegmentDocument | string {
  const text = message.toString('utf8');
  const newline = text.indexOf('\n');
  if (newline === -1) return 'no header line';
  let header: unknown;
  let document: unknown;
  try {
    header = JSON.parse(text.slice(0, newline));
  } catch {
    return 'the header line is not JSON';
  }
  const { format, version } = (header ?? {}) as { format?: unknown; version?: unknown };
  if (format !== HEADER.format || version !== HEADER.version)
    return `header ${text.slice(0, Math.min(newline, 60))}, expected ${JSON.stringify(HEADER)}`;
  try {
    document = JSON.parse(text.slice(newline + 1));
  } catch {
    return 'the document is not JSON';
  }
  return segmentProblem(document) ?? (document as SegmentDocument);
}

/** What makes `value` no segment document (X-Ray segment documents: required fields), or undefined. */
function segmentProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'the document is not an object';
  const document = value as Partial<SegmentDocument>;
  if (typeof document.trace_id !== 'string' || !TRACE_ID.test(document.trace_id))
    return 'trace_id is not 1-<8 hex>-<24 hex>';
  if (typeof document.id !== 'string' || !SEGMENT_ID.test(document.id)) return 'id is not 16 hex digits';
  if (typeof document.name !== 'string' || document.name === '') return 'no name';
  if (typeof document.start_time !== 'number') return 'no start_time';
  if (document.end_time === undefined && document.in_progress !== true) return 'neither end_time nor in_progress';
  if (document.type === 'subsegment' && typeof document.parent_id !== 'string')
    return 'a subsegment sent on its own without parent_id';
  return undefined;
}
