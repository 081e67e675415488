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
    gateway: undefined,
    load: undefined,
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
    expect(rowOf('plain requestor vs seed-style, bytes')).toEqual([
      'plain requestor vs seed-style, bytes',
      '0.3× (36 KB / 120 KB)',
      '≤ 0.25× seed-style **missed**',
    ]);
    expect(rowOf('plain requestor vs seed-style, module init')?.slice(1)).toEqual([
      '0.45× (18 / 40 ms)',
      '≤ 0.5× seed-style met',
    ]);
    expect(rowOf("middleware's marginal bytes")?.slice(1)).toEqual(['22 KB (init 2 ms)', '≤ 20 KB **missed**']);
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
