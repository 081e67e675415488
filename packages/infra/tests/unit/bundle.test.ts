import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthApp } from '../helpers/synth.js';

describe('bundling for real (local esbuild, no Docker)', () => {
  it('each function bundles to an ESM file that exports `handler` in a fresh Node process', () => {
    // Prepare
    const { app, outdir } = synthApp({ bundle: true });

    // Act
    const assembly = app.synth();

    // Assess
    const template = assembly.getStackByName('IamM2m').template as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    const assets = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => resource.Metadata?.['aws:asset:path']);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const file = join(outdir, String(asset), 'index.mjs');
      expect(statSync(file).size).toBeGreaterThan(1_000);
      expect(statSync(`${file}.map`).size).toBeGreaterThan(1_000);
      expect(readFileSync(file, 'utf8')).toContain('createRequire');
      const kind = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`,
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      expect(kind.trim()).toBe('function');
    }
  });
});
