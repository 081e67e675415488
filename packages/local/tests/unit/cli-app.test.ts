// `--app <dir>` from a new user's seat (issue #27): `access --app` synthesizes as `serve --app`
// does; the state file has a default; the synth cache keys on what the app and its bundles read,
// never on the server's own outputs nor on files nobody read; `serve --watch` recovers when the
// file that broke a reload is deleted.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { AccessCell } from '../../src/access.js';
import { cachedSynth } from '../../src/cli/synth.js';
import type { LocalState } from '../../src/stack.js';
import { clientFor } from '../helpers/stack.js';

const cdkLib = createRequire(import.meta.url).resolve('aws-cdk-lib');
const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Writes files (relative path → text) into `dir`, folders made as needed. */
function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/**
 * An ES module CDK app, as `cdk init` writes them now: GET / answers handler.js (which the app
 * reads) with lib/greeting.mjs's greeting (which the app imports: a read the preload does not
 * see); GET /asset runs the `Code.fromAsset` folder asset/; every file of routes/ adds a route.
 */
function esmApp(command = 'node app.mjs'): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-cli-app-'));
  write(dir, {
    'cdk.json': JSON.stringify({ app: command }),
    'lib/greeting.mjs': "export const greeting = 'hello';\n",
    'handler.js': 'exports.handler = async () => ({ statusCode: 200, body: "GREETING" });\n',
    'asset/index.js': 'exports.handler = async () => ({ statusCode: 200, body: "asset" });\n',
    'routes/items.cjs':
      "module.exports = (api, integration) => api.root.addResource('items').addMethod('GET', integration);\n",
    'app.mjs': `import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { greeting } from './lib/greeting.mjs';
const require = createRequire(import.meta.url);
const cdk = require(${JSON.stringify(cdkLib)});
const here = (path) => new URL(path, import.meta.url).pathname;
const app = new cdk.App();
const stack = new cdk.Stack(app, 'Cached');
const runtime = cdk.aws_lambda.Runtime.NODEJS_20_X;
const code = readFileSync(here('./handler.js'), 'utf8').replace('GREETING', greeting);
const fn = new cdk.aws_lambda.Function(stack, 'Handler', { runtime, handler: 'index.handler', code: cdk.aws_lambda.Code.fromInline(code) });
const asset = new cdk.aws_lambda.Function(stack, 'Asset', { runtime, handler: 'index.handler', code: cdk.aws_lambda.Code.fromAsset(here('./asset')) });
const api = new cdk.aws_apigateway.RestApi(stack, 'Api', { defaultMethodOptions: { authorizationType: cdk.aws_apigateway.AuthorizationType.IAM } });
const integration = new cdk.aws_apigateway.LambdaIntegration(fn);
api.root.addMethod('GET', integration);
api.root.addResource('asset').addMethod('GET', new cdk.aws_apigateway.LambdaIntegration(asset));
for (const file of readdirSync(here('./routes')).sort()) require(here('./routes/' + file))(api, integration);
app.synth();
`,
  });
  return dir;
}

/** The files `serve` writes, and files nobody reads, as a session leaves them in the app's folder. */
const LEFTOVERS = {
  'decisions.jsonl': '{"allowed":true}\n',
  'traces.jsonl': '{"trace_id":"1-2-3"}\n',
  'policy-report.json': '[]\n',
  'state.json': '{}\n',
  'notes.md': 'unrelated\n',
  'cdk.out/manifest.json': '{}\n',
  '.iam-m2m-local/state.json': '{}\n',
};

/** `iam-m2m-local <args>` to its end. */
function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: packageRoot }, (error, stdout, stderr) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? -1 : 0, stdout, stderr }),
    );
  });
}

/** `iam-m2m-local serve <args>` as a child process: the lines it prints, and the next one that matches. */
function serving(...args: string[]) {
  const lines: string[] = [];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', ...args], {
    cwd: packageRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  /** The next line (from now) that matches. */
  const nextLine = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const from = lines.length;
      const timer = setTimeout(() => reject(new Error(`no line ${pattern} in:\n${lines.join('\n')}`)), timeoutMs);
      const check = () => {
        const found = lines.slice(from).find((line) => pattern.test(line));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else setTimeout(check, 50);
      };
      check();
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { lines, nextLine, stop };
}

/** A signed GET as the operator on the first API's stage. */
async function get(state: LocalState, path = ''): Promise<{ status: number; body: string }> {
  const response = await clientFor(state, 'operator').get(`${state.apis[0]?.url}${path}`);
  return { status: response.status, body: await response.text() };
}

describe('--app: access, the default state file, and a synth cache of what the app read', () => {
  const dir = esmApp();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('access --app <dir> synthesizes the app and prints its matrix', async () => {
    // Act
    const { code, stdout, stderr } = await run('access', '--app', dir, '--json');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toMatch(new RegExp(`^iam-m2m-local: synthesized ${dir} in [\\d.]+ s\\n$`));
    const cells = JSON.parse(stdout) as AccessCell[];
    expect(cells).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ principal: 'operator', endpoint: 'GET /prod/items', kind: 'rest', allowed: true }),
        expect.objectContaining({ principal: 'outsider', endpoint: 'GET /prod/items', kind: 'rest', allowed: false }),
      ]),
    );
  }, 60_000);

  it("serve --app reuses that synth though the server's outputs and unrelated files were written; the state file defaults to <app>/.iam-m2m-local/state.json", async () => {
    // Prepare
    write(dir, LEFTOVERS);
    const outputs = [
      '--decisions',
      'decisions.jsonl',
      '--traces',
      'traces.jsonl',
      '--policy-report',
      'policy-report.json',
    ];
    const server = serving('--app', dir, ...outputs.map((arg) => (arg.startsWith('--') ? arg : join(dir, arg))));

    // Act
    const line = await server.nextLine(/serving/);

    // Assess
    const stateFile = join(dir, '.iam-m2m-local', 'state.json');
    expect(server.lines).toContain(`iam-m2m-local: reusing the synth of ${dir}: nothing it read changed since`);
    expect(line).toMatch(
      new RegExp(`^iam-m2m-local: serving http://127\\.0\\.0\\.1:\\d+ \\(state in ${stateFile}\\)$`),
    );
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState;
    expect(await get(state)).toEqual({ status: 200, body: 'hello' });
    await server.stop();
    expect(readFileSync(join(dir, 'decisions.jsonl'), 'utf8')).toContain('"allowed":true');
    // The outputs the run wrote change nothing either.
    expect((await cachedSynth({ dir })).cached).toBe(true);
  }, 60_000);

  it('serve --assembly <app>/cdk.out writes its state beside the assembly, in the folder of its seed', async () => {
    // Prepare
    const { assemblyDir } = await cachedSynth({ dir });
    cpSync(assemblyDir, join(dir, 'cdk.out'), { recursive: true });
    const stateFile = join(dir, '.iam-m2m-local', 'state.json');
    rmSync(stateFile);
    const server = serving('--assembly', join(dir, 'cdk.out'));

    // Act
    const line = await server.nextLine(/serving/);
    await server.stop();

    // Assess
    expect(line).toMatch(new RegExp(`\\(state in ${stateFile}\\)$`));
    expect((JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState).apis).toHaveLength(1);
    expect(existsSync(join(dir, '.iam-m2m-local', 'seed'))).toBe(true);
  }, 60_000);

  it('synthesizes again when a file the app imports, reads or copies changes, and reuses the first synth once they are back', async () => {
    // Prepare
    const first = await cachedSynth({ dir });
    const edits: Record<string, string>[] = [
      { 'lib/greeting.mjs': "export const greeting = 'hi';\n" }, // an ES module import: no read the preload sees
      { 'handler.js': 'exports.handler = async () => ({ statusCode: 200, body: "GREETING!" });\n' }, // read by the app
      { 'asset/extra.txt': 'more\n' }, // a new file in a folder the app copies into the assembly
    ];

    // Act
    const misses: boolean[] = [];
    for (const edit of edits) {
      write(dir, edit);
      misses.push(!(await cachedSynth({ dir })).cached);
    }
    write(dir, { 'lib/greeting.mjs': "export const greeting = 'hello';\n" });
    write(dir, { 'handler.js': 'exports.handler = async () => ({ statusCode: 200, body: "GREETING" });\n' });
    rmSync(join(dir, 'asset', 'extra.txt'));
    const back = await cachedSynth({ dir });

    // Assess
    expect(first.cached).toBe(true);
    expect(misses).toEqual([true, true, true]);
    expect(back).toMatchObject({ cached: true, assemblyDir: first.assemblyDir });
  }, 120_000);
});

describe("--default-assembly (the package scripts' ../infra/cdk.out) when it is missing: the app beside it", () => {
  const dir = esmApp();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('access and serve synthesize the app of the cdk.json beside it (a fresh clone after pnpm start); --assembly stays as given', async () => {
    // Prepare
    const missing = join(dir, 'cdk.out');

    // Act
    const matrix = await run('access', '--default-assembly', missing, '--json');
    const server = serving('--default-assembly', missing);
    const line = await server.nextLine(/serving/);
    const stateFile = join(dir, '.iam-m2m-local', 'state.json');
    const answer = await get(JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState);
    await server.stop();
    const given = await run('access', '--assembly', missing);

    // Assess
    expect(matrix.code).toBe(0);
    expect(matrix.stderr).toMatch(new RegExp(`^iam-m2m-local: synthesized ${dir} in [\\d.]+ s\\n$`));
    expect(JSON.parse(matrix.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ principal: 'operator', endpoint: 'GET /prod/items' })]),
    );
    expect(server.lines[0]).toBe(`iam-m2m-local: reusing the synth of ${dir}: nothing it read changed since`);
    expect(line).toContain(`(state in ${stateFile})`);
    expect(answer).toEqual({ status: 200, body: 'hello' });
    expect(given).toMatchObject({ code: 1, stderr: expect.stringMatching(/^iam-m2m-local: No cloud assembly at /) });
  }, 120_000);
});

describe('the synth cache of an app whose process is not recorded (it sets NODE_OPTIONS itself)', () => {
  const dir = esmApp('NODE_OPTIONS= node app.mjs');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keys on every input of the app, less the files the server writes', async () => {
    // Prepare
    const ignore = [join(dir, 'decisions.jsonl')];
    const first = await cachedSynth({ dir }, { ignore });

    // Act
    write(dir, { 'decisions.jsonl': '{"allowed":false}\n' });
    const afterOutput = await cachedSynth({ dir }, { ignore });
    write(dir, { 'notes.md': 'unrelated, but nothing says what the app read\n' });
    const afterNotes = await cachedSynth({ dir }, { ignore });

    // Assess
    expect(first.cached).toBe(false);
    expect(afterOutput).toMatchObject({ cached: true, assemblyDir: first.assemblyDir });
    expect(afterNotes.cached).toBe(false);
  }, 120_000);
});

describe('serve --watch after a broken edit', () => {
  const dir = esmApp();
  let server: ReturnType<typeof serving> | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recovers when the offending file is deleted, and a failed reload is retried with the changes since', async () => {
    // Prepare
    server = serving('--app', dir, '--watch');
    await server.nextLine(/watching/);
    const state = () => JSON.parse(readFileSync(join(dir, '.iam-m2m-local', 'state.json'), 'utf8')) as LocalState;
    expect(await get(state(), 'items')).toEqual({ status: 200, body: 'hello' });
    const broken = join(dir, 'routes', 'broken.cjs');

    // Act: a file that breaks the app, then deleted.
    writeFileSync(broken, 'module.exports = (;\n');
    const failed = await server.nextLine(/reload/);
    rmSync(broken);
    const recovered = await server.nextLine(/reload/);

    // Assess
    expect(failed).toMatch(/reload failed, still serving the last good app: the CDK app failed .*SyntaxError/);
    expect(recovered).toMatch(/reloaded in [\d.]+ s \(synth cached\): nothing the local stack serves changed$/);
    expect(await get(state(), 'items')).toEqual({ status: 200, body: 'hello' });

    // Act: broken again; a good route added while it is; then the broken file deleted.
    writeFileSync(broken, 'module.exports = (;\n');
    await server.nextLine(/reload failed/);
    write(dir, {
      'routes/more.cjs': "module.exports = (api, i) => api.root.addResource('more').addMethod('GET', i);\n",
    });
    await server.nextLine(/reload failed/);
    rmSync(broken);

    // Assess
    expect(await server.nextLine(/reload/)).toMatch(
      /reloaded in [\d.]+ s \(synth\): .*routes added: GET \/prod\/more$/,
    );
    expect(await get(state(), 'more')).toEqual({ status: 200, body: 'hello' });
  }, 180_000);
});
