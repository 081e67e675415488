import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureClientPeers } from './client-peers.js';
import { type ColdStart, measureColdStarts } from './cold-start.js';
import { measureInnerLoop } from './inner.js';
import { measureLocalStack } from './local-stack.js';
import { measureOverhead } from './overhead.js';
import { type BenchResults, evaluateGoals, updateReadme } from './readme.js';
import { measureSigning } from './signing.js';
import { round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const log = (line = '') => process.stdout.write(`${line}\n`);
const kb = (bytes: number) => `${round(bytes / 1024, 1)} KB`;

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`;
log(`iam-m2m benchmarks — ${process.version}, ${machine}, ${new Date().toISOString().slice(0, 10)}`);
log();

const cold = await measureColdStarts();
const shown: [string, ColdStart | { missing: string }][] = [
  ...Object.entries(cold.bundles),
  ['plainRequestorDefaults', cold.plainRequestorDefaults],
  ...Object.entries(cold.peers).map(([name, r]) => [`peer ${name}`, r] as [string, ColdStart | { missing: string }]),
];
log('Cold start (bundled as the CDK app bundles; init = median import time in 15 fresh Node processes)');
for (const [name, r] of shown) {
  log(
    'missing' in r
      ? `  ${name.padEnd(24)} not measured: ${r.missing}`
      : `  ${name.padEnd(24)} ${kb(r.bytes).padStart(10)}  ${String(r.initMs).padStart(7)} ms`,
  );
}
for (const [name, r] of shown) {
  if ('missing' in r) continue;
  log(`  largest inputs of ${name}:`);
  for (const input of r.largest.slice(0, 5)) log(`    ${kb(input.bytes).padStart(9)}  ${input.input}`);
}
const marginal = cold.bundles.powertoolsMiddleware.bytes - cold.bundles.powertoolsOnly.bytes;
log(`  middleware's marginal bytes over Powertools only: ${kb(marginal)}`);
log();
// `pnpm bench -- --cold-start`: the bundles alone (≈ 30 s), to iterate on size; results.json stays as it is.
if (process.argv.includes('--cold-start')) process.exit(0);

const overhead = await measureOverhead();
const verifying = await measureOverhead([32], true);
log('Per-request overhead: context.iamClient (signed) vs plain fetch, interleaved, same loopback server');
for (const [what, list] of [
  ['minimal server', overhead],
  ['verifying server', verifying],
] as const) {
  for (const o of list) {
    log(
      `  ${what.padEnd(16)} c=${String(o.concurrency).padEnd(3)} unsigned ${o.unsignedRps} rps (${o.unsignedCpuUs} µs CPU/call), signed ${o.signedRps} rps (${o.signedCpuUs} µs CPU/call), ratio ${o.ratio}`,
    );
  }
}
const peers = await measureClientPeers();
log(`Signed calls by client, c=${peers.concurrency}, verifying server, interleaved (rps, client CPU per call)`);
for (const [name, signedRps] of Object.entries(peers.signedRps))
  log(
    `  ${name.padEnd(16)} ${String(signedRps).padStart(6)} rps  ${peers.clientCpuUs[name as keyof typeof peers.clientCpuUs]} µs`,
  );
const localStack = await measureLocalStack();
log(
  'The local stack (serve: verify, IAM, REST proxy event, hello-world) vs the limit (node:http + verify + one IPC round trip), same client',
);
for (const x of localStack.share) {
  log(
    `  c=${String(x.concurrency).padEnd(3)} stack ${x.signedRps} rps / limit ${x.limitRps} rps = ${x.share}; server CPU per call ${x.stackServerCpuUs ?? '?'} / ${x.limitServerCpuUs ?? '?'} µs`,
  );
}
log('Load on serve: 20,000 signed requests per run (errors must be 0)');
for (const l of localStack.load) {
  log(
    `  ${String(l.concurrency).padStart(3)} clients: ${l.rps} rps, p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, errors ${l.errors}, server RSS ${l.rssBeforeMb} → ${l.rssAfterMb} MB`,
  );
}
log(`  server RSS growth over warm-up: ${localStack.rssGrowthMb} MB`);
log();

const inner = await measureInnerLoop();
log('Inner loop on this repo’s app (issue 19)');
log(
  `  full synth ${inner.fullSynthMs} ms; start + one invocation: cold ${inner.coldStartMs} ms, warm (synth cached) ${inner.warmStartMs} ms (${inner.warmRatio}×); reload to first answer ${inner.reloadMs} ms; code-only reload ${inner.codeReloadMs} ms (esbuild ${inner.codeReloadEsbuildMs} ms)`,
);
log();

const signing = await measureSigning();
log('Signing one POST (µs, median)');
for (const [name, us] of Object.entries(signing)) log(`  ${name.padEnd(24)} ${us}`);
log();

const { bundles } = cold;
const at32 = overhead.find((o) => o.concurrency === 32) ?? overhead[0];
const verifying32 = verifying[0];
const results: BenchResults = {
  node: process.version,
  date: new Date().toISOString(),
  machine,
  coldStart: {
    ...bundles,
    plainRequestorDefaults: cold.plainRequestorDefaults,
    peers: cold.peers,
  },
  middlewareMarginal: {
    bytes: bundles.powertoolsMiddleware.bytes - bundles.powertoolsOnly.bytes,
    initMs: round(bundles.powertoolsMiddleware.initMs - bundles.powertoolsOnly.initMs, 2),
    requestorBytes: bundles.requestor.bytes - bundles.powertoolsOnly.bytes,
  },
  overhead: {
    unsignedRps: at32?.unsignedRps ?? 0,
    signedRps: at32?.signedRps ?? 0,
    ratio: at32?.ratio ?? 0,
    concurrency: at32?.concurrency ?? 32,
    unsignedCpuUs: at32?.unsignedCpuUs ?? 0,
    signedCpuUs: at32?.signedCpuUs ?? 0,
    clientCpuUs: round((at32?.signedCpuUs ?? 0) - (at32?.unsignedCpuUs ?? 0), 1),
    verifyingRatio: verifying32?.ratio ?? 0,
    verifying: verifying32,
    all: overhead,
  },
  localStack: { share: localStack.share, rssGrowthMb: localStack.rssGrowthMb },
  load: localStack.load,
  clientPeers: peers,
  signing,
  inner,
  goals: [],
};
results.goals = evaluateGoals(results);
log('Goals (issues 13, 19, 29)');
for (const goal of results.goals) log(`  ${goal.met ? 'met   ' : 'MISSED'} ${goal.goal}: ${goal.shown}`);

writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
updateReadme(results);
log();
log('Wrote bench/results.json and the table in README.md');
