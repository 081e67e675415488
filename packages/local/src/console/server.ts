import { type AccessMatrix, accessOf } from '../access.js';
import { headerOf, type LocalRequest, type LocalResponse } from '../http.js';
import type { DecisionRecord } from '../iam/decisions.js';
import type { Identity } from '../iam/identities.js';
import { policyReport } from '../iam/policy-report.js';
import type { SegmentDocument } from '../lambda/tracing.js';
import { traceRows } from '../services/xray/trace-tree.js';
import { consolePage } from './page.js';
import { accessHtml, leastPrivilegeHtml } from './report.js';

// The console (`serve --console`): a page on the stack's own port, under `/~console/` (a `~` is
// in no stage name, so no API of the app is hidden by it), showing each decision as it is made
// (pushed as server-sent events) and who can call what (the `access --html` page, recomputed
// after each reload). Answered only for the stack's own address — a request naming any other
// host is AWS's, so a page of another site that resolves to 127.0.0.1 reaches nothing here —
// and only to GET requests that no other origin sent. It shows what decision records hold: never
// a key, token, signature or header.

/** Where the console lives on the stack's port. */
export const CONSOLE_PATH = '/~console/';

/** Decisions a page that opens gets first: the run's latest. */
const HISTORY = 500;

/** What the console reads from the stack it is part of. */
export interface ConsoleSource {
  /** The stack's own address, `http://127.0.0.1:<port>`. */
  origin: () => string;
  /** The cloud assemblies being served. */
  assemblies: () => string | string[];
  /** What `access` reads them with (the account of environment-agnostic stacks, stack parameters). */
  accessOptions?: Parameters<typeof accessOf>[1];
  /** The X-Ray segment documents kept (secrets already redacted). @default none */
  traces?: () => SegmentDocument[];
  /** The principals' policies, for the least privilege of the run. @default none */
  identities?: () => Identity[];
}

/** Traces the page shows: the latest. */
const TRACES = 50;

/**
 * The latest traces as waterfalls: per trace, its rows (the tree `traceTree` draws) with their
 * offset and duration in ms from the trace's start. Only names, origins, timings and the
 * tree's label: no annotation, metadata or header of a document.
 */
export function traceWaterfalls(documents: SegmentDocument[]) {
  const byTrace = new Map<string, SegmentDocument[]>();
  for (const document of documents)
    byTrace.set(document.trace_id, [...(byTrace.get(document.trace_id) ?? []), document]);
  return [...byTrace.entries()]
    .slice(-TRACES)
    .reverse()
    .map(([traceId, trace]) => {
      const rows = traceRows(trace);
      const start = Math.min(...rows.map((row) => row.start));
      const end = Math.max(...rows.map((row) => row.end ?? row.start));
      const ms = (seconds: number) => Math.round(seconds * 1e6) / 1e3;
      return {
        traceId,
        durationMs: ms(end - start),
        rows: rows.map((row) => ({
          depth: row.depth,
          name: row.name,
          origin: row.origin ?? null,
          label: row.label,
          offsetMs: ms(row.start - start),
          durationMs: row.end === undefined ? null : ms(row.end - row.start),
          failed: row.failed,
        })),
      };
    });
}

/** The console of one stack: the decisions it made, and who can call what. */
export class StackConsole {
  readonly #records: DecisionRecord[] = [];
  readonly #listeners = new Set<(event: string) => void>();
  /** Each allowed call once (principal, action, resource): what the least privilege is read from. */
  readonly #used = new Map<string, DecisionRecord>();
  /** The `--watch` lines, latest last. */
  readonly #notes: { time: string; line: string }[] = [];
  #access: AccessMatrix | undefined;

  public constructor(private readonly source: ConsoleSource) {}

  /** Takes one decision: kept for pages that open later, pushed to those open now. */
  public record(record: DecisionRecord): void {
    this.#records.push(record);
    if (this.#records.length > HISTORY) this.#records.shift();
    if (record.allowed) this.#used.set(`${record.principal}\n${record.action}\n${record.resource}`, record);
    for (const listener of this.#listeners) listener(decisionEvent(record));
  }

  /** One line of the run (a `--watch` reload and what it changed), kept and pushed. */
  public note(line: string): void {
    const note = { time: new Date().toISOString(), line };
    this.#notes.push(note);
    if (this.#notes.length > HISTORY) this.#notes.shift();
    for (const listener of this.#listeners) listener(noteEvent(note));
  }

  /** The app changed (`--watch`): who can call what is read again when next asked. */
  public reloaded(): void {
    this.#access = undefined;
  }

  /** Whether a request is the console's: its path, and the stack's own address as its host. */
  public answers(request: LocalRequest): boolean {
    if (!request.target.startsWith(CONSOLE_PATH.slice(0, -1))) return false;
    const host = headerOf(request.headers, 'host')?.toLowerCase();
    const { port } = new URL(this.source.origin());
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  }

  /** The console's answer: its page, who can call what, or the stream of decisions. */
  public handle(request: LocalRequest): LocalResponse {
    const origin = headerOf(request.headers, 'origin');
    if (request.method !== 'GET' || (origin !== undefined && origin !== this.source.origin()))
      return text(403, 'The console answers GET requests of its own page only.');
    const path = request.target.split('?')[0];
    if (path === CONSOLE_PATH.slice(0, -1)) return { status: 308, headers: { location: CONSOLE_PATH }, body: '' };
    if (path === CONSOLE_PATH) return page(consolePage());
    if (path === `${CONSOLE_PATH}access`)
      return page(accessHtml(this.#matrix(), { generatedAt: new Date(), sources: this.#sources() }));
    if (path === `${CONSOLE_PATH}access.json`) {
      const { cells, principals } = this.#matrix();
      return json({ principals, cells });
    }
    if (path === `${CONSOLE_PATH}least-privilege`)
      return page(leastPrivilegeHtml(policyReport([...this.#used.values()], this.source.identities?.() ?? [])));
    if (path === `${CONSOLE_PATH}traces.json`) return json(traceWaterfalls(this.source.traces?.() ?? []));
    if (path === `${CONSOLE_PATH}events`) return this.#events(/[?&]snapshot\b/.test(request.target));
    return text(404, `No console page at ${path}: see ${CONSOLE_PATH}`);
  }

  #sources(): string[] {
    const assemblies = this.source.assemblies();
    return Array.isArray(assemblies) ? assemblies : [assemblies];
  }

  #matrix(): AccessMatrix {
    this.#access ??= accessOf(this.source.assemblies(), this.source.accessOptions);
    return this.#access;
  }

  /**
   * Every decision kept, then each one as it is made, as server-sent events (`event: decision`);
   * with `snapshot`, those kept and the end (a page printed or captured: `/~console/?snapshot`).
   */
  #events(snapshot: boolean): LocalResponse {
    const kept = [...this.#notes.map(noteEvent), ...this.#records.map(decisionEvent)].join('');
    if (snapshot)
      return {
        status: 200,
        headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' },
        // A day before the page asks again: a snapshot is not a stream.
        body: `retry: 86400000\n\n${kept}`,
      };
    return {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' },
      body: '',
      stream: (write, closed) => {
        write(kept || ': nothing yet\n\n');
        this.#listeners.add(write);
        closed.addEventListener('abort', () => this.#listeners.delete(write), { once: true });
      },
    };
  }
}

const decisionEvent = (record: DecisionRecord) => `event: decision\ndata: ${JSON.stringify(record)}\n\n`;
const noteEvent = (note: { time: string; line: string }) => `event: note\ndata: ${JSON.stringify(note)}\n\n`;

/** The console's own answers: never cached, never framed by another site. */
const SAFE = { 'cache-control': 'no-store', 'x-frame-options': 'SAMEORIGIN', 'x-content-type-options': 'nosniff' };
const text = (status: number, body: string): LocalResponse => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...SAFE },
  body,
});
const page = (body: string): LocalResponse => ({
  status: 200,
  headers: { 'content-type': 'text/html; charset=utf-8', ...SAFE },
  body,
});
const json = (value: unknown): LocalResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json', ...SAFE },
  body: JSON.stringify(value),
});
