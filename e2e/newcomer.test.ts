// A newcomer's path through the READMEs, end to end (issue #27): `pnpm pack:all`, the npm install
// lines it prints, run offline in a CommonJS app as `cdk init app --language typescript` makes it,
// the READMEs' stacks and Middy handler (`lambda/requestor.mts`), the API in one account and the
// requestor in another; `cdk synth`; the installed `iam-m2m-local serve`; AWS's answers to calls
// unsigned, signed by the requestor's role, by a stranger, and made by the deployed requestor.
//
// Offline: no registry is asked. Third-party packages (aws-cdk-lib, Middy, Powertools, esbuild…)
// are linked from this workspace and declared in the app's package.json as a user's earlier
// `npm install` would have left them; npm installs our three tarballs around them with an empty
// cache of its own, so nothing this machine has cached counts.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
/** The account the infra README's constructs trust: the requestor's. */
const REQUESTOR_ACCOUNT = '111111111111';
const REGION = 'eu-west-1';

/** What the READMEs have a user install besides our packages: `cdk init`'s own, Middy, Powertools, esbuild. */
const THIRD_PARTY = {
  dependencies: [
    'aws-cdk-lib',
    'constructs',
    '@middy/core',
    '@aws-lambda-powertools/logger',
    '@aws-lambda-powertools/tracer',
  ],
  devDependencies: ['aws-cdk', 'tsx', 'typescript', '@types/node', '@types/aws-lambda', 'esbuild'],
};

const readme = (path: string) => join(repoRoot, path);
/** The Middy handler of @iam-m2m/middleware's README, saved as `.mts` as its cdk init section says. */
const README_HANDLER = codeBlocks(readme('packages/middleware/README.md'), '## With Middy')[0] ?? '';
/** The infra README's stack for a `cdk init` project; its first line names its file (lib/orders-stack.ts). */
const README_REQUESTOR_STACK =
  codeBlocks(readme('packages/infra/README.md'), '#### In a project made by `cdk init` (CommonJS)')[0] ?? '';
/** The local README's command that serves a synthesized app (its arguments after `npx iam-m2m-local`). */
const README_SERVE = (
  codeBlocks(readme('packages/local/README.md'), '## Run your own CDK app locally')
    .flatMap((block) => block.split('\n'))
    .find((line) => line.startsWith('npx iam-m2m-local serve --assembly')) ?? ''
)
  .replace(/#.*/, '')
  .trim()
  .split(/\s+/)
  .slice(2);
/** The infra README's constructs in a CDK app of one's own (an import, then a stack's body). */
const README_API_CONSTRUCTS =
  codeBlocks(readme('packages/infra/README.md'), '### Use the constructs in your own CDK app').find((block) =>
    block.includes('new IamRestApi('),
  ) ?? '';

/** The API's account: the infra README's constructs, in a stack that outputs the API's id. */
const apiStack = (constructs: string) => {
  const lines = constructs.split('\n');
  const body = lines.filter((line) => !line.startsWith('import ') && line.trim() !== '');
  return [
    "import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';",
    "import type { Construct } from 'constructs';",
    ...lines.filter((line) => line.startsWith('import ')),
    '',
    'export class ApiStack extends Stack {',
    '  constructor(scope: Construct, id: string, props?: StackProps) {',
    '    super(scope, id, props);',
    ...body.map((line) => `    ${line}`),
    "    // The API's id, for the requestor's stack in the other account (a parameter of the same name).",
    "    new CfnOutput(this, 'ApiId', { value: (this.node.findChild('RestApi') as IamRestApi).api.restApiId });",
    '  }',
    '}',
    '',
  ].join('\n');
};

/** The API's integration: it answers with the caller API Gateway verified. */
const API_HANDLER = `import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => ({
  statusCode: 200,
  body: JSON.stringify({ hello: 'world', caller: event.requestContext.identity }),
});
`;

/**
 * The app: the API in one account, the README's requestor stack in another (the root README's
 * pattern). CDK cannot reference the API across accounts at synth time, so the requestor's stack
 * takes its id as a parameter named like the API stack's output (as the infra README's deploy, and
 * the local stack, pass it on), and grants its role exactly the method it calls.
 */
const APP = `#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib/core';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { BundledFunction } from '@iam-m2m/infra';
import { ApiStack } from '../lib/api-stack';
import { OrdersStack } from '../lib/orders-stack';

const app = new cdk.App();
const api = new ApiStack(app, 'OrdersApi', { env: { account: '${API_ACCOUNT}', region: '${REGION}' } });
const orders = new OrdersStack(app, 'OrdersStack', { env: { account: '${REQUESTOR_ACCOUNT}', region: '${REGION}' } });
orders.addDependency(api);

const apiId = new cdk.CfnParameter(orders, 'ApiId').valueAsString;
const requestor = orders.node.findChild('Requestor') as BundledFunction;
requestor.function.addEnvironment('IAM_API', \`https://\${apiId}.execute-api.${REGION}.amazonaws.com/prod/\`);
requestor.function.addToRolePolicy(
  new PolicyStatement({
    actions: ['execute-api:Invoke'],
    resources: [\`arn:aws:execute-api:${REGION}:${API_ACCOUNT}:\${apiId}/prod/GET/\`],
  }),
);
`;

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

    // A `cdk init app --language typescript` project, and the third-party packages a user installed.
    const tsconfig = JSON.parse(cdkInitFile('tsconfig.json')) as { compilerOptions: { types: string[] } };
    tsconfig.compilerOptions.types = tsconfig.compilerOptions.types.filter((name) => name !== 'jest');
    const [stackFile, ...stackLines] = README_REQUESTOR_STACK.split('\n');
    writeFiles(project, {
      'package.json': packageJson(),
      'tsconfig.json': JSON.stringify(tsconfig, null, 2),
      'cdk.json': cdkInitFile('cdk.template.json'),
      'bin/orders.ts': APP,
      [String(stackFile?.replace(/^\/\/ /, ''))]: stackLines.join('\n'),
      'lib/api-stack.ts': apiStack(README_API_CONSTRUCTS),
      'lambda/requestor.mts': README_HANDLER,
      'src/orders.ts': API_HANDLER,
    });
    linkInstalled(project, [...THIRD_PARTY.dependencies, ...THIRD_PARTY.devDependencies, '@smithy/types']);

    // Act: the printed lines, offline, with an empty npm cache. `--legacy-peer-deps`: npm reads a
    // package linked from outside the project as version "undefined" when it checks peers
    // (ERESOLVE for aws-cdk-lib), although the same link satisfies the app's own ^2.276.0.
    const cache = join(work, 'npm-cache');
    mkdirSync(cache);
    timed('npm install --offline', () => {
      for (const line of printed) {
        const command = `${line} --offline --legacy-peer-deps --no-audit --no-fund --cache '${cache}'`;
        const npm = spawnSync(command, { cwd: project, encoding: 'utf8', env: ENV, shell: true });
        if (npm.status !== 0) throw new Error(`${line} --offline failed:\n${npm.stdout}${npm.stderr}`);
      }
    });
    const synth = timed('cdk synth', () =>
      spawnSync(join(project, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--no-notices'], {
        cwd: project,
        encoding: 'utf8',
        env: ENV,
      }),
    );
    if (synth.status !== 0) throw new Error(`cdk synth failed:\n${synth.stdout}${synth.stderr}`);

    // The installed CLI serves the synthesized assembly as the local README says (its state file where
    // it puts it by default); the installed middleware signs.
    if (README_SERVE[0] !== 'serve')
      throw new Error('packages/local/README.md shows no `npx iam-m2m-local serve --assembly` line');
    const stateFile = join(project, '.iam-m2m-local', 'state.json');
    const started = Date.now();
    serve = spawn(join(project, 'node_modules/.bin/iam-m2m-local'), serveArgs(README_SERVE), {
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

  it('`pnpm pack:all` prints the npm install lines of the three tarballs that the root README shows', () => {
    const [, shown] = codeBlocks(readme('README.md'), '## Install');

    expect(printed).toEqual([
      `npm install ${packs}/iam-m2m-middleware-${version}.tgz ${packs}/iam-m2m-infra-${version}.tgz`,
      `npm install -D ${packs}/iam-m2m-local-${version}.tgz`,
    ]);
    expect(shown?.replaceAll('<clone>/dist/packages', packs).split('\n')).toEqual(printed);
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
    expect(manifest.artifacts.OrdersStack.environment).toBe(`aws://${REQUESTOR_ACCOUNT}/${REGION}`);
    const template = JSON.parse(readFileSync(join(project, 'cdk.out/OrdersStack.template.json'), 'utf8'));
    expect(template.Parameters.ApiId).toEqual({ Type: 'String' });
    expect(state.apis).toEqual([expect.objectContaining({ accountId: API_ACCOUNT, stage: 'prod' })]);
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

  it("the README's Middy requestor, invoked by its account's operator, calls the API signed and gets 200", async () => {
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
});
