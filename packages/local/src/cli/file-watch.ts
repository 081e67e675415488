import { type FSWatcher, statSync, watch } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { appInputs, excludedName, readCdkJson, watchRoots } from './app-inputs.js';

/** Options of {@link watchApp}. */
export interface WatchOptions {
  /** How long changes gather before one call. @default 250 */
  debounceMs?: number;
  /** More files to watch, wherever they are (a function's imports). @default none */
  also?: () => Set<string>;
  /** Files the server itself writes (its state file, decisions, traces): never a change. @default none */
  ignore?: string[];
}

/**
 * Calls `onChange` with the changed files (debounced, never two calls at once) when an input of
 * the app ({@link appInputs}) or an `also` file changes, is made or is deleted (a file that was an
 * input at the last look and is gone is a change too). Each folder holding one is watched on its
 * own, not recursively: a folder's watch survives an editor's save by rename, which a recursive
 * watch of Node 20 on Linux loses track of; the folders are looked up again after each change.
 * `ignore` would otherwise reload the server on each of its own writes.
 *
 * @returns a function that stops watching.
 */
export function watchApp(
  dir: string,
  onChange: (files: string[]) => Promise<void>,
  options: WatchOptions = {},
): () => void {
  const also = options.also ?? (() => new Set<string>());
  let known = new Set(appInputs(dir));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let changed = new Set<string>();
  const run = () => {
    if (running || folders.stopped) return;
    // An editor's temporary files come and go: a file counts if it is an input now, was one at
    // the last look (deleted since), or a bundle read it.
    const inputs = new Set(appInputs(dir));
    const extra = also();
    const files = [...changed].filter((file) => inputs.has(file) || known.has(file) || extra.has(file)).sort();
    known = inputs;
    changed = new Set();
    if (files.length === 0) return;
    running = onChange(files).finally(() => {
      running = undefined;
      known = new Set(appInputs(dir));
      folders.refresh();
      run();
    });
  };
  const folders = watchFolders(
    () =>
      new Set([...watchRoots(dir, readCdkJson(dir)), ...[...appInputs(dir), ...also()].map((file) => dirname(file))]),
    (file) => options.ignore?.includes(file) === true || relative(dir, file).split(sep).some(excludedName),
    (file) => {
      changed.add(file);
      clearTimeout(timer);
      timer = setTimeout(run, options.debounceMs ?? 250);
    },
  );
  return () => {
    folders.stop();
    clearTimeout(timer);
  };
}

/**
 * Watches each folder `wanted` names, on its own, and calls `noted` with each path an event
 * names, unless `skipped`. A folder made (or made again) is watched once `refresh` looks again,
 * which the event of a folder made triggers.
 */
function watchFolders(wanted: () => Set<string>, skipped: (path: string) => boolean, noted: (path: string) => void) {
  const watchers = new Map<string, { watcher: FSWatcher; inode: number }>();
  const state = {
    stopped: false,
    refresh(): void {
      if (state.stopped) return;
      const folders = wanted();
      // A folder removed, or removed and made again: a watch does not follow it to the new one.
      for (const [folder, { watcher, inode }] of watchers)
        if (!folders.has(folder) || statSync(folder, { throwIfNoEntry: false })?.ino !== inode) {
          watcher.close();
          watchers.delete(folder);
        }
      for (const folder of folders) {
        const inode = statSync(folder, { throwIfNoEntry: false })?.ino;
        if (watchers.has(folder) || inode === undefined) continue;
        const watcher = watch(folder, (_event, name) => {
          const path = name ? join(folder, name.toString()) : folder;
          if (skipped(path)) return;
          if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) state.refresh(); // a folder made or made again
          noted(path);
        });
        watcher.on('error', () => {
          watcher.close();
          watchers.delete(folder);
        });
        watchers.set(folder, { watcher, inode });
      }
    },
    stop(): void {
      state.stopped = true;
      for (const { watcher } of watchers.values()) watcher.close();
    },
  };
  state.refresh();
  return state;
}
