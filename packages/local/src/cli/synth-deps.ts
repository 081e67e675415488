import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { type Launch, launchUnseen, lineUnseen } from './app-command.js';
import { appImports } from './app-imports.js';
import { appInputs, excludedName, nearestLockFile, readCdkJson, typeScriptSources } from './app-inputs.js';
import { type BundleRecord, bundleRecords } from './code-reload.js';
import { listingState, pathState, realPath } from './file-state.js';

/** Changes when what a synth writes or records changes, so old caches miss. */
const SYNTH_FORMAT = 'recorded-deps-4';

/** A CDK app: the folder of its `cdk.json`, and the `-c key=value` context it is synthesized with. */
export interface CdkApp {
  dir: string;
  context?: Record<string, string>;
}

/**
 * What a synth depended on, as it was: what the assembly is reused for as long as it holds.
 * Written beside the assembly's records (`.iam-m2m-local/deps.json`).
 */
export interface SynthDeps {
  /** Each file or folder the app or a bundle read, copied, statted or imported → {@link pathState}. */
  paths: Record<string, string>;
  /** Each folder the app listed (an asset folder aws-cdk-lib copies or fingerprints) → {@link listingState}. */
  listings: Record<string, string>;
  /**
   * When the app's process was not recorded (not Node, or its own NODE_OPTIONS), or its command
   * ran a program whose reads are not (a native `tsc`): every input, hashed ({@link inputsDigest}).
   */
  inputs?: string;
  /** What the command ran that nobody recorded, if anything: why {@link inputs} counts. */
  unseen?: string;
  /** Files never counted, in listings or inputs: the server's own outputs. */
  ignore: string[];
}

/** One process of the app's command as the recorder saw it (`app-reads.jsonl`). */
interface ProcessRecord {
  pid?: string;
  chain?: string[];
  manifest?: boolean;
  bundling?: boolean;
  trees: string[];
  read?: string[];
  listed?: string[];
  probed?: string[];
  written?: string[];
  launched?: Launch[];
}

/** What the app's own processes touched: the one that wrote the manifest and its children, bundlings aside. */
interface Touched {
  paths: Set<string>;
  listed: Set<string>;
  trees: string[];
}

/** Environment variables a CDK app reads for its stacks' environment: part of a synth's key. */
const SYNTH_ENVIRONMENT = /^(?:CDK_(?!CONTEXT_JSON$|OUTDIR$).+|AWS_REGION|AWS_DEFAULT_REGION|AWS_PROFILE)$/;

/**
 * The part of the key known before a synth: the format, Node's version, the context, the
 * environment variables that choose stacks' accounts and regions (`CDK_DEFAULT_ACCOUNT`…),
 * `cdk.json`, `cdk.context.json`, the app's `package.json` and the nearest lock file (installed
 * packages are never read one by one).
 */
export function baseKey(app: CdkApp): string {
  const hash = createHash('sha256');
  hash.update(`${SYNTH_FORMAT}\0${process.version}\0${JSON.stringify(app.context ?? {})}\0`);
  // What apps read of the environment to choose where stacks go (`env: { account: process.env.CDK_DEFAULT_ACCOUNT }`).
  for (const [name, value] of Object.entries(process.env).sort(([a], [b]) => a.localeCompare(b)))
    if (SYNTH_ENVIRONMENT.test(name)) hash.update(`${name}=${value}\0`);
  const lock = nearestLockFile(app.dir);
  for (const file of ['cdk.json', 'cdk.context.json', 'package.json'].map((name) => join(app.dir, name)))
    hash.update(`${file}\0${pathState(file)}\0`);
  if (lock) hash.update(`${lock}\0${pathState(lock)}\0`);
  return hash.digest('hex').slice(0, 24);
}

/**
 * Every input of the app, less `ignore`, paths and contents hashed: `watch.include` less
 * `watch.exclude`, and the TypeScript sources and configs a `tsc` of the app would read whatever
 * `watch` says (`cdk init`'s excludes `tsconfig.json` and `test`). A file modified after `since`
 * (a synth's start) never matches: the synth may have read it as it was.
 */
function inputsDigest(dir: string, ignore: string[], since?: number): string {
  const hash = createHash('sha256');
  const files = [...new Set([...appInputs(dir), ...typeScriptSources(dir)])].sort();
  for (const file of files.filter((file) => !ignore.includes(file)))
    hash.update(`${relative(dir, file)}\0${pathState(file, since)}\0`);
  return hash.digest('hex');
}

/** Each process of the recorded synth (`app-reads.jsonl`), or undefined when none was recorded. */
function processRecords(assemblyDir: string): ProcessRecord[] | undefined {
  const file = join(assemblyDir, '.iam-m2m-local', 'app-reads.jsonl');
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ProcessRecord);
}

/** The processes of the recorded synth that were the app: the manifest's writer and its children. */
function appProcesses(lines: ProcessRecord[]): ProcessRecord[] | undefined {
  const writers = lines.filter((line) => line.manifest && line.pid).map((line) => line.pid as string);
  if (writers.length === 0) return undefined;
  return lines.filter((line) => !line.bundling && writers.some((pid) => line.chain?.includes(pid)));
}

/**
 * What the app's command ran whose reads do not count, if anything: a step of `cdk.json`'s command
 * that is not Node (`sh -c …`), a program a process launched that is not (TypeScript 7's native
 * `tsc`), or a Node step beside the app's process (`tsc` of TypeScript 5 in `tsc && node app.js`):
 * only the app's process and its children count, as npx and the like read their own caches.
 */
function unseenStep(app: CdkApp, lines: ProcessRecord[], processes: ProcessRecord[]): string | undefined {
  const command = readCdkJson(app.dir).app ?? '';
  const fromCommand = lineUnseen(command, app.dir);
  if (fromCommand) return fromCommand;
  const recorded = lines.filter((line) => !line.bundling);
  for (const launch of recorded.flatMap((line) => line.launched ?? [])) {
    const why = launchUnseen(launch);
    if (why) return why;
  }
  const counted = new Set(processes.map((line) => line.pid));
  const wrappers = new Set(processes.flatMap((line) => line.chain ?? []));
  const beside = recorded.find(
    (line) => line.pid && !counted.has(line.pid) && !wrappers.has(line.pid) && (line.read?.length ?? 0) > 0,
  );
  if (beside) return `a Node process beside the app's, whose reads do not count (pid ${beside.pid})`;
  return undefined;
}

/**
 * What the app's processes touched, and its imports, less what never counts: their own writes,
 * caches, installed packages, this package's folders, the ignored files.
 */
function touched(processes: ProcessRecord[], imports: Set<string>, assemblyDir: string, ignore: string[]): Touched {
  const written = new Set(processes.flatMap((line) => line.written ?? []));
  const cdkHome = resolve(process.env.CDK_HOME ?? join(homedir(), '.cdk'));
  const counts = (path: string) =>
    !written.has(path) &&
    !ignore.includes(path) &&
    path !== assemblyDir &&
    ![assemblyDir, cdkHome, '/proc', '/dev', '/sys'].some((root) => path.startsWith(`${root}${sep}`)) &&
    !path.split(sep).some(excludedName);
  const all = (kind: 'read' | 'probed' | 'listed') => processes.flatMap((line) => line[kind] ?? []).filter(counts);
  return {
    paths: new Set([...all('read'), ...all('probed'), ...[...imports].filter(counts)]),
    listed: new Set(all('listed')),
    trees: processes.flatMap((line) => line.trees).filter(counts),
  };
}

/**
 * The files a bundling depends on beyond its sources: its tsconfig, and the `tsconfig.json`,
 * `jsconfig.json` and `package.json` esbuild looks for in each source's folder and above.
 */
function bundleConfigs(records: BundleRecord[]): Set<string> {
  const files = new Set<string>();
  const seen = new Set<string>();
  for (const record of records) {
    const tsconfig = record.args.find((arg) => arg.startsWith('--tsconfig='));
    if (tsconfig) files.add(resolve(record.cwd, tsconfig.slice('--tsconfig='.length)));
    for (const input of Object.keys(record.inputs ?? {}))
      for (let dir = dirname(input); !seen.has(dir); dir = dirname(dir)) {
        seen.add(dir);
        for (const name of ['tsconfig.json', 'jsconfig.json', 'package.json']) files.add(join(dir, name));
        if (dir === dirname(dir)) break;
      }
  }
  return files;
}

/**
 * What a synth just made in `assemblyDir` depended on: what the app's processes read, statted,
 * listed or copied (recorded by the preload), the app's imports (read by esbuild: ES modules are
 * loaded where the preload does not see them), and each bundle's sources as esbuild read them.
 * A file modified since `since` (the synth's start, epoch ms) never matches. Without a record of
 * the app's process, or when its imports cannot be read, every input of the app counts.
 */
export async function synthDeps(
  app: CdkApp,
  assemblyDir: string,
  options: { since: number; ignore: string[] },
): Promise<SynthDeps> {
  const ignore = options.ignore.map((file) => resolve(file));
  const records = bundleRecords(assemblyDir);
  const deps: SynthDeps = { paths: {}, listings: {}, ignore };
  const lines = processRecords(assemblyDir);
  const processes = lines && appProcesses(lines);
  const imports = processes ? await appImports(app.dir) : undefined;
  if (!lines || !processes || typeof imports === 'string' || imports === undefined)
    deps.inputs = inputsDigest(app.dir, ignore);
  else {
    deps.unseen = unseenStep(app, lines, processes);
    // What nobody recorded may have read any input: those count too, beside what was recorded.
    if (deps.unseen) deps.inputs = inputsDigest(app.dir, ignore, options.since);
    const found = touched(processes, imports, resolve(assemblyDir), ignore);
    for (const tree of found.trees) expandTree(tree, found);
    for (const path of found.paths) deps.paths[path] = pathState(path, options.since);
    const skip = skipName(ignore);
    for (const folder of found.listed) deps.listings[folder] = listingState(folder, skip(folder));
  }
  for (const file of bundleConfigs(records)) deps.paths[file] = pathState(file, options.since);
  for (const record of records)
    for (const [file, state] of Object.entries(record.inputs ?? {})) deps.paths[realPath(file)] = state;
  return deps;
}

/** A folder the app copied whole: each of its files and folders counts (each real folder once: links may loop). */
function expandTree(tree: string, found: Touched, seen = new Set<string>()): void {
  found.paths.add(tree);
  const real = realPath(tree);
  if (pathState(tree) !== 'folder' || seen.has(real)) return;
  seen.add(real);
  found.listed.add(tree);
  for (const entry of namesIn(tree)) if (!excludedName(entry)) expandTree(join(tree, entry), found, seen);
}

/** The names in a folder; none when it cannot be read. */
function namesIn(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

/** The names a listing never counts in `folder`: installed packages, `cdk.out*`, this package's, the ignored files. */
const skipName = (ignore: string[]) => (folder: string) => (name: string) =>
  excludedName(name) || ignore.includes(join(folder, name));

/** Whether what a synth depended on still holds. */
export function depsHold(app: CdkApp, deps: SynthDeps): boolean {
  const skip = skipName(deps.ignore);
  return (
    Object.entries(deps.listings).every(([folder, state]) => listingState(folder, skip(folder)) === state) &&
    Object.entries(deps.paths).every(([path, state]) => pathState(path) === state) &&
    (deps.inputs === undefined || inputsDigest(app.dir, deps.ignore) === deps.inputs)
  );
}

const depsFile = (assemblyDir: string) => join(assemblyDir, '.iam-m2m-local', 'deps.json');

/** Writes what the synth in `assemblyDir` depended on; returns its digest (the cache folder's suffix). */
export function writeDeps(assemblyDir: string, deps: SynthDeps): string {
  const text = JSON.stringify(deps);
  mkdirSync(dirname(depsFile(assemblyDir)), { recursive: true, mode: 0o700 });
  writeFileSync(depsFile(assemblyDir), text, { mode: 0o600 });
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** What the synth in `assemblyDir` depended on, or undefined when it recorded none (an older format). */
export function readDeps(assemblyDir: string): SynthDeps | undefined {
  try {
    return JSON.parse(readFileSync(depsFile(assemblyDir), 'utf8')) as SynthDeps;
  } catch {
    return undefined;
  }
}
