import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/** Every entry under `dir` as `relative path → what it is` (a file's size, a link's target), in one order. */
function entriesOf(dir: string, prefix = '', out = new Map<string, string>()): Map<string, string> {
  const names = readdirSync(join(dir, prefix)).sort();
  for (const name of names) {
    const path = join(prefix, name);
    const stat = lstatSync(join(dir, path));
    if (stat.isDirectory()) entriesOf(dir, path, out);
    else if (stat.isSymbolicLink()) out.set(path, `link ${readlinkSync(join(dir, path))}`);
    else out.set(path, `file ${stat.size}`);
  }
  return out;
}

/** Answers by pair of real folders: assembly folders are never written again once made. */
const answers = new Map<string, boolean>();

/**
 * Whether two code folders hold the same code: the same folder, or the same entries with the
 * same bytes (links compared by target). A synth after a code-only reload writes the code that
 * reload built into a folder of another name, and the function need not start afresh for that.
 */
export function sameCodeFolder(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const [left, right] = [realpathSync(a), realpathSync(b)];
  if (left === right) return true;
  const key = `${left}\0${right}`;
  let same = answers.get(key);
  if (same === undefined) {
    const entries = entriesOf(left);
    const others = entriesOf(right);
    same =
      entries.size === others.size &&
      [...entries].every(([path, what]) => others.get(path) === what) &&
      [...entries].every(
        ([path, what]) =>
          !what.startsWith('file') || readFileSync(join(left, path)).equals(readFileSync(join(right, path))),
      );
    answers.set(key, same);
  }
  return same;
}
