// The README's benchmark table, regenerated from bench/results.json, and the goals of issue 13.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientName, ClientPeers } from './client-peers.js';
import type { ColdStart, Missing, PeerName } from './cold-start.js';
import type { InnerLoop } from './inner.js';
import type { GatewayLoad, LocalStackBench } from './local-stack.js';
import type { Overhead } from './overhead.js';
import type { SigningCost } from './signing.js';
import { round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const START = '<!-- bench:start (generated from bench/results.json by pnpm bench) -->';
const END = '<!-- bench:end -->';

/** What each goal is about: the README row that shows it is found by this, never by position. */
export type GoalId =
  | 'marginalInit'
  | 'warmStart'
  | 'codeReload'
  | 'defaults'
  | 'signing'
  | 'ratio'
  | 'verifyingRatio'
  | 'shareC1'
  | 'shareC32'
  | 'rssGrowth'
  | 'clientPeers';

export interface Goal {
  id: GoalId;
  goal: string;
  met: boolean;
  shown: string;
}

/** bench/results.json. */
export interface BenchResults {
  node: string;
  date: string;
  machine: string;
  coldStart: {
    requestor: ColdStart;
    seedStyle: ColdStart;
    powertoolsOnly: ColdStart;
    plainRequestor: ColdStart;
    powertoolsMiddleware: ColdStart;
    plainRequestorDefaults: ColdStart;
    peers: Record<PeerName, ColdStart | Missing>;
  };
  /** powertoolsMiddleware − powertoolsOnly (and the requestor's, which does more). */
  middlewareMarginal: { bytes: number; initMs: number; requestorBytes: number };
  overhead: {
    unsignedRps: number;
    signedRps: number;
    ratio: number;
    concurrency: number;
    unsignedCpuUs: number;
    signedCpuUs: number;
    /** The client CPU a signed call costs over an unsigned one, µs. */
    clientCpuUs: number;
    verifyingRatio: number;
    verifying: Overhead | undefined;
    all: Overhead[];
  };
  /** The local stack (`serve`) against the limit for its shape, and its memory under load (issue 29). */
  localStack: Pick<LocalStackBench, 'share' | 'rssGrowthMb'>;
  /** 20,000 signed calls on `serve` at 32 and 64 clients. */
  load: GatewayLoad[];
  /** The client against its peers on the verifying server (issue 29). */
  clientPeers: ClientPeers;
  signing: SigningCost;
  /** The inner loop of issue 19. */
  inner: InnerLoop;
  goals: Goal[];
}

const kb = (bytes: number) => `${round(bytes / 1024, 1)} KB`;
const times = (value: number) => `${round(value, 2)}×`;

/** The goals, each with what this run measured (issues 13, 19 and 29). */
export function evaluateGoals(r: BenchResults): Goal[] {
  const { plainRequestor, plainRequestorDefaults } = r.coldStart;
  const defaultsRatio = plainRequestorDefaults.bytes / plainRequestor.bytes;
  const signingRatio = r.signing.iamClientUs / r.signing.smithyNodeCryptoUs;
  const share = (concurrency: number) => r.localStack.share.find((row) => row.concurrency === concurrency);
  const peers = Object.entries(r.clientPeers.signedRps).filter(([name]) => name !== 'iamClient');
  const ours = r.clientPeers.signedRps.iamClient;
  const best = Math.max(...peers.map(([, rps]) => rps));
  return [
    {
      id: 'marginalInit',
      goal: "middleware's marginal init over Powertools only ≤ 3 ms",
      met: r.middlewareMarginal.initMs <= 3,
      shown: `${r.middlewareMarginal.initMs} ms`,
    },
    {
      id: 'defaults',
      goal: 'packed package, esbuild defaults (CJS) ≤ 1.5× the tuned build',
      met: defaultsRatio <= 1.5,
      shown: times(defaultsRatio),
    },
    {
      id: 'signing',
      goal: 'client signing ≤ 1.15× bare smithy',
      met: signingRatio <= 1.15,
      shown: times(signingRatio),
    },
    {
      id: 'ratio',
      goal: 'signed/unsigned ≥ 0.7 at 32 concurrent, minimal server',
      met: r.overhead.ratio >= 0.7,
      shown: String(r.overhead.ratio),
    },
    {
      id: 'verifyingRatio',
      goal: 'signed/unsigned ≥ 0.7 at 32 concurrent, verifying server',
      met: r.overhead.verifyingRatio >= 0.7,
      shown: String(r.overhead.verifyingRatio),
    },
    ...[1, 32].map((concurrency) => ({
      id: (concurrency === 1 ? 'shareC1' : 'shareC32') as GoalId,
      goal: `the local stack's signed rps at c=${concurrency} ≥ 0.75× the limit`,
      met: (share(concurrency)?.share ?? 0) >= 0.75,
      shown: `${share(concurrency)?.share ?? 0}×`,
    })),
    {
      id: 'rssGrowth',
      goal: "the server's RSS growth after 20,000 calls at c=32 and c=64 ≤ 64 MB",
      met: r.localStack.rssGrowthMb <= 64,
      shown: `${r.localStack.rssGrowthMb} MB`,
    },
    {
      id: 'clientPeers',
      goal: "our client's signed rps ≥ 1× every peer's",
      met: peers.every(([, rps]) => ours >= rps),
      shown: times(ours / best),
    },
    {
      id: 'warmStart',
      goal: 'warm pnpm start ≤ 1/3 of a cold one (issue 19)',
      met: r.inner.warmRatio <= 1 / 3,
      shown: times(r.inner.warmRatio),
    },
    // Results written before code-only reloads existed have no such measure.
    ...(r.inner.codeReloadOverEsbuildMs === undefined
      ? []
      : [
          {
            id: 'codeReload' as const,
            goal: 'code-only reload ≤ 1 s plus esbuild (issue 19)',
            met: r.inner.codeReloadOverEsbuildMs <= 1000,
            shown: `${r.inner.codeReloadMs} ms`,
          },
        ]),
  ];
}

/** A goal's cell in the README: its target (the measure column names the subject) and whether it was met. */
export function goalCell(g: Goal): string {
  return `${g.goal.replace(/^.*?(≤|≥)/, '$1')} ${g.met ? 'met' : '**missed**'}`;
}

function bundleRow(name: string, result: ColdStart | Missing): string {
  if ('missing' in result) return `| ${name} | not measured: ${result.missing} | |`;
  return `| ${name} | ${kb(result.bytes)} | ${result.initMs} ms |`;
}

/** The markdown between the README's bench markers. */
export function renderTable(r: BenchResults): string {
  const c = r.coldStart;
  const o = r.overhead;
  const s = r.signing;
  const one = o.all.find((x) => x.concurrency === 1);
  const lines = [
    `One run of \`pnpm bench\` on ${r.machine}, Node.js ${r.node}, ${r.date.slice(0, 10)}; ratios matter,`,
    'absolute numbers move between runs (the machine is shared).',
    '',
    "| bundle: the seed's job (one unsigned GET, one signed GET, environment credentials) unless said | size | module init (median, 15 fresh processes) |",
    '| --- | --- | --- |',
    bundleRow(
      "seed-style: the seed's pinned majors, bundled (node-fetch ^3, @aws-sdk/signature-v4 ^3, @aws-sdk/protocol-http ^3, @aws-crypto/sha256-js ^5)",
      c.seedStyle,
    ),
    bundleRow('**plain requestor: Middy + our middleware** (tuned: ESM, main fields module,main)', c.plainRequestor),
    bundleRow(
      'plain requestor from the packed tarball, esbuild defaults (main fields main,module), CJS',
      c.plainRequestorDefaults,
    ),
    ...Object.entries(c.peers).map(([name, result]) => bundleRow(`peer: ${name} + fetch (no Middy)`, result)),
    bundleRow('Powertools only (Logger, Tracer, Middy; unsigned GET)', c.powertoolsOnly),
    bundleRow('Powertools + our middleware', c.powertoolsMiddleware),
    bundleRow('the requestor (Powertools, three signed targets, assume-role)', c.requestor),
    '',
    '| measure | result | goal |',
    '| --- | --- | --- |',
  ];
  const goals = new Map(evaluateGoals(r).map((g) => [g.id, g]));
  // A goal's row starts its result with what the goal measured: no row can show another's.
  const row = (measure: string, id: GoalId, detail: string) => {
    const g = goals.get(id) as Goal;
    return `| ${measure} | ${g.shown} (${detail}) | ${goalCell(g)} |`;
  };
  const { plainRequestor: plain, seedStyle: seed } = c;
  const shareRow = (concurrency: number) => {
    const x = r.localStack.share.find((row) => row.concurrency === concurrency);
    const cpu =
      x?.stackServerCpuUs === undefined ? '' : `; server CPU per call ${x.stackServerCpuUs} / ${x.limitServerCpuUs} µs`;
    return row(
      `the local stack (\`serve\`: verify, IAM, REST proxy, hello-world) vs the limit (node:http + verify + one IPC round trip), signed, c=${concurrency}`,
      concurrency === 1 ? 'shareC1' : 'shareC32',
      `${x?.signedRps} / ${x?.limitRps} rps${cpu}`,
    );
  };
  const peers = r.clientPeers;
  const peerList = (Object.keys(peers.signedRps) as ClientName[])
    .map((name) => `${name} ${peers.signedRps[name]} rps, ${peers.clientCpuUs[name]} µs`)
    .join('; ');
  const l = r.load;
  lines.push(
    row(
      "middleware's marginal init over Powertools only",
      'marginalInit',
      `${kb(r.middlewareMarginal.bytes)} more; plain requestor ${kb(plain.bytes)}, ${plain.initMs} ms vs seed-style ${kb(seed.bytes)}, ${seed.initMs} ms`,
    ),
    row(
      'packed, esbuild defaults vs tuned, bytes',
      'defaults',
      `${kb(c.plainRequestorDefaults.bytes)} / ${kb(plain.bytes)}`,
    ),
    row(
      'signing one POST, ours vs bare smithy + node:crypto',
      'signing',
      `ours / smithy / aws4 / ours with sha256-js: ${s.iamClientUs} / ${s.smithyNodeCryptoUs} / ${s.aws4Us} / ${s.iamClientSha256JsUs} µs`,
    ),
    row(
      'signed / unsigned rps at concurrency 32, minimal server',
      'ratio',
      `${o.signedRps} / ${o.unsignedRps} rps${one ? `; c=1: ${one.ratio}` : ''}`,
    ),
    row(
      'signed / unsigned rps at concurrency 32, server verifying every signature',
      'verifyingRatio',
      `${o.verifying?.signedRps} / ${o.verifying?.unsignedRps} rps`,
    ),
    `| client CPU per call, unsigned / signed (minimal server, c=32) | ${o.unsignedCpuUs} / ${o.signedCpuUs} µs: signing adds ${o.clientCpuUs} µs | — |`,
    row(
      `our client vs the best peer, signed rps at c=${peers.concurrency}, verifying server (rps, client CPU per call)`,
      'clientPeers',
      peerList,
    ),
    shareRow(1),
    shareRow(32),
    row(
      `the server's RSS, 20,000 signed calls at ${l.map((x) => `c=${x.concurrency}`).join(' and ')}`,
      'rssGrowth',
      `${l[0]?.rssBeforeMb} MB after warm-up → ${l.map((x) => x.rssAfterMb).join(' / ')} MB`,
    ),
    `| load: 20,000 signed requests on \`serve\`, ${l.map((x) => x.concurrency).join(' / ')} clients | ${l.map((x) => x.rps).join(' / ')} rps, p50 ${l.map((x) => x.p50Ms).join(' / ')} ms, p99 ${l.map((x) => x.p99Ms).join(' / ')} ms, ${l.reduce((n, x) => n + x.errors, 0)} errors | 0 errors ${l.every((x) => x.errors === 0) ? 'met' : '**missed**'} |`,
    row(
      'warm `pnpm start` vs a cold one (issue 19)',
      'warmStart',
      `${r.inner.warmStartMs} / ${r.inner.coldStartMs} ms`,
    ),
  );
  if (goals.has('codeReload'))
    lines.push(
      row(
        "a handler's code rebuilt alone to its first answer, vs a full synth (issue 19)",
        'codeReload',
        `esbuild ${r.inner.codeReloadEsbuildMs} ms of it; full synth ${r.inner.fullSynthMs} ms, reload with a synth ${r.inner.reloadMs} ms`,
      ),
    );
  return lines.join('\n');
}

/** Replaces the table between the README's bench markers. */
export function updateReadme(results: BenchResults, file = join(root, 'README.md')): void {
  const readme = readFileSync(file, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end < start) throw new Error(`README.md has no ${START} … ${END} section.`);
  writeFileSync(file, `${readme.slice(0, start + START.length)}\n${renderTable(results)}\n${readme.slice(end)}`);
}
