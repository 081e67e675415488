import type { AccessCell, AccessMatrix } from '../access.js';
import type { PrincipalReport } from '../iam/policy-report.js';

// Who can call what as one self-contained HTML page (`access --html`): the matrix as a grid of
// endpoints × principals, one colour per kind of answer, each cell's reason on hover and listed
// below. No script, no request of any kind (its Content-Security-Policy forbids them): it opens
// from a file, attached to a CI run or a pull request, and shows what `access` prints.

/** Kinds of cell, in the legend's order: the CSS class, and what the colour means. */
const KINDS: [NonNullable<AccessCell['denial']> | 'allow', string][] = [
  ['allow', 'allowed'],
  ['identity', 'denied: no identity-based policy allows it'],
  ['resource', 'denied: no resource-based policy allows it'],
  ['explicit', 'denied: a Deny statement'],
  ['refused', 'refused before any policy (unsigned, another kind of authorizer, no such route)'],
];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const html = (text: string) => text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);

const kindOf = (cell: AccessCell) => (cell.allowed ? 'allow' : (cell.denial ?? 'identity'));

const STYLE = `
:root { color-scheme: light dark; --allow: #1a7f37; --identity: #bf8700; --resource: #d1242f; --explicit: #82071e; --refused: #6e7781; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
p.meta { color: #6e7781; margin: 0 0 1rem; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; margin: 0 0 1rem; }
ul.legend li::before { content: ''; display: inline-block; width: .9em; height: .9em; margin-right: .4em; vertical-align: -.1em; border-radius: 2px; background: var(--swatch); }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: .3rem .55rem; text-align: left; vertical-align: top; }
table.matrix td { text-align: center; color: #fff; font-weight: 600; white-space: nowrap; cursor: help; }
table.matrix thead th { position: sticky; top: 0; background: Canvas; }
th code, td code { font-size: .95em; }
.allow { --swatch: var(--allow); background: var(--allow); }
.identity { --swatch: var(--identity); background: var(--identity); }
.resource { --swatch: var(--resource); background: var(--resource); }
.explicit { --swatch: var(--explicit); background: var(--explicit); }
.refused { --swatch: var(--refused); background: var(--refused); }
ul.legend li { background: none; }
table.reasons td { color: inherit; }
tr.overgrant td { background: color-mix(in srgb, var(--identity) 18%, transparent); }
table.reasons td.verdict { color: #fff; font-weight: 600; white-space: nowrap; }
.kind { color: #6e7781; font-weight: normal; font-size: .85em; margin-right: .35em; }
`;

/** What the page says about where the matrix comes from. */
export interface ReportOptions {
  generatedAt: Date;
  /** The cloud assemblies it was read from. */
  sources: string[];
  /** The least privilege a run needed (`access --decisions <file>`). @default none: no such section */
  leastPrivilege?: { file: string; reports: PrincipalReport[] } | undefined;
}

/** Per principal: what its allowed calls needed, and the grants broader than that (highlighted). */
function leastPrivilegeSection(
  least: NonNullable<ReportOptions['leastPrivilege']>,
  heading = `Least privilege of the run in <code>${html(least.file)}</code>`,
): string {
  const rows = least.reports.flatMap((report) => [
    ...report.needed.map(
      (entry) =>
        `<tr><td>${html(report.principal)}</td><td>needed</td><td><code>${html(entry.action)}</code></td><td>${entry.resources.map((arn) => `<code>${html(arn)}</code>`).join('<br>')}</td><td></td></tr>`,
    ),
    ...report.unused.map(
      (entry) =>
        `<tr class="overgrant"><td>${html(report.principal)}</td><td>granted beyond use</td><td><code>${html(entry.action)}</code></td><td>${entry.granted.map((arn) => `<code>${html(arn)}</code>`).join('<br>')}</td><td>${html(entry.source)} statement ${html(entry.statement)}; used: ${entry.used.map((arn) => `<code>${html(arn)}</code>`).join(' ') || 'nothing'}</td></tr>`,
    ),
  ]);
  return `<h2>${heading}</h2>
${
  rows.length === 0
    ? "<p>No allowed call of the app's principals to report.</p>"
    : `<table class="least">
<thead><tr><th scope="col">Principal</th><th scope="col"></th><th scope="col">Action</th><th scope="col">Resources</th><th scope="col">Where</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`
}`;
}

/**
 * The access matrix as one HTML page with no script and no outside resource.
 *
 * @example
 * ```ts
 * writeFileSync('access.html', accessHtml(accessOf('cdk.out'), { generatedAt: new Date(), sources: ['cdk.out'] }));
 * ```
 */
export function accessHtml(matrix: Pick<AccessMatrix, 'cells' | 'principals'>, options: ReportOptions): string {
  const endpoints = [...new Map(matrix.cells.map((cell) => [cell.endpoint, cell.kind])).entries()];
  const byKey = new Map(matrix.cells.map((cell) => [`${cell.principal}\n${cell.endpoint}`, cell]));
  const header = matrix.principals.map((principal) => `<th scope="col">${html(principal)}</th>`).join('');
  const rows = endpoints
    .map(([endpoint, kind]) => {
      const cells = matrix.principals
        .map((principal) => {
          const cell = byKey.get(`${principal}\n${endpoint}`);
          if (!cell) return '<td class="refused" title="not asked">·</td>';
          const label = cell.allowed ? 'allow' : 'deny';
          return `<td class="${kindOf(cell)}" title="${html(cell.reason)}" data-principal="${html(principal)}" data-endpoint="${html(endpoint)}">${label}</td>`;
        })
        .join('');
      return `<tr><th scope="row"><span class="kind">${html(kind)}</span><code>${html(endpoint)}</code></th>${cells}</tr>`;
    })
    .join('\n');
  const reasons = matrix.cells
    .map(
      (cell) =>
        `<tr><td>${html(cell.principal)}</td><td><code>${html(cell.endpoint)}</code></td><td class="verdict ${kindOf(cell)}">${cell.allowed ? 'allow' : 'deny'}</td><td>${html(cell.reason)}</td></tr>`,
    )
    .join('\n');
  const legend = KINDS.map(([kind, meaning]) => `<li class="${kind}">${html(meaning)}</li>`).join('');
  const denied = matrix.cells.filter((cell) => !cell.allowed).length;
  return htmlDocument({
    title: 'Who can call what — iam-m2m-local',
    style: STYLE,
    body: `<h1>Who can call what</h1>
<p class="meta">${matrix.principals.length} principals × ${endpoints.length} endpoints: ${matrix.cells.length - denied} allowed, ${denied} denied. Read from ${options.sources.map((source) => `<code>${html(source)}</code>`).join(', ')} on ${html(options.generatedAt.toISOString())} by <code>iam-m2m-local access</code>, decided by the code that serves them. Hover a cell for its reason.</p>
<ul class="legend">${legend}</ul>
<table class="matrix">
<thead><tr><th scope="col">Endpoint</th>${header}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Every answer and its reason</h2>
<table class="reasons">
<thead><tr><th scope="col">Principal</th><th scope="col">Endpoint</th><th scope="col">Answer</th><th scope="col">Reason</th></tr></thead>
<tbody>
${reasons}
</tbody>
</table>
${options.leastPrivilege ? leastPrivilegeSection(options.leastPrivilege) : ''}`,
  });
}

/** The least privilege of the run so far, as one page (the console's view). */
export function leastPrivilegeHtml(reports: PrincipalReport[]): string {
  return htmlDocument({
    title: 'Least privilege — iam-m2m-local',
    style: STYLE,
    body: leastPrivilegeSection(
      { file: '', reports },
      "Least privilege of this run so far: what each principal's allowed calls needed, and what it is granted beyond that",
    ),
  });
}

/**
 * A page of the console or the report: its title, its style, its body, and a policy allowing
 * nothing else (`script` and `connect` add the console's own script and stream).
 */
export function htmlDocument(page: { title: string; style: string; body: string; script?: string }): string {
  const policy = page.script
    ? "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-src 'self'"
    : "default-src 'none'; style-src 'unsafe-inline'";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<title>${html(page.title)}</title>
<style>${page.style}</style>
</head>
<body>
${page.body}
${page.script ? `<script>${page.script}</script>\n` : ''}</body>
</html>
`;
}
