// A newcomer's path through the READMEs, end to end (issue #27): `pnpm pack:all`, the npm install
// lines it prints, run offline in a CommonJS app as `cdk init app --language typescript` makes it;
// then the infra README's complete two-account app as it is written there (its files, its install
// lines, its `iam-m2m-local serve --app .`, its `aws lambda invoke`): the API in one account, the
// Middy requestor (`lambda/requestor.mts`) in another; `cdk synth`; the installed CLI serving the
// app it synthesized; AWS's answers to calls unsigned, signed by the requestor's role, by a
// stranger, and made by the deployed requestor.
//
// Offline: no registry is asked. Third-party packages (aws-cdk-lib, Middy, esbuild…) are linked
// from this workspace and declared in the app's package.json as a user's earlier `npm install`
// would have left them; npm installs our three tarballs around them with an empty cache of its
// own, so nothing this machine has cached counts. TypeScript is this workspace's (5.x), not the
// one today's `cdk init` names.
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cdkInitFile,
  codeBlocks,
  installedVersion,
  linkInstalled,
  writeFiles,
} from '../packages/infra/tests/helpers/user-project.js';
import type { LocalState } from '../packages/local/src/stack.js';
import type * as Middleware from '../packages/middleware/src/index.js';
import { repoRoot } from '../scripts/pack-all.mjs';

const API_ACCOUNT = '222222222222';
const REQUESTOR_ACCOUNT = '111111111111';
const REGION = 'eu-west-1';

const readme = (path: string) => join(repoRoot, path);

/**
 * The infra README's complete app, as written: each code block whose first line is a comment
 * naming a file (`// lib/api-stack.ts`) is that file, comment included; the shell blocks give the
 * app's name, the install lines, the serve command and the invoke script.
 */
const README_APP = (() => {
  const blocks = codeBlocks(readme('packages/infra/README.md'), '#### A complete two-account app');
  const files: Record<string, string> = {};
  for (const block of blocks) {
    const file = /^\/\/ ([\w./-]+\.m?ts)$/.exec(block.split('\n')[0] ?? '')?.[1];
    if (file) files[file] = `${block}\n`;
  }
  const lines = blocks.flatMap((block) => block.split('\n'));
  const init = lines.find((line) => line.includes('npx cdk init')) ?? '';
  const serveAt = blocks.findIndex((block) =>
    block.split('\n').some((line) => line.startsWith('npx iam-m2m-local serve ')),
  );
  const invokeAt = blocks.findIndex((block) => block.includes('aws lambda invoke'));
  const serve = blocks[serveAt]?.split('\n').find((line) => line.startsWith('npx iam-m2m-local serve ')) ?? '';
  if (serveAt < 0 || invokeAt < 0)
    throw new Error("the infra README's complete app shows no serve command or no invoke script");
  return {
    /** The app's folder, which `cdk init` names the app after. */
    name: /^mkdir (\S+) && cd \1 && npx cdk init app --language typescript$/.exec(init)?.[1],
    files,
    install: lines.filter((line) => line.startsWith('npm install ')),
    serve: serve.replace(/#.*/, '').trim().split(/\s+/).slice(2),
    /** What serve prints, as the block after its command shows it. */
    serveShown: blocks[serveAt + 1] ?? '',
    invoke: blocks[invokeAt] ?? '',
    /** What the invoke script prints, as the block after it shows it. */
    invokeShown: blocks[invokeAt + 1] ?? '',
  };
})();

const run = promisify(execFile);
/** The README's signed call needs jq and the AWS CLI (v1 or v2); the test says it skipped without them. */
const tools = ['jq', 'aws'].every((command) => spawnSync(command, ['--version']).status === 0);

/**
 * The lines of a README's "it prints" block that no line of `output` matches; `…` in a line stands
 * for anything, and the README's port 4566 for the free port used here.
 */
const notPrinted = (shown: string, output: string): string[] => {
  const printed = output.split('\n');
  return shown
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      const pattern = line
        .replaceAll(':4566', ':…')
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      return !printed.some((candidate) => new RegExp(`^${pattern}$`).test(candidate));
    });
};

/** The packages an `npm install` line of the README installs that are not our tarballs, by kind. */
const installedBy = (lines: string[], dev: boolean): string[] =>
  lines
    .filter((line) => !line.includes('<clone>') && line.startsWith('npm install -D ') === dev)
    .flatMap((line) => line.replace(/^npm install (-D )?/, '').split(/\s+/));

/** What a user has installed besides our packages: `cdk init`'s own (less jest), and the README's lines. */
const THIRD_PARTY = {
  dependencies: ['aws-cdk-lib', 'constructs', ...installedBy(README_APP.install, false)],
  devDependencies: ['aws-cdk', 'tsx', 'typescript', '@types/node', ...installedBy(README_APP.install, true)],
};

/** `cdk init`'s package.json with what is linked here at the versions linked (its jest setup left out: not installed here). */
function packageJson(): string {
  const manifest = JSON.parse(cdkInitFile('package.json')) as Record<string, unknown>;
  const versions = (names: string[]) => Object.fromEntries(names.map((name) => [name, `^${installedVersion(name)}`]));
  manifest.scripts = { build: 'tsc', cdk: 'cdk' };
  manifest.dependencies = versions(THIRD_PARTY.dependencies);
  manifest.devDependencies = versions(THIRD_PARTY.devDependencies);
  return JSON.stringify(manifest, null, 2);
}

/** A command's environment: no AWS credentials, no registry (`npx tsc` must find the installed one), no telemetry. */
const ENV = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  npm_config_offline: 'true',
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

/** The README's serve arguments on any free port (4566 may be taken: it is LocalStack's). */
const serveArgs = (args: string[]): string[] => {
  const port = args.indexOf('--port');
  return port < 0 ? [...args, '--port', '0'] : args.map((arg, index) => (index === port + 1 ? '0' : arg));
};

/** The state file once `serve` has written it whole, or why it never did. */
async function waitForState(file: string, child: ChildProcess, output: () => string): Promise<LocalState> {
  for (const start = Date.now(); Date.now() - start < 60_000; await new Promise((r) => setTimeout(r, 100))) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as LocalState;
    } catch {
      // not there yet, or being written
    }
    if (child.exitCode !== null) throw new Error(`iam-m2m-local serve exited ${child.exitCode}:\n${output()}`);
  }
  throw new Error(`no state file after 60 s:\n${output()}`);
}

describe('a newcomer installs the packed packages into a `cdk init` app, synthesizes it and serves it locally', () => {
  const work = mkdtempSync(join(tmpdir(), 'iam-m2m-newcomer-'));
  const packs = join(work, 'packs');
  const project = join(work, 'orders');
  const version = JSON.parse(readFileSync(readme('packages/local/package.json'), 'utf8')).version as string;
  let printed: string[] = [];
  let serve: ChildProcess | undefined;
  let serveOutput = '';
  let state: LocalState;
  let middleware: typeof Middleware;
  const timings: Record<string, number> = {};
  const timed = <T>(step: string, run: () => T): T => {
    const start = Date.now();
    try {
      return run();
    } finally {
      timings[step] = Date.now() - start;
    }
  };

  beforeAll(async () => {
    // Prepare: what the root README says, `pnpm pack:all`; it prints the lines to install with.
    const packed = timed('pack:all', () =>
      execFileSync('pnpm', ['run', '--silent', 'pack:all', '--out', packs], { cwd: repoRoot, encoding: 'utf8' }),
    );
    printed = packed.split('\n').filter((line) => line.startsWith('npm install'));

    // A `cdk init app --language typescript` project as it writes it (jest's types left out: jest is
    // not installed here), the third-party packages the README installs, then the README's files.
    const tsconfig = JSON.parse(cdkInitFile('tsconfig.json')) as { compilerOptions: { types: string[] } };
    tsconfig.compilerOptions.types = tsconfig.compilerOptions.types.filter((name) => name !== 'jest');
    writeFiles(project, {
      'package.json': packageJson(),
      'tsconfig.json': JSON.stringify(tsconfig, null, 2),
      'cdk.json': cdkInitFile('cdk.template.json'),
      'bin/orders.ts': cdkInitFile('bin/%name%.template.ts'),
      'lib/orders-stack.ts': cdkInitFile('lib/%name%-stack.template.ts'),
    });
    writeFiles(project, README_APP.files);
    linkInstalled(project, [...THIRD_PARTY.dependencies, ...THIRD_PARTY.devDependencies, '@smithy/types']);

    // Act: the README's lines for our tarballs, offline, with an empty npm cache. `--legacy-peer-deps`:
    // npm reads a package linked from outside the project as version "undefined" when it checks
    // peers (ERESOLVE for aws-cdk-lib), although the same link satisfies the app's own ^2.276.0.
    const cache = join(work, 'npm-cache');
    mkdirSync(cache);
    timed('npm install --offline', () => {
      for (const line of README_APP.install.filter((shown) => shown.includes('<clone>'))) {
        const command = `${line.replaceAll('<clone>/dist/packages', packs)} --offline --legacy-peer-deps --no-audit --no-fund --cache '${cache}'`;
        const npm = spawnSync(command, { cwd: project, encoding: 'utf8', env: ENV, shell: true });
        if (npm.status !== 0) throw new Error(`${line} --offline failed:\n${npm.stdout}${npm.stderr}`);
      }
    });
    // What `cdk deploy` would synthesize.
    const synth = timed('cdk synth', () =>
      spawnSync(join(project, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--no-notices'], {
        cwd: project,
        encoding: 'utf8',
        env: ENV,
      }),
    );
    if (synth.status !== 0) throw new Error(`cdk synth failed:\n${synth.stdout}${synth.stderr}`);

    // The installed CLI synthesizes the app itself and serves it, as the README says (the state file
    // where it puts it by default); the installed middleware signs.
    if (!README_APP.serve.includes('--app'))
      throw new Error("the infra README's complete app serves no `--app`: it should synthesize the app itself");
    const stateFile = join(project, '.iam-m2m-local', 'state.json');
    const started = Date.now();
    serve = spawn(join(project, 'node_modules/.bin/iam-m2m-local'), serveArgs(README_APP.serve), {
      cwd: project,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    serve.stdout?.on('data', (chunk) => {
      serveOutput += chunk;
    });
    serve.stderr?.on('data', (chunk) => {
      serveOutput += chunk;
    });
    state = await waitForState(stateFile, serve, () => serveOutput);
    timings.serve = Date.now() - started;
    const entry = createRequire(join(project, 'package.json')).resolve('@iam-m2m/middleware');
    middleware = (await import(pathToFileURL(entry).href)) as typeof Middleware;
  }, 240_000);

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      const exited = new Promise((resolve) => serve?.once('exit', resolve));
      serve.kill('SIGTERM');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
    console.log(`newcomer path, ms: ${JSON.stringify(timings)}`);
  });

  /** A signing client of the installed middleware for a principal of the state file. */
  const clientOf = (name: (principal: LocalState['principals'][number]) => boolean) => {
    const principal = state.principals.find(name);
    if (!principal) throw new Error('no such principal in the state file');
    return {
      principal,
      client: middleware.createIamClient({ credentials: principal, region: state.region, maxAttempts: 1 }),
    };
  };

  it('`pnpm pack:all` prints the npm install lines of the three tarballs that the root and infra READMEs show', () => {
    const [, shown] = codeBlocks(readme('README.md'), '## Install');
    const ours = README_APP.install.filter((line) => line.includes('<clone>'));

    expect(printed).toEqual([
      `npm install ${packs}/iam-m2m-middleware-${version}.tgz ${packs}/iam-m2m-infra-${version}.tgz`,
      `npm install -D ${packs}/iam-m2m-local-${version}.tgz`,
    ]);
    expect(shown?.replaceAll('<clone>/dist/packages', packs).split('\n')).toEqual(printed);
    expect(ours.map((line) => line.replaceAll('<clone>/dist/packages', packs))).toEqual(printed);
  });

  it("the infra README's complete app is a `cdk init` app named orders: its bin, stacks and handlers", () => {
    expect(README_APP.name).toBe('orders');
    expect(Object.keys(README_APP.files).sort()).toEqual([
      'bin/orders.ts',
      'lambda/orders.ts',
      'lambda/requestor.mts',
      'lib/api-stack.ts',
      'lib/requestor-stack.ts',
    ]);
    expect(installedBy(README_APP.install, false)).toEqual(['@middy/core']);
    expect(installedBy(README_APP.install, true)).toEqual(['esbuild']);
  });

  it('npm installed them as packages (workspace specifiers replaced, the bin linked) and saved them', () => {
    const installed = (name: string) =>
      JSON.parse(readFileSync(join(project, 'node_modules/@iam-m2m', name, 'package.json'), 'utf8'));
    for (const name of ['middleware', 'infra', 'local']) {
      expect(installed(name).version).toBe(version);
      expect(JSON.stringify(installed(name))).not.toContain('workspace:');
    }
    expect(existsSync(join(project, 'node_modules/.bin/iam-m2m-local'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(manifest.dependencies['@iam-m2m/middleware']).toMatch(/^file:.*iam-m2m-middleware-.*\.tgz$/);
    expect(manifest.devDependencies['@iam-m2m/local']).toMatch(/^file:.*iam-m2m-local-.*\.tgz$/);
  });

  it('cdk synth made two stacks in two accounts, the requestor taking the API id as a parameter', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'cdk.out/manifest.json'), 'utf8'));
    expect(manifest.artifacts.OrdersApi.environment).toBe(`aws://${API_ACCOUNT}/${REGION}`);
    expect(manifest.artifacts.OrdersRequestor.environment).toBe(`aws://${REQUESTOR_ACCOUNT}/${REGION}`);
    expect(manifest.artifacts.OrdersRequestor.dependencies).toContain('OrdersApi');
    const template = (stack: string) =>
      JSON.parse(readFileSync(join(project, `cdk.out/${stack}.template.json`), 'utf8'));
    expect(template('OrdersApi').Outputs.ApiId).toBeDefined();
    expect(template('OrdersRequestor').Parameters.ApiId).toEqual({ Type: 'String' });
  });

  it('serve --app . synthesized the app itself, passed the output ApiId on as the parameter ApiId, and printed what the README shows', () => {
    expect(notPrinted(README_APP.serveShown, serveOutput), serveOutput).toEqual([]);
    expect(README_APP.serveShown).toContain("OrdersRequestor takes parameters ApiId from OrdersApi's outputs by name");
    expect(state.apis).toEqual([expect.objectContaining({ accountId: API_ACCOUNT, stage: 'prod' })]);
    expect(state.functions.map(({ name, accountId }) => ({ name, accountId }))).toEqual([
      { name: 'Orders', accountId: API_ACCOUNT },
      { name: 'Requestor', accountId: REQUESTOR_ACCOUNT },
    ]);
  });

  it('an unsigned call gets 403 MissingAuthenticationTokenException', async () => {
    const response = await fetch(String(state.apis[0]?.url));

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it("a call signed with the requestor's role, from the other account, gets 200 and its caller", async () => {
    const { principal, client } = clientOf((p) => p.name === 'Requestor');

    const response = await client.get(String(state.apis[0]?.url));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      hello: 'world',
      caller: expect.objectContaining({ accountId: REQUESTOR_ACCOUNT, userArn: principal.arn }),
    });
  });

  it('a stranger signed by its own account gets 403 AccessDeniedException, the API account masked', async () => {
    const { principal, client } = clientOf((p) => p.name === 'outsider');

    const response = await client.get(String(state.apis[0]?.url));

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(await response.json()).toEqual({
      Message: `User: ${principal.arn} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:${REGION}:********${API_ACCOUNT.slice(-4)}:${state.apis[0]?.restApiId}/prod/GET/`,
    });
  });

  it("the README's Middy requestor, invoked by its account's operator, calls the API across accounts and gets 200", async () => {
    const { client } = clientOf((p) => p.name.startsWith('operator') && p.accountId === REQUESTOR_ACCOUNT);
    const requestor = state.functions.find((fn) => fn.name === 'Requestor');
    const role = state.principals.find((p) => p.name === 'Requestor');

    const response = await client.request({
      method: 'POST',
      url: `${state.lambdaEndpoint}/2015-03-31/functions/${requestor?.functionName}/invocations`,
      service: 'lambda',
      json: {},
    });

    expect(response.status, serveOutput).toBe(200);
    expect(response.headers.get('x-amz-function-error')).toBeNull();
    expect(await response.json()).toEqual({
      status: 200,
      body: { hello: 'world', caller: expect.objectContaining({ accountId: REQUESTOR_ACCOUNT, userArn: role?.arn }) },
    });
  });

  it.skipIf(!tools)(
    tools
      ? "the README's `aws lambda invoke` (AWS CLI, jq) gets StatusCode 200 and the requestor's 200 from the API"
      : "the README's `aws lambda invoke`: SKIPPED, needs jq and the AWS CLI",
    async () => {
      const role = state.principals.find((p) => p.name === 'Requestor');

      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', README_APP.invoke], {
        cwd: project,
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      });

      expect(notPrinted(README_APP.invokeShown, stdout), stdout).toEqual([]);
      // The CLI's answer, then out.json: two JSON documents.
      const [answer, result] = stdout.split(/\n(?=\{"status")/);
      expect(JSON.parse(String(answer))).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
      expect(JSON.parse(String(result))).toEqual({
        status: 200,
        body: { hello: 'world', caller: expect.objectContaining({ accountId: REQUESTOR_ACCOUNT, userArn: role?.arn }) },
      });
    },
  );
});
