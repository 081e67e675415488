// A user's project on this machine, offline: packed workspace packages go where npm would
// install them; other packages are linked from where this workspace installed them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packPackage } from '../../../../scripts/pack-all.mjs';
import { repoRoot } from '../../src/handler-function.js';

/**
 * Packs a workspace package as `pnpm pack` does (its prepack builds dist) through `pnpm pack:all`'s
 * packer, which packs one package at a time across test files; the tarball's path.
 */
export function pack(packageDir: string): string {
  return packPackage(packageDir, mkdtempSync(join(tmpdir(), 'iam-m2m-pack-')));
}

/** Puts a tarball's files where npm installs the package, `<project>/node_modules/<name>`; its file list. */
export function installTarball(project: string, name: string, tarball: string): string[] {
  const installed = join(project, 'node_modules', name);
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
}

/** Where this workspace installed the packages a user's project links to, by name. */
const INSTALLED_IN: Record<string, string> = {
  'aws-cdk-lib': 'packages/infra',
  constructs: 'packages/infra',
  'aws-cdk': 'packages/infra',
  tsx: 'packages/infra',
  '@middy/core': 'packages/handlers',
  '@aws-lambda-powertools/logger': 'packages/handlers',
  '@aws-lambda-powertools/tracer': 'packages/handlers',
  '@types/aws-lambda': 'packages/handlers',
  '@smithy/types': 'packages/middleware',
  '@types/node': '.',
  esbuild: '.',
  typescript: '.',
};

/** Where this workspace installed a package a user's project links to. */
function installedPath(name: string): string {
  const folder = INSTALLED_IN[name];
  if (!folder) throw new Error(`${name} is not one of ${Object.keys(INSTALLED_IN).join(', ')}`);
  return realpathSync(join(repoRoot, folder, 'node_modules', name));
}

/** The version of a package this workspace installed (one that `linkInstalled` links). */
export const installedVersion = (name: string): string =>
  JSON.parse(readFileSync(join(installedPath(name), 'package.json'), 'utf8')).version;

/** Links installed packages into `<project>/node_modules`, as `npm install` would have put them. */
export function linkInstalled(project: string, names: string[]): void {
  for (const name of names) {
    const link = join(project, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(installedPath(name), link, 'dir');
  }
}

// What `cdk init app --language typescript` writes: the installed CLI's own template, so a new CLI
// is tested as it is. Its placeholders filled for an app named `orders`.
const CDK_INIT_TEMPLATE = join(repoRoot, 'packages/infra/node_modules/aws-cdk/lib/init-templates/app/typescript');
const CDK_INIT_PLACEHOLDERS = {
  '%name.PascalCased%': 'Orders',
  '%name%': 'orders',
  '%stackname%': 'OrdersStack',
  '%cdk-version%': '^2.276.0',
  '%cdk-cli-version%': '^2.1148.1',
  '%constructs-version%': '^10.8.1',
};

/** A file of `cdk init app --language typescript`'s template (`package.json`, `bin/%name%.template.ts`…) as it writes it. */
export const cdkInitFile = (file: string): string =>
  Object.entries(CDK_INIT_PLACEHOLDERS).reduce(
    (text, [placeholder, value]) => text.replaceAll(placeholder, value),
    readFileSync(join(CDK_INIT_TEMPLATE, file), 'utf8'),
  );

/** Links a package's command into `<project>/node_modules/.bin`, where npx finds it. */
export function linkBin(project: string, command: string, file: string): void {
  mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(join(project, 'node_modules', file), join(project, 'node_modules', '.bin', command));
}

/**
 * The code blocks of a Markdown section: from the line `heading` to the next heading of the
 * same or a higher level. A README's examples are read from it, so the tests run what it says.
 */
export function codeBlocks(markdownFile: string, heading: string): string[] {
  const lines = readFileSync(markdownFile, 'utf8').split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`${markdownFile} has no heading ${JSON.stringify(heading)}`);
  const level = heading.indexOf(' ');
  const blocks: string[] = [];
  let block: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    if (block && line.trim() === '```') {
      blocks.push(block.join('\n'));
      block = undefined;
    } else if (block) block.push(line);
    else if (line.trimStart().startsWith('```')) block = [];
    else if (/^#+ /.test(line) && line.indexOf(' ') <= level) break;
  }
  return blocks;
}

/** Writes `files` (path → text) under `dir`, making folders as needed. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** A project with the packed @iam-m2m packages, the handler's dependencies and the commands `cdk synth` runs. */
export function userProject(prefix: string, tarballs: { infra: string; middleware: string }): string {
  const project = mkdtempSync(join(tmpdir(), prefix));
  installTarball(project, '@iam-m2m/infra', tarballs.infra);
  installTarball(project, '@iam-m2m/middleware', tarballs.middleware);
  linkInstalled(project, [
    'aws-cdk-lib',
    'constructs',
    'aws-cdk',
    'tsx',
    '@middy/core',
    '@aws-lambda-powertools/logger',
    '@aws-lambda-powertools/tracer',
    '@types/aws-lambda',
    '@types/node',
    '@smithy/types',
    'esbuild',
    'typescript',
  ]);
  linkBin(project, 'tsc', 'typescript/bin/tsc');
  linkBin(project, 'tsx', 'tsx/dist/cli.mjs');
  linkBin(project, 'esbuild', 'esbuild/bin/esbuild');
  writeFiles(project, { 'package-lock.json': JSON.stringify({ name: 'orders', lockfileVersion: 3, packages: {} }) });
  return project;
}

/** `tsc` as `npx tsc` runs it in `project`: its exit status and what it printed. */
export const typeCheck = (project: string, tsconfig = 'tsconfig.json') => {
  const result = spawnSync(process.execPath, ['node_modules/.bin/tsc', '-p', tsconfig], {
    cwd: project,
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
};

/**
 * Loads a bundle in a fresh Node process and calls its `handler` once, with `IAM_API` a loopback
 * server that answers the SigV4 scope it was signed for (never the signature itself).
 */
const CALL_HANDLER_ONCE = String.raw`
import { createServer } from 'node:http';
const server = createServer((request, response) => {
  const scope = /Credential=[^/]+\/\d{8}\/([^,]+)\/aws4_request/.exec(request.headers.authorization ?? '')?.[1];
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ hello: 'world', scope }));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
process.env.IAM_API = 'http://127.0.0.1:' + server.address().port + '/prod/';
const { handler } = await import(process.argv[1]);
const context = { functionName: 'requestor', functionVersion: '$LATEST', memoryLimitInMB: '256',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:requestor', awsRequestId: 'r-1',
  getRemainingTimeInMillis: () => 5000 };
console.log(JSON.stringify(await handler({}, context)));
server.close();
`;
export const callHandlerOnce = (bundle: string): unknown =>
  JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', CALL_HANDLER_ONCE, bundle], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'example-secret-of-a-test',
      },
    }),
  );

export interface FunctionResource {
  Type: string;
  Properties: { Handler?: string; Environment?: { Variables?: Record<string, string> } };
  Metadata?: Record<string, string>;
}

/** The one function of a synthesized stack template, and its bundle's path. */
export function onlyFunction(assemblyDir: string, stackName: string): { fn: FunctionResource; bundle: string } {
  const template = JSON.parse(readFileSync(join(assemblyDir, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<string, FunctionResource>;
  };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  const [fn] = functions;
  if (!fn || functions.length > 1) throw new Error(`${stackName} has ${functions.length} functions, not one`);
  return { fn, bundle: join(assemblyDir, String(fn.Metadata?.['aws:asset:path']), 'index.mjs') };
}
