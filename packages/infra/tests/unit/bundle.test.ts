import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { BundledFunction } from '../../src/bundled-function.js';
import { repoRoot } from '../../src/handler-function.js';
import { synthApp } from '../helpers/synth.js';

interface Template {
  Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
}

/** The bundle of every function of a stack's template: `index.mjs` in its asset folder. */
const bundlesOf = (outdir: string, template: Template): string[] =>
  Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => join(outdir, String(resource.Metadata?.['aws:asset:path']), 'index.mjs'));

/** Runs `script` (an ES module) in a fresh Node process with only PATH set; its stdout. */
const runFresh = (script: string): string =>
  execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  }).trim();

describe('bundling for real (local esbuild, no Docker)', () => {
  it('each function bundles to an ESM file that exports `handler` in a fresh Node process', () => {
    // Prepare
    const { app, outdir } = synthApp({ bundle: true });

    // Act
    const assembly = app.synth();

    // Assess
    const bundles = bundlesOf(outdir, assembly.getStackByName('IamM2m').template as Template);
    expect(bundles).toHaveLength(2);
    for (const file of bundles) {
      expect(statSync(file).size).toBeGreaterThan(1_000);
      expect(statSync(`${file}.map`).size).toBeGreaterThan(1_000);
      expect(readFileSync(file, 'utf8')).toContain('createRequire');
      expect(runFresh(`const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`)).toBe(
        'function',
      );
    }
  });

  it("keeps class names: a thrown error's name, Lambda's errorType, is its class's, not a minified one", () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'iam-m2m-cdk-'));
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'ErrorName');
    new BundledFunction(stack, 'Orders', {
      entry: join(repoRoot, 'packages/infra/tests/fixtures/error-name/handler.ts'),
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'pnpm-lock.yaml'),
    });

    // Act
    const assembly = app.synth();

    // Assess
    const [file] = bundlesOf(outdir, assembly.getStackByName('ErrorName').template as Template);
    const thrown = runFresh(
      `const m = await import(${JSON.stringify(String(file))}); try { await m.handler(); } catch (error) { console.log(JSON.stringify([error.name, error.constructor.name, error.stack.split('\\n')[0]])); }`,
    );
    expect(JSON.parse(thrown)).toEqual([
      'OrderRejectedError',
      'OrderRejectedError',
      'OrderRejectedError: out of stock',
    ]);
  });
});
