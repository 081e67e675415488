// Which requests without a sampling decision of their own are traced (services/xray/sampling.ts),
// with the sampler's random numbers and clock in the test's hands.
//
// AWS's default sampling rule, which `aws` reproduces per API Gateway stage and per function:
// - X-Ray: "the X-Ray SDK records the first request each second, and five percent of any
//   additional requests" (https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html);
// - Lambda active tracing: "1 request per second and 5 percent of additional requests"
//   (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html).
import { describe, expect, it } from 'vitest';
import { FIXED_RATE, RESERVOIR_PER_SECOND, TraceSampler } from '../../src/services/xray/sampling.js';

const XRAY_DEFAULT_RULE = 'https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html';
const LAMBDA_SAMPLING = 'https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html';

const FUNCTION = 'arn:aws:lambda:us-east-1:111111111111:function:hello';
const STAGE = 'arn:aws:apigateway:us-east-1::/restapis/abc123defg/stages/prod';
/** A whole second, in epoch milliseconds. */
const SECOND = 1_767_225_600_000;

/** A sampler whose random numbers are `draws` in turn (then `rest`), its clock `clock.now`; counts its draws. */
function sampler(mode: 'all' | 'aws', draws: number[] = [], rest = 0.99) {
  const clock = { now: SECOND, draws: 0 };
  const random = () => {
    const value = draws[clock.draws] ?? rest;
    clock.draws++;
    return value;
  };
  return { clock, sampler: new TraceSampler(mode, random, () => clock.now) };
}

describe('the default rule: 1 request a second and 5 % of the others', () => {
  it(`its reservoir and fixed rate are AWS's (${XRAY_DEFAULT_RULE})`, () => {
    expect(RESERVOIR_PER_SECOND).toBe(1);
    expect(FIXED_RATE).toBe(0.05);
  });
});

describe("'all' (the local default): every request is traced", () => {
  it('samples everything, whatever the resource, second or random number', () => {
    const { clock, sampler: all } = sampler('all', [], 0.99);
    for (let i = 0; i < 100; i++) {
      clock.now = SECOND + i * 7;
      expect(all.sample(i % 2 ? FUNCTION : STAGE)).toBe(true);
    }
    // Nothing drawn: no request is left to chance.
    expect(clock.draws).toBe(0);
  });

  it('is what a sampler made without a mode does', () => {
    const all = new TraceSampler(undefined, () => 0.99);
    expect(all.mode).toBe('all');
    for (let i = 0; i < 10; i++) expect(all.sample(FUNCTION)).toBe(true);
  });
});

describe(`'aws': AWS's default rule per resource (${LAMBDA_SAMPLING}, ${XRAY_DEFAULT_RULE})`, () => {
  it('the first request of a second is traced without a draw, however unlucky the draws', () => {
    const { clock, sampler: aws } = sampler('aws', [], 0.99);
    expect(aws.sample(FUNCTION)).toBe(true);
    expect(clock.draws).toBe(0);
    // The reservoir is spent: the others are left to the fixed rate, and lose.
    for (let i = 0; i < 20; i++) expect(aws.sample(FUNCTION)).toBe(false);
    expect(clock.draws).toBe(20);
  });

  it('after the first, a request is traced exactly when random() < 0.05', () => {
    const draws = [0, 0.01, 0.0499, 0.05, 0.050001, 0.5, 0.999];
    const { sampler: aws } = sampler('aws', draws);
    expect(aws.sample(FUNCTION)).toBe(true);
    expect(draws.map(() => aws.sample(FUNCTION))).toEqual(draws.map((draw) => draw < FIXED_RATE));
  });

  it('over evenly spread draws, 5 % of the additional requests are traced, plus the first', () => {
    const additional = 1000;
    const { sampler: aws } = sampler(
      'aws',
      Array.from({ length: additional }, (_, i) => i / additional),
    );
    let traced = 0;
    for (let i = 0; i <= additional; i++) if (aws.sample(FUNCTION)) traced++;
    expect(traced).toBe(1 + additional * FIXED_RATE);
  });

  it('the reservoir refills each second: the first request of the next second is traced again', () => {
    const { clock, sampler: aws } = sampler('aws', [], 0.99);
    // The last millisecond of a second, then the first of the next.
    clock.now = SECOND + 998;
    expect(aws.sample(FUNCTION)).toBe(true);
    clock.now = SECOND + 999;
    expect(aws.sample(FUNCTION)).toBe(false);
    clock.now = SECOND + 1000;
    expect(aws.sample(FUNCTION)).toBe(true);
    expect(aws.sample(FUNCTION)).toBe(false);
    // Seconds without requests change nothing: the next request's second has its own reservoir.
    clock.now = SECOND + 60_000 + 500;
    expect(aws.sample(FUNCTION)).toBe(true);
    expect(aws.sample(FUNCTION)).toBe(false);
  });

  it('one traced request a second at most without draws, over many seconds', () => {
    const { clock, sampler: aws } = sampler('aws', [], 0.99);
    const tracedPerSecond: number[] = [];
    for (let second = 0; second < 5; second++) {
      let traced = 0;
      for (let ms = 0; ms < 1000; ms += 100) {
        clock.now = SECOND + second * 1000 + ms;
        if (aws.sample(FUNCTION)) traced++;
      }
      tracedPerSecond.push(traced);
    }
    expect(tracedPerSecond).toEqual([1, 1, 1, 1, 1]);
  });

  it('resources are independent: each stage and function has its own reservoir', () => {
    const { clock, sampler: aws } = sampler('aws', [], 0.99);
    expect(aws.sample(FUNCTION)).toBe(true);
    expect(aws.sample(FUNCTION)).toBe(false);
    // Another resource in the same second: its own first request.
    expect(aws.sample(STAGE)).toBe(true);
    expect(aws.sample(STAGE)).toBe(false);
    expect(aws.sample(`${FUNCTION}-other`)).toBe(true);
    // Only the requests past each reservoir were drawn for.
    expect(clock.draws).toBe(2);
    // The next second refills both, whichever asks first.
    clock.now += 1000;
    expect(aws.sample(STAGE)).toBe(true);
    expect(aws.sample(FUNCTION)).toBe(true);
  });

  it('a lucky draw traces a request past the reservoir without spending another resource’s', () => {
    const { sampler: aws } = sampler('aws', [0.01]);
    expect(aws.sample(FUNCTION)).toBe(true);
    // Drawn 0.01: traced at the fixed rate.
    expect(aws.sample(FUNCTION)).toBe(true);
    expect(aws.sample(STAGE)).toBe(true);
    expect(aws.sample(STAGE)).toBe(false);
  });
});
