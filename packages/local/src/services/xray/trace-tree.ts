import type { SegmentDocument, Subsegment } from '../../lambda/tracing.js';

interface TraceNode {
  document: Subsegment;
  children: TraceNode[];
}

/** One segment or subsegment of a trace, in the tree's order: where it sits, what it was, when. */
export interface TraceRow {
  /** Its branch as the text tree draws it (`├─ `, `│  └─ `). */
  prefix: string;
  depth: number;
  /** `name (origin)  METHOD url  12.3 ms  200`. */
  label: string;
  name: string;
  origin?: string | undefined;
  /** Seconds since the epoch, as X-Ray writes them. */
  start: number;
  /** Undefined while in progress. */
  end?: number | undefined;
  /** A fault, an error or a throttle. */
  failed: boolean;
}

/**
 * The trace as rows of a tree, one per segment or subsegment: who called whom (by `parent_id`,
 * embedded subsegments under their segment), each with its duration and its HTTP status (or
 * fault, error, throttle), children in start order.
 *
 * @example
 * ```ts
 * for (const line of traceTree(daemon.trace(traceId))) console.log(line);
 * // requestor-fn (AWS::Lambda)  412.3 ms  200
 * // └─ requestor-fn (AWS::Lambda::Function)  405.1 ms
 * ```
 */
export function traceRows(documents: SegmentDocument[]): TraceRow[] {
  const nodes = new Map<string, TraceNode>();
  const parents = new Map<string, string | undefined>();
  const add = (document: Subsegment, parent: string | undefined) => {
    const known = nodes.get(document.id);
    // A finished document replaces an in-progress one sent before it.
    if (known && !known.document.in_progress) return;
    nodes.set(document.id, { document, children: [] });
    parents.set(document.id, document.parent_id ?? parent);
    for (const sub of document.subsegments ?? []) add(sub, document.id);
  };
  for (const document of documents) add(document, undefined);
  const roots: TraceNode[] = [];
  for (const [id, node] of nodes) {
    const parent = parents.get(id);
    const above = parent === undefined ? undefined : nodes.get(parent);
    if (above) above.children.push(node);
    else roots.push(node);
  }
  const rows: TraceRow[] = [];
  const walk = (node: TraceNode, lead: string, branch: string) => {
    const { document } = node;
    rows.push({
      prefix: `${lead}${branch}`,
      depth: (lead.length + branch.length) / 3,
      label: describe(document),
      name: document.name,
      origin: document.origin,
      start: document.start_time,
      end: document.end_time,
      failed: Boolean(document.fault || document.error || document.throttle),
    });
    const next = lead + (branch === '' ? '' : branch === '├─ ' ? '│  ' : '   ');
    const children = [...node.children].sort((a, b) => a.document.start_time - b.document.start_time);
    for (const [index, child] of children.entries()) walk(child, next, index === children.length - 1 ? '└─ ' : '├─ ');
  };
  for (const root of roots.sort((a, b) => a.document.start_time - b.document.start_time)) walk(root, '', '');
  return rows;
}

/** The trace as a tree, one line per segment or subsegment ({@link traceRows}, drawn with box characters). */
export function traceTree(documents: SegmentDocument[]): string[] {
  return traceRows(documents).map((row) => `${row.prefix}${row.label}`);
}

function describe(document: Subsegment): string {
  const request = document.http?.request;
  const parts = [
    document.origin ? `${document.name} (${document.origin})` : document.name,
    ...(request?.method && request.url ? [`${request.method} ${request.url}`] : []),
    document.end_time === undefined
      ? 'in progress'
      : `${((document.end_time - document.start_time) * 1000).toFixed(1)} ms`,
  ];
  const status = document.http?.response?.status;
  const flag = document.fault ? 'fault' : document.error ? 'error' : document.throttle ? 'throttle' : undefined;
  if (status !== undefined) parts.push(String(status));
  else if (flag) parts.push(flag);
  return parts.join('  ');
}
