import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { readCdkJson } from './app-inputs.js';
import { BUNDLING_RECORDER, esbuildError, RECORD_BUNDLING_ENV } from './code-reload.js';
import { fail } from './fail.js';
import { baseKey, type CdkApp, depsHold, readDeps, synthDeps, writeDeps } from './synth-deps.js';

export { appInputs } from './app-inputs.js';
export type { CdkApp } from './synth-deps.js';

/** The context the CDK CLI gives an app (path and asset metadata), as `cdk synth` runs it. */
const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };
/** The feature flag that makes aws-cdk-lib's built-in template validation fail a synth. */
const VALIDATE_FLAG = '@aws-cdk/core:validateAgainstDefaultRules';
/** Whether a context value turns a flag on, as aws-cdk-lib reads a boolean context value. */
const validationFails = (value: unknown) => value !== undefined && value !== false && value !== 'false';
/** How many synthesized assemblies a project keeps (the newest). */
const KEPT = 4;

/** A synthesized assembly, and whether it came from the cache. */
export interface Synthesized {
  assemblyDir: string;
  cached: boolean;
  /** Time taken (the synth's, or the cache lookup's). */
  ms: number;
}

/** Options of {@link cachedSynth}. */
export interface SynthOptions {
  /** Reuse an assembly whose inputs still hold. @default true */
  cache?: boolean;
  /**
   * Files that never count as inputs, though in the app's folder: what the caller itself writes
   * there (a server's state file, decisions, traces). @default none
   */
  ignore?: string[];
}

/**
 * Runs the app's `cdk.json` command as the CDK CLI does (`CDK_OUTDIR`, the CLI's context), into
 * `outDir`, with the recorder preloaded: its esbuild bundlings (for code-only reloads) and what it
 * read (the synth cache's key).
 */
export function runApp(app: CdkApp, outDir: string): Promise<void> {
  const config = readCdkJson(app.dir);
  if (!config.app) throw new Error(`${join(app.dir, 'cdk.json')} has no "app" command`);
  const contextFile = join(app.dir, 'cdk.context.json');
  const context: Record<string, unknown> = {
    ...CLI_CONTEXT,
    ...config.context,
    ...(existsSync(contextFile) ? (JSON.parse(readFileSync(contextFile, 'utf8')) as Record<string, unknown>) : {}),
    ...app.context,
  };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(config.app as string, {
      cwd: app.dir,
      shell: true,
      env: {
        ...process.env,
        CDK_OUTDIR: outDir,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${JSON.stringify(BUNDLING_RECORDER)}`]
          .filter(Boolean)
          .join(' '),
        [RECORD_BUNDLING_ENV]: '1',
        // aws-cdk-lib's built-in template validation (WebAssembly, about half of a synth) only
        // warns unless the app opts in to failing on it, and nobody reads those warnings here.
        ...(validationFails(context[VALIDATE_FLAG]) ? {} : { CDK_VALIDATION: 'false' }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = `${output}${chunk}`.slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) return resolvePromise();
      // The app's own last lines say what went wrong (a compile error, a failed bundling, cdk-nag).
      // (Long lines are minified source quoted in a stack trace, not a cause.)
      const lines = output
        .trim()
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('at ') && line.length <= 400);
      const cause =
        esbuildError(lines.join('\n')) ??
        lines.findLast((line) => /\b[A-Za-z]*Error\b|\berror\b/.test(line)) ??
        lines.at(-1);
      reject(new Error(`the CDK app failed (exit ${code}): ${cause ?? 'no output'}`));
    });
  });
}

/**
 * Synthesizes a CDK app into its own folder, or reuses the assembly of the same inputs. The key
 * is what the synth depended on, recorded as it ran ({@link synthDeps}): the files the app and its
 * function bundles read (wherever they are), the folders it listed, its imports, its `cdk.json`,
 * context and lock file; never a file it did not read, nor `ignore`. Each cached assembly is
 * checked against its recorded inputs on each lookup, so it is never stale. Runs in one checkout
 * never share a folder being written: each synth writes a fresh one, moved into the cache
 * (`.iam-m2m-local/synth/<key>-<inputs>` beside `cdk.json`) once complete; the newest few are
 * kept, and any a live process uses.
 *
 * @example
 * ```ts
 * const { assemblyDir, cached } = await cachedSynth({ dir: 'path/to/app' }, { ignore: ['path/to/app/state.json'] });
 * ```
 */
export async function cachedSynth(app: CdkApp, options: SynthOptions = {}): Promise<Synthesized> {
  const started = performance.now();
  readCdkJson(app.dir); // not an app's folder: nothing is made in it
  const cacheRoot = join(app.dir, '.iam-m2m-local', 'synth');
  const key = baseKey(app);
  const hit = options.cache === false ? undefined : cachedAssembly(app, cacheRoot, key);
  if (hit) {
    const now = new Date();
    utimesSync(hit, now, now);
    markInUse(hit);
    return { assemblyDir: hit, cached: true, ms: performance.now() - started };
  }
  mkdirSync(cacheRoot, { recursive: true, mode: 0o700 });
  const fresh = join(cacheRoot, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
  let target = fresh;
  try {
    const since = Date.now();
    await runApp(app, fresh);
    markInUse(fresh);
    if (options.cache === false) return { assemblyDir: fresh, cached: false, ms: performance.now() - started };
    const digest = writeDeps(fresh, await synthDeps(app, fresh, { since, ignore: options.ignore ?? [] }));
    target = join(cacheRoot, `${key}-${digest}`);
    try {
      renameSync(fresh, target);
    } catch {
      // Another run synthesized the same inputs first: use its assembly.
      rmSync(fresh, { recursive: true, force: true });
      markInUse(target);
    }
  } catch (error) {
    rmSync(fresh, { recursive: true, force: true });
    throw error;
  }
  prune(cacheRoot, target);
  return { assemblyDir: target, cached: false, ms: performance.now() - started };
}

/**
 * `--app <dir>` of a command: its synth, or its unchanged synth reused, and one line on stderr
 * saying which; a failed synth ends the command in one line. `ignore` are the command's outputs.
 */
export async function synthesizeApp(dir: string, ignore: string[] = []): Promise<Synthesized> {
  const synthesized = await cachedSynth({ dir }, { ignore: ignore.map((file) => resolve(file)) }).catch(
    (error: Error) => fail(`synth failed: ${error.message}${dockerHint(error.message)}`),
  );
  process.stderr.write(
    synthesized.cached
      ? `iam-m2m-local: reusing the synth of ${dir}: nothing it read changed since\n`
      : `iam-m2m-local: synthesized ${dir} in ${(synthesized.ms / 1000).toFixed(1)} s\n`,
  );
  return synthesized;
}

/**
 * A synth that tried Docker: `NodejsFunction` bundles in a container unless esbuild is installed
 * in the app (aws-cdk-lib's "Local bundling"), and the local stack runs no Docker.
 */
const dockerHint = (message: string) =>
  /\bdocker\b/i.test(message)
    ? ' (NodejsFunction bundles with Docker when the app has no esbuild: `npm install -D esbuild` in the app bundles locally)'
    : '';

/** The newest complete assembly of this key whose recorded inputs still hold, if any. */
function cachedAssembly(app: CdkApp, cacheRoot: string, key: string): string | undefined {
  return listFolder(cacheRoot)
    .filter((name) => name.startsWith(`${key}-`))
    .map((name) => join(cacheRoot, name))
    .map((dir) => ({ dir, time: statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.time - a.time)
    .map(({ dir }) => dir)
    .find((dir) => {
      const deps = existsSync(join(dir, 'manifest.json')) ? readDeps(dir) : undefined;
      return deps !== undefined && depsHold(app, deps);
    });
}

/** Marks an assembly as used by this process, so no other run's {@link prune} removes it while it lives. */
function markInUse(assemblyDir: string): void {
  const dir = join(assemblyDir, '.iam-m2m-local', 'in-use');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, String(process.pid)), '');
}

/** Whether a live process (this one included: it may still serve it) marked the assembly as in use. */
function inUse(assemblyDir: string): boolean {
  return listFolder(join(assemblyDir, '.iam-m2m-local', 'in-use')).some((name) => alive(Number(name)));
}

/** The names in a folder; none when it does not exist. */
export function listFolder(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Whether a process of that id runs. */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Keeps the newest assemblies, the one just made and every one a live process uses (a served
 * stack's functions run from theirs); leftovers of runs that died go too.
 */
function prune(cacheRoot: string, keep: string): void {
  const entries = readdirSync(cacheRoot)
    .map((name) => ({ name, path: join(cacheRoot, name) }))
    .map((entry) => ({ ...entry, time: statSync(entry.path).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  const stale = Date.now() - 60 * 60_000;
  let kept = 0;
  for (const { name, path, time } of entries) {
    const leftover = name.startsWith('.');
    if (!leftover) kept += 1;
    if (path === keep || (leftover ? time >= stale : kept <= KEPT) || inUse(path)) continue;
    rmSync(path, { recursive: true, force: true });
  }
}
