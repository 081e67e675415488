import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The sha256 of a file's content. */
export const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The real path of a file, or of its folder when the file is gone. */
export function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return join(realPath(dirname(file)) || dirname(file), basename(file));
  }
}

/** What a file changed while a synth ran holds in a record: never the state of a file. */
export const CHANGED_DURING_SYNTH = 'changed during the synth';

/**
 * What a synth may have seen of a path: the sha256 of a file's content, `folder`, or `absent`.
 * A file modified after `since` (epoch ms) may differ from what the synth read: it never matches.
 */
export function pathState(path: string, since?: number): string {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 'absent';
  if (stat.isDirectory()) return 'folder';
  if (since !== undefined && stat.mtimeMs > since) return CHANGED_DURING_SYNTH;
  try {
    return sha256(path);
  } catch {
    return 'unreadable';
  }
}

/**
 * A folder's names, sorted and hashed (`absent` when it is gone), less the names `skip` says
 * never count (this package's outputs, installed packages).
 */
export function listingState(folder: string, skip: (name: string) => boolean): string {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return 'absent';
  }
  const kept = names.filter((name) => !skip(name)).sort();
  return createHash('sha256').update(kept.join('\0')).digest('hex');
}
