import { htmlDocument } from './report.js';

// The console's page: no library, no outside resource; its script writes every value it shows
// as text (never as markup), and its policy lets it talk to its own origin only.

const STYLE = `
:root { color-scheme: light dark; --allow: #1a7f37; --deny: #d1242f; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; }
header { display: flex; gap: 1.5rem; align-items: baseline; padding: .75rem 1.5rem; border-bottom: 1px solid #d0d7de; }
header h1 { font-size: 1.1rem; margin: 0; }
nav a { margin-right: 1rem; }
main { padding: 1rem 1.5rem; }
section[hidden] { display: none; }
.filters { display: flex; gap: .75rem; margin-bottom: .75rem; flex-wrap: wrap; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
tr.decision { cursor: pointer; }
.verdict { color: #fff; font-weight: 600; padding: .05rem .4rem; border-radius: 3px; }
.verdict.allow { background: var(--allow); }
.verdict.deny { background: var(--deny); }
.verdict.fail { background: #8a5a00; }
td.detail pre { margin: 0; white-space: pre-wrap; }
iframe { width: 100%; height: 80vh; border: 1px solid #d0d7de; }
.trace { margin-bottom: 1.25rem; }
.trace h2 { font-size: .95rem; margin: 0 0 .3rem; font-family: ui-monospace, monospace; }
.span { display: grid; grid-template-columns: 38% 62%; align-items: center; font-size: .9em; }
.span .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.span .lane { position: relative; height: 1.1em; background: color-mix(in srgb, #d0d7de 35%, transparent); }
.span .bar { position: absolute; top: 0; bottom: 0; background: #0969da; min-width: 2px; }
.span .bar.failed { background: var(--deny); }
#status { color: #6e7781; }
`;

const SCRIPT = `
const rows = document.getElementById('decisions');
const status = document.getElementById('status');
const filters = { principal: document.getElementById('principal'), endpoint: document.getElementById('endpoint'), verdict: document.getElementById('verdict') };
let count = 0;
function cell(row, text, className) {
  const td = row.insertCell();
  const span = document.createElement('span');
  span.textContent = text;
  if (className) span.className = className;
  td.appendChild(span);
  return td;
}
function shown(row) {
  const p = filters.principal.value.toLowerCase(), e = filters.endpoint.value.toLowerCase(), v = filters.verdict.value;
  return (!p || row.dataset.principal.toLowerCase().includes(p)) && (!e || row.dataset.endpoint.toLowerCase().includes(e)) && (!v || row.dataset.verdict === v);
}
function filter() {
  for (const row of rows.querySelectorAll('tr.decision')) {
    row.hidden = !shown(row);
    if (row.nextElementSibling && row.nextElementSibling.classList.contains('details')) row.nextElementSibling.hidden = true;
  }
}
function details(record) {
  const lines = record.policies.map((policy) => policy.kind + ' ' + policy.source + ': ' + policy.verdict + (policy.statement ? ' (statement ' + policy.statement + ')' : '') + (policy.miss ? ' — ' + policy.miss : ''));
  const keys = Object.entries(record.context || {}).map(([key, value]) => key + ' = ' + JSON.stringify(value));
  return ['caller ' + record.caller, record.action + ' on ' + record.resource, '', ...lines, ...(keys.length ? ['', 'context keys:', ...keys] : [])].join('\\n');
}
function add(record) {
  const verdict = record.allowed ? 'allow' : record.failed ? 'fail' : 'deny';
  const row = document.createElement('tr');
  row.className = 'decision';
  Object.assign(row.dataset, { principal: record.principal, endpoint: record.endpoint, verdict });
  rows.prepend(row);
  cell(row, record.time.slice(11, 23));
  cell(row, verdict.toUpperCase(), 'verdict ' + verdict);
  cell(row, record.principal);
  cell(row, record.endpoint);
  cell(row, record.reason);
  const more = document.createElement('tr');
  more.className = 'details';
  more.hidden = true;
  const td = more.insertCell();
  td.colSpan = 5;
  td.className = 'detail';
  const pre = document.createElement('pre');
  pre.textContent = details(record);
  td.appendChild(pre);
  row.after(more);
  row.addEventListener('click', () => { more.hidden = !more.hidden; });
  row.hidden = !shown(row);
  status.textContent = ++count + ' decision' + (count === 1 ? '' : 's');
}
for (const input of Object.values(filters)) input.addEventListener('input', filter);
const snapshot = new URLSearchParams(location.search).has('snapshot');
const events = new EventSource('events' + (snapshot ? '?snapshot' : ''));
events.addEventListener('decision', (event) => add(JSON.parse(event.data)));
events.addEventListener('open', () => { document.body.dataset.live = 'true'; });
events.addEventListener('error', () => {
  status.textContent = count + ' decisions' + (snapshot ? ' (a snapshot)' : '; the stack is not answering');
  if (snapshot) events.close();
});
function waterfall(trace) {
  const block = document.createElement('div');
  block.className = 'trace';
  const title = document.createElement('h2');
  title.textContent = trace.traceId + '  ' + trace.durationMs + ' ms';
  block.appendChild(title);
  for (const row of trace.rows) {
    const line = document.createElement('div');
    line.className = 'span';
    line.title = row.label;
    const name = document.createElement('span');
    name.className = 'name';
    name.style.paddingLeft = row.depth * 1.2 + 'em';
    name.textContent = row.name + (row.origin ? ' (' + row.origin + ')' : '');
    const lane = document.createElement('span');
    lane.className = 'lane';
    const bar = document.createElement('span');
    bar.className = 'bar' + (row.failed ? ' failed' : '');
    const total = trace.durationMs || 1;
    bar.style.left = (100 * row.offsetMs) / total + '%';
    bar.style.width = (100 * (row.durationMs ?? total - row.offsetMs)) / total + '%';
    lane.appendChild(bar);
    line.append(name, lane);
    block.appendChild(line);
  }
  return block;
}
async function traces() {
  const list = document.getElementById('traces');
  const all = await (await fetch('traces.json')).json();
  list.replaceChildren(...all.map(waterfall));
  if (all.length === 0) list.textContent = 'No trace yet: call a function whose tracing is on, or pass an X-Amzn-Trace-Id.';
}
events.addEventListener('note', (event) => {
  const note = JSON.parse(event.data);
  document.getElementById('no-reload')?.remove();
  const item = document.createElement('li');
  item.textContent = note.time.slice(11, 19) + '  ' + note.line;
  document.getElementById('reloads').prepend(item);
});
const TABS = ['decisions', 'access', 'traces', 'least-privilege', 'reloads'];
function show() {
  const tab = TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'decisions';
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== tab + '-view';
  if (tab === 'access') document.getElementById('access-frame').src = 'access';
  if (tab === 'least-privilege') document.getElementById('least-frame').src = 'least-privilege';
  if (tab === 'traces') traces();
}
window.addEventListener('hashchange', show);
show();
`;

/** The console's page. */
export function consolePage(): string {
  return htmlDocument({
    title: 'iam-m2m-local console',
    style: STYLE,
    script: SCRIPT,
    body: `<header><h1>iam-m2m-local</h1><nav><a href="#decisions">Decisions</a><a href="#access">Who can call what</a><a href="#traces">Traces</a><a href="#least-privilege">Least privilege</a><a href="#reloads">Reloads</a></nav><span id="status">waiting for decisions</span></header>
<main>
<section id="decisions-view">
<div class="filters">
<label>Principal <input id="principal" type="search"></label>
<label>Endpoint <input id="endpoint" type="search"></label>
<label>Answer <select id="verdict"><option value="">all</option><option value="allow">allow</option><option value="deny">deny</option><option value="fail">fail</option></select></label>
</div>
<table>
<thead><tr><th>Time (UTC)</th><th>Answer</th><th>Principal</th><th>Endpoint</th><th>Reason</th></tr></thead>
<tbody id="decisions"></tbody>
</table>
</section>
<section id="traces-view" hidden>
<div id="traces"></div>
</section>
<section id="least-privilege-view" hidden>
<iframe id="least-frame" title="Least privilege"></iframe>
</section>
<section id="reloads-view" hidden>
<ul id="reloads"><li id="no-reload">No reload yet (serve --watch reloads as the app changes).</li></ul>
</section>
<section id="access-view" hidden>
<iframe id="access-frame" title="Who can call what"></iframe>
</section>
</main>`,
  });
}
