// `serve --console`: the console on the stack's own port, under /~console/ — decisions pushed as
// they are made (server-sent events), who can call what — for this repo's two-account app,
// with real signed calls, and the page in a real headless Chromium (Debian's `chromium`; where
// none starts, the browser test says so and does not run). Safe by construction: its own
// address only (a page of another site resolving to 127.0.0.1 reaches AWS's answer, not the
// console), GET from its own origin only, no secret in any page or event.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newTraceId } from '../../src/lambda/tracing.js';
import { traceTree } from '../../src/services/xray/trace-tree.js';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { CHROMIUM_FLAGS, openPage, startableChromium } from '../helpers/chromium.js';
import { awsError, clientFor, startStack } from '../helpers/stack.js';

const artifacts = fileURLToPath(new URL('../../../../artifacts/screenshots/', import.meta.url));
const FLAGS = CHROMIUM_FLAGS;
const chromium = startableChromium("the console's browser tests");
const browse = (args: string[]) => promisify(execFile)(chromium, args, { timeout: 60_000, encoding: 'utf8' });

let stack: LocalStack;
let state: LocalState;
let consoleUrl = '';
beforeAll(async () => {
  ({ stack, state } = await startStack(inject('twoAccounts'), { warn: () => {}, console: true }));
  consoleUrl = `${stack.origin}/~console/`;
});
afterAll(() => stack?.close());

const signedGet = (who: string) => clientFor(state, who).request({ method: 'GET', url: state.apis[0]?.url ?? '' });

/** Every secret of the state file: none may appear in the console. */
const secrets = () =>
  state.principals.flatMap((principal) => [principal.accessKeyId, principal.secretAccessKey, principal.sessionToken]);

/** A GET with headers fetch will not send as given (`Host`), over node:http. */
const rawGet = (url: string, headers: Record<string, string>) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    request(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });

describe('the console, over HTTP', () => {
  it('pushes a DENY as it is made: the outsider signs, the stream says who, what and why', async () => {
    const controller = new AbortController();
    const events = await fetch(`${consoleUrl}events`, { signal: controller.signal });
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = events.body?.getReader();
    if (!reader) throw new Error('no event stream');
    expect((await signedGet('outsider')).status).toBe(403);
    let text = '';
    while (!text.includes('"principal":"outsider"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const record = JSON.parse(
      /event: decision\ndata: (.*"principal":"outsider".*)\n\n/.exec(text)?.[1] ?? '{}',
    ) as Record<string, unknown>;
    expect(record).toMatchObject({ allowed: false, principal: 'outsider', endpoint: 'GET /prod/' });
    expect(record.reason).toMatch(/^across accounts both must allow: no resource-based policy allows it/);
    for (const secret of secrets()) expect(text).not.toContain(secret);
  });

  it("shows who can call what: the requestor's allowed cell and the outsider's denied one, with reasons", async () => {
    const access = (await (await fetch(`${consoleUrl}access.json`)).json()) as {
      cells: { principal: string; endpoint: string; allowed: boolean; reason: string }[];
    };
    const cell = (who: string) => access.cells.find((c) => c.principal === who && c.endpoint === 'GET /prod/');
    expect(cell('requestor')).toMatchObject({ allowed: true, reason: expect.stringMatching(/^allowed by /) });
    expect(cell('outsider')).toMatchObject({ allowed: false, reason: expect.stringMatching(/^across accounts/) });
    const page = await (await fetch(`${consoleUrl}access`)).text();
    expect(page).toContain('data-principal="requestor" data-endpoint="GET /prod/">allow</td>');
  });

  it("answers only its own address: a foreign Host gets AWS's answer (no DNS rebinding)", async () => {
    const { port } = new URL(stack.origin);
    const own = await rawGet(consoleUrl, { host: `localhost:${port}` });
    expect(own.status).toBe(200);
    const foreign = await rawGet(consoleUrl, { host: `attacker.example:${port}` });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toEqual({ message: 'Missing Authentication Token' });
  });

  it('refuses writes and requests from other origins', async () => {
    expect((await fetch(`${consoleUrl}events`, { method: 'POST' })).status).toBe(403);
    const crossOrigin = await fetch(`${consoleUrl}access.json`, { headers: { origin: 'http://attacker.example' } });
    expect(crossOrigin.status).toBe(403);
  });

  it('carries no secret in its page or its data, and forbids outside resources', async () => {
    const page = await (await fetch(consoleUrl)).text();
    expect(page).toContain(
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
    );
    for (const body of [page, await (await fetch(`${consoleUrl}access.json`)).text()])
      for (const secret of secrets()) expect(body).not.toContain(secret);
  });
});

describe("the console's traces", () => {
  it("shows the requestor's call as a waterfall across accounts: API Gateway, then hello-world", async () => {
    // The requestor's tracing is Active: its call to the API (in the other account) is one trace.
    const traceId = newTraceId();
    const outcome = await stack.runtime('requestor')?.invoke({}, { trace: { root: traceId } });
    expect(outcome?.ok).toBe(true);
    const documents = await stack.xray.settle(traceId, 300, 5000);
    const traces = (await (await fetch(`${consoleUrl}traces.json`)).json()) as {
      traceId: string;
      rows: { name: string; origin: string | null; label: string; offsetMs: number; durationMs: number | null }[];
    }[];
    const trace = traces.find((candidate) => candidate.traceId === traceId);
    // The same rows as the text tree: one source for both.
    expect(trace?.rows.map((row) => row.label)).toEqual(
      traceTree(documents).map((line) => line.replace(/^[│ ├└─]+/u, '')),
    );
    const origins = trace?.rows.map((row) => row.origin);
    expect(origins).toContain('AWS::ApiGateway::Stage');
    expect(trace?.rows.some((row) => row.origin === 'AWS::Lambda' && /hello-?world/i.test(row.name))).toBe(true);
    for (const row of trace?.rows ?? []) expect(row.offsetMs).toBeGreaterThanOrEqual(0);
    const text = JSON.stringify(traces);
    for (const secret of secrets()) expect(text).not.toContain(secret);
  });
});

describe("the console's least privilege and reloads", () => {
  it("shows what the requestor's allowed calls needed, from the decisions of the run so far", async () => {
    expect((await signedGet('requestor')).status).toBe(200);
    const page = await (await fetch(`${consoleUrl}least-privilege`)).text();
    expect(page).toMatch(
      /<tr><td>requestor<\/td><td>needed<\/td><td><code>execute-api:Invoke<\/code><\/td><td><code>arn:aws:execute-api:[^<]+\/prod\/GET\/<\/code>/,
    );
    for (const secret of secrets()) expect(page).not.toContain(secret);
  });

  it('keeps and pushes each line of the run (a --watch reload and what it changed)', async () => {
    stack.console?.note('reloaded in 0.4 s (synth cached): policies changed: role requestor');
    const snapshot = await (await fetch(`${consoleUrl}events?snapshot`)).text();
    expect(snapshot).toMatch(
      /event: note\ndata: \{"time":"[^"]+","line":"reloaded in 0\.4 s \(synth cached\): policies changed: role requestor"\}/,
    );
  });
});

describe('without --console', () => {
  it("/~console/ is AWS's: 403 Missing Authentication Token, as any unknown path", async () => {
    const { stack: plain } = await startStack(inject('twoAccounts'), { warn: () => {} });
    try {
      expect(await awsError(await fetch(`${plain.origin}/~console/`))).toMatchObject({
        status: 403,
        message: 'Missing Authentication Token',
      });
    } finally {
      await plain.close();
    }
  });
});

describe.runIf(chromium)('the console in a real Chromium', () => {
  it('lists the decisions made, newest first, with their answers and reasons; screenshots for the CI run', async () => {
    expect((await signedGet('requestor')).status).toBe(200);
    // A snapshot of the page (the decisions kept, then the end of the stream), so the page settles.
    // Asynchronously: the stack answering the browser runs in this very process.
    const { stdout: dom } = await browse([
      ...FLAGS,
      '--virtual-time-budget=3000',
      '--dump-dom',
      `${consoleUrl}?snapshot`,
    ]);
    expect(dom).toMatch(
      /<tr class="decision" data-principal="requestor" data-endpoint="GET \/prod\/" data-verdict="allow">/,
    );
    expect(dom).toMatch(
      /<tr class="decision" data-principal="outsider" data-endpoint="GET \/prod\/" data-verdict="deny">/,
    );
    for (const secret of secrets()) expect(dom).not.toContain(secret);
    mkdirSync(artifacts, { recursive: true });
    const { stdout: traced } = await browse([
      ...FLAGS,
      '--virtual-time-budget=3000',
      '--dump-dom',
      `${consoleUrl}?snapshot#traces`,
    ]);
    expect(traced).toMatch(/<span class="name"[^>]*>[^<]*\(AWS::ApiGateway::Stage\)<\/span>/);
    const { stdout: reloads } = await browse([
      ...FLAGS,
      '--virtual-time-budget=3000',
      '--dump-dom',
      `${consoleUrl}?snapshot#reloads`,
    ]);
    expect(reloads).toMatch(
      /<li>\d\d:\d\d:\d\d {2}reloaded in 0\.4 s \(synth cached\): policies changed: role requestor<\/li>/,
    );
    for (const [name, url] of [
      ['console-decisions.png', `${consoleUrl}?snapshot`],
      ['console-access.png', `${consoleUrl}?snapshot#access`],
      ['console-traces.png', `${consoleUrl}?snapshot#traces`],
      ['console-least-privilege.png', `${consoleUrl}?snapshot#least-privilege`],
    ] as const) {
      const file = join(artifacts, name);
      await browse([...FLAGS, '--virtual-time-budget=3000', `--screenshot=${file}`, '--window-size=1300,700', url]);
      expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
    }
  }, 120_000);

  it('shows a DENY as it happens: the page is open, then the outsider signs a call', async () => {
    const page = await openPage(chromium, consoleUrl);
    try {
      // Listening: the page's event stream is open (what was kept came first).
      await page.waitFor(`document.body.dataset.live === 'true'`);
      const marker = `/prod/live-${Date.now()}`;
      const shown = `document.querySelector('tr.decision[data-endpoint="GET ${marker}"]')`;
      expect(await page.evaluate<boolean>(`Boolean(${shown})`)).toBe(false);
      const response = await clientFor(state, 'outsider').request({
        method: 'GET',
        url: `${(state.apis[0]?.url ?? '').replace(/\/prod\/$/, '')}${marker}`,
      });
      expect(response.status).toBe(403);
      await page.waitFor(shown);
      expect(await page.evaluate<string>(`${shown}.dataset.verdict + ' ' + ${shown}.dataset.principal`)).toBe(
        'deny outsider',
      );
      // The newest first: the live row heads the table.
      expect(await page.evaluate<string>(`document.querySelector('tr.decision').dataset.endpoint`)).toBe(
        `GET ${marker}`,
      );
    } finally {
      page.close();
    }
  }, 60_000);
});
