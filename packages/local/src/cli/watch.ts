import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LocalStack, ReloadSummary } from '../stack.js';
import { CodeReloader } from './code-reload.js';
import { alive, cachedSynth, listFolder, type Synthesized, watchApp } from './synth.js';

const say = (line: string) => process.stderr.write(`iam-m2m-local: ${line}\n`);
const seconds = (ms: number) => (ms / 1000).toFixed(1);

/**
 * `serve --watch`: reloads the served stack when an input of the app changes. A change that only
 * function bundles read is built again with esbuild alone ({@link CodeReloader}); any other takes
 * a full synth (cached on the app's inputs). One line per reload: what changed and how long it
 * took; a failed reload keeps the last good app serving. The state file is rewritten each time.
 *
 * @returns a function that stops watching and removes the code-only builds.
 */
export async function watchAndReload(
  stack: LocalStack,
  options: { appDir: string; assemblyDir: string; stateFile: string; written: string[] },
) {
  const { appDir, stateFile } = options;
  const codeDir = join(appDir, '.iam-m2m-local', 'code');
  removeBuilds(codeDir, (pid) => pid !== process.pid && !alive(pid));
  let reloader: CodeReloader | undefined;
  let off: string | undefined;
  let watching = false;
  const prepare = async (dir: string) => {
    const found = await CodeReloader.of(appDir, dir, stack.model, codeDir).catch(
      (error: Error) => `the synth's records cannot be read: ${error.message.split('\n')[0]}`,
    );
    reloader = typeof found === 'string' ? undefined : found;
    const reason = typeof found === 'string' ? found : undefined;
    if (watching && reason !== off) say(reason ? `code-only reloads are off: ${reason}` : 'code-only reloads are on');
    off = reason;
  };
  await prepare(options.assemblyDir);
  const stop = watchApp(
    appDir,
    async (files) => {
      const started = performance.now();
      try {
        const plan = reloader?.plan(files);
        const code = reloader && plan && 'bundles' in plan ? await reloader.rebuild(plan.bundles) : undefined;
        const next = code ? undefined : await cachedSynth({ dir: appDir });
        const summary = stack.reload(code?.assemblyDir ?? (next as Synthesized).assemblyDir);
        if (next) reloader = undefined; // it builds on the assembly served until now
        stack.writeState(stateFile);
        const how = code
          ? `code only, esbuild ${seconds(code.esbuildMs)} s`
          : next?.cached
            ? 'synth cached'
            : `synth${plan && 'reason' in plan ? `: ${plan.reason}` : ''}`;
        say(`reloaded in ${seconds(performance.now() - started)} s (${how}): ${reloadLine(summary)}`);
        if (next) await prepare(next.assemblyDir);
      } catch (error) {
        const cause = (error as Error).message.split('\n').filter(Boolean).slice(0, 2).join(' ');
        say(`reload failed, still serving the last good app: ${cause}`);
      }
    },
    {
      also: () => reloader?.bundleInputs ?? new Set(),
      ignore: [stateFile, ...options.written].map((file) => resolve(file)),
    },
  );
  say(
    `watching ${appDir} for changes: ${off ? `each takes a synth, since ${off}` : 'one only function code reads is built again with esbuild alone'}`,
  );
  watching = true;
  return () => {
    stop();
    removeBuilds(codeDir, (pid) => pid === process.pid);
  };
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
