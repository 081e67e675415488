/**
 * Which requests without a sampling decision of their own are traced:
 * - `all`: every one, so every trace a test or a person reads is whole (the local default);
 * - `aws`: as AWS's default sampling rule does for API Gateway stages and Lambda's active
 *   tracing, the first request each second and 5 % of the others, each stage and function on its
 *   own ("the X-Ray SDK records the first request each second, and five percent of any
 *   additional requests", https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html;
 *   Lambda: "1 request per second and 5 percent of additional requests",
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html). A request that carries a
 *   decision (`Sampled=1` or `0`) keeps it either way.
 */
export type TraceSampling = 'all' | 'aws';

/** The default rule's reservoir (requests a second) and fixed rate. */
export const RESERVOIR_PER_SECOND = 1;
export const FIXED_RATE = 0.05;

/**
 * Sampling decisions by {@link TraceSampling}, with a reservoir per resource (a stage, a function).
 *
 * @example
 * ```ts
 * const sampler = new TraceSampler('aws');
 * sampler.sample('arn:aws:lambda:us-east-1:111111111111:function:hello'); // true: the first this second
 * ```
 */
export class TraceSampler {
  readonly #reservoirs = new Map<string, { second: number; used: number }>();

  public constructor(
    public readonly mode: TraceSampling = 'all',
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a request to `resource` that brought no decision is traced. */
  public sample(resource: string): boolean {
    if (this.mode === 'all') return true;
    const second = Math.floor(this.now() / 1000);
    let reservoir = this.#reservoirs.get(resource);
    if (!reservoir || reservoir.second !== second) {
      reservoir = { second, used: 0 };
      this.#reservoirs.set(resource, reservoir);
    }
    if (reservoir.used < RESERVOIR_PER_SECOND) {
      reservoir.used++;
      return true;
    }
    return this.random() < FIXED_RATE;
  }
}
