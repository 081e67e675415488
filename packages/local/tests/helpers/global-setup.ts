import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/** The fixture CDK apps of `tests/fixtures/apps/`: apps of the kind users write, not this repo's. */
export const FIXTURE_APPS = ['classic', 'proxy', 'exports'] as const;
export type FixtureApp = (typeof FIXTURE_APPS)[number];

declare module 'vitest' {
  export interface ProvidedContext {
    /** Cloud assembly of the one-account layout. */
    oneAccount: string;
    /** Cloud assembly of the two-account layout (API in 222222222222, requestor in 111111111111). */
    twoAccounts: string;
    /** Cloud assemblies of the fixture apps, by app. */
    fixtures: Record<FixtureApp, string>;
  }
}

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The context the CDK CLI gives an app (path and asset metadata), as `cdk synth` runs it. */
const CLI_CONTEXT = JSON.stringify({ 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true });

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed:\n${output}`)),
    );
  });
}

/** Synthesizes this repo's CDK app (bundles included) with the CLI, as users do, into a fresh folder. */
async function synthInfra(context: string[]): Promise<string> {
  const output = mkdtempSync(join(tmpdir(), 'iam-m2m-assembly-'));
  await run('pnpm', ['--filter', '@iam-m2m/infra', 'run', 'synth', '--output', output, ...context], { cwd: repoRoot });
  return output;
}

/** Synthesizes a fixture app the way the CDK CLI runs it (`CDK_OUTDIR`, the CLI's context), into a fresh folder. */
async function synthFixture(app: FixtureApp): Promise<string> {
  const output = mkdtempSync(join(tmpdir(), `iam-m2m-fixture-${app}-`));
  await run(process.execPath, ['--import', 'tsx', `tests/fixtures/apps/${app}/app.ts`], {
    cwd: packageRoot,
    env: { ...process.env, CDK_OUTDIR: output, CDK_CONTEXT_JSON: CLI_CONTEXT },
  });
  return output;
}

export default async function setup(project: TestProject) {
  // Once for every test file: five synths side by side.
  const [oneAccount, twoAccounts, ...fixtures] = await Promise.all([
    synthInfra([]),
    synthInfra(['-c', 'apiAccount=222222222222', '-c', 'requestorAccount=111111111111', '-c', 'region=us-east-1']),
    ...FIXTURE_APPS.map(synthFixture),
  ]);
  project.provide('oneAccount', oneAccount as string);
  project.provide('twoAccounts', twoAccounts as string);
  project.provide(
    'fixtures',
    Object.fromEntries(FIXTURE_APPS.map((app, index) => [app, fixtures[index] as string])) as Record<
      FixtureApp,
      string
    >,
  );
  return () => {
    for (const dir of [oneAccount, twoAccounts, ...fixtures]) rmSync(dir as string, { recursive: true, force: true });
  };
}
