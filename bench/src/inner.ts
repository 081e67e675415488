import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedSynth, LocalStack } from '@iam-m2m/local';
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
  warm.stack.reload(next.assemblyDir);
  const outcome = await warm.stack.runtime('requestor')?.invoke({});
  const reloadMs = performance.now() - reloadStarted;
  await warm.stack.close();
  if (!outcome?.ok) throw new Error('the requestor failed after a reload');
  return {
    fullSynthMs: round(fullSynthMs, 0),
    coldStartMs: round(cold.ms, 0),
    warmStartMs: round(warm.ms, 0),
    warmRatio: round(warm.ms / cold.ms, 2),
    reloadMs: round(reloadMs, 0),
  };
}
