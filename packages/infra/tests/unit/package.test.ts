// @iam-m2m/infra as a user installs it: the packed tarball in a fresh CDK app that imports its
// constructs and synthesizes, and in a CommonJS app as `cdk init` makes it, with the Middy handler
// of the READMEs. Offline: other packages are linked from this workspace instead of fetched (the
// tarballs' files are put where npm would put them).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { BundledFunction } from '../../src/bundled-function.js';
import { repoRoot } from '../../src/handler-function.js';
import {
  callHandlerOnce,
  cdkInitFile,
  codeBlocks,
  installTarball,
  linkInstalled,
  onlyFunction,
  pack,
  typeCheck,
  userProject,
  writeFiles,
} from '../helpers/user-project.js';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const tarballs: Record<string, string> = {};
/** A workspace package packed once for every test of this file (packing builds its dist). */
const packed = (name: 'infra' | 'middleware'): string => {
  tarballs[name] ??= pack(join(repoRoot, 'packages', name));
  return tarballs[name];
};

const USER_APP = `
import { App, Stack } from 'aws-cdk-lib';
import { BundledFunction, IamFunctionUrl, IamHttpApi, IamRestApi } from '@iam-m2m/infra';

const app = new App({ outdir: 'cdk.out', context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'UserApp', { env: { account: '222222222222', region: 'eu-west-1' } });
const orders = new BundledFunction(stack, 'Orders', { entry: 'orders.mjs', depsLockFilePath: 'package-lock.json' });
new IamRestApi(stack, 'RestApi', { handler: orders.function, trustedAccounts: ['111111111111'] });
new IamFunctionUrl(stack, 'Url', { handler: orders.function, trustedAccounts: ['111111111111'] });
new IamHttpApi(stack, 'HttpApi', { handler: orders.function, trustedRoleArns: ['arn:aws:iam::111111111111:role/caller'] });
const { Resources } = app.synth().getStackByName('UserApp').template;
console.log(JSON.stringify(Object.values(Resources).map((resource) => resource.Type)));
`;

describe('the packed @iam-m2m/infra in a fresh CDK app', () => {
  let project = '';
  let files: string[] = [];
  let manifest: { exports?: unknown; private?: boolean } = {};

  beforeAll(() => {
    // Prepare: `pnpm pack` (its prepack builds dist), then the tarball's files into node_modules.
    project = mkdtempSync(join(tmpdir(), 'iam-m2m-cdk-user-app-'));
    files = installTarball(project, '@iam-m2m/infra', packed('infra'));
    manifest = JSON.parse(readFileSync(join(project, 'node_modules/@iam-m2m/infra/package.json'), 'utf8'));
    linkInstalled(project, ['aws-cdk-lib', 'constructs']);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: {} }));
    writeFileSync(join(project, 'orders.mjs'), 'export const handler = async () => ({ statusCode: 200 });\n');
    writeFileSync(join(project, 'app.mjs'), USER_APP);
  }, 180_000);

  it('holds the built constructs with their types, and none of the repository app', () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.exports).toEqual({ '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
    expect(files).toEqual(
      expect.arrayContaining(['package/dist/index.js', 'package/dist/index.d.ts', 'package/README.md']),
    );
    expect(
      files.filter((file) => !/^package\/(dist\/[\w-]+\.(js|d\.ts)|README\.md|LICENSE|package\.json)$/.test(file)),
    ).toEqual([]);
    // The repository's app finds its root at import time: it stays out of the package.
    expect(files.some((file) => /handler-function|stacks|requestor/.test(file))).toBe(false);
  });

  it('a user app imports IamRestApi, IamFunctionUrl, IamHttpApi and BundledFunction and synthesizes', () => {
    // Act
    const output = execFileSync(process.execPath, ['app.mjs'], { cwd: project, encoding: 'utf8' });

    // Assess
    const types = JSON.parse(output.trim().split('\n').at(-1) ?? '[]') as string[];
    expect(types).toEqual(
      expect.arrayContaining([
        'AWS::Lambda::Function',
        'AWS::ApiGateway::RestApi',
        'AWS::Lambda::Url',
        'AWS::ApiGatewayV2::Api',
        'AWS::ApiGatewayV2::Route',
        'AWS::ApiGatewayV2::Stage',
        'AWS::IAM::Role',
      ]),
    );
    expect(types.filter((type) => type === 'AWS::Lambda::Url')).toHaveLength(1);
    expect(existsSync(join(project, 'cdk.out', 'UserApp.template.json'))).toBe(true);
    const template = readFileSync(join(project, 'cdk.out', 'UserApp.template.json'), 'utf8');
    // Both function-URL permissions for the trusted account, and the HTTP API's caller role trusting the role.
    expect(template).toContain('"InvokedViaFunctionUrl": true');
    expect(template).toContain('arn:aws:iam::111111111111:role/caller');
  });
});

// What `cdk init app --language typescript` writes (the CLI's own template, so a new CLI is tested
// as it is): a CommonJS project, `npx tsc && npx tsx bin/orders.ts` as its app. TypeScript here is
// the workspace's 5.9 where the template asks for 7.
const fromTemplate = cdkInitFile;

/** `tsconfig.json` of an app made by an older `cdk init` (CLI 2.1000 and before): module commonjs. */
const OLDER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2020',
    module: 'commonjs',
    lib: ['es2020', 'dom'],
    declaration: true,
    strict: true,
    noImplicitReturns: true,
    inlineSourceMap: true,
    experimentalDecorators: true,
    strictPropertyInitialization: false,
    typeRoots: ['./node_modules/@types'],
  },
  exclude: ['node_modules', 'cdk.out'],
};

/** The Middy handler of @iam-m2m/middleware's README, the first example under "With Middy". */
const README_HANDLER = codeBlocks(join(repoRoot, 'packages/middleware/README.md'), '## With Middy')[0] ?? '';
/** The stack of this package's README for a `cdk init` project; its first line names its file. */
const README_STACK =
  codeBlocks(join(packageRoot, 'README.md'), '#### In a project made by `cdk init` (CommonJS)')[0] ?? '';

const ANSWERED = { status: 200, body: { hello: 'world', scope: 'eu-west-1/execute-api' } };

describe('a CommonJS CDK app as `cdk init app --language typescript` makes it, with the READMEs’ Middy handler', () => {
  let project = '';

  beforeAll(() => {
    // Prepare: cdk init's files (jest's types left out: jest is not installed here), the README's stack,
    // and the README's handler in both layouts the READMEs give: an .mts file, a .ts in an ESM folder.
    project = userProject('iam-m2m-cdk-init-', { infra: packed('infra'), middleware: packed('middleware') });
    const tsconfig = JSON.parse(fromTemplate('tsconfig.json')) as { compilerOptions: { types: string[] } };
    tsconfig.compilerOptions.types = tsconfig.compilerOptions.types.filter((name) => name !== 'jest');
    const [stackFile, ...stackLines] = README_STACK.split('\n');
    writeFiles(project, {
      'package.json': fromTemplate('package.json'),
      'tsconfig.json': JSON.stringify(tsconfig, null, 2),
      'cdk.json': fromTemplate('cdk.template.json'),
      'bin/orders.ts': fromTemplate('bin/%name%.template.ts'),
      [String(stackFile?.replace(/^\/\/ /, ''))]: stackLines.join('\n'),
      'lambda/requestor.mts': README_HANDLER,
      'handlers/package.json': JSON.stringify({ type: 'module' }),
      'handlers/requestor.ts': README_HANDLER,
    });
  }, 180_000);

  it('is CommonJS, and there the handler as a plain .ts fails tsc with TS2307 for @middy/core', () => {
    // Prepare
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).type).toBeUndefined();
    writeFiles(project, {
      'plain/requestor.ts': README_HANDLER,
      'tsconfig.plain.json': JSON.stringify({ extends: './tsconfig.json', include: ['plain'] }),
    });

    try {
      // Act
      const { status, output } = typeCheck(project, 'tsconfig.plain.json');

      // Assess
      expect(status).not.toBe(0);
      expect(output).toMatch(/plain\/requestor\.ts\(\d+,\d+\): error TS2307: Cannot find module '@middy\/core'/);
    } finally {
      rmSync(join(project, 'plain'), { recursive: true });
      rmSync(join(project, 'tsconfig.plain.json'));
    }
  });

  it('cdk synth type-checks both layouts, runs the app, and bundles lambda/requestor.mts as ESM that answers', () => {
    // Act: the CLI runs cdk.json's app, `npx tsc && npx tsx bin/orders.ts`.
    const result = spawnSync(process.execPath, ['node_modules/aws-cdk/bin/cdk', 'synth', '--quiet', '--no-notices'], {
      cwd: project,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
      },
    });

    // Assess
    expect(result.status, result.stderr).toBe(0);
    const { fn, bundle } = onlyFunction(join(project, 'cdk.out'), 'OrdersStack');
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(fn.Properties.Environment?.Variables?.IAM_API).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
    );
    expect(readFileSync(bundle, 'utf8')).toMatch(/^import \{ createRequire \} from 'module';/);
    expect(callHandlerOnce(bundle)).toEqual(ANSWERED);
  }, 240_000);

  it('an older cdk init (module commonjs): tsc finds no package exports, BundledFunction bundles the .ts all the same', () => {
    // Prepare
    const older = userProject('iam-m2m-cdk-init-older-', { infra: packed('infra'), middleware: packed('middleware') });
    writeFiles(older, {
      'package.json': JSON.stringify({ name: 'orders', version: '0.1.0' }),
      'tsconfig.json': JSON.stringify(OLDER_TSCONFIG, null, 2),
      'lambda/requestor.ts': README_HANDLER,
    });
    const outdir = join(older, 'cdk.out');
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    new BundledFunction(new Stack(app, 'OrdersStack'), 'Requestor', {
      entry: join(older, 'lambda/requestor.ts'),
      depsLockFilePath: join(older, 'package-lock.json'),
    });

    // Act
    const { output } = typeCheck(older);
    app.synth();

    // Assess: what the middleware README says (set module NodeNext), and a bundle that answers.
    expect(output).toContain("error TS2307: Cannot find module '@iam-m2m/middleware'");
    expect(callHandlerOnce(onlyFunction(outdir, 'OrdersStack').bundle)).toEqual(ANSWERED);
  }, 240_000);
});
