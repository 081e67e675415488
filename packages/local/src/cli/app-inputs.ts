import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Never inputs of a synth: installed packages, git's folder, this package's own folder. */
export const ALWAYS_EXCLUDED = ['node_modules', '.git', '.iam-m2m-local'];

/** Whether a name in a folder is never an input (`cdk.out*` neither: a synth's output). */
export const excludedName = (name: string) => ALWAYS_EXCLUDED.includes(name) || name.startsWith('cdk.out');

/** What this package reads of a `cdk.json`. */
export interface CdkJson {
  app?: string;
  output?: string;
  context?: Record<string, unknown>;
  watch?: { include?: string | string[]; exclude?: string | string[] };
}

/** The app's `cdk.json`; throws when the folder has none (it is not a CDK app's folder). */
export function readCdkJson(dir: string): CdkJson {
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
    if (excludedName(entry.name)) continue;
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
export function watchRoots(dir: string, config: CdkJson): Set<string> {
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
  const lock = nearestLockFile(dir);
  if (lock) files.add(lock);
  return [...files].sort();
}

/** What a `tsc` of the app reads: TypeScript sources and their configs. */
// Declarations (`.d.ts`) are left out: a `tsc` that emits them writes them during the synth.
const TYPESCRIPT_FILE = /(?:(?<!\.d)\.[cm]?ts|\.tsx|^[jt]sconfig.*\.json)$/;

/**
 * The TypeScript sources and `tsconfig*.json` files in the app's folder (dot-folders aside,
 * besides installed packages and `cdk.out*`): what a `tsc` of the app reads, whatever
 * `watch.include` says, as `cdk init`'s `npx tsc && …` type-checks them all before the synth.
 */
export function typeScriptSources(dir: string): string[] {
  const found: string[] = [];
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (excludedName(entry.name) || entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && TYPESCRIPT_FILE.test(entry.name)) found.push(path);
    }
  };
  visit(dir);
  return found.sort();
}

/** The lock file of the nearest folder from `dir` up that has one (pnpm, npm or yarn). */
export function nearestLockFile(dir: string): string | undefined {
  for (let up = dir; ; up = dirname(up)) {
    const lock = ['pnpm-lock.yaml', 'package-lock.json', 'yarn.lock'].map((name) => join(up, name)).find(existsSync);
    if (lock || up === dirname(up)) return lock;
  }
}
