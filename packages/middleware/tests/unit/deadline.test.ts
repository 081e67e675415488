import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadlineSignal } from '../../src/deadline.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('deadlineSignal: one AbortSignal.timeout for the calls whose deadlines fall together', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts with a TimeoutError at the deadline, not before', async () => {
    // Prepare
    const signal = deadlineSignal(80);

    // Act
    await sleep(20);
    const early = signal.aborted;
    await sleep(150);

    // Assess
    expect(early).toBe(false);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('fires deadlines in their order, whatever the order they were armed in', async () => {
    // Prepare
    const fired: number[] = [];
    const signals = [150, 30, 90, 0].map((ms) => {
      const signal = deadlineSignal(ms);
      signal.addEventListener('abort', () => fired.push(ms));
      return signal;
    });

    // Act
    await sleep(250);

    // Assess
    expect(fired).toEqual([0, 30, 90, 150]);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('an earlier deadline armed after a later one is not delayed by it', async () => {
    // Prepare
    const late = deadlineSignal(10_000);
    const started = performance.now();
    const early = deadlineSignal(40);

    // Act
    await new Promise((resolve) => early.addEventListener('abort', resolve));

    // Assess
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(late.aborted).toBe(false);
  });

  it('calls armed together with one budget share a signal; a shorter budget never waits for a longer one', () => {
    // Act
    const first = deadlineSignal(10_000);
    const second = deadlineSignal(10_000);
    const shorter = deadlineSignal(5_000);

    // Assess
    expect(second).toBe(first);
    expect(shorter).not.toBe(first);
  });

  it('holds nothing of a signal nobody uses any more', async () => {
    // Prepare: a deadline whose signal is dropped at once.
    let done = false;
    const registry = new FinalizationRegistry<void>(() => {
      done = true;
    });
    registry.register(deadlineSignal(60_000), undefined);

    // Act: collect garbage until the signal is gone (the deadline must not keep it).
    (await import('node:v8')).setFlagsFromString('--expose-gc');
    const collect = (await import('node:vm')).runInNewContext('gc') as () => void;
    for (let i = 0; i < 50 && !done; i++) {
      collect();
      await sleep(20);
    }

    // Assess
    expect(done).toBe(true);
  });

  it('recovers when its timer was lost (fake timers swapped in and out under it)', async () => {
    // Prepare: the timer of this deadline is a fake one, never run.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const lost = deadlineSignal(10);
    vi.useRealTimers();
    await sleep(1_100);

    // Act
    const next = deadlineSignal(20);
    await sleep(200);

    // Assess
    expect(lost.aborted).toBe(true);
    expect(next.aborted).toBe(true);
  });
});
