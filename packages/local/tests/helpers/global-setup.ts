import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { FIXTURE_APPS, type FixtureApp, synthFixture, synthInfra } from './synth.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Cloud assembly of the one-account layout. */
    oneAccount: string;
    /** Cloud assembly of the two-account layout (API in 222222222222, requestor in 111111111111). */
    twoAccounts: string;
    /** Cloud assemblies of the fixture apps, by app. */
    fixtures: Record<FixtureApp, string>;
    /** A folder for the run's scratch copies (edited assemblies), removed at the end. */
    scratchRoot: string;
  }
}

export default async function setup(project: TestProject) {
  // Once for every test file: five synths side by side.
  const [oneAccount, twoAccounts, ...fixtures] = await Promise.all([
    synthInfra([]),
    synthInfra(['-c', 'apiAccount=222222222222', '-c', 'requestorAccount=111111111111', '-c', 'region=us-east-1']),
    ...FIXTURE_APPS.map((app) => synthFixture(app)),
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
  const scratchRoot = mkdtempSync(join(tmpdir(), 'iam-m2m-scratch-'));
  project.provide('scratchRoot', scratchRoot);
  return () => {
    rmSync(scratchRoot, { recursive: true, force: true });
    for (const dir of [oneAccount, twoAccounts, ...fixtures]) rmSync(dir as string, { recursive: true, force: true });
  };
}
