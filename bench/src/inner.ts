import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodeReloader, cachedSynth, LocalStack } from '@iam-m2m/local';
import { round } from './stats.js';

const infra = fileURLToPath(new URL('../../packages/infra/', import.meta.url));

/** The inner loop (issue 19), in one run: a full synth, a cold and a warm start, a reload. */
export interface InnerLoop {
  /** A synth of this repo's app, no cache. */
  fullSynthMs: number;
  /** What `pnpm start` does with nothing cached: synth, start, one requestor invocation. */
  coldStartMs: number;
  /** The same with the synth cached (inputs unchanged). */
  warmStartMs: number;
  /** warm / cold (target ≤ 0.33). */
  warmRatio: number;
  /** A running stack swapping in a new synth until its first answer: synth + reload + one invocation. */
  reloadMs: number;
  /**
   * A change to hello-world's code alone until the first answer through it: esbuild for that one
   * function (the command its NodejsFunction ran), the reload, one requestor invocation. `serve
   * --watch` adds its 250 ms debounce to this.
   */
  codeReloadMs?: number;
  /** esbuild's part of `codeReloadMs`. */
  codeReloadEsbuildMs?: number;
  /** codeReloadMs − esbuild's time (target ≤ 1 s). */
  codeReloadOverEsbuildMs?: number;
}

async function startAndInvoke(
  synth: () => Promise<{ assemblyDir: string }>,
): Promise<{ ms: number; stack: LocalStack }> {
  const started = performance.now();
  const { assemblyDir } = await synth();
  const stack = await LocalStack.start({
    assemblyDir,
    functionOutput: 'ignore',
    seedFile: join(infra, '.iam-m2m-local', 'seed'),
  });
  const outcome = await stack.runtime('requestor')?.invoke({});
  if (!outcome?.ok) throw new Error('the requestor failed in the inner-loop benchmark');
  return { ms: performance.now() - started, stack };
}

/** Measures the inner loop on this repo's app (one account). */
export async function measureInnerLoop(): Promise<InnerLoop> {
  const cold = await startAndInvoke(() => cachedSynth({ dir: infra }, { cache: false }));
  await cold.stack.close();
  const fullStarted = performance.now();
  await cachedSynth({ dir: infra }, { cache: false });
  const fullSynthMs = performance.now() - fullStarted;
  await cachedSynth({ dir: infra });
  const warm = await startAndInvoke(() => cachedSynth({ dir: infra }));
  const reloadStarted = performance.now();
  const next = await cachedSynth({ dir: infra }, { cache: false });
  await warm.stack.reload(next.assemblyDir);
  const outcome = await warm.stack.runtime('requestor')?.invoke({});
  const reloadMs = performance.now() - reloadStarted;
  if (!outcome?.ok) throw new Error('the requestor failed after a reload');
  const code = await codeReload(warm.stack, next.assemblyDir).finally(() => warm.stack.close());
  return {
    fullSynthMs: round(fullSynthMs, 0),
    coldStartMs: round(cold.ms, 0),
    warmStartMs: round(warm.ms, 0),
    warmRatio: round(warm.ms / cold.ms, 2),
    reloadMs: round(reloadMs, 0),
    codeReloadMs: round(code.ms, 0),
    codeReloadEsbuildMs: round(code.esbuildMs, 0),
    codeReloadOverEsbuildMs: round(code.ms - code.esbuildMs, 0),
  };
}

/** hello-world's code rebuilt alone (as after a save), swapped in, answering through the requestor. */
async function codeReload(stack: LocalStack, assemblyDir: string): Promise<{ ms: number; esbuildMs: number }> {
  const workDir = join(infra, '.iam-m2m-local', 'code', `bench-${process.pid}`);
  try {
    const reloader = await CodeReloader.of(infra, assemblyDir, stack.model, workDir);
    if (typeof reloader === 'string') throw new Error(`no code-only reload for this repo's app: ${reloader}`);
    const started = performance.now();
    const plan = reloader.plan([fileURLToPath(new URL('../../packages/handlers/src/hello-world.ts', import.meta.url))]);
    if ('reason' in plan) throw new Error(`hello-world.ts takes a synth: ${plan.reason}`);
    const built = await reloader.rebuild(plan.bundles);
    const summary = await stack.reload(built.assemblyDir);
    const outcome = await stack.runtime('requestor')?.invoke({});
    const ms = performance.now() - started;
    if (!outcome?.ok || summary.functions.changed.join() !== 'hello-world')
      throw new Error(
        `the code-only reload rebuilt ${summary.functions.changed.join(', ')}; the requestor answered ${outcome?.ok}`,
      );
    return { ms, esbuildMs: built.esbuildMs };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
