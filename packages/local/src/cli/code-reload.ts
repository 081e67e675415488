import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CloudAssemblyModel } from '../assembly/model.js';
import { appImports } from './app-imports.js';
import { realPath, sha256 } from './file-state.js';

/** The preload that records a synth's esbuild bundlings (see the file's own comment). */
export const BUNDLING_RECORDER = fileURLToPath(new URL('./bundling-recorder.cjs', import.meta.url));
/** Turns the recorder on in the app's process. */
export const RECORD_BUNDLING_ENV = 'IAM_M2M_LOCAL_RECORD_BUNDLING';

/** One esbuild bundling as the CDK app ran it, written by `bundling-recorder.cjs`. */
export interface BundleRecord {
  command: string;
  args: string[];
  cwd: string;
  /** The bundling's own environment (what differs from the app's). */
  env: Record<string, string>;
  /** The output folder as it appears in `args`. */
  outputDir: string;
  outfile: string;
  /** The metafile's path in the asset folder, or its name beside the records. */
  metafile: string;
  metafileIn: 'asset' | 'records';
  sha256: string;
  /** The bundle's own input files (not installed packages) and their sha256. */
  inputs: Record<string, string>;
}

/** A bundle of the served assembly: how to build it again, its asset folder, the files it reads. */
export interface Bundle {
  record: BundleRecord;
  /** The asset folder's name in the assembly (`asset.<hash>`). */
  asset: string;
  functions: string[];
  /** Real paths. */
  inputs: Set<string>;
}

/** A code-only change: the bundles to build again, or why the change needs a full synth. */
export type CodePlan = { bundles: Bundle[] } | { reason: string };

/** What the app's own process read through fs during its synth (see the recorder). */
interface AppReads {
  files: Set<string>;
  folders: Set<string>;
  trees: string[];
}

/** The files of an esbuild metafile's inputs, as real paths. */
function metafileInputs(metafile: string, cwd: string): Set<string> {
  const { inputs } = JSON.parse(readFileSync(metafile, 'utf8')) as { inputs: Record<string, unknown> };
  return new Set(Object.keys(inputs).map((input) => realPath(resolve(cwd, input))));
}

/** The bundlings a synth recorded (none when the app built no NodejsFunction locally). */
export function bundleRecords(assemblyDir: string): BundleRecord[] {
  const file = join(assemblyDir, '.iam-m2m-local', 'bundles.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as BundleRecord);
}

/** The recorded fs reads of the app's processes, or undefined when the recorder did not run. */
function appReads(assemblyDir: string): AppReads | undefined {
  const file = join(assemblyDir, '.iam-m2m-local', 'app-reads.jsonl');
  if (!existsSync(file)) return undefined;
  const reads: AppReads = { files: new Set(), folders: new Set(), trees: [] };
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const { files, folders, trees } = JSON.parse(line) as Record<keyof AppReads, string[]>;
    for (const path of files) reads.files.add(realPath(path));
    for (const path of folders) reads.folders.add(realPath(path));
    reads.trees.push(...trees.map(realPath));
  }
  return reads;
}

/** Without the folder: a bundling's arguments, to tell whether two bundlings are the same. */
const argsKey = (record: BundleRecord) =>
  JSON.stringify([
    record.command,
    record.cwd,
    record.env,
    record.args.map((arg) => arg.split(record.outputDir).join('')),
  ]);

/**
 * Code-only reloads for `serve --watch`: when every changed file is read by some function's
 * esbuild bundle and by nothing the CDK app itself reads (its imports, and the files and
 * folders its process read through fs: assets it copied, files it read), the template cannot
 * change, so the bundles that read those files are built again with the very esbuild command
 * the app's `NodejsFunction` ran (recorded during its synth), into a copy of the served
 * assembly whose other entries are links to the served ones. Anything else takes a full synth.
 */
export class CodeReloader {
  readonly #bundles: Bundle[];
  readonly #appFiles: Set<string>;
  readonly #reads: AppReads;
  readonly #workDir: string;
  #served: string;

  private constructor(bundles: Bundle[], appFiles: Set<string>, reads: AppReads, assemblyDir: string, workDir: string) {
    this.#bundles = bundles;
    this.#appFiles = appFiles;
    this.#reads = reads;
    this.#served = assemblyDir;
    this.#workDir = workDir;
  }

  /**
   * Reads the bundlings and the app's reads recorded in a synth of `appDir` by iam-m2m-local,
   * and the app's own imports.
   *
   * @returns the reloader, or why code-only reloads are off for this assembly.
   */
  public static async of(
    appDir: string,
    assemblyDir: string,
    model: CloudAssemblyModel,
    workDir: string,
  ): Promise<CodeReloader | string> {
    const reads = appReads(assemblyDir);
    if (!reads) return "the app's process ran without the recorder (does its command set NODE_OPTIONS itself?)";
    const records = bundleRecords(assemblyDir);
    if (records.length === 0) return 'the synth ran no esbuild bundling (no NodejsFunction built locally)';
    const bundles = new Map<string, Bundle>();
    for (const fn of model.functions) {
      if (!fn.codeDir) continue;
      const asset = relative(assemblyDir, fn.codeDir);
      if (asset.includes(sep) || asset.startsWith('..')) continue;
      const found = bundles.get(asset);
      if (found) {
        found.functions.push(fn.name);
        continue;
      }
      // The records whose output is this asset's file (an afterBundling hook that rewrites it
      // leaves none: that function always takes a synth). Two different bundlings of the same
      // output share one asset: which one to run again is unknown, so neither is.
      const matching = records.filter((candidate) => {
        const file = join(fn.codeDir as string, candidate.outfile);
        return existsSync(file) && sha256(file) === candidate.sha256;
      });
      const record = matching[0];
      if (!record || new Set(matching.map(argsKey)).size > 1) continue;
      const metafile = join(
        record.metafileIn === 'asset' ? fn.codeDir : join(assemblyDir, '.iam-m2m-local'),
        record.metafile,
      );
      if (existsSync(metafile))
        bundles.set(asset, { record, asset, functions: [fn.name], inputs: metafileInputs(metafile, record.cwd) });
    }
    if (bundles.size === 0) return 'no function of the app is an esbuild bundle recorded in its synth';
    const appFiles = await appImports(appDir);
    if (typeof appFiles === 'string') return appFiles;
    return new CodeReloader([...bundles.values()], appFiles, reads, assemblyDir, workDir);
  }

  /** The files the bundles read (outside node_modules): watched beside the app's inputs. */
  public get bundleInputs(): Set<string> {
    return new Set(
      this.#bundles.flatMap((bundle) =>
        [...bundle.inputs].filter((file) => !file.includes(`${sep}node_modules${sep}`)),
      ),
    );
  }

  /** Which bundles a change rebuilds, or why it needs a full synth. */
  public plan(changed: string[]): CodePlan {
    const files = changed.map(realPath);
    for (const file of files) {
      const why = this.#appReason(file);
      if (why) return { reason: `${file} ${why}` };
    }
    return { bundles: this.#bundles.filter((bundle) => files.some((file) => bundle.inputs.has(file))) };
  }

  /** Why the app itself may read `file` (a real path), or undefined when only bundles do. */
  #appReason(file: string): string | undefined {
    if (this.#appFiles.has(file)) return 'is imported by the CDK app';
    if (this.#reads.files.has(file)) return 'is read by the CDK app';
    if (this.#reads.folders.has(dirname(file))) return 'is in a folder the CDK app lists';
    if (this.#reads.trees.some((tree) => file.startsWith(`${tree}${sep}`))) return 'is in a folder the CDK app copies';
    if (!this.#bundles.some((bundle) => bundle.inputs.has(file))) return 'is read by no function bundle';
    if (!existsSync(file)) return 'is gone';
    return undefined;
  }

  /**
   * Builds the planned bundles again into a new assembly folder: a copy of each rebuilt asset
   * (files beside the bundle, such as installed node modules, stay), links to everything else.
   * Throws esbuild's first error, and leaves the served assembly as it was.
   *
   * @returns the new assembly folder, the functions rebuilt and esbuild's time.
   */
  public async rebuild(bundles: Bundle[]): Promise<{ assemblyDir: string; functions: string[]; esbuildMs: number }> {
    // `<app>/.iam-m2m-local/code/<pid>-<random>/asset.<hash>`: as deep as a synth's bundling
    // folder, so a source map's relative paths come out the same as the synth's.
    mkdirSync(this.#workDir, { recursive: true, mode: 0o700 });
    const dir = mkdtempSync(join(this.#workDir, `${process.pid}-`));
    const rebuilt = new Set(bundles.map((bundle) => bundle.asset));
    for (const name of readdirSync(this.#served))
      if (!rebuilt.has(name)) symlinkSync(realpathSync(join(this.#served, name)), join(dir, name));
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      bundles.map(async ({ record, asset, functions }) => {
        const target = join(dir, asset);
        cpSync(realpathSync(join(this.#served, asset)), target, { recursive: true, verbatimSymlinks: true });
        const args = record.args.map((arg) => arg.split(record.outputDir).join(target));
        const metafile =
          record.metafileIn === 'asset' ? join(target, record.metafile) : join(dir, `.${asset}.meta.json`);
        await runEsbuild(record, record.metafileIn === 'asset' ? args : [...args, `--metafile=${metafile}`], functions);
        return metafileInputs(metafile, record.cwd);
      }),
    );
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) {
      rmSync(dir, { recursive: true, force: true });
      throw failed.reason;
    }
    bundles.forEach((bundle, index) => {
      bundle.inputs = (outcomes[index] as PromiseFulfilledResult<Set<string>>).value;
    });
    const esbuildMs = performance.now() - started;
    this.#served = dir;
    return { assemblyDir: dir, functions: bundles.flatMap((bundle) => bundle.functions), esbuildMs };
  }
}

/**
 * esbuild's first error in its output, on one line with where it is
 * (`Unexpected ";" (handlers/message.ts:1:23)`), or undefined when there is none.
 */
export function esbuildError(output: string): string | undefined {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const at = lines.findIndex((line) => line.includes('[ERROR]'));
  if (at < 0) return undefined;
  const where = lines[at + 1];
  return `${lines[at]?.replace(/^.*\[ERROR\]\s*/, '')}${where ? ` (${where.replace(/:$/, '')})` : ''}`;
}

/** Runs a recorded esbuild command; rejects with its first error and where it is. */
function runEsbuild(record: BundleRecord, args: string[], functions: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(record.command, args, {
      cwd: record.cwd,
      env: { ...process.env, ...record.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output = `${output}${chunk}`.slice(-20_000);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) return resolvePromise();
      reject(new Error(`esbuild failed for ${functions.join(', ')}: ${esbuildError(output) ?? `exit ${code}`}`));
    });
  });
}
