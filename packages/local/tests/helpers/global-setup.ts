import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Cloud assembly of the one-account layout. */
    oneAccount: string;
    /** Cloud assembly of the two-account layout (API in 222222222222, requestor in 111111111111). */
    twoAccounts: string;
  }
}

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** Synthesizes the real CDK app (bundles included) with the CLI, as users do, into a fresh folder. */
function synth(context: string[]): string {
  const output = mkdtempSync(join(tmpdir(), 'iam-m2m-assembly-'));
  const result = spawnSync('pnpm', ['--filter', '@iam-m2m/infra', 'run', 'synth', '--output', output, ...context], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`synth failed:\n${result.stdout}\n${result.stderr}`);
  return output;
}

export default function setup(project: TestProject) {
  const oneAccount = synth([]);
  const twoAccounts = synth([
    '-c',
    'apiAccount=222222222222',
    '-c',
    'requestorAccount=111111111111',
    '-c',
    'region=us-east-1',
  ]);
  project.provide('oneAccount', oneAccount);
  project.provide('twoAccounts', twoAccounts);
  return () => {
    rmSync(oneAccount, { recursive: true, force: true });
    rmSync(twoAccounts, { recursive: true, force: true });
  };
}
