/**
 * Abort signals that fire at a deadline, shared by the calls whose deadlines fall together.
 *
 * `AbortSignal.timeout` costs a timer, a weak reference and a finalization registration per
 * call, and `fetch` pays again for every new signal it follows. Calls made within a few
 * milliseconds of each other with the same budget share one: a deadline may fire up to an
 * eighth of its budget late, 16 ms at most, never early. A timeout signal stays armed while
 * it has listeners and holds nothing once dropped, so these do too.
 */

/** The signal handed out last, and when it fires (performance.now() time). */
let last: { at: number; signal: WeakRef<AbortSignal> } | undefined;

/**
 * An `AbortSignal` that aborts with a `TimeoutError` after `ms` milliseconds, as
 * `AbortSignal.timeout(ms)` does, shared with calls that asked for nearly the same deadline.
 *
 * @example
 * ```ts
 * const response = await fetch(url, { signal: deadlineSignal(2_000) });
 * ```
 */
export function deadlineSignal(ms: number): AbortSignal {
  const at = performance.now() + ms;
  const slack = Math.min(16, ms / 8);
  if (last !== undefined && last.at >= at && last.at <= at + slack) {
    const shared = last.signal.deref();
    if (shared !== undefined && !shared.aborted) return shared;
  }
  // Whole milliseconds, and no more than a timer holds (Node turns a longer delay into 1 ms).
  const delay = Math.min(Math.ceil(ms + slack), 2_147_483_647);
  const signal = AbortSignal.timeout(delay);
  last = { at: at - ms + delay, signal: new WeakRef(signal) };
  return signal;
}
