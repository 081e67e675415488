import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionModel } from '../assembly/model.js';

/**
 * The packages a Lambda Node.js runtime provides beside a function's code (its
 * `/var/runtime/node_modules`), in `NodejsFunction`'s `externalModules` syntax: the AWS SDK for
 * JavaScript v3 (`@aws-sdk/*`) from nodejs18.x on, v2 (`aws-sdk`) up to nodejs16.x, nothing for
 * other runtimes. Lambda's "Building Lambda functions with Node.js" (Runtime-included SDK
 * versions): https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
 *
 * @example
 * ```ts
 * runtimeModulePatterns('nodejs22.x'); // ['@aws-sdk/*']
 * runtimeModulePatterns('nodejs16.x'); // ['aws-sdk']
 * ```
 */
export function runtimeModulePatterns(runtime: string): string[] {
  const node = /^nodejs(\d+)?/.exec(runtime);
  if (!node) return [];
  // `nodejs` (0.10), `nodejs4.3` … `nodejs16.x` carried SDK v2.
  return Number(node[1] ?? 0) >= 18 ? ['@aws-sdk/*'] : ['aws-sdk'];
}

/** Whether a package is one of the patterns (`@aws-sdk/*` covers the scope, a name itself); runner-hooks.mjs matches alike. */
export const matchesPattern = (name: string, patterns: readonly string[]): boolean =>
  patterns.some((pattern) => (pattern.endsWith('/*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern));

/**
 * This package's own folder: the SDK it carries (`@aws-sdk/client-sts`, its optional peer
 * dependency) resolves from here for functions whose app has not installed it.
 */
const CARRIED_FROM = dirname(fileURLToPath(import.meta.url));

/**
 * Where the modules a function's runtime provides are looked up, in order: the `node_modules`
 * folders from the cloud assembly's folder up, that is the installed packages of the CDK app
 * that synthesized it (`<app>/cdk.out`, or the local CLI's synth cache
 * `<app>/.iam-m2m-local/synth/<hash>`), then those of this package (the SDK it carries), as
 * Lambda's runtime has the SDK whatever the app installed. The assembly folder is the code
 * folder's parent unless given (inline code has none).
 */
export const runtimeModulesFolders = (fn: FunctionModel, assemblyDir?: string): string[] => {
  const app = appFolder(fn, assemblyDir);
  return app === undefined ? [CARRIED_FROM] : [app, CARRIED_FROM];
};

/** The cloud assembly's folder, where the app's installed packages are looked up from. */
const appFolder = (fn: FunctionModel, assemblyDir: string | undefined): string | undefined =>
  assemblyDir ?? (fn.codeDir === undefined ? undefined : dirname(fn.codeDir));

/** The folder of an installed package: `<dir>/node_modules/<name>` in `from` or the nearest folder above it holding one. */
export function installedPackage(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const folder = join(dir, 'node_modules', name);
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dir === dirname(dir)) return undefined;
  }
}

// `from"x"`, `import"x"`, `import("x")`, `require("x")` (`__require` in esbuild's ESM output), for
// the packages a runtime can provide, as esbuild leaves external imports in a bundle. The first
// group is the parenthesis of a dynamic `import("x")`: loaded only when that code runs.
const IMPORTED = /(?:\bfrom|\bimport|require\s*\()\s*(\()?\s*["'`](@aws-sdk\/[a-z0-9._-]+|aws-sdk)(?=[/"'`])/g;

/** How code imports a package: loaded with it (`import … from`, `require`), or by a dynamic `import()` when that code runs. */
export type ImportKind = 'static' | 'dynamic';

/** The JavaScript files of a code folder (its own `node_modules` and a `.git` aside), paths relative to it. */
function scriptsOf(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) return ['node_modules', '.git'].includes(entry.name) ? [] : scriptsOf(dir, path);
    return /\.[cm]?js$/.test(entry.name) ? [path] : [];
  });
}

/**
 * The runtime-providable packages a function's code imports, by a scan of its text (cheap, and
 * enough for bundles), and how: `dynamic` when every import of it is a dynamic `import()`.
 */
export function runtimePackageImports(fn: FunctionModel): Map<string, ImportKind> {
  const texts = fn.codeDir
    ? scriptsOf(fn.codeDir).map((path) => readFileSync(join(fn.codeDir as string, path), 'utf8'))
    : [fn.inlineCode ?? ''];
  const kinds = new Map<string, ImportKind>();
  for (const match of texts.flatMap((text) => [...text.matchAll(IMPORTED)])) {
    const name = match[2] as string;
    if (kinds.get(name) !== 'static') kinds.set(name, match[1] ? 'dynamic' : 'static');
  }
  return new Map([...kinds].sort(([a], [b]) => a.localeCompare(b)));
}

/** The runtime-providable packages a function's code imports, by a scan of its text. */
export const importedRuntimePackages = (fn: FunctionModel): string[] => [...runtimePackageImports(fn).keys()];

/** The lock file that names an app's package manager, and how that manager adds a development dependency. */
const INSTALLERS: [lockFile: string, command: string][] = [
  ['pnpm-lock.yaml', 'pnpm add -D'],
  ['yarn.lock', 'yarn add -D'],
  ['bun.lock', 'bun add -d'],
  ['bun.lockb', 'bun add -d'],
  ['package-lock.json', 'npm install -D'],
];

/** How to install a package in the app: with the package manager of the nearest lock file from `from` up, else npm. */
export function installCommand(name: string, from: string | undefined): string {
  for (let dir = from; dir !== undefined; dir = dir === dirname(dir) ? undefined : dirname(dir)) {
    const found = INSTALLERS.find(([lockFile]) => existsSync(join(dir as string, lockFile)));
    if (found) return `${found[1]} ${name}`;
  }
  return `npm install -D ${name}`;
}

/**
 * One warning line per module a function's code imports that its Lambda runtime provides and
 * that neither its code folder, nor the app, nor this package has installed: such a function
 * runs on AWS but fails here with `Cannot find module`, until the app installs it. A module only
 * imported dynamically (`await import(…)` on an opt-in path, as the middleware's `assumeRole`)
 * fails only if that code runs: its line says so. Functions that cannot run here are left out
 * (they have their own warning).
 *
 * @param assemblyDir the cloud assembly's folder (needed for inline code). @default each code folder's parent
 *
 * @example
 * ```ts
 * for (const line of runtimeModuleWarnings(model.functions, 'cdk.out')) warn(line);
 * // function client (nodejs24.x) imports @aws-sdk/client-s3, which the Lambda runtime provides;
 * // install it in the app so it runs here: npm install -D @aws-sdk/client-s3
 * ```
 */
export function runtimeModuleWarnings(functions: readonly FunctionModel[], assemblyDir?: string): string[] {
  return functions.flatMap((fn) => {
    const patterns = runtimeModulePatterns(fn.runtime);
    if (fn.unsupported || patterns.length === 0) return [];
    const folders = runtimeModulesFolders(fn, assemblyDir ?? fn.assemblyDir);
    const imports = runtimePackageImports(fn);
    return [...imports.keys()]
      .filter((name) => matchesPattern(name, patterns))
      .filter((name) => !(fn.codeDir && existsSync(join(fn.codeDir, 'node_modules', name, 'package.json'))))
      .filter((name) => folders.every((folder) => installedPackage(name, folder) === undefined))
      .map((name) => {
        const install = installCommand(name, appFolder(fn, assemblyDir ?? fn.assemblyDir));
        return imports.get(name) === 'dynamic'
          ? `function ${fn.name} (${fn.runtime}) may import ${name} (a dynamic import), which the Lambda runtime provides: if that code runs here without it, it fails; ${install}`
          : `function ${fn.name} (${fn.runtime}) imports ${name}, which the Lambda runtime provides; install it in the app so it runs here: ${install}`;
      });
  });
}
