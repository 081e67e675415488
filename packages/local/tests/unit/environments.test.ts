// A function's execution environments under concurrency (lambda/environments.ts), over real
// function processes: which environment answered is the process id the function returns.
//
// On Lambda, "when a function receives a request while it's still processing a previous one,
// Lambda initializes another instance" (per-request scaling,
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html); locally `warm` (the
// default) keeps at most one environment a core for fast functions and grows past that only for
// calls left waiting, and `per-request` scales as Lambda does. REPORT's fields:
// https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html#node-logging-output.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Environments } from '../../src/lambda/environments.js';
import { FunctionRuntime, type InvocationResult } from '../../src/lambda/runtime.js';
import { inlineFunctionModel } from '../helpers/function-model.js';

const CORES = availableParallelism();

/** Answers at once with its process id. */
const FAST = 'exports.handler = async () => process.pid;\n';
/** Answers with its process id after 300 ms: no environment comes free while it runs. */
const SLOW = 'exports.handler = async () => { await new Promise((r) => setTimeout(r, 300)); return process.pid; };\n';
/** Holds 32 MB more than an empty function (filled, so resident), for as long as its environment lives. */
const HOLDS_32_MB =
  'exports.handler = async () => { globalThis.kept ??= Buffer.alloc(32 * 2 ** 20, 1); return process.pid; };\n';

/** Answers with its process id once the barrier at `url` lets it through. */
const waitsAt = (url: string) =>
  `exports.handler = async () => { await (await fetch(${JSON.stringify(url)})).text(); return process.pid; };\n`;

/** An HTTP server on 127.0.0.1 that answers no request until `count` have arrived, then all of them. */
async function barrierOf(count: number) {
  const held: ServerResponse[] = [];
  let arrived = 0;
  const server = createServer((_request, response) => {
    arrived++;
    held.push(response);
    if (held.length >= count) for (const waiting of held.splice(0)) waiting.end('through');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/barrier`,
    arrived: () => arrived,
    close: () => {
      for (const waiting of held.splice(0)) waiting.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const runtimes: FunctionRuntime[] = [];
afterEach(() => {
  for (const runtime of runtimes.splice(0)) runtime.close();
});

function runtimeOf(name: string, code: string, environments?: Environments): FunctionRuntime {
  const runtime = new FunctionRuntime(inlineFunctionModel(name, code), {
    environment: {},
    output: 'ignore',
    environments,
  });
  runtimes.push(runtime);
  return runtime;
}

/** `count` invocations at once; every one must answer with a process id. */
async function invokeAtOnce(runtime: FunctionRuntime, count: number): Promise<number[]> {
  const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => runtime.invoke({ call: i })));
  for (const outcome of outcomes) expect(outcome).toMatchObject({ ok: true, result: expect.any(Number) });
  return outcomes.map((outcome) => (outcome as InvocationResult & { result: number }).result);
}

describe(`'warm' (the default): reused environments, one a core (${CORES} here), more only for calls left waiting`, () => {
  it('16 concurrent invocations of a fast function use at most availableParallelism() processes', async () => {
    const runtime = runtimeOf('Fast', FAST);
    const pids = await invokeAtOnce(runtime, 16);
    expect(pids).toHaveLength(16);
    const distinct = new Set(pids);
    expect(distinct.size).toBeGreaterThanOrEqual(1);
    expect(distinct.size).toBeLessThanOrEqual(CORES);
    // None of them is the test's own process: each environment is a process of its own.
    expect(distinct.has(process.pid)).toBe(false);
  });

  it('the environments are reused warm: invocations after a burst run in the burst’s processes', async () => {
    const runtime = runtimeOf('Reused', FAST);
    const burst = new Set(await invokeAtOnce(runtime, 16));
    const after = await invokeAtOnce(runtime, 4);
    for (const pid of after) expect(burst.has(pid)).toBe(true);
  });

  it('a slow function invoked 4 at once gets more environments than the cores (when it has fewer than 4), and all 4 answer', async () => {
    const runtime = runtimeOf('Slow', SLOW);
    const distinct = new Set(await invokeAtOnce(runtime, 4)).size;
    // With 4 cores or more, 4 start at once. With fewer, a call that waited GROW_AFTER_MS with
    // no environment coming free and none starting gets a new one: at least one more than the
    // cores. (How many more depends on how fast processes start: the pool adds one at a time, and
    // a call still waiting when a first one frees up takes that one.)
    if (CORES >= 4) expect(distinct).toBe(4);
    else {
      expect(distinct).toBeGreaterThan(CORES);
      expect(distinct).toBeLessThanOrEqual(4);
    }
  });

  it('4 invocations that wait on one another (as a call back through the stack does) each get an environment', async () => {
    // A barrier on 127.0.0.1: no invocation answers until all 4 are running, so a pool that
    // held a call behind its own callers would time out instead.
    const barrier = await barrierOf(4);
    try {
      const runtime = runtimeOf('Waiting', waitsAt(barrier.url));
      const pids = await invokeAtOnce(runtime, 4);
      expect(new Set(pids).size).toBe(4);
      expect(barrier.arrived()).toBe(4);
    } finally {
      await barrier.close();
    }
  });
});

describe("'per-request': a new environment whenever every one is busy, as Lambda scales", () => {
  it('4 concurrent invocations right after start, none idle, use 4 environments', async () => {
    const runtime = runtimeOf('PerRequest', FAST, 'per-request');
    const pids = await invokeAtOnce(runtime, 4);
    expect(new Set(pids).size).toBe(4);
  });

  it('an idle environment is reused: one invocation after another stays in one process', async () => {
    const runtime = runtimeOf('PerRequestSerial', FAST, 'per-request');
    const pids: number[] = [];
    for (let i = 0; i < 4; i++) pids.push(...(await invokeAtOnce(runtime, 1)));
    expect(new Set(pids).size).toBe(1);
  });
});

describe("REPORT's Max Memory Used: the most memory the environment has held", () => {
  const maxMemoryUsed = (outcome: InvocationResult): number => {
    const report = outcome.log?.split('\n').find((line) => line.startsWith('REPORT RequestId: '));
    expect(report).toContain('\tMemory Size: 128 MB\t');
    const mb = /\tMax Memory Used: (\d+) MB\t/.exec(report ?? '')?.[1];
    expect(mb).toBeDefined();
    return Number(mb);
  };

  it('is a positive number of MB, not beyond 4096', async () => {
    const runtime = runtimeOf('Memory', FAST);
    const used = maxMemoryUsed(await runtime.invoke({}));
    expect(Number.isInteger(used)).toBe(true);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(4096);
  });

  it('counts what the function holds, and never goes down in one environment', async () => {
    const runtime = runtimeOf('Holds', HOLDS_32_MB);
    const first = await runtime.invoke({});
    const second = await runtime.invoke({});
    // One environment (one invocation after the other), so its maximum carries over.
    expect(second.ok && second.result).toBe(first.ok && first.result);
    const [before, after] = [maxMemoryUsed(first), maxMemoryUsed(second)];
    expect(before).toBeGreaterThanOrEqual(32);
    expect(before).toBeLessThanOrEqual(4096);
    expect(after).toBeGreaterThanOrEqual(before);
  });
});
