// The inner loop (issue "A fast inner loop"): a synth cache that is never stale, and runs in one
// checkout that never share an output folder.
import { execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { appInputs, cachedSynth } from '../../src/cli/synth.js';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { clientFor } from '../helpers/stack.js';

const cdkLib = createRequire(import.meta.url).resolve('aws-cdk-lib');
/** The workspace's esbuild (its package.json). */
const esbuildPackage = createRequire(import.meta.url).resolve('esbuild/package.json');
const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** handler.js of the tiny app: answers `body`, after 1.5 s when asked `?slow=1`. */
const handlerCode = (body: string) =>
  `exports.handler = async (event) => { if (event.queryStringParameters?.slow) await new Promise((r) => setTimeout(r, 1500)); return { statusCode: 200, body: ${JSON.stringify(body)} }; };\n`;

/** app.cjs of the tiny app; `extra` is more CDK code (a route, a policy). */
const appCode = (extra = '', stackName = 'Tiny') => `const { readFileSync } = require('node:fs');
const cdk = require(${JSON.stringify(cdkLib)});
const app = new cdk.App();
const stack = new cdk.Stack(app, ${JSON.stringify(stackName)});
const fn = new cdk.aws_lambda.Function(stack, 'Handler', {
  runtime: cdk.aws_lambda.Runtime.NODEJS_20_X,
  handler: 'index.handler',
  code: cdk.aws_lambda.Code.fromInline(readFileSync(__dirname + '/handler.js', 'utf8')),
});
const api = new cdk.aws_apigateway.RestApi(stack, 'Api', { defaultMethodOptions: { authorizationType: cdk.aws_apigateway.AuthorizationType.IAM } });
api.root.addMethod('GET', new cdk.aws_apigateway.LambdaIntegration(fn));
${extra}
app.synth();
`;

/** A small CDK app of its own folder: a REST API (AWS_IAM) in front of an inline function whose code is handler.js. */
function tinyApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-tiny-app-'));
  writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'node app.cjs', watch: { include: ['**'] } }));
  writeFileSync(join(dir, 'handler.js'), handlerCode('v1'));
  writeFileSync(join(dir, 'app.cjs'), appCode());
  return dir;
}

describe('the synth cache', () => {
  const dir = tinyApp();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reuses the assembly of unchanged inputs, and synthesizes again after any source change', async () => {
    expect(appInputs(dir).map((file) => file.slice(dir.length + 1))).toEqual(
      expect.arrayContaining(['app.cjs', 'cdk.json', 'handler.js']),
    );
    const first = await cachedSynth({ dir });
    expect(first.cached).toBe(false);
    expect(existsSync(join(first.assemblyDir, 'manifest.json'))).toBe(true);

    const second = await cachedSynth({ dir });
    expect(second).toMatchObject({ cached: true, assemblyDir: first.assemblyDir });

    writeFileSync(join(dir, 'handler.js'), handlerCode('v2'));
    const third = await cachedSynth({ dir });
    expect(third.cached).toBe(false);
    expect(third.assemblyDir).not.toBe(first.assemblyDir);

    // What the new assembly serves is the new code.
    const stack = await LocalStack.start({ assemblyDir: third.assemblyDir, functionOutput: 'ignore' });
    try {
      const state = stack.state();
      const response = await clientFor(state, 'operator').get(state.apis[0]?.url ?? '');
      expect(await response.text()).toBe('v2');
    } finally {
      await stack.close();
    }
  });

  it('a different context is a different synth', async () => {
    const plain = await cachedSynth({ dir });
    const other = await cachedSynth({ dir, context: { stage: 'other' } });
    expect(other.assemblyDir).not.toBe(plain.assemblyDir);
  });

  it("a different CDK_DEFAULT_ACCOUNT or CDK_DEFAULT_REGION is a different synth (apps choose stacks' environments by them)", async () => {
    const plain = await cachedSynth({ dir });
    const saved = process.env.CDK_DEFAULT_REGION;
    process.env.CDK_DEFAULT_REGION = 'eu-west-3';
    try {
      const other = await cachedSynth({ dir });
      expect(other.assemblyDir).not.toBe(plain.assemblyDir);
    } finally {
      if (saved === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = saved;
    }
  });

  it("notes the folders the app's own code lists, and never fails an app that replaced Error.prepareStackTrace", async () => {
    const other = tinyApp();
    try {
      // Some libraries set a prepareStackTrace that returns the call sites, not a string (the
      // app puts the default back: aws-cdk-lib needs it).
      const listing = [
        'const before = Error.prepareStackTrace;',
        'Error.prepareStackTrace = (_error, sites) => sites;',
        "require('node:fs').readdirSync(__dirname + '/listed');",
        'Error.prepareStackTrace = before;',
        '',
      ].join('\n');
      mkdirSync(join(other, 'listed'));
      writeFileSync(join(other, 'app.cjs'), listing + appCode());
      const { assemblyDir } = await cachedSynth({ dir: other });
      const reads = readFileSync(join(assemblyDir, '.iam-m2m-local', 'app-reads.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { folders: string[] });
      expect(reads.flatMap((read) => read.folders)).toContain(join(other, 'listed'));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a failing app is one line naming its own error, and leaves no half-written folder behind', async () => {
    writeFileSync(join(dir, 'app.cjs'), 'throw new Error("the app is broken");\n');
    await expect(cachedSynth({ dir })).rejects.toThrow(/^the CDK app failed \(exit 1\): .*the app is broken/);
  });
});

describe('two start runs at the same time in one checkout', () => {
  it('both print their seed line (one account and two accounts)', async () => {
    const run = (accounts: string) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'start', '--accounts', accounts], {
        cwd: fileURLToPath(new URL('../../', import.meta.url)),
        maxBuffer: 32 * 1024 * 1024,
      });
    const [one, two] = await Promise.all([run('one'), run('two')]);
    for (const { stdout } of [one, two]) {
      const last = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
      expect(last).toMatchObject({ without: { message: 'Missing Authentication Token' }, with: { hello: 'world' } });
    }
    expect(JSON.parse(two.stdout.trim().split('\n').at(-1) ?? '').httpApi.caller.accountId).toBe('222222222222');
  }, 240_000);
});

/** `serve --app <dir> [--app <dir>…] --watch --state <first dir>/state.json` as a child process, and what it prints. */
function serveWatching(...dirs: [string, ...string[]]) {
  const stateFile = join(dirs[0], 'state.json');
  const lines: string[] = [];
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'serve', ...dirs.flatMap((dir) => ['--app', dir]), '--watch', '--state', stateFile],
    {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  server.stderr?.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  /** The next line printed (from now) that matches. */
  const nextLine = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const started = lines.length;
      const timer = setTimeout(() => reject(new Error(`no line ${pattern} in:\n${lines.join('\n')}`)), timeoutMs);
      const check = () => {
        const found = lines.slice(started).find((line) => pattern.test(line));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else setTimeout(check, 50);
      };
      check();
    });
  const state = () => JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState;
  /** A signed GET as the operator on the first API's stage. */
  const get = async (query = '', path = '') => {
    const response = await clientFor(state(), 'operator').get(`${state().apis[0]?.url}${path}${query}`);
    return { status: response.status, body: await response.text() };
  };
  return { server, lines, nextLine, state, get };
}

describe("serve --app <a> --app <b> --watch: two teams' apps, one account space", () => {
  const exporter = tinyApp();
  const importer = tinyApp();
  const exported = "new cdk.CfnOutput(stack, 'Shared', { value: 'from-a', exportName: 'shared-name' });";
  const imported = "fn.addEnvironment('SHARED', cdk.Fn.importValue('shared-name'));";
  let served: ReturnType<typeof serveWatching> | undefined;
  afterAll(() => {
    served?.server.kill('SIGTERM');
    for (const dir of [exporter, importer]) rmSync(dir, { recursive: true, force: true });
  });

  it("a reload one app's state made fail is tried again once the other app's reload succeeds", async () => {
    // Prepare: A exports a name, B imports it (exports are per account and region, across apps).
    writeFileSync(join(exporter, 'app.cjs'), appCode(exported, 'TinyA'));
    writeFileSync(join(importer, 'app.cjs'), appCode(imported, 'TinyB'));
    served = serveWatching(exporter, importer);
    await served.nextLine(new RegExp(`watching ${importer}`), 120_000);

    // Act: A drops its export while B still imports it; then B stops importing it.
    writeFileSync(join(exporter, 'app.cjs'), appCode('', 'TinyA'));
    const failed = await served.nextLine(/reload failed/);
    const before = served.lines.length;
    writeFileSync(join(importer, 'app.cjs'), appCode('', 'TinyB'));
    const reloaded = () => (served?.lines.slice(before) ?? []).filter((line) => /reloaded in/.test(line));
    for (let waited = 0; reloaded().length < 2 && waited < 60_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess: B's reload, then A's, tried again without another edit of A.
    expect(failed).toMatch(/Fn::ImportValue shared-name/);
    expect(reloaded()).toEqual([
      expect.stringMatching(/reloaded in .*: functions rebuilt: TinyB\/Handler/),
      expect.stringMatching(/reloaded in /),
    ]);
    expect((await served.get()).status).toBe(200);
  }, 180_000);
});

describe('serve --app <dir> --watch', () => {
  const dir = tinyApp();
  let served: ReturnType<typeof serveWatching> | undefined;
  afterAll(() => {
    served?.server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads code, policies and routes without a restart, finishing requests in flight, keeping credentials, and surviving a broken edit', async () => {
    served = serveWatching(dir);
    const { nextLine, state, get } = served;
    expect(await nextLine(/watching/)).toMatch(
      /for changes: each takes a synth, since the synth ran no esbuild bundling \(no NodejsFunction built locally\)$/,
    );
    const before = state().principals;
    expect(await get()).toEqual({ status: 200, body: 'v1' });

    // A handler edit: the request in flight finishes on the old code, the next one runs the new.
    const inFlight = get('?slow=1');
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(join(dir, 'handler.js'), handlerCode('v2'));
    expect(await nextLine(/reloaded in [\d.]+ s \(synth\): functions rebuilt: Handler/)).toBeTruthy();
    expect(await inFlight).toEqual({ status: 200, body: 'v1' });
    expect(await get()).toEqual({ status: 200, body: 'v2' });
    expect(state().principals).toEqual(before);

    // A broken edit: one line, and the last good app keeps serving.
    writeFileSync(join(dir, 'app.cjs'), appCode('this is not JavaScript'));
    expect(await nextLine(/reload failed, still serving the last good app: the CDK app failed/)).toMatch(/SyntaxError/);
    expect(await get()).toEqual({ status: 200, body: 'v2' });

    // An added route answers.
    writeFileSync(
      join(dir, 'app.cjs'),
      appCode("api.root.addResource('new').addMethod('GET', new cdk.aws_apigateway.LambdaIntegration(fn));"),
    );
    expect(await nextLine(/reloaded in .*routes added: GET \/prod\/new/)).toBeTruthy();
    expect(await get('', 'new')).toEqual({ status: 200, body: 'v2' });

    // A policy edit turns an allowed caller into a denied one.
    writeFileSync(
      join(dir, 'app.cjs'),
      appCode(`const policy = new cdk.aws_iam.PolicyDocument({ statements: [new cdk.aws_iam.PolicyStatement({ effect: cdk.aws_iam.Effect.DENY, principals: [new cdk.aws_iam.AnyPrincipal()], actions: ['execute-api:Invoke'], resources: ['execute-api:/*'] })] });
stack.node.findChild('Api').node.defaultChild.policy = policy.toJSON();`),
    );
    expect(await nextLine(/reloaded in .*policies changed/)).toBeTruthy();
    expect((await get()).status).toBe(403);
  }, 240_000);
});

/** plain/greeting.js: a handler answering its greeting, which B imports too. */
const GREETING = (greeting: string) =>
  `exports.greeting = ${JSON.stringify(greeting)};\nexports.handler = async () => ({ statusCode: 200, body: exports.greeting });\n`;

/**
 * An app of two NodejsFunctions behind a REST API: A answers handlers/message.ts's message; B
 * answers shared.cjs's stage, which the app also puts in both functions' environment, and
 * plain/greeting.js's greeting. Plain is a `Code.fromAsset` function of the plain folder.
 * esbuild is the workspace's, linked into the app's node_modules where `npx --no-install
 * esbuild` finds it.
 */
function bundledApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-bundled-app-'));
  const files: Record<string, string> = {
    'cdk.json': JSON.stringify({ app: 'node app.cjs' }),
    'package.json': JSON.stringify({ name: 'bundled-app', private: true }),
    'package-lock.json': JSON.stringify({ name: 'bundled-app', lockfileVersion: 3, requires: true, packages: {} }),
    'shared.cjs': "module.exports = { stage: 's1' };\n",
    'handlers/message.ts': "export const message = 'a1';\n",
    'handlers/a.ts':
      "import { message } from './message';\nexport const handler = async () => ({ statusCode: 200, body: message });\n",
    'handlers/b.ts':
      "import { stage } from '../shared.cjs';\nimport { greeting } from '../plain/greeting.js';\nexport const handler = async () => ({ statusCode: 200, body: ['b', stage, process.env.STAGE, greeting].join(' ') });\n",
    'plain/greeting.js': GREETING('g1'),
    'app.cjs': `const cdk = require(${JSON.stringify(cdkLib)});
const { stage } = require('./shared.cjs');
const app = new cdk.App();
const stack = new cdk.Stack(app, 'Bundled');
const fn = (name) => new cdk.aws_lambda_nodejs.NodejsFunction(stack, name, {
  entry: __dirname + '/handlers/' + name.toLowerCase() + '.ts',
  runtime: cdk.aws_lambda.Runtime.NODEJS_20_X,
  projectRoot: __dirname,
  depsLockFilePath: __dirname + '/package-lock.json',
  environment: { STAGE: stage },
  bundling: { forceDockerBundling: false },
});
const api = new cdk.aws_apigateway.RestApi(stack, 'Api', { defaultMethodOptions: { authorizationType: cdk.aws_apigateway.AuthorizationType.IAM } });
for (const name of ['A', 'B']) api.root.addResource(name.toLowerCase()).addMethod('GET', new cdk.aws_apigateway.LambdaIntegration(fn(name)));
const plain = new cdk.aws_lambda.Function(stack, 'Plain', { runtime: cdk.aws_lambda.Runtime.NODEJS_20_X, handler: 'greeting.handler', code: cdk.aws_lambda.Code.fromAsset(__dirname + '/plain') });
api.root.addResource('plain').addMethod('GET', new cdk.aws_apigateway.LambdaIntegration(plain));
app.synth();
`,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(dirname(esbuildPackage), join(dir, 'node_modules', 'esbuild'));
  symlinkSync('../esbuild/bin/esbuild', join(dir, 'node_modules', '.bin', 'esbuild'));
  return dir;
}

/** Saves as many editors do: a temporary file beside it, renamed over it. */
function saveByRename(file: string, text: string): void {
  writeFileSync(`${file}.tmp~`, text);
  renameSync(`${file}.tmp~`, file);
}

describe('the synth cache and the files function bundles read', () => {
  const dir = bundledApp();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('synthesizes again when a bundle input changed, even one outside watch.include', async () => {
    writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'node app.cjs', watch: { include: ['app.cjs'] } }));
    const first = await cachedSynth({ dir });
    expect((await cachedSynth({ dir })).assemblyDir).toBe(first.assemblyDir);

    writeFileSync(join(dir, 'handlers', 'message.ts'), "export const message = 'a2';\n");
    const second = await cachedSynth({ dir });
    expect(second.cached).toBe(false);
    expect(second.assemblyDir).not.toBe(first.assemblyDir);

    // Back to the first sources: the first assembly again, from the cache.
    writeFileSync(join(dir, 'handlers', 'message.ts'), "export const message = 'a1';\n");
    expect(await cachedSynth({ dir })).toMatchObject({ cached: true, assemblyDir: first.assemblyDir });
  }, 120_000);
});

describe('serve --watch: a change only function code reads is built again with esbuild alone', () => {
  const dir = bundledApp();
  let served: ReturnType<typeof serveWatching> | undefined;
  afterAll(() => {
    served?.server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds only the function that reads the file, without a synth; an app file takes a synth', async () => {
    served = serveWatching(dir);
    const { server, lines, nextLine, get } = served;
    expect(await nextLine(/watching/, 120_000)).toMatch(
      /watching .* for changes: a change only function code reads is built again with esbuild alone, any other takes a synth$/,
    );
    expect(await get('', 'a')).toEqual({ status: 200, body: 'a1' });
    expect(await get('', 'b')).toEqual({ status: 200, body: 'b s1 s1 g1' });
    expect(await get('', 'plain')).toEqual({ status: 200, body: 'g1' });

    // A file only A's bundle reads, saved by rename: A alone is rebuilt, by esbuild, no synth.
    saveByRename(join(dir, 'handlers', 'message.ts'), "export const message = 'a2';\n");
    expect(await nextLine(/reloaded in/)).toMatch(
      /reloaded in [\d.]+ s \(code only, esbuild [\d.]+ s\): functions rebuilt: A$/,
    );
    expect(await get('', 'a')).toEqual({ status: 200, body: 'a2' });

    // A syntax error: esbuild's one-line cause and where, and A keeps its last good code.
    writeFileSync(join(dir, 'handlers', 'message.ts'), 'export const message = ;\n');
    expect(await nextLine(/reload/)).toMatch(
      /reload failed, still serving the last good app: esbuild failed for A: Unexpected ";" \(handlers\/message\.ts:1:23\)/,
    );
    expect(await get('', 'a')).toEqual({ status: 200, body: 'a2' });
    writeFileSync(join(dir, 'handlers', 'message.ts'), "export const message = 'a3';\n");
    expect(await nextLine(/reloaded in/)).toMatch(/\(code only, esbuild [\d.]+ s\): functions rebuilt: A$/);
    expect(await get('', 'a')).toEqual({ status: 200, body: 'a3' });

    // A file the app itself imports may change the template: a full synth, which says why.
    writeFileSync(join(dir, 'shared.cjs'), "module.exports = { stage: 's2' };\n");
    expect(await nextLine(/reloaded in/, 120_000)).toMatch(
      /\(synth: .*shared\.cjs is imported by the CDK app\): functions rebuilt: A, B$/,
    );
    expect(await get('', 'b')).toEqual({ status: 200, body: 'b s2 s2 g1' });
    expect(await get('', 'a')).toEqual({ status: 200, body: 'a3' });

    // A file B's bundle imports and the app copies into Plain's asset: a synth, for both.
    writeFileSync(join(dir, 'plain', 'greeting.js'), GREETING('g2'));
    expect(await nextLine(/reloaded in/, 120_000)).toMatch(
      /\(synth: .*plain\/greeting\.js is read by the CDK app\): functions rebuilt: B, Plain$/,
    );
    expect(await get('', 'plain')).toEqual({ status: 200, body: 'g2' });
    expect(await get('', 'b')).toEqual({ status: 200, body: 'b s2 s2 g2' });

    // Code-only reloads go on from the new synth; the state file it rewrites reloads nothing.
    writeFileSync(join(dir, 'handlers', 'message.ts'), "export const message = 'a4';\n");
    expect(await nextLine(/reloaded in/)).toMatch(/\(code only, esbuild [\d.]+ s\): functions rebuilt: A$/);
    expect(await get('', 'a')).toEqual({ status: 200, body: 'a4' });

    // A synth that bundles the code the code-only reload built restarts nothing.
    writeFileSync(join(dir, 'app.cjs'), `${readFileSync(join(dir, 'app.cjs'), 'utf8')}// a comment\n`);
    expect(await nextLine(/reloaded in/, 120_000)).toMatch(
      /\(synth: .*app\.cjs is imported by the CDK app\): nothing the local stack serves changed$/,
    );
    expect(await get('', 'a')).toEqual({ status: 200, body: 'a4' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(lines.filter((line) => /reload/.test(line))).toHaveLength(7);

    // Stopping removes the code-only builds.
    const builds = () =>
      readdirSync(join(dir, '.iam-m2m-local', 'code')).filter((name) => name.startsWith(`${server.pid}-`));
    expect(builds().length).toBeGreaterThan(0);
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    expect(builds()).toEqual([]);
  }, 240_000);
});
