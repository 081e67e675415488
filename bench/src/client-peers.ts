// The client against its peers (issue 29): signed rps and client CPU per call of
// `context.iamClient`'s client and of aws-sigv4-fetch, aws4fetch and aws4 + fetch, each with its
// defaults (ours with retries, deadline and clock-skew correction on), against the same
// verifying loopback server in one run, interleaved. Every call must answer 200: a peer whose
// signature the server refuses fails the run rather than count.
import { createIamClient } from '@iam-m2m/middleware';
import { createSignedFetcher } from 'aws-sigv4-fetch';
import aws4 from 'aws4';
import { AwsClient } from 'aws4fetch';
import { credentials, rps, rpsAndCpu, startVerifyingServer } from './overhead.js';
import { median, round } from './stats.js';

export type ClientName = 'iamClient' | 'aws-sigv4-fetch' | 'aws4fetch' | 'aws4';

/** `bench/results.json`'s `clientPeers`. */
export interface ClientPeers {
  concurrency: number;
  signedRps: Record<ClientName, number>;
  /** The client process's CPU per call, µs (median of the rounds). */
  clientCpuUs: Record<ClientName, number>;
}

const region = 'us-east-1';

/** One signed GET per client, each as its README shows it. */
function clients(url: string): Record<ClientName, () => Promise<Response>> {
  const iamClient = createIamClient({ credentials, region });
  const sigv4Fetch = createSignedFetcher({ service: 'execute-api', region, credentials });
  const aws4fetch = new AwsClient({ ...credentials, service: 'execute-api', region });
  const target = new URL(url);
  return {
    iamClient: () => iamClient.get(url),
    'aws-sigv4-fetch': () => sigv4Fetch(url),
    aws4fetch: () => aws4fetch.fetch(url),
    aws4: () => {
      const signed = aws4.sign(
        { host: target.host, path: `${target.pathname}${target.search}`, service: 'execute-api', region },
        credentials,
      );
      const { Host: _host, ...headers } = signed.headers as Record<string, string>;
      return fetch(url, { headers });
    },
  };
}

/** Signed rps and client CPU per call of every client, `rounds` interleaved rounds of `total` calls each. */
export async function measureClientPeers(concurrency = 32, total = 3000, rounds = 5): Promise<ClientPeers> {
  const server = await startVerifyingServer();
  try {
    const calls = Object.entries(clients(server.url)).map(([name, call]) => {
      const checked = async () => {
        const response = await call();
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${name}: the verifying server answered ${response.status}`);
      };
      return [name as ClientName, checked] as const;
    });
    for (const [, call] of calls) await rps(call, Math.ceil(total / 3), concurrency);
    const runs = new Map(calls.map(([name]) => [name, [] as { rps: number; cpuUs: number }[]]));
    for (let i = 0; i < rounds; i++)
      for (const [name, call] of calls) runs.get(name)?.push(await rpsAndCpu(call, total, concurrency));
    const of = (pick: (run: { rps: number; cpuUs: number }) => number, digits: number) =>
      Object.fromEntries([...runs].map(([name, list]) => [name, round(median(list.map(pick)), digits)])) as Record<
        ClientName,
        number
      >;
    return { concurrency, signedRps: of((r) => r.rps, 0), clientCpuUs: of((r) => r.cpuUs, 1) };
  } finally {
    server.stop();
  }
}
