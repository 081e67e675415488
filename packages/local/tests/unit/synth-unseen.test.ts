// The synth cache of an app whose command runs what the recorder cannot see into (issue #27):
// `cdk init`'s `npx tsc && npx tsx bin/app.ts` with TypeScript 7, whose `tsc` is a native binary.
// A type error in a file only `tsc` reads fails `cdk synth`, so it must fail the cached synth too:
// such a synth keys on every input of the app and its TypeScript sources, less the server's
// outputs. Apps whose reads are all recorded keep their finer key.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchUnseen, lineUnseen, shellSteps } from '../../src/cli/app-command.js';
import { cachedSynth } from '../../src/cli/synth.js';
import type { SynthDeps } from '../../src/cli/synth-deps.js';

const cdkLib = createRequire(import.meta.url).resolve('aws-cdk-lib');

/**
 * Writes files (relative path → text) into `dir`, folders made as needed, dated a second ago: a
 * file modified in the millisecond a synth starts may be newer than what it read, and never matches.
 */
function write(dir: string, files: Record<string, string>): void {
  const before = new Date(Date.now() - 1000);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
    utimesSync(join(dir, name), before, before);
  }
}

/** A type checker as a native `tsc` is to the recorder: not Node; it fails on a `.ts` file saying TYPE ERROR. */
const CHECK_SH = `#!/bin/sh
if grep -rl 'TYPE ERROR' --include='*.ts' . >/dev/null; then echo 'lib/broken.ts(1,7): error TS2322: TYPE ERROR' >&2; exit 1; fi
`;

/**
 * A CDK app (one function, its code inline) whose command is `command`; lib/unused.ts is read by
 * nobody but the checker, and `cdk.json`'s watch excludes tsconfig.json as `cdk init`'s does.
 */
function app(command: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-unseen-'));
  write(dir, {
    'cdk.json': JSON.stringify({ app: command, watch: { include: ['**'], exclude: ['tsconfig.json'] } }),
    'tsconfig.json': '{ "compilerOptions": { "strict": true } }\n',
    'lib/unused.ts': 'export const x: number = 1;\n',
    'check.sh': CHECK_SH,
    'app.mjs': `import { createRequire } from 'node:module';
const cdk = createRequire(import.meta.url)(${JSON.stringify(cdkLib)});
const app = new cdk.App();
const stack = new cdk.Stack(app, 'Unseen');
new cdk.aws_lambda.Function(stack, 'Handler', { runtime: cdk.aws_lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: cdk.aws_lambda.Code.fromInline('exports.handler = async () => 1;') });
app.synth();
`,
    ...files,
  });
  return dir;
}

/** What the synth in `assemblyDir` keyed on. */
const depsOf = (assemblyDir: string) =>
  JSON.parse(readFileSync(join(assemblyDir, '.iam-m2m-local', 'deps.json'), 'utf8')) as SynthDeps;

/**
 * A type error in a file only the checker reads fails the next synth; the server's own outputs,
 * and the error fixed, reuse the first synth; a tsconfig.json edit (outside `watch`) misses.
 */
async function expectCheckerInputsCount(dir: string, unseen: RegExp): Promise<void> {
  const ignore = [join(dir, 'decisions.jsonl')];
  const first = await cachedSynth({ dir }, { ignore });
  expect(depsOf(first.assemblyDir).unseen).toMatch(unseen);

  write(dir, { 'lib/unused.ts': 'export const x: number = "TYPE ERROR";\n' });
  await expect(cachedSynth({ dir }, { ignore })).rejects.toThrow(/^the CDK app failed \(exit 1\)/);

  write(dir, { 'lib/unused.ts': 'export const x: number = 1;\n', 'decisions.jsonl': '{"allowed":true}\n' });
  expect(await cachedSynth({ dir }, { ignore })).toMatchObject({ cached: true, assemblyDir: first.assemblyDir });

  write(dir, { 'tsconfig.json': '{ "compilerOptions": { "strict": false } }\n' });
  expect((await cachedSynth({ dir }, { ignore })).cached).toBe(false);
}

describe('the synth cache of an app whose command runs a program that is not Node', () => {
  const dirs: string[] = [];
  const made = (dir: string) => {
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("a step of cdk.json's command (`sh check.sh && node app.mjs`): a type error only it reads fails the synth", async () => {
    await expectCheckerInputsCount(made(app('sh check.sh && node app.mjs')), /^`sh check\.sh` \(not Node/);
  }, 120_000);

  it("a native program a Node step launches, as TypeScript 7's tsc.js launches its compiler (`node tsc.mjs && …`)", async () => {
    const tsc =
      "import { execFileSync } from 'node:child_process';\nexecFileSync('/bin/sh', ['check.sh'], { stdio: 'inherit' });\n";
    await expectCheckerInputsCount(
      made(app('node tsc.mjs && node app.mjs', { 'tsc.mjs': tsc })),
      /^`sh check\.sh` \(not Node/,
    );
  }, 120_000);

  it('a checker that writes declarations as it runs (tsc with `declaration: true`): the synth is reused all the same', async () => {
    // Prepare: as an older cdk init's `tsc`, it emits lib/unused.d.ts beside the source on every run
    const command = 'sh check.sh && sh emit.sh && node app.mjs';
    const dir = made(
      app(command, {
        'emit.sh': 'echo "export declare const x: number;" > lib/unused.d.ts\n',
        // cdk init's watch leaves out what tsc emits.
        'cdk.json': JSON.stringify({
          app: command,
          watch: { include: ['**'], exclude: ['tsconfig.json', '**/*.d.ts', '**/*.js'] },
        }),
      }),
    );
    const first = await cachedSynth({ dir }, { ignore: [] });

    // Act
    const second = await cachedSynth({ dir }, { ignore: [] });

    // Assess
    expect(second).toMatchObject({ cached: true, assemblyDir: first.assemblyDir });
  }, 120_000);

  it("a Node step beside the app's process (TypeScript 5's tsc in `tsc && node app.mjs`): its reads do not count, every input does", async () => {
    const tsc = `import { readdirSync, readFileSync } from 'node:fs';
for (const name of readdirSync('lib')) if (readFileSync('lib/' + name, 'utf8').includes('TYPE ERROR')) { console.error('error TS2322: TYPE ERROR'); process.exit(1); }
`;
    await expectCheckerInputsCount(made(app('node tsc.mjs && node app.mjs', { 'tsc.mjs': tsc })), /beside the app's/);
  }, 120_000);

  it('an app whose reads are all recorded keeps the key of what it read: a file nobody reads changes nothing', async () => {
    // Prepare
    const dir = made(app('node app.mjs'));
    const first = await cachedSynth({ dir });

    // Act
    write(dir, { 'lib/unused.ts': 'export const x: number = "TYPE ERROR";\n' });
    const again = await cachedSynth({ dir });

    // Assess
    expect(depsOf(first.assemblyDir)).not.toHaveProperty('inputs');
    expect(depsOf(first.assemblyDir)).not.toHaveProperty('unseen');
    expect(again).toMatchObject({ cached: true, assemblyDir: first.assemblyDir });
  }, 120_000);
});

describe('what a command line runs, as the synth cache judges it', () => {
  it.each([
    [
      'npx tsc && npx tsx bin/my-api.ts',
      [
        ['npx', 'tsc'],
        ['npx', 'tsx', 'bin/my-api.ts'],
      ],
    ],
    [
      "FOO=1 node 'a b.mjs' 2>&1 > out.log; echo done",
      [
        ['FOO=1', 'node', 'a b.mjs'],
        ['echo', 'done'],
      ],
    ],
    [
      "'esbuild' --bundle '--banner:js=import { x } from '\\''m'\\'';'",
      [['esbuild', '--bundle', "--banner:js=import { x } from 'm';"]],
    ],
    ['node $(cat which) app.js', undefined],
    ['node app.js < input.json', undefined],
  ])('%s', (line, steps) => {
    expect(shellSteps(line)).toEqual(steps);
  });

  it('Node programs, builtins, version probes and esbuild bundlings are seen; other programs, and Node with its own NODE_OPTIONS, are not', () => {
    const cwd = process.cwd();
    expect(lineUnseen('cd . && node app.mjs && npx tsx bin/app.ts', cwd)).toBeUndefined();
    expect(launchUnseen({ file: 'esbuild', args: ['--version'], cwd, recorded: true })).toBeUndefined();
    expect(
      launchUnseen({ file: 'esbuild', args: ['--bundle', 'a.ts', '--outfile=o.js'], cwd, recorded: true }),
    ).toBeUndefined();
    expect(lineUnseen('NODE_OPTIONS= node app.mjs', cwd)).toMatch(/its own NODE_OPTIONS/);
    expect(launchUnseen({ file: process.execPath, args: ['app.mjs'], cwd, recorded: false })).toMatch(
      /its own NODE_OPTIONS/,
    );
    expect(launchUnseen({ file: '/bin/sh', args: ['check.sh'], cwd, recorded: true })).toMatch(/not Node/);
    expect(launchUnseen({ file: 'sh', args: ['-c', 'node a.mjs && make'], cwd, recorded: true })).toMatch(
      /^`make` \(not Node/,
    );
  });
});
