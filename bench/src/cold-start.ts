import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { median, round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** What the bundles are built from: the requestor, our plain requestor, and the references. */
export const ENTRIES = {
  requestor: join(root, 'packages/handlers/src/requestor.ts'),
  seedStyle: join(root, 'bench/fixtures/seed-style.ts'),
  powertoolsOnly: join(root, 'bench/fixtures/powertools-only.ts'),
  plainRequestor: join(root, 'bench/fixtures/plain-requestor.ts'),
  powertoolsMiddleware: join(root, 'bench/fixtures/powertools-middleware.ts'),
} as const;

/** The same job as plainRequestor with other SigV4 clients (plain handlers: they are no middleware). */
export const PEERS = {
  'aws-sigv4-fetch': join(root, 'bench/fixtures/peers/aws-sigv4-fetch.js'),
  aws4fetch: join(root, 'bench/fixtures/peers/aws4fetch.js'),
  aws4: join(root, 'bench/fixtures/peers/aws4.js'),
} as const;

export type BundleName = keyof typeof ENTRIES;
export type PeerName = keyof typeof PEERS;

export interface ColdStart {
  bytes: number;
  initMs: number;
  /** The largest inputs of the bundle, in output bytes. */
  largest: { input: string; bytes: number }[];
}

/** A peer that is not installed in the workspace: measured as soon as it is. */
export interface Missing {
  missing: string;
}

export interface ColdStarts {
  bundles: Record<BundleName, ColdStart>;
  peers: Record<PeerName, ColdStart | Missing>;
  /** plainRequestor from the packed tarball, bundled with esbuild's defaults for Node to CommonJS. */
  plainRequestorDefaults: ColdStart;
}

// Where the peers are installed besides the bench (aws-sigv4-fetch is a devDependency of local).
const NODE_PATHS = [join(root, 'bench/node_modules'), join(root, 'packages/local/node_modules')];

/**
 * Bundles as the CDK app does (NodejsFunction: ESM, minified, source map file, node24
 * target, createRequire banner, `@aws-sdk/*` external — but the seed's own SigV4 packages are
 * bundled, as the seed did, since the runtime does not promise them).
 */
const TUNED: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  // As BundledFunction bundles: error classes keep their names (a Lambda's errorType).
  keepNames: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  nodePaths: NODE_PATHS,
  metafile: true,
  logLevel: 'silent',
};

/**
 * What a user gets who does not tune the bundler: esbuild's defaults for Node (main fields
 * `main,module`, CommonJS output, as CDK NodejsFunction unless told otherwise), minified
 * like the tuned builds so only resolution differs, `@aws-sdk/*` external as CDK does.
 */
const DEFAULTS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  minify: true,
  external: ['@aws-sdk/*'],
  metafile: true,
  logLevel: 'silent',
};

/** One import of a bundle in a fresh Node process: ms from the import's start to its end. */
function importMs(file: string): number {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
      IAM_API: 'http://127.0.0.1:1/prod/',
    },
  });
  return Number(out);
}

/**
 * Median import time of each bundle over `runs` fresh processes, taken in turns (one process
 * of each bundle, then again), so that a change in the machine's load weighs on all alike.
 */
function initMsInTurns(files: string[], runs: number): number[] {
  const times = files.map(() => [] as number[]);
  for (let i = 0; i < runs; i++)
    files.forEach((file, index) => {
      times[index]?.push(importMs(file));
    });
  return times.map((list) => round(median(list), 2));
}

/** Bundles one handler: its size and largest inputs (its init time is measured with the others). */
async function bundled(options: BuildOptions, entry: string, outfile: string): Promise<ColdStart> {
  const result = await build({ ...options, entryPoints: [entry], outfile });
  const metafile = result.metafile as Metafile;
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const largest = Object.entries(output?.inputs ?? {})
    .map(([input, { bytesInOutput }]) => ({
      input: relative(root, input)
        .replace(/^(\.\.\/)*/, '')
        .replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, ''),
      bytes: bytesInOutput,
    }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  return { bytes: statSync(outfile).size, initMs: 0, largest };
}

/**
 * Packs `@iam-m2m/middleware` as it is published (`pnpm pack`: its build, `publishConfig`),
 * installs the tarball in a fresh project beside `@middy/core`, and returns the project.
 */
function installPacked(outdir: string): string {
  const project = join(outdir, 'fresh-project');
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, '@iam-m2m'), { recursive: true });
  const packed = execFileSync('pnpm', ['pack', '--pack-destination', outdir], {
    cwd: join(root, 'packages/middleware'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tarball = packed.trim().split('\n').pop() ?? '';
  execFileSync('tar', ['-xzf', tarball, '-C', outdir]);
  const installed = join(modules, '@iam-m2m/middleware');
  renameSync(join(outdir, 'package'), installed);
  // Its dependencies as an install would place them, linked from the workspace's copies.
  const { dependencies = {} } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const links: [string, string][] = [
    ...Object.keys(dependencies).map((name): [string, string] => [
      name,
      join(root, 'packages/middleware/node_modules'),
    ]),
    ['@middy/core', join(root, 'bench/node_modules')],
  ];
  for (const [name, from] of links) {
    mkdirSync(join(modules, dirname(name)), { recursive: true });
    symlinkSync(realpathSync(join(from, name)), join(modules, name));
  }
  cpSync(ENTRIES.plainRequestor, join(project, 'handler.ts'));
  return project;
}

/** Bundles every handler and measures each one's size and module init time. */
export async function measureColdStarts(runs = 15): Promise<ColdStarts> {
  const outdir = mkdtempSync(join(tmpdir(), 'iam-m2m-bench-'));
  // Every bundle by output file: their init times are measured together at the end.
  const built = new Map<string, ColdStart>();
  const measure = async (options: BuildOptions, entry: string, outfile: string) => {
    const bundle = await bundled(options, entry, outfile);
    built.set(outfile, bundle);
    return bundle;
  };
  const bundles = {} as Record<BundleName, ColdStart>;
  for (const name of Object.keys(ENTRIES) as BundleName[]) {
    bundles[name] = await measure(
      { ...TUNED, external: name === 'seedStyle' ? [] : ['@aws-sdk/*'] },
      ENTRIES[name],
      join(outdir, name, 'index.mjs'),
    );
  }
  const peers = {} as Record<PeerName, ColdStart | Missing>;
  for (const name of Object.keys(PEERS) as PeerName[]) {
    const installed = NODE_PATHS.some((dir) => existsSync(join(dir, name)));
    peers[name] = installed
      ? await measure({ ...TUNED, external: ['@aws-sdk/*'] }, PEERS[name], join(outdir, name, 'index.mjs'))
      : { missing: `${name} is not installed in the workspace` };
  }
  const project = installPacked(outdir);
  const plainRequestorDefaults = await measure(DEFAULTS, join(project, 'handler.ts'), join(project, 'out/index.cjs'));
  const files = [...built.keys()];
  initMsInTurns(files, runs).forEach((ms, index) => {
    (built.get(files[index] as string) as ColdStart).initMs = ms;
  });
  return { bundles, peers, plainRequestorDefaults };
}
