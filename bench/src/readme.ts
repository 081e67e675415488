// The README's benchmark table, regenerated from bench/results.json, and the goals of issue 13.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ColdStart, Missing, PeerName } from './cold-start.js';
import type { InnerLoop } from './inner.js';
import type { GatewayLoad, GatewayThroughput, Overhead } from './overhead.js';
import type { SigningCost } from './signing.js';
import { round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const START = '<!-- bench:start (generated from bench/results.json by pnpm bench) -->';
const END = '<!-- bench:end -->';

/** What each goal is about: the README row that shows it is found by this, never by position. */
export type GoalId =
  | 'plainBytes'
  | 'plainInit'
  | 'warmStart'
  | 'codeReload'
  | 'marginalBytes'
  | 'defaults'
  | 'signing'
  | 'ratio'
  | 'verifyingRatio';

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
  gateway: GatewayThroughput[] | undefined;
  load: GatewayLoad[] | undefined;
  signing: SigningCost;
  /** The inner loop of issue 19. */
  inner: InnerLoop;
  goals: Goal[];
}

const kb = (bytes: number) => `${round(bytes / 1024, 1)} KB`;
const times = (value: number) => `${round(value, 2)}×`;

/** The targets of issue 13, each with what this run measured. */
export function evaluateGoals(r: BenchResults): Goal[] {
  const { plainRequestor, seedStyle, plainRequestorDefaults } = r.coldStart;
  const bytesRatio = plainRequestor.bytes / seedStyle.bytes;
  const initRatio = plainRequestor.initMs / seedStyle.initMs;
  const defaultsRatio = plainRequestorDefaults.bytes / plainRequestor.bytes;
  const signingRatio = r.signing.iamClientUs / r.signing.smithyNodeCryptoUs;
  return [
    {
      id: 'plainBytes',
      goal: 'plain requestor bytes ≤ 0.25× seed-style',
      met: bytesRatio <= 0.25,
      shown: times(bytesRatio),
    },
    { id: 'plainInit', goal: 'plain requestor init ≤ 0.5× seed-style', met: initRatio <= 0.5, shown: times(initRatio) },
    {
      id: 'marginalBytes',
      goal: "middleware's marginal bytes over Powertools only ≤ 20 KB",
      met: r.middlewareMarginal.bytes <= 20 * 1024,
      shown: kb(r.middlewareMarginal.bytes),
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
  lines.push(
    row('plain requestor vs seed-style, bytes', 'plainBytes', `${kb(plain.bytes)} / ${kb(seed.bytes)}`),
    row('plain requestor vs seed-style, module init', 'plainInit', `${plain.initMs} / ${seed.initMs} ms`),
    row("middleware's marginal bytes over Powertools only", 'marginalBytes', `init ${r.middlewareMarginal.initMs} ms`),
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
  if (r.gateway) {
    lines.push(
      `| signed calls through the local API Gateway (verify + IAM + Lambda) | ${r.gateway.map((g) => `${g.signedRps} rps (c=${g.concurrency})`).join(', ')} | — |`,
    );
  }
  if (r.load) {
    const l = r.load;
    lines.push(
      `| load: 20,000 signed requests on the local gateway, ${l.map((x) => x.concurrency).join(' / ')} clients | ${l.map((x) => x.rps).join(' / ')} rps, p50 ${l.map((x) => x.p50Ms).join(' / ')} ms, p99 ${l.map((x) => x.p99Ms).join(' / ')} ms, ${l.reduce((n, x) => n + x.errors, 0)} errors | 0 errors ${l.every((x) => x.errors === 0) ? 'met' : '**missed**'} |`,
    );
  }
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
