import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { median, round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** What the bundles are built from: the requestor, and the two references. */
export const ENTRIES = {
  requestor: join(root, 'packages/handlers/src/requestor.ts'),
  seedStyle: join(root, 'bench/fixtures/seed-style.ts'),
  powertoolsOnly: join(root, 'bench/fixtures/powertools-only.ts'),
} as const;

export type BundleName = keyof typeof ENTRIES;

export interface ColdStart {
  bytes: number;
  initMs: number;
  /** The largest inputs of the bundle, in output bytes. */
  largest: { input: string; bytes: number }[];
}

/**
 * Bundles as the CDK app does (NodejsFunction: ESM, minified, source map file, node24
 * target, createRequire banner, `@aws-sdk/*` external — but the seed's own SigV4 packages are
 * bundled, as the seed did, since the runtime does not promise them).
 */
async function bundle(name: BundleName, outdir: string): Promise<{ file: string; metafile: Metafile }> {
  const outfile = join(outdir, name, 'index.mjs');
  const result = await build({
    entryPoints: [ENTRIES[name]],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
    external: name === 'seedStyle' ? [] : ['@aws-sdk/*'],
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  return { file: outfile, metafile: result.metafile };
}

/** Median time to import the bundle in a fresh Node process, over `runs` processes. */
function initMs(file: string, runs: number): number {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', IAM_API: 'http://127.0.0.1:1/prod/' },
    });
    times.push(Number(out));
  }
  return median(times);
}

/** Bundles the three handlers and measures each one's size and module init time. */
export async function measureColdStarts(runs = 15): Promise<Record<BundleName, ColdStart>> {
  const outdir = mkdtempSync(join(tmpdir(), 'iam-m2m-bench-'));
  const results = {} as Record<BundleName, ColdStart>;
  for (const name of Object.keys(ENTRIES) as BundleName[]) {
    const { file, metafile } = await bundle(name, outdir);
    const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
    const largest = Object.entries(output?.inputs ?? {})
      .map(([input, { bytesInOutput }]) => ({
        input: relative(root, input).replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, ''),
        bytes: bytesInOutput,
      }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 8);
    results[name] = { bytes: statSync(file).size, initMs: round(initMs(file, runs), 2), largest };
  }
  return results;
}
