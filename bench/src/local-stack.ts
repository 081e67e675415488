// The local stack as users run it (`iam-m2m-local serve`, its own process) against the limit for
// its shape, and under load (issue 29): one run, interleaved, the same client for both.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedSynth } from '@iam-m2m/local';
import { createIamClient } from '@iam-m2m/middleware';
import { credentials, rps, startVerifyingServer } from './overhead.js';
import { median, round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** One concurrency of the share: the limit's and the stack's signed rps, and each server's CPU per call. */
export interface ShareRow {
  concurrency: number;
  limitRps: number;
  signedRps: number;
  /** signedRps / limitRps (goal ≥ 0.75). */
  share: number;
  /** The server process's CPU per call, µs (Linux: /proc; absent elsewhere). */
  limitServerCpuUs?: number | undefined;
  stackServerCpuUs?: number | undefined;
}

export interface GatewayLoad {
  concurrency: number;
  requests: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** The server's RSS after warm-up, and after this load. */
  rssBeforeMb: number;
  rssAfterMb: number;
}

/** `bench/results.json`'s `localStack`. */
export interface LocalStackBench {
  share: ShareRow[];
  /** The server's RSS after the heaviest 20,000-call load minus after warm-up, MB (goal ≤ 64). */
  rssGrowthMb: number;
  load: GatewayLoad[];
}

interface Server {
  url: string;
  stop: () => void;
  /** User + system CPU of the server process so far, µs; undefined where /proc is not there. */
  cpuUs: () => number | undefined;
  rssMb: () => number;
  get: () => Promise<Response>;
}

const TICK_US = 10_000; // USER_HZ = 100 on Linux

function cpuOf(pid: number | undefined): () => number | undefined {
  return () => {
    const file = `/proc/${pid}/stat`;
    if (pid === undefined || !existsSync(file)) return undefined;
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    const fields = readFileSync(file, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  };
}

const rssOf = (pid: number | undefined) => () =>
  Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;

/** A signed GET that must answer 200. */
function signedGet(url: string, client: ReturnType<typeof createIamClient>): () => Promise<Response> {
  return async () => {
    const response = await client.get(url);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status} to a signed call`);
    return response;
  };
}

/** The limit: the verifying server with one IPC round trip per request, in its own process. */
async function startLimit(): Promise<Server> {
  const server = await startVerifyingServer(true);
  const client = createIamClient({ credentials, region: 'us-east-1', maxAttempts: 1 });
  return {
    url: server.url,
    stop: server.stop,
    cpuUs: cpuOf(server.pid),
    rssMb: rssOf(server.pid),
    get: signedGet(server.url, client),
  };
}

/** `iam-m2m-local serve` on this repo's app (its own synth), called as its operator. */
async function startServe(): Promise<Server & { dir: string }> {
  const { assemblyDir } = await cachedSynth({ dir: join(root, 'packages/infra') });
  const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-serve-'));
  const stateFile = join(dir, 'state.json');
  const cli = join(root, 'packages/local/src/cli.ts');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'serve', '--assembly', assemblyDir, '--state', stateFile, '--port', '0'],
    { stdio: ['ignore', 'ignore', 'ignore'], cwd: join(root, 'packages/local') },
  );
  const started = Date.now();
  while (!existsSync(stateFile)) {
    if (child.exitCode !== null || Date.now() - started > 60_000)
      throw new Error(`iam-m2m-local serve did not start (exit ${child.exitCode})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  const operator = state.principals.find((p: { name: string }) => p.name === 'operator');
  const url: string = state.apis[0].url;
  const client = createIamClient({ credentials: operator, region: state.region, maxAttempts: 1 });
  return {
    dir,
    url,
    stop: () => child.kill(),
    cpuUs: cpuOf(child.pid),
    rssMb: rssOf(child.pid),
    get: signedGet(url, client),
  };
}

/** Interleaved rounds on both servers: the median rps and server CPU per call of each. */
async function shareAt(limit: Server, stack: Server, concurrency: number, rounds = 7): Promise<ShareRow> {
  const total = concurrency === 1 ? 600 : 2000;
  for (const server of [limit, stack]) await rps(server.get, total, concurrency);
  const runs = { limit: [] as number[], stack: [] as number[], limitCpu: [] as number[], stackCpu: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    for (const [name, server] of [
      ['limit', limit],
      ['stack', stack],
    ] as const) {
      const before = server.cpuUs();
      runs[name].push(await rps(server.get, total, concurrency));
      const after = server.cpuUs();
      if (before !== undefined && after !== undefined) runs[`${name}Cpu`].push((after - before) / total);
    }
  }
  const limitRps = median(runs.limit);
  const signedRps = median(runs.stack);
  return {
    concurrency,
    limitRps: round(limitRps, 0),
    signedRps: round(signedRps, 0),
    share: round(signedRps / limitRps, 3),
    limitServerCpuUs: runs.limitCpu.length ? round(median(runs.limitCpu), 0) : undefined,
    stackServerCpuUs: runs.stackCpu.length ? round(median(runs.stackCpu), 0) : undefined,
  };
}

/** A bounded load of signed clients: errors, latency percentiles, the server's RSS. */
async function load(stack: Server, concurrency: number, requests: number, rssBeforeMb: number): Promise<GatewayLoad> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) {
        const began = performance.now();
        await stack.get().catch(() => errors++);
        latencies.push(performance.now() - began);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0, 1);
  return {
    concurrency,
    requests,
    errors,
    rps: round(requests / seconds, 0),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    rssBeforeMb: round(rssBeforeMb, 0),
    rssAfterMb: round(stack.rssMb(), 0),
  };
}

/**
 * The local stack's share of the limit at c=1 and c=32, then 20,000 signed calls at c=32 and
 * c=64 with the server's memory before (after warm-up) and after.
 */
export async function measureLocalStack(requests = 20_000): Promise<LocalStackBench> {
  const limit = await startLimit();
  const stack = await startServe();
  try {
    const share = [await shareAt(limit, stack, 1), await shareAt(limit, stack, 32)];
    limit.stop();
    // Warm-up: every environment started and warm, the server's memory where it settles.
    await rps(stack.get, 5000, 64);
    const settled = stack.rssMb();
    const loads = [await load(stack, 32, requests, settled), await load(stack, 64, requests, settled)];
    const rssGrowthMb = round(Math.max(...loads.map((l) => l.rssAfterMb)) - settled, 0);
    return { share, rssGrowthMb, load: loads };
  } finally {
    limit.stop();
    stack.stop();
    rmSync(stack.dir, { recursive: true, force: true });
  }
}
