// `access --html <file>`: who can call what in this repo's two-account app as one self-contained
// page, written by the CLI as users run it, opened from file:// in a real headless Chromium
// (Debian's `chromium`, which .ci/run installs; where it is absent the browser test says so and
// does not run), with a screenshot kept under artifacts/screenshots/ for the CI run.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { accessOf } from '../../src/access.js';
import { accessHtml } from '../../src/console/report.js';
import { CHROMIUM_FLAGS, startableChromium } from '../helpers/chromium.js';
import { clientFor, startStack } from '../helpers/stack.js';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = fileURLToPath(new URL('../../../../artifacts/screenshots/', import.meta.url));
const cli = join(packageRoot, 'src', 'cli.ts');

const FLAGS = [...CHROMIUM_FLAGS, '--allow-file-access-from-files'];
const chromium = startableChromium("the access report's browser test");

const run = (args: string[]) =>
  new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: packageRoot }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    ),
  );

/** A cell of the page: its class (the kind of answer), its text and its reason (`title`). */
function cellOf(html: string, principal: string, endpoint: string) {
  const pattern = new RegExp(
    `<td class="([a-z]+)" title="([^"]*)" data-principal="${principal}" data-endpoint="${endpoint.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')}">([a-z]+)</td>`,
  );
  const [, kind, reason, text] = pattern.exec(html) ?? [];
  return { kind, reason, text };
}

let file = '';
let html = '';
beforeAll(async () => {
  file = join(mkdtempSync(join(inject('scratchRoot'), 'report-')), 'access.html');
  const { stderr } = await run(['access', '--assembly', inject('twoAccounts'), '--html', file]);
  expect(stderr).toMatch(
    /^iam-m2m-local: wrote who can call what to .*access\.html \(\d+ principals, \d+ endpoints\)\n$/,
  );
  html = readFileSync(file, 'utf8');
}, 60_000);

describe('access --html: one self-contained page', () => {
  it("shows the requestor's allowed cell and the outsider's denied one, each with its reason", () => {
    const matrix = accessOf(inject('twoAccounts'));
    for (const [principal, allowed] of [
      ['requestor', true],
      ['outsider', false],
    ] as const) {
      const expected = matrix.cells.find((cell) => cell.principal === principal && cell.endpoint === 'GET /prod/');
      expect(expected?.allowed).toBe(allowed);
      const cell = cellOf(html, principal, 'GET /prod/');
      expect(cell.text).toBe(allowed ? 'allow' : 'deny');
      expect(cell.reason).toBe(expected?.reason.replaceAll('"', '&quot;').replaceAll("'", '&#39;'));
      expect(cell.kind).toBe(allowed ? 'allow' : expected?.denial);
    }
  });

  it('makes no request of any kind: no script, no outside resource, a policy forbidding both', () => {
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    );
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(/i);
  });

  it('carries no secret: no key, secret or session token of the principals', () => {
    const state = JSON.stringify(accessOf(inject('twoAccounts')).cells);
    expect(state).not.toMatch(/ASIA[A-Z0-9]{16}/);
    expect(html).not.toMatch(/ASIA[A-Z0-9]{16}|aws4_request|X-Amz-Signature|sessionToken/i);
  });

  it('escapes what it shows: a reason is text, never markup', () => {
    const page = accessHtml(
      {
        cells: [
          {
            principal: '<b>',
            endpoint: 'GET /"x"',
            kind: 'rest',
            allowed: false,
            reason: `<img src=x> & 'y'`,
            denial: 'explicit',
          },
        ],
        principals: ['<b>'],
      },
      { generatedAt: new Date(0), sources: ['<dir>'] },
    );
    expect(page).not.toContain('<img src=x>');
    expect(page).toContain('&lt;img src=x&gt; &amp; &#39;y&#39;');
    expect(page).toContain('<code>&lt;dir&gt;</code>');
  });

  it('refuses a file it cannot write with one line naming it', async () => {
    await expect(
      run(['access', '--assembly', inject('twoAccounts'), '--html', '/nonexistent-dir/access.html']),
    ).rejects.toThrow(/iam-m2m-local: --html \/nonexistent-dir\/access\.html: cannot write it \(ENOENT\)/);
  });
});

describe('access --html --decisions: the least privilege a run needed', () => {
  it("lists what the requestor's allowed call needed, from the decisions serve wrote", async () => {
    // A run as `serve --decisions <file>` records it: the requestor's signed GET, a JSON line per decision.
    const decisionsFile = join(mkdtempSync(join(inject('scratchRoot'), 'decisions-')), 'decisions.jsonl');
    const records: string[] = [];
    const { stack, state } = await startStack(inject('twoAccounts'), {
      warn: () => {},
      decisions: (record) => records.push(JSON.stringify(record)),
    });
    try {
      const response = await clientFor(state, 'requestor').request({ method: 'GET', url: state.apis[0]?.url ?? '' });
      expect(response.status).toBe(200);
    } finally {
      stack.close();
    }
    writeFileSync(decisionsFile, `${records.join('\n')}\n`);
    const page = join(mkdtempSync(join(inject('scratchRoot'), 'report-')), 'access.html');
    await run(['access', '--assembly', inject('twoAccounts'), '--html', page, '--decisions', decisionsFile]);
    const text = readFileSync(page, 'utf8');
    expect(text).toContain('<h2>Least privilege of the run in <code>');
    expect(text).toMatch(
      /<tr><td>requestor<\/td><td>needed<\/td><td><code>execute-api:Invoke<\/code><\/td><td><code>arn:aws:execute-api:[^<]+\/prod\/GET\/<\/code>/,
    );
  }, 60_000);

  it('refuses a decisions file with a line that is no decision, naming the line', async () => {
    const bad = join(mkdtempSync(join(inject('scratchRoot'), 'decisions-')), 'bad.jsonl');
    writeFileSync(bad, '{"allowed": true, "principal": "x", "action": "a", "resource": "r"}\nnot json\n');
    await expect(
      run([
        'access',
        '--assembly',
        inject('twoAccounts'),
        '--html',
        join(inject('scratchRoot'), 'x.html'),
        '--decisions',
        bad,
      ]),
    ).rejects.toThrow(
      /iam-m2m-local: --decisions .*bad\.jsonl: line 2 is not a decision as serve --decisions writes them/,
    );
  });
});

describe.runIf(chromium)('access --html in a real Chromium, from file://', () => {
  it('renders the same grid: the requestor allowed, the outsider denied, the legend; a screenshot for the CI run', () => {
    const flags = FLAGS;
    const dom = execFileSync(chromium, [...flags, '--dump-dom', pathToFileURL(file).href], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    });
    expect(cellOf(dom, 'requestor', 'GET /prod/')).toMatchObject({ kind: 'allow', text: 'allow' });
    expect(cellOf(dom, 'outsider', 'GET /prod/').text).toBe('deny');
    expect(dom).toContain('<li class="allow">allowed</li>');
    mkdirSync(artifacts, { recursive: true });
    const screenshot = join(artifacts, 'access-report.png');
    execFileSync(
      chromium,
      [...flags, `--screenshot=${screenshot}`, '--window-size=1400,900', pathToFileURL(file).href],
      {
        stdio: 'ignore',
        timeout: 60_000,
      },
    );
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
  }, 120_000);
});
