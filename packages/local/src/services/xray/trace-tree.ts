import type { SegmentDocument, Subsegment } from '../../lambda/tracing.js';

interface TraceNode {
  document: Subsegment;
  children: TraceNode[];
}

/**
 * The trace as a tree, one line per segment or subsegment: who called whom (by `parent_id`,
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
export function traceTree(documents: SegmentDocument[]): string[] {
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
  const lines: string[] = [];
  const walk = (node: TraceNode, lead: string, branch: string) => {
    lines.push(`${lead}${branch}${describe(node.document)}`);
    const next = lead + (branch === '' ? '' : branch === '├─ ' ? '│  ' : '   ');
    const children = [...node.children].sort((a, b) => a.document.start_time - b.document.start_time);
    for (const [index, child] of children.entries()) walk(child, next, index === children.length - 1 ? '└─ ' : '├─ ');
  };
  for (const root of roots.sort((a, b) => a.document.start_time - b.document.start_time)) walk(root, '', '');
  return lines;
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
