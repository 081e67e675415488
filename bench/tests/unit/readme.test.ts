import { describe, expect, it } from 'vitest';
import type { ColdStart } from '../../src/cold-start.js';
import { type BenchResults, evaluateGoals, goalCell, renderTable } from '../../src/readme.js';

const bundle = (kb: number, initMs: number): ColdStart => ({ bytes: kb * 1024, initMs, largest: [] });

/** A run in which every goal measures something different, half of them missed. */
function results(): BenchResults {
  const overhead = {
    concurrency: 32,
    unsignedRps: 2000,
    signedRps: 1300,
    ratio: 0.65,
    unsignedCpuUs: 400,
    signedCpuUs: 520,
  };
  const r: BenchResults = {
    node: 'v20.20.2',
    date: '2026-11-26T00:00:00.000Z',
    machine: '2 × test cpu',
    coldStart: {
      requestor: bundle(180, 50),
      seedStyle: bundle(120, 40),
      powertoolsOnly: bundle(150, 45),
      plainRequestor: bundle(36, 18),
      powertoolsMiddleware: bundle(172, 47),
      plainRequestorDefaults: bundle(45, 19),
      peers: { 'aws-sigv4-fetch': bundle(19, 20), aws4fetch: { missing: 'not installed' }, aws4: bundle(9, 21) },
    },
    middlewareMarginal: { bytes: 22 * 1024, initMs: 2, requestorBytes: 30 * 1024 },
    overhead: {
      ...overhead,
      clientCpuUs: 120,
      verifyingRatio: 0.81,
      verifying: { ...overhead, signedRps: 1620, ratio: 0.81 },
      all: [{ ...overhead, concurrency: 1, ratio: 0.77 }, overhead],
    },
    localStack: {
      share: [
        { concurrency: 1, limitRps: 2000, signedRps: 1400, share: 0.7, limitServerCpuUs: 200, stackServerCpuUs: 400 },
        { concurrency: 32, limitRps: 4000, signedRps: 3200, share: 0.8 },
      ],
      rssGrowthMb: 12,
    },
    load: [32, 64].map((concurrency) => ({
      concurrency,
      requests: 20000,
      errors: 0,
      rps: 2500,
      p50Ms: 10,
      p99Ms: 30,
      rssBeforeMb: 140,
      rssAfterMb: 152,
    })),
    clientPeers: {
      concurrency: 32,
      signedRps: { iamClient: 3300, 'aws-sigv4-fetch': 3000, aws4fetch: 2900, aws4: 3500 },
      clientCpuUs: { iamClient: 330, 'aws-sigv4-fetch': 380, aws4fetch: 390, aws4: 290 },
    },
    signing: { iamClientUs: 30, iamClientSha256JsUs: 60, aws4Us: 17, smithyNodeCryptoUs: 25 },
    inner: {
      fullSynthMs: 8000,
      coldStartMs: 9000,
      warmStartMs: 500,
      warmRatio: 0.06,
      reloadMs: 8500,
      codeReloadMs: 1300,
      codeReloadEsbuildMs: 700,
      codeReloadOverEsbuildMs: 600,
    },
    goals: [],
  };
  r.goals = evaluateGoals(r);
  return r;
}

/** The measure table's rows, as [measure, result, goal] cells. */
function measureRows(table: string): string[][] {
  const lines = table.split('\n');
  return lines.slice(lines.indexOf('| measure | result | goal |') + 2).map((line) => line.slice(2, -2).split(' | '));
}

describe('the README table generated from bench/results.json', () => {
  it('shows each goal once, on the row that shows what that goal measured', () => {
    // Prepare
    const r = results();
    const shown = r.goals.map((g) => g.shown);

    // Act
    const rows = measureRows(renderTable(r));

    // Assess: every goal's result is distinct here, so a row shifted by one would show another's.
    expect(new Set(shown).size).toBe(shown.length);
    for (const goal of r.goals) {
      const holding = rows.filter(([, , cell]) => cell === goalCell(goal));
      expect(holding, goal.id).toHaveLength(1);
      expect(holding[0]?.[1]?.startsWith(`${goal.shown} (`), goal.id).toBe(true);
    }
  });

  it('puts the goals on the rows they belong to, by subject', () => {
    // Prepare
    const r = results();

    // Act
    const rows = measureRows(renderTable(r));
    const rowOf = (measure: string) => rows.find(([name]) => name?.startsWith(measure));

    // Assess
    expect(rowOf("middleware's marginal init")?.slice(1)).toEqual([
      '2 ms (22 KB more; plain requestor 36 KB, 18 ms vs seed-style 120 KB, 40 ms)',
      '≤ 3 ms met',
    ]);
    expect(rows.some(([name]) => /bytes/.test(name ?? '') && !/defaults/.test(name ?? ''))).toBe(false);
    expect(rowOf('the local stack')?.slice(1)).toEqual([
      '0.7× (1400 / 2000 rps; server CPU per call 400 / 200 µs)',
      '≥ 0.75× the limit **missed**',
    ]);
    expect(rows.filter(([name]) => name?.startsWith('the local stack'))[1]?.slice(1)).toEqual([
      '0.8× (3200 / 4000 rps)',
      '≥ 0.75× the limit met',
    ]);
    expect(rowOf("the server's RSS")?.slice(1)).toEqual(['12 MB (140 MB after warm-up → 152 / 152 MB)', '≤ 64 MB met']);
    expect(rowOf('our client vs the best peer')?.[2]).toBe("≥ 1× every peer's **missed**");
    expect(rowOf('signed / unsigned rps at concurrency 32, minimal server')?.slice(1)).toEqual([
      '0.65 (1300 / 2000 rps; c=1: 0.77)',
      '≥ 0.7 at 32 concurrent, minimal server **missed**',
    ]);
    expect(rowOf('warm `pnpm start`')?.[2]).toBe('≤ 1/3 of a cold one (issue 19) met');
    expect(rowOf("a handler's code rebuilt alone")?.slice(1)).toEqual([
      '1300 ms (esbuild 700 ms of it; full synth 8000 ms, reload with a synth 8500 ms)',
      '≤ 1 s plus esbuild (issue 19) met',
    ]);
  });

  it('computes the issue 29 goals from the same run: the share per concurrency, memory, the client against every peer', () => {
    // Prepare
    const r = results();
    const faster = {
      ...r,
      clientPeers: { ...r.clientPeers, signedRps: { ...r.clientPeers.signedRps, iamClient: 3600 } },
    };
    const grown = { ...r, localStack: { ...r.localStack, rssGrowthMb: 65 } };

    // Act
    const goal = (run: BenchResults, id: string) => evaluateGoals(run).find((g) => g.id === id);

    // Assess
    expect(goal(r, 'shareC1')).toMatchObject({ met: false, shown: '0.7×' });
    expect(goal(r, 'shareC32')).toMatchObject({ met: true, shown: '0.8×' });
    expect(goal(r, 'clientPeers')).toMatchObject({ met: false, shown: '0.94×' });
    expect(goal(faster, 'clientPeers')).toMatchObject({ met: true, shown: '1.03×' });
    expect(goal(r, 'rssGrowth')?.met).toBe(true);
    expect(goal(grown, 'rssGrowth')?.met).toBe(false);
    expect(evaluateGoals(r).map((g) => g.id)).not.toContain('plainBytes');
  });

  it('shows no code-only reload row for results measured before it existed', () => {
    const r = results();
    const older = { ...r, inner: { ...r.inner, codeReloadMs: undefined, codeReloadOverEsbuildMs: undefined } };
    older.goals = evaluateGoals(older);

    expect(renderTable(r)).toMatch(/code rebuilt alone/);
    expect(renderTable(older)).not.toMatch(/code rebuilt alone/);
  });

  it('reads goals from the results themselves, so an older results.json renders the same', () => {
    // Prepare: goals as an earlier run stored them, in another order and without ids.
    const r = results();
    const stale = { ...r, goals: [...r.goals].reverse().map(({ goal, met, shown }) => ({ goal, met, shown })) };

    // Act
    const table = renderTable(stale as unknown as BenchResults);

    // Assess
    expect(table).toBe(renderTable(r));
  });
});
