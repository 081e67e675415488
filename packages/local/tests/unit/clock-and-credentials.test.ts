import { createIamClient } from '@iam-m2m/middleware';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { LocalStack } from '../../src/stack.js';
import { awsError, clientFor } from '../helpers/stack.js';

let stack: LocalStack | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await stack?.close();
  stack = undefined;
});

describe('faults the client must ride out, end to end against the local stack', () => {
  it.each([
    ['10 minutes ahead', 10 * 60_000],
    ['10 minutes behind', -10 * 60_000],
  ])('a gateway whose clock is %s: one rejection, then corrected for good', async (_label, offsetMs) => {
    // Prepare
    stack = await LocalStack.start({
      assemblyDir: inject('oneAccount'),
      functionOutput: 'ignore',
      now: () => new Date(Date.now() + offsetMs),
    });
    const state = stack.state();
    const client = clientFor(state, 'operator');

    // Act
    const first = await client.get(state.apis[0]?.url ?? '');
    const second = await client.get(state.apis[0]?.url ?? '');

    // Assess
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(Math.abs(client.clockOffsetMs - offsetMs)).toBeLessThan(2_000);
  });

  it('credentials that expire mid-run are refreshed before they do: no request fails', async () => {
    // Prepare: Date is faked (timers stay real) to move 16 minutes through the run.
    vi.useFakeTimers({ toFake: ['Date'] });
    stack = await LocalStack.start({ assemblyDir: inject('oneAccount'), functionOutput: 'ignore' });
    const state = stack.state();
    const url = state.apis[0]?.url ?? '';
    const local = stack;
    let issued = 0;
    // A provider as STS is: each call issues fresh credentials valid for 10 minutes.
    const provider = async () => {
      issued += 1;
      return local.identities.rotate('operator', 10 * 60_000);
    };
    const client = createIamClient({ credentials: provider, region: state.region, maxAttempts: 1 });
    const statuses: number[] = [];
    const burst = async () => {
      for (let i = 0; i < 5; i++) statuses.push((await client.get(url)).status);
    };

    // Act
    await burst();
    const firstCredentials = local.identity('operator')?.credentials;
    vi.setSystemTime(Date.now() + 6 * 60_000); // 4 minutes before expiry: refreshed
    await burst();
    vi.setSystemTime(Date.now() + 4.5 * 60_000); // the first credentials have expired now
    await burst();

    // Assess
    expect(statuses).toEqual(Array(15).fill(200));
    expect(issued).toBe(2);
    const stale = createIamClient({
      credentials: { ...firstCredentials, expiration: undefined } as never,
      region: state.region,
    });
    expect(await awsError(await stale.get(url))).toEqual({
      status: 403,
      type: 'ExpiredTokenException',
      message: 'The security token included in the request is expired',
    });
  });
});
