// Synthesizing CDK apps for the tests: this repo's app with the CLI, the fixture apps as the CLI runs them.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fixture CDK apps of `tests/fixtures/apps/`: apps of the kind users write, not this repo's. */
export const FIXTURE_APPS = [
  'classic',
  'proxy',
  'exports',
  'stages',
  'abac',
  'targets',
  'sdk',
  'private-producer',
  'private-consumer',
  'authorizers',
  'openapi',
] as const;
export type FixtureApp = (typeof FIXTURE_APPS)[number];

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The context the CDK CLI gives an app (path and asset metadata), as `cdk synth` runs it. */
const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };

/** As `iam-m2m-local` synthesizes: without aws-cdk-lib's built-in validation (warnings only, half the time). */
const NO_VALIDATION = { CDK_VALIDATION: 'false' };

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

/**
 * Synthesizes this repo's CDK app (bundles included) with the CLI, as users do, into a fresh
 * folder: what `pnpm --filter @iam-m2m/infra run synth` runs, without pnpm, whose runs at the
 * same time can read its workspace state file while another one rewrites it.
 */
export async function synthInfra(context: string[]): Promise<string> {
  const output = mkdtempSync(join(tmpdir(), 'iam-m2m-assembly-'));
  const args = ['--import', 'tsx', 'scripts/run-cdk.ts', 'synth', '--quiet', '--no-notices', '--output', output];
  await run(process.execPath, [...args, ...context], {
    cwd: join(repoRoot, 'packages', 'infra'),
    env: { ...process.env, ...NO_VALIDATION },
  });
  return output;
}

/** Synthesizes a fixture app the way the CDK CLI runs it (`CDK_OUTDIR`, the CLI's context), into a fresh folder. */
export async function synthFixture(app: FixtureApp, context: Record<string, string> = {}): Promise<string> {
  const output = mkdtempSync(join(tmpdir(), `iam-m2m-fixture-${app}-`));
  await run(process.execPath, ['--import', 'tsx', `tests/fixtures/apps/${app}/app.ts`], {
    cwd: packageRoot,
    env: {
      ...process.env,
      ...NO_VALIDATION,
      CDK_OUTDIR: output,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CLI_CONTEXT, ...context }),
    },
  });
  return output;
}
