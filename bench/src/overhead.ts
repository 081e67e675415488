import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIamClient } from '@iam-m2m/middleware';
import { build } from 'esbuild';
import { median, round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

// A minimal HTTP server in its own process, so client and server do not share one event loop.
const SERVER = `const s=require('node:http').createServer((q,r)=>{q.resume();q.on('end',()=>r.end('{"ok":true}'))});s.keepAliveTimeout=60000;s.listen(0,'127.0.0.1',()=>process.send(s.address().port));`;

export interface Server {
  url: string;
  stop: () => void;
  pid: number | undefined;
}

async function serve(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Server> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env });
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(Number(p))));
  return { url: `http://127.0.0.1:${port}/prod/`, stop: () => child.kill(), pid: child.pid };
}

const startServer = (): Promise<Server> => serve(['-e', SERVER]);

/**
 * The verifying server (bench/fixtures/verifying-server.ts), bundled and run in its own process;
 * with `ipc`, one IPC round trip per request too (the local stack's limit).
 */
export async function startVerifyingServer(ipc = false): Promise<Server> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'iam-m2m-verifier-')), 'server.mjs');
  await build({
    entryPoints: [join(root, 'bench/fixtures/verifying-server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'silent',
  });
  return serve([outfile], {
    ...process.env,
    BENCH_ACCESS_KEY_ID: credentials.accessKeyId,
    BENCH_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    BENCH_SESSION_TOKEN: credentials.sessionToken,
    BENCH_IPC: ipc ? '1' : '0',
  });
}

/** Requests per second for `total` calls with `concurrency` in flight. */
export async function rps(call: () => Promise<unknown>, total: number, concurrency: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await call();
    }),
  );
  return total / ((performance.now() - start) / 1000);
}

/** Requests per second and this process's CPU µs per call (user + system). */
export async function rpsAndCpu(call: () => Promise<unknown>, total: number, concurrency: number) {
  const before = process.cpuUsage();
  const perSecond = await rps(call, total, concurrency);
  const cpu = process.cpuUsage(before);
  return { rps: perSecond, cpuUs: (cpu.user + cpu.system) / total };
}

/** Interleaved rounds of two calls; the median rps and client CPU µs per call of each. */
async function compare(a: () => Promise<unknown>, b: () => Promise<unknown>, total: number, concurrency: number) {
  await rps(a, Math.ceil(total / 5), concurrency);
  await rps(b, Math.ceil(total / 5), concurrency);
  const first: { rps: number; cpuUs: number }[] = [];
  const second: { rps: number; cpuUs: number }[] = [];
  for (let round = 0; round < 5; round++) {
    first.push(await rpsAndCpu(a, total, concurrency));
    second.push(await rpsAndCpu(b, total, concurrency));
  }
  const summary = (runs: { rps: number; cpuUs: number }[]) => ({
    rps: median(runs.map((r) => r.rps)),
    cpuUs: median(runs.map((r) => r.cpuUs)),
  });
  return [summary(first), summary(second)] as const;
}

export const credentials = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLEtoken',
};

export interface Overhead {
  concurrency: number;
  unsignedRps: number;
  signedRps: number;
  ratio: number;
  /** The client process's CPU per call, µs (median of the rounds). */
  unsignedCpuUs: number;
  signedCpuUs: number;
}

/**
 * Signed (`context.iamClient`) vs unsigned `fetch` against one server, interleaved: the
 * minimal server (answers everything, verifies nothing) by default, or with `verifying` the
 * one that verifies every signature as API Gateway would (unsigned calls get its 403).
 */
export async function measureOverhead(concurrencies = [1, 32], verifying = false): Promise<Overhead[]> {
  const server = verifying ? await startVerifyingServer() : await startServer();
  const client = createIamClient({ credentials, region: 'us-east-1' });
  const unsigned = () => fetch(server.url).then((r) => r.arrayBuffer());
  const signed = () =>
    client.get(server.url).then((r) => {
      if (r.status !== 200) throw new Error(`The bench server answered ${r.status} to a signed call.`);
      return r.arrayBuffer();
    });
  const results: Overhead[] = [];
  try {
    for (const concurrency of concurrencies) {
      const [u, s] = await compare(unsigned, signed, concurrency === 1 ? 1500 : 4000, concurrency);
      results.push({
        concurrency,
        unsignedRps: round(u.rps, 0),
        signedRps: round(s.rps, 0),
        ratio: round(s.rps / u.rps, 3),
        unsignedCpuUs: round(u.cpuUs, 1),
        signedCpuUs: round(s.cpuUs, 1),
      });
    }
  } finally {
    server.stop();
  }
  return results;
}
