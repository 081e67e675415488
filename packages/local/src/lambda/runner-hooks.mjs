// Module loading as in a Lambda execution environment: the code folder is all there is
// (`/var/task`), so a `.js` file is CommonJS unless a package.json inside that folder says
// `"type": "module"`, whatever a package.json above the folder on this machine says.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let root = '';
let nodePath = [];

export function initialize(data) {
  root = data.root.endsWith(sep) ? data.root : `${data.root}${sep}`;
  nodePath = (data.nodePath ?? '').split(':').filter(Boolean);
}

/**
 * A bare specifier the code folder does not have (`@aws-sdk/client-sts`) is looked up in
 * NODE_PATH's folders, for `import` as for `require`: Lambda's Node.js runtime provides the
 * AWS SDK there (`/var/runtime/node_modules`) to both kinds of modules.
 */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || /^[./]|^[a-z]+:/i.test(specifier)) throw error;
    for (const dir of nodePath) {
      try {
        return await nextResolve(specifier, { ...context, parentURL: pathToFileURL(join(dir, 'noop.js')).href });
      } catch {}
    }
    throw error;
  }
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
