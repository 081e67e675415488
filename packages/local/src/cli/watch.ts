import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LocalStack, ReloadSummary } from '../stack.js';
import { CodeReloader } from './code-reload.js';
import { watchApp } from './file-watch.js';
import { alive, cachedSynth, listFolder, type Synthesized } from './synth.js';

const say = (line: string) => process.stderr.write(`iam-m2m-local: ${line}\n`);
const seconds = (ms: number) => (ms / 1000).toFixed(1);

/**
 * What the watchers of several apps served together share: every app's assembly served now, one
 * queue of reloads, and each app's retry of a reload that failed (another app's reload may be
 * what it lacked: an export, a stack that clashed).
 */
export interface Together {
  assemblies: string[];
  index: number;
  queue: { last: Promise<unknown> };
  retries: Map<number, () => void>;
}

/** Options of {@link watchAndReload}. */
export interface WatchAndReloadOptions {
  /** The app's folder (its `cdk.json`). */
  appDir: string;
  /** The assembly served now (the app's synth). */
  assemblyDir: string;
  /** Rewritten after each reload. */
  stateFile: string;
  /** The server's other outputs (decisions, traces, policy report): never an input. */
  written: string[];
  /**
   * Of several apps served together, every app's assembly served now (shared by their watchers,
   * so a reload of one serves the others' as they are) and this app's place in it. @default this app alone
   */
  together?: Together | undefined;
}

/**
 * `serve --watch`: reloads the served stack when an input of the app changes. A change that only
 * function bundles read is built again with esbuild alone ({@link CodeReloader}); any other takes
 * a full synth (cached on what the app read). One line per reload: what changed and how long it
 * took; a failed reload keeps the last good app serving, and is tried again, with the files it
 * was for, on the next change (a deletion too). The state file is rewritten each time.
 *
 * @returns a function that stops watching and removes the code-only builds.
 */
export async function watchAndReload(stack: LocalStack, options: WatchAndReloadOptions) {
  const { appDir } = options;
  const codeDir = join(appDir, '.iam-m2m-local', 'code');
  removeBuilds(codeDir, (pid) => pid !== process.pid && !alive(pid));
  const ignore = [options.stateFile, ...options.written].map((file) => resolve(file));
  const reloads = new Reloads(stack, { ...options, codeDir, ignore });
  await reloads.prepare(options.assemblyDir, false);
  let failed: string[] = [];
  const onChange = async (changed: string[]) => {
    const files = [...new Set([...failed, ...changed])].sort();
    const ok = await reloads.reload(files);
    failed = ok ? [] : files;
    const { together } = options;
    if (!together) return;
    // This app's failure waits for another app's next reload; its success may be what others lacked.
    if (ok) for (const [index, retry] of together.retries) if (index !== together.index) retry();
    if (ok) together.retries.delete(together.index);
    else together.retries.set(together.index, () => void onChange([]));
  };
  const stop = watchApp(appDir, onChange, { also: () => reloads.bundleInputs, ignore });
  say(
    `watching ${appDir} for changes: ${reloads.off ? `each takes a synth, since ${reloads.off}` : 'a change only function code reads is built again with esbuild alone, any other takes a synth'}`,
  );
  return () => {
    stop();
    removeBuilds(codeDir, (pid) => pid === process.pid);
  };
}

/** The reloads of one served app: code-only when they can be, else a (cached) synth. */
class Reloads {
  readonly #stack: LocalStack;
  readonly #options: WatchAndReloadOptions & { codeDir: string; ignore: string[] };
  #reloader: CodeReloader | undefined;
  /** Why code-only reloads are off, if they are. */
  public off: string | undefined;

  public constructor(stack: LocalStack, options: WatchAndReloadOptions & { codeDir: string; ignore: string[] }) {
    this.#stack = stack;
    this.#options = options;
  }

  /** The files the served functions' bundles read. */
  public get bundleInputs(): Set<string> {
    return this.#reloader?.bundleInputs ?? new Set();
  }

  /** Reads a synth's records for code-only reloads; says when they turn on or off. */
  public async prepare(assemblyDir: string, announce = true): Promise<void> {
    const { appDir, codeDir } = this.#options;
    const found = await CodeReloader.of(appDir, assemblyDir, this.#stack.model, codeDir).catch(
      (error: Error) => `the synth's records cannot be read: ${error.message.split('\n')[0]}`,
    );
    this.#reloader = typeof found === 'string' ? undefined : found;
    const reason = typeof found === 'string' ? found : undefined;
    if (announce && reason !== this.off)
      say(reason ? `code-only reloads are off: ${reason}` : 'code-only reloads are on');
    this.off = reason;
  }

  /**
   * Serves `assemblyDir` as this app's. Of several apps, one reload at a time, each built from the
   * others' assemblies as they are then: two apps' reloads never undo each other.
   */
  #swap(assemblyDir: string): Promise<ReloadSummary> {
    const together = this.#options.together;
    if (!together) return this.#stack.reload(assemblyDir);
    const run = async () => {
      const served = together.assemblies.map((dir, index) => (index === together.index ? assemblyDir : dir));
      const summary = await this.#stack.reload(served);
      together.assemblies[together.index] = assemblyDir;
      return summary;
    };
    const done = together.queue.last.then(run, run);
    together.queue.last = done.catch(() => undefined);
    return done;
  }

  /** Reloads for changed files; one line either way. @returns whether it reloaded. */
  public async reload(files: string[]): Promise<boolean> {
    const started = performance.now();
    const { appDir, ignore, stateFile } = this.#options;
    try {
      const reloader = this.#reloader;
      const plan = reloader?.plan(files);
      const code = reloader && plan && 'bundles' in plan ? await reloader.rebuild(plan.bundles) : undefined;
      const next = code ? undefined : await cachedSynth({ dir: appDir }, { ignore });
      const assemblyDir = code?.assemblyDir ?? (next as Synthesized).assemblyDir;
      const summary = await this.#swap(assemblyDir);
      if (next) this.#reloader = undefined; // it builds on the assembly served until now
      this.#stack.writeState(stateFile);
      const how = code
        ? `code only, esbuild ${seconds(code.esbuildMs)} s`
        : next?.cached
          ? 'synth cached'
          : `synth${plan && 'reason' in plan ? `: ${plan.reason}` : ''}`;
      const line = `reloaded in ${seconds(performance.now() - started)} s (${how}): ${reloadLine(summary)}`;
      say(line);
      this.#stack.console?.note(line);
      if (next) await this.prepare(next.assemblyDir);
      return true;
    } catch (error) {
      const cause = (error as Error).message.split('\n').filter(Boolean).slice(0, 2).join(' ');
      say(`reload failed, still serving the last good app: ${cause}`);
      this.#stack.console?.note(`reload failed, still serving the last good app: ${cause}`);
      return false;
    }
  }
}

/** Removes the code-only builds (`<pid>-<random>`) of the runs `which` names. */
function removeBuilds(codeDir: string, which: (pid: number) => boolean): void {
  for (const name of listFolder(codeDir)) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && which(pid)) rmSync(join(codeDir, name), { recursive: true, force: true });
  }
}

/** `functions rebuilt: hello; policies changed: role requestor; routes added: GET /prod/new` (or nothing changed). */
function reloadLine(summary: ReloadSummary): string {
  const parts = (
    [
      ['functions rebuilt', summary.functions.changed],
      ['functions added', summary.functions.added],
      ['functions removed', summary.functions.removed],
      ['policies changed', summary.policies],
      ['routes added', summary.routes.added],
      ['routes removed', summary.routes.removed],
    ] as [string, string[]][]
  )
    .filter(([, names]) => names.length > 0)
    .map(([what, names]) => `${what}: ${names.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'nothing the local stack serves changed';
}
