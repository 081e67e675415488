import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under `dir` as `relative path → size`, in one order. */
function filesOf(dir: string, prefix = '', out = new Map<string, number>()): Map<string, number> {
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) filesOf(dir, path, out);
    else out.set(path, statSync(join(dir, path)).size);
  }
  return out;
}

/**
 * Whether two code folders hold the same code: the same folder, or the same files with the same
 * bytes. A synth after a code-only reload writes the code that reload built into a folder of
 * another name, and the function need not start afresh for that.
 */
export function sameCodeFolder(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (realpathSync(a) === realpathSync(b)) return true;
  const left = filesOf(a);
  const right = filesOf(b);
  if (left.size !== right.size) return false;
  for (const [path, size] of left) if (right.get(path) !== size) return false;
  for (const path of left.keys()) if (!readFileSync(join(a, path)).equals(readFileSync(join(b, path)))) return false;
  return true;
}
