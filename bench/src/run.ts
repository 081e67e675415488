// pnpm bench: cold start, per-request overhead and signing cost, side by side in one run.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureColdStarts } from './cold-start.js';
import { measureGateway, measureLoad, measureOverhead } from './overhead.js';
import { measureSigning } from './signing.js';
import { round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const log = (line = '') => process.stdout.write(`${line}\n`);
const kb = (bytes: number) => `${round(bytes / 1024, 1)} KB`;

if (!existsSync(join(root, 'packages/infra/cdk.out/manifest.json'))) {
  log('Synthesizing the CDK app for the local gateway benchmark…');
  spawnSync('pnpm', ['--filter', '@iam-m2m/infra', 'run', 'synth'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

log(
  `iam-m2m benchmarks — ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString().slice(0, 10)}`,
);
log();

const cold = await measureColdStarts();
log('Cold start (bundled as the CDK app bundles; init = median import time in 15 fresh Node processes)');
for (const [name, result] of Object.entries(cold))
  log(`  ${name.padEnd(16)} ${kb(result.bytes).padStart(10)}  ${String(result.initMs).padStart(7)} ms`);
for (const [name, result] of Object.entries(cold)) {
  log(`  largest inputs of ${name}:`);
  for (const input of result.largest.slice(0, 5)) log(`    ${kb(input.bytes).padStart(9)}  ${input.input}`);
}
const marginalBytes = cold.requestor.bytes - cold.powertoolsOnly.bytes;
const marginalMs = round(cold.requestor.initMs - cold.powertoolsOnly.initMs, 2);
log();

const overhead = await measureOverhead();
log('Per-request overhead: context.iamClient (signed) vs plain fetch, same minimal loopback server');
for (const o of overhead)
  log(
    `  concurrency ${String(o.concurrency).padEnd(3)} unsigned ${o.unsignedRps} rps, signed ${o.signedRps} rps, ratio ${o.ratio}`,
  );
const gateway = await measureGateway();
if (gateway) {
  log('Through the local API Gateway (SigV4 verified, policies evaluated, hello-world invoked)');
  for (const g of gateway) log(`  concurrency ${String(g.concurrency).padEnd(3)} signed ${g.signedRps} rps`);
}
const load = await measureLoad();
if (load) {
  log('Load on the local gateway: 20,000 signed requests per run (errors must be 0)');
  for (const l of load) {
    log(
      `  ${String(l.concurrency).padStart(3)} clients: ${l.rps} rps, p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, errors ${l.errors}, RSS ${l.rssBeforeMb} → ${l.rssAfterMb} MB`,
    );
  }
}
log();

const signing = await measureSigning();
log('Signing one POST (µs, median)');
for (const [name, us] of Object.entries(signing)) log(`  ${name.padEnd(24)} ${us}`);
log();

const at32 = overhead.find((o) => o.concurrency === 32) ?? overhead[0];
const goals = [
  [
    'requestor bundle ≤ 0.5× seed-style',
    cold.requestor.bytes / cold.seedStyle.bytes,
    0.5,
    `${round(cold.requestor.bytes / cold.seedStyle.bytes, 2)}×`,
  ],
  ['middleware marginal bytes ≤ 12 KB', marginalBytes / 1024, 12, kb(marginalBytes)],
  ['middleware marginal init ≤ 3 ms', marginalMs, 3, `${marginalMs} ms`],
  ['signed/unsigned ratio ≥ 0.8 at c=32', -(at32?.ratio ?? 0), -0.8, String(at32?.ratio)],
  [
    'signing ≤ 1.0× aws4',
    signing.iamClientUs / signing.aws4Us,
    1,
    `${round(signing.iamClientUs / signing.aws4Us, 2)}×`,
  ],
] as const;
log('Goals');
for (const [goal, value, limit, shown] of goals) log(`  ${value <= limit ? 'met   ' : 'MISSED'} ${goal}: ${shown}`);

const results = {
  node: process.version,
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  coldStart: Object.fromEntries(
    Object.entries(cold).map(([name, r]) => [name, { bytes: r.bytes, initMs: r.initMs, largest: r.largest }]),
  ),
  middlewareMarginal: { bytes: marginalBytes, initMs: marginalMs },
  overhead: {
    unsignedRps: at32?.unsignedRps,
    signedRps: at32?.signedRps,
    ratio: at32?.ratio,
    concurrency: at32?.concurrency,
    all: overhead,
  },
  gateway,
  load,
  signing,
};
writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
log();
log('Wrote bench/results.json');
