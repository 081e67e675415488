// What a Lambda Node.js runtime provides beside a function's code, over real function processes.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionModel } from '../../src/assembly/model.js';
import { FunctionRuntime } from '../../src/lambda/runtime.js';
import {
  importedRuntimePackages,
  installCommand,
  runtimeModulePatterns,
  runtimeModuleWarnings,
} from '../../src/lambda/runtime-modules.js';

const SDK_INCLUDED = 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included';
/** "Up until Node.js 16, Lambda's Node.js runtimes have included the AWS SDK for JavaScript version 2." */
const SDK_V2_UNTIL_16 = 'https://aws.amazon.com/blogs/compute/node-js-18-x-runtime-now-available-in-aws-lambda/';
/** `Cannot find package '@smithy/node-http-handler' imported from /var/task/…` on nodejs24.x: the SDK's own dependencies are not top-level. */
const SMITHY_NOT_PROVIDED = 'https://github.com/juanjoDiaz/serverless-plugin-warmup/pull/366';
/** Dependencies other than the SDK go in the deployment package. */
const PACKAGE_DEPENDENCIES = 'https://docs.aws.amazon.com/lambda/latest/dg/nodejs-package.html';

/** A stand-in for a package: `name` is what it exports. */
function writePackage(nodeModules: string, name: string): void {
  const dir = join(nodeModules, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'), `exports.name = ${JSON.stringify(name)};\n`);
}

/** A file of a folder, its folders made. */
function writeFile(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return dirname(path);
}

/** A function of the app at `codeDir`: only what the runtime reads. */
const functionAt = (runtime: string, codeDir: string | undefined, extra: Partial<FunctionModel> = {}): FunctionModel =>
  ({
    stackName: 'App',
    logicalId: 'Fn',
    name: `fn-${runtime}`,
    functionName: `fn-${runtime.replace('.', '-')}`,
    arn: `arn:aws:lambda:us-east-1:111111111111:function:fn-${runtime.replace('.', '-')}`,
    accountId: '111111111111',
    region: 'us-east-1',
    role: {} as FunctionModel['role'],
    runtime,
    codeDir,
    handler: 'index.handler',
    logGroupName: '/aws/lambda/fn',
    timeoutSeconds: 10,
    memoryMb: 128,
    environment: {},
    permissions: [],
    qualifiers: { $LATEST: '$LATEST' },
    ...extra,
  }) as FunctionModel;

// The handlers load the module the event names: `require`, `import()`, and `require` made in an ES module (esbuild's ESM banner).
const HANDLERS = {
  require: ['index.js', 'exports.handler = async (event) => ({ found: Boolean(require(event.module)) });\n'],
  import: ['index.mjs', 'export const handler = async (event) => ({ found: Boolean(await import(event.module)) });\n'],
  'require in ESM': [
    'index.mjs',
    "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const handler = async (event) => ({ found: Boolean(require(event.module)) });\n",
  ],
} as const;
type Style = keyof typeof HANDLERS;

let app: string;
const runtimes = new Map<string, FunctionRuntime>();

beforeAll(() => {
  // Prepare: an app whose installed packages hold the v3 and v2 SDKs and a package no runtime has; its cdk.out holds the code.
  app = mkdtempSync(join(tmpdir(), 'iam-m2m-runtime-modules-'));
  writeFileSync(join(app, 'package.json'), '{"name":"app","private":true}');
  for (const name of ['@aws-sdk/client-fake', 'aws-sdk', '@smithy/node-http-handler', 'left-pad'])
    writePackage(join(app, 'node_modules'), name);
});

afterAll(() => {
  for (const runtime of runtimes.values()) runtime.close();
  rmSync(app, { recursive: true, force: true });
});

/** Whether the function of that runtime and style finds the module (its invocation's answer). */
async function finds(runtime: string, style: Style, module: string): Promise<boolean> {
  const key = `${runtime} ${style}`;
  let fn = runtimes.get(key);
  if (!fn) {
    const [file, code] = HANDLERS[style];
    const codeDir = writeFile(join(app, 'cdk.out', `asset.${runtime}-${style.replaceAll(' ', '-')}`, file), code);
    writePackage(join(codeDir, 'node_modules'), 'bundled-dep');
    fn = new FunctionRuntime(functionAt(runtime, codeDir), { environment: {}, output: 'ignore' });
    runtimes.set(key, fn);
  }
  const outcome = await fn.invoke({ module });
  if (!outcome.ok) expect(outcome.error.errorMessage).toMatch(/^Cannot find (module|package) /);
  return outcome.ok && (outcome.result as { found: boolean }).found;
}

describe('runtime modules: what a function finds beside its code, as on Lambda', () => {
  const rows: [runtime: string, module: string, found: boolean, source: string][] = [
    ['nodejs24.x', '@aws-sdk/client-fake', true, SDK_INCLUDED],
    // Not installed in the app: the SDK this package carries stands in, as the runtime has it whatever the app installed.
    ['nodejs24.x', '@aws-sdk/client-sts', true, SDK_INCLUDED],
    ['nodejs22.x', '@aws-sdk/client-fake', true, SDK_INCLUDED],
    ['nodejs18.x', '@aws-sdk/client-fake', true, SDK_INCLUDED],
    ['nodejs24.x', 'aws-sdk', false, SDK_INCLUDED],
    ['nodejs18.x', 'aws-sdk', false, SDK_V2_UNTIL_16],
    ['nodejs16.x', 'aws-sdk', true, SDK_V2_UNTIL_16],
    ['nodejs14.x', 'aws-sdk', true, SDK_V2_UNTIL_16],
    ['nodejs16.x', '@aws-sdk/client-fake', false, SDK_V2_UNTIL_16],
    ['nodejs24.x', '@smithy/node-http-handler', false, SMITHY_NOT_PROVIDED],
    ['nodejs24.x', 'left-pad', false, PACKAGE_DEPENDENCIES],
    ['nodejs16.x', 'left-pad', false, PACKAGE_DEPENDENCIES],
    ['nodejs24.x', 'bundled-dep', true, PACKAGE_DEPENDENCIES],
    ['nodejs16.x', 'bundled-dep', true, PACKAGE_DEPENDENCIES],
  ];
  for (const style of Object.keys(HANDLERS) as Style[]) {
    it.each(rows)(`${style}: %s, %s → found %s (%s)`, async (runtime, module, found) => {
      // Act, Assess
      expect(await finds(runtime, style, module)).toBe(found);
    });
  }

  it('a code folder reached through a link (a temporary folder on macOS) is confined the same', async () => {
    // Prepare: the code folder of the `require` style on nodejs24.x, through a link.
    await finds('nodejs24.x', 'require', 'bundled-dep');
    const link = join(app, 'linked-asset');
    symlinkSync(join(app, 'cdk.out', 'asset.nodejs24.x-require'), link);
    const fn = new FunctionRuntime(functionAt('nodejs24.x', link), { environment: {}, output: 'ignore' });
    try {
      // Act
      const outcomes = await Promise.all(
        ['bundled-dep', '@aws-sdk/client-fake', 'left-pad'].map((module) => fn.invoke({ module })),
      );

      // Assess
      expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, false]);
    } finally {
      fn.close();
    }
  });

  it('no runtime but Node.js provides a package', () => {
    expect(runtimeModulePatterns('python3.12')).toEqual([]);
    expect(runtimeModulePatterns('provided.al2023')).toEqual([]);
    expect(runtimeModulePatterns('nodejs')).toEqual(['aws-sdk']);
  });
});

describe('runtimeModuleWarnings: a provided module the bundle needs and the app lacks', () => {
  it('names the function, the module and the install command, once per module, and nothing for what the app has', () => {
    // Prepare: a CommonJS and an ESM bundle as esbuild leaves the external SDK in them.
    const codeDir = writeFile(
      join(app, 'cdk.out', 'asset.warned', 'index.js'),
      [
        'const a = require("@aws-sdk/client-fake");',
        'const b = require("@aws-sdk/client-absent/dist-cjs/index.js");',
        'const c = () => import("@aws-sdk/client-lazy");',
        'const d = require("aws-sdk");',
        'const e = require("@aws-sdk/client-absent");',
      ].join('\n'),
    );
    writeFile(
      join(codeDir, 'chunks', 'esm.mjs'),
      'import{STS as s}from"@aws-sdk/client-esm";var r=__require("@aws-sdk/client-absent");',
    );
    writeFile(join(codeDir, 'node_modules', '@aws-sdk', 'client-bundled', 'index.js'), 'require("@aws-sdk/client-x")');

    // Act
    const warnings = runtimeModuleWarnings([functionAt('nodejs24.x', codeDir, { name: 'client' })]);

    // Assess
    expect(importedRuntimePackages(functionAt('nodejs24.x', codeDir))).toEqual([
      '@aws-sdk/client-absent',
      '@aws-sdk/client-esm',
      '@aws-sdk/client-fake',
      '@aws-sdk/client-lazy',
      'aws-sdk',
    ]);
    expect(warnings).toEqual([
      ...['@aws-sdk/client-absent', '@aws-sdk/client-esm'].map(
        (name) =>
          `function client (nodejs24.x) imports ${name}, which the Lambda runtime provides; install it in the app so it runs here: npm install -D ${name}`,
      ),
      'function client (nodejs24.x) may import @aws-sdk/client-lazy (a dynamic import), which the Lambda runtime provides: if that code runs here without it, it fails; npm install -D @aws-sdk/client-lazy',
    ]);
  });

  it('says a module only imported dynamically (an opt-in path, as the middleware imports client-sts for assumeRole) may be imported; a static import anywhere wins', () => {
    // Prepare: the minified shapes esbuild leaves, the middleware's among them.
    const codeDir = writeFile(
      join(app, 'cdk.out', 'asset.dynamic', 'index.mjs'),
      [
        // The middleware's, client-sts renamed (this package carries client-sts: no warning here).
        'var o=async()=>{if(!n){let u=await import("@aws-sdk/client-opt-in").catch(c=>{throw c})}};',
        'const l=()=>import ( "@aws-sdk/client-lazy" );',
        'import{S3 as s}from"@aws-sdk/client-both";const b=()=>import("@aws-sdk/client-both");',
      ].join('\n'),
    );

    // Act
    const warnings = runtimeModuleWarnings([functionAt('nodejs24.x', codeDir, { name: 'Requestor' })]);

    // Assess
    expect(warnings).toEqual([
      'function Requestor (nodejs24.x) imports @aws-sdk/client-both, which the Lambda runtime provides; install it in the app so it runs here: npm install -D @aws-sdk/client-both',
      ...['@aws-sdk/client-lazy', '@aws-sdk/client-opt-in'].map(
        (name) =>
          `function Requestor (nodejs24.x) may import ${name} (a dynamic import), which the Lambda runtime provides: if that code runs here without it, it fails; npm install -D ${name}`,
      ),
    ]);
  });

  it('reads inline code against the assembly folder given, and leaves out runtimes that provide nothing', () => {
    // Prepare
    const inline = { inlineCode: 'const { S3 } = require("aws-sdk"); const x = require("@aws-sdk/client-fake");' };

    // Act
    const withAssembly = runtimeModuleWarnings(
      [functionAt('nodejs16.x', undefined, inline), functionAt('python3.12', undefined, inline)],
      join(app, 'cdk.out'),
    );
    const without = runtimeModuleWarnings([functionAt('nodejs22.x', undefined, { ...inline, name: 'inline' })]);

    // Assess
    expect(withAssembly).toEqual([]);
    expect(without).toEqual([
      'function inline (nodejs22.x) imports @aws-sdk/client-fake, which the Lambda runtime provides; install it in the app so it runs here: npm install -D @aws-sdk/client-fake',
    ]);
  });

  it('says how to install with the package manager of the app’s lock file', () => {
    // Prepare
    const pnpmApp = writeFile(join(app, 'pnpm-app', 'pnpm-lock.yaml'), '');
    const yarnApp = writeFile(join(app, 'yarn-app', 'yarn.lock'), '');

    // Act, Assess
    expect(installCommand('@aws-sdk/client-s3', join(pnpmApp, 'cdk.out'))).toBe('pnpm add -D @aws-sdk/client-s3');
    expect(installCommand('@aws-sdk/client-s3', join(yarnApp, 'cdk.out'))).toBe('yarn add -D @aws-sdk/client-s3');
    expect(installCommand('@aws-sdk/client-s3', join(app, 'cdk.out'))).toBe('npm install -D @aws-sdk/client-s3');
  });
});

describe('inline code (ZipFile): the runtime’s modules resolve from the assembly folder given', () => {
  it('finds the app’s SDK with the assembly folder, and none without it', async () => {
    // Prepare
    const fn = functionAt('nodejs22.x', undefined, {
      inlineCode: 'exports.handler = async () => require("@aws-sdk/client-fake").name;',
    });
    const given = new FunctionRuntime(fn, { environment: {}, output: 'ignore', assemblyDir: join(app, 'cdk.out') });
    const none = new FunctionRuntime(fn, { environment: {}, output: 'ignore' });
    try {
      // Act
      const [found, missing] = await Promise.all([given.invoke({}), none.invoke({})]);

      // Assess
      expect(found).toMatchObject({ ok: true, result: '@aws-sdk/client-fake' });
      expect(missing).toMatchObject({
        ok: false,
        error: { errorMessage: expect.stringMatching(/^Cannot find module/) },
      });
    } finally {
      given.close();
      none.close();
    }
  });
});
