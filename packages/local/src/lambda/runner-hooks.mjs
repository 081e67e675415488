// Module loading as in a Lambda execution environment: the code folder is all there is
// (`/var/task`), so a `.js` file is CommonJS unless a package.json inside that folder says
// `"type": "module"`, whatever a package.json above the folder on this machine says; a package
// is the code folder's own or one the runtime provides (`/var/runtime/node_modules`), never one
// installed above the code folder on this machine.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let root = '';
/** The packages the runtime provides (`@aws-sdk/*`, `aws-sdk`), and file URLs in the folders they resolve from, in order. */
let provided = [];
let providedFrom = [];

export function initialize(data) {
  root = data.root.endsWith(sep) ? data.root : `${data.root}${sep}`;
  provided = data.provided ?? [];
  providedFrom = (data.from ?? []).map((folder) => pathToFileURL(join(folder, 'noop.js')).href);
}

/** The package a bare specifier names (`@aws-sdk/client-s3/dist-cjs/x` → `@aws-sdk/client-s3`); undefined for paths and URLs. */
export function packageName(specifier) {
  if (/^[./#]|^[a-z][a-z0-9+.-]*:/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Whether a package is one of the patterns (`@aws-sdk/*` covers the scope), as runtime-modules.ts matches them. */
export const providedBy = (name, patterns) =>
  patterns.some((pattern) => (pattern.endsWith('/*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern));

const inCodeFolder = (url) => url?.startsWith('file:') === true && fileURLToPath(url).startsWith(root);

/** Node's own error for a package an ES module cannot find. */
const packageNotFound = (name, parentURL) =>
  Object.assign(
    new Error(`Cannot find package '${name}' imported from ${parentURL ? fileURLToPath(parentURL) : root}`),
    { code: 'ERR_MODULE_NOT_FOUND' },
  );

/**
 * A bare specifier resolves as Node resolves it, except that code of the code folder finds no
 * package above that folder; a package the runtime provides that the code folder does not have
 * resolves from the app's installed packages, then this package's (`from`), for `import` as for `require`.
 */
export async function resolve(specifier, context, nextResolve) {
  const name = packageName(specifier);
  if (name === undefined) return nextResolve(specifier, context);
  let found;
  let failure;
  try {
    found = await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    failure = error;
  }
  if (found && (!found.url.startsWith('file:') || inCodeFolder(found.url) || !inCodeFolder(context.parentURL)))
    return found;
  if (providedBy(name, provided)) {
    for (const parentURL of providedFrom) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {}
    }
  }
  throw failure ?? packageNotFound(name, context.parentURL);
}

/** The `type` of the nearest package.json from `dir` up, stopping before `stop`; undefined when none. */
function packageType(dir, stop) {
  for (let current = dir; ; current = dirname(current)) {
    if (stop && !`${current}${sep}`.startsWith(stop)) return undefined;
    const manifest = join(current, 'package.json');
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8')).type === 'module' ? 'module' : 'commonjs';
      } catch {
        return 'commonjs';
      }
    }
    if (current === dirname(current)) return undefined;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.js')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  if (!file.startsWith(root) || packageType(dirname(file), root) !== undefined) return nextLoad(url, context);
  // No package.json in the code folder: CommonJS, as Lambda loads it, even where one above says module.
  if (packageType(dirname(root)) !== 'module') return nextLoad(url, context);
  return { format: 'commonjs', source: readFileSync(file), shortCircuit: true };
}
