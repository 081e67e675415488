import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  type FSWatcher,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  BUNDLING_RECORDER,
  bundleInputsUnchanged,
  bundleRecords,
  esbuildError,
  RECORD_BUNDLING_ENV,
} from './code-reload.js';

/** The context the CDK CLI gives an app (path and asset metadata), as `cdk synth` runs it. */
const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };
/** The feature flag that makes aws-cdk-lib's built-in template validation fail a synth. */
const VALIDATE_FLAG = '@aws-cdk/core:validateAgainstDefaultRules';
/** Whether a context value turns a flag on, as aws-cdk-lib reads a boolean context value. */
const validationFails = (value: unknown) => value !== undefined && value !== false && value !== 'false';
/** Never inputs of a synth. */
const ALWAYS_EXCLUDED = ['node_modules', '.git', '.iam-m2m-local'];
/** Changes when what a synth writes changes (here: the recorded bundlings), so old caches miss. */
const SYNTH_FORMAT = 'bundlings-recorded-2';
/** How many synthesized assemblies a project keeps (the newest). */
const KEPT = 4;

interface CdkJson {
  app?: string;
  output?: string;
  context?: Record<string, unknown>;
  watch?: { include?: string | string[]; exclude?: string | string[] };
}

/** A CDK app: the folder of its `cdk.json`, and the `-c key=value` context it is synthesized with. */
export interface CdkApp {
  dir: string;
  context?: Record<string, string>;
}

/** A synthesized assembly, and whether it came from the cache. */
export interface Synthesized {
  assemblyDir: string;
  cached: boolean;
  /** Time taken (the synth's, or the cache lookup's). */
  ms: number;
}

function readCdkJson(dir: string): CdkJson {
  const file = join(dir, 'cdk.json');
  if (!existsSync(file)) throw new Error(`${dir} has no cdk.json: --app must name a CDK app's folder`);
  return JSON.parse(readFileSync(file, 'utf8')) as CdkJson;
}

const list = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** `src/**`, `../handlers/src/**`, `*.ts` → a regular expression over paths relative to the app folder. */
function globRegExp(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*' && glob[i + 1] === '*') {
      pattern += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (ALWAYS_EXCLUDED.includes(entry.name) || entry.name.startsWith('cdk.out')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/** `cdk.json`'s `watch.include` globs; everything in the app folder when it has none. */
function includeGlobs(config: CdkJson): string[] {
  const include = list(config.watch?.include);
  return include.length > 0 ? include : ['**'];
}

/** The folders the include globs start in (`src/**` → `src`, `../handlers/src/**` → `../handlers/src`). */
function watchRoots(dir: string, config: CdkJson): Set<string> {
  return new Set(includeGlobs(config).map((glob) => resolve(dir, glob.split('*')[0]?.replace(/[^/]*$/, '') || '.')));
}

/**
 * The files a synth reads, as `cdk watch` sees them: `cdk.json`'s `watch.include` globs (default
 * everything in the app folder) less `watch.exclude`, plus `cdk.json`, `cdk.context.json` and the
 * nearest lock file. `node_modules`, `cdk.out*` and `.git` never count.
 */
export function appInputs(dir: string): string[] {
  const config = readCdkJson(dir);
  const exclude = list(config.watch?.exclude).map(globRegExp);
  const patterns = includeGlobs(config).map((glob) => globRegExp(glob));
  const files = new Set<string>();
  for (const root of watchRoots(dir, config)) {
    if (!existsSync(root)) continue;
    const found: string[] = [];
    walk(root, found);
    for (const file of found) {
      const rel = relative(dir, file).split(sep).join('/');
      if (patterns.some((regexp) => regexp.test(rel)) && !exclude.some((regexp) => regexp.test(rel))) files.add(file);
    }
  }
  for (const name of ['cdk.json', 'cdk.context.json', 'package.json'])
    if (existsSync(join(dir, name))) files.add(join(dir, name));
  for (let up = dir; ; up = dirname(up)) {
    const lock = ['pnpm-lock.yaml', 'package-lock.json', 'yarn.lock'].map((name) => join(up, name)).find(existsSync);
    if (lock) {
      files.add(lock);
      break;
    }
    if (up === dirname(up)) break;
  }
  return [...files].sort();
}

/** A key of everything a synth depends on: the inputs' paths and contents, the context, Node's version. */
export function inputsKey(app: CdkApp): string {
  const hash = createHash('sha256');
  hash.update(`${SYNTH_FORMAT}\0${process.version}\0${JSON.stringify(app.context ?? {})}\0`);
  for (const file of appInputs(app.dir))
    hash
      .update(`${relative(app.dir, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  return hash.digest('hex').slice(0, 24);
}

/**
 * Runs the app's `cdk.json` command as the CDK CLI does (`CDK_OUTDIR`, the CLI's context), into
 * `outDir`, with the recorder of its esbuild bundlings preloaded (for code-only reloads).
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
 * Synthesizes a CDK app into its own folder, or reuses the assembly of the same inputs: a
 * cache keyed on every input ({@link inputsKey}), and on the files its function bundles read
 * (recorded in the synth, checked on each hit: a bundle may read files outside `watch.include`),
 * so it is never stale. Runs in one checkout never share a folder being written: each synth
 * writes a fresh one, moved into the cache (`.iam-m2m-local/synth/<key>-<bundle inputs>` beside
 * `cdk.json`) once complete; the newest few are kept, and any a live process uses.
 */
export async function cachedSynth(app: CdkApp, options: { cache?: boolean } = {}): Promise<Synthesized> {
  const started = performance.now();
  const cacheRoot = join(app.dir, '.iam-m2m-local', 'synth');
  const key = inputsKey(app);
  const hit =
    options.cache === false
      ? undefined
      : listFolder(cacheRoot)
          .filter((name) => name.startsWith(`${key}-`))
          .map((name) => join(cacheRoot, name))
          .find((dir) => existsSync(join(dir, 'manifest.json')) && bundleRecords(dir).every(bundleInputsUnchanged));
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
    await runApp(app, fresh);
    markInUse(fresh);
    if (options.cache === false) return { assemblyDir: fresh, cached: false, ms: performance.now() - started };
    const inputs = createHash('sha256').update(JSON.stringify(bundleRecords(fresh).map((r) => r.inputs)));
    target = join(cacheRoot, `${key}-${inputs.digest('hex').slice(0, 12)}`);
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

/**
 * Calls `onChange` with the changed files (debounced, never two calls at once) when an input of
 * the app ({@link appInputs}) or an `also` file (a function's imports, wherever they are)
 * changes. Each folder holding one is watched on its own, not recursively: a folder's watch
 * survives an editor's save by rename, which a recursive watch of Node 20 on Linux loses track
 * of; the folders are looked up again after each change. `ignore` are files the server itself
 * writes (its state file, decisions, traces), which would otherwise reload it on each write.
 * Returns a function that stops watching.
 */
export function watchApp(
  dir: string,
  onChange: (files: string[]) => Promise<void>,
  options: { debounceMs?: number; also?: () => Set<string>; ignore?: string[] } = {},
): () => void {
  const also = options.also ?? (() => new Set<string>());
  const watchers = new Map<string, { watcher: FSWatcher; inode: number }>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let changed = new Set<string>();
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    // Inputs only; an editor's temporary files come and go: a file that is gone counts only if a bundle read it.
    const inputs = new Set(appInputs(dir));
    const extra = also();
    const files = [...changed].filter((file) => (existsSync(file) && inputs.has(file)) || extra.has(file)).sort();
    changed = new Set();
    if (files.length === 0) return;
    running = onChange(files).finally(() => {
      running = undefined;
      refresh();
      run();
    });
  };
  const noted = (file: string) => {
    if (options.ignore?.includes(file)) return;
    const parts = relative(dir, file).split(sep);
    if (parts.some((part) => ALWAYS_EXCLUDED.includes(part) || part.startsWith('cdk.out'))) return;
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) refresh(); // a folder made or made again
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(run, options.debounceMs ?? 250);
  };
  const refresh = () => {
    if (stopped) return;
    const config = readCdkJson(dir);
    const folders = new Set([
      ...watchRoots(dir, config),
      ...[...appInputs(dir), ...also()].map((file) => dirname(file)),
    ]);
    // A folder removed, or removed and made again: a watch does not follow it to the new one.
    for (const [folder, { watcher, inode }] of watchers)
      if (!folders.has(folder) || statSync(folder, { throwIfNoEntry: false })?.ino !== inode) {
        watcher.close();
        watchers.delete(folder);
      }
    for (const folder of folders) {
      const inode = statSync(folder, { throwIfNoEntry: false })?.ino;
      if (watchers.has(folder) || inode === undefined) continue;
      const watcher = watch(folder, (_event, name) => noted(name ? join(folder, name.toString()) : folder));
      watcher.on('error', () => {
        watcher.close();
        watchers.delete(folder);
      });
      watchers.set(folder, { watcher, inode });
    }
  };
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const { watcher } of watchers.values()) watcher.close();
  };
}
