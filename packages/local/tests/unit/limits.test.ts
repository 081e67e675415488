// Limits, back-pressure and refusals that explain themselves, over a real `serve` process (this
// repo's one-account app): each row cites where AWS's answer comes from; the server's memory is
// read from /proc while large bodies flood it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import aws4 from 'aws4';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalState } from '../../src/stack.js';
import { clientFor, principal } from '../helpers/stack.js';

const TEN_MB = 10 * 1024 * 1024;
let child: ChildProcess;
let state: LocalState;
let stderr = '';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-limits-'));
  const stateFile = join(dir, 'state.json');
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'serve', '--assembly', inject('oneAccount'), '--state', stateFile],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const deadline = Date.now() + 60_000;
  while (!existsSync(stateFile)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  state = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState;
}, 90_000);
afterAll(() => {
  child?.kill('SIGTERM');
});

const restUrl = () => state.apis[0]?.url ?? '';
const httpApiUrl = () => state.httpApis[0]?.url ?? '';
const functionUrl = () => state.functionUrls[0]?.url ?? '';

/** The server's resident memory now, in MB (Linux /proc). */
const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;

/** A POST of `body` with the given headers over node:http; resolves to the status and body text. */
function post(
  url: string,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-length': String(body.length), ...headers } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    // The server may answer, and close, before the whole body is sent: the answer is what counts.
    req.on('error', (error) => reject(error));
    req.end(body);
  });
}

/** A GET over node:http with the given headers (a Host of AWS's, which fetch would not send). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['x-amzn-errortype'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `count` requests at once while sampling the server's memory; the highest reading minus the one before. */
async function growthDuring(count: number, send: () => Promise<{ status: number; text: string }>) {
  const before = rssMb();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb());
  }, 5);
  try {
    const answers = await Promise.all(Array.from({ length: count }, send));
    peak = Math.max(peak, rssMb());
    return { growthMb: peak - before, answers };
  } finally {
    clearInterval(sampler);
  }
}

/** Headers of a request signed by aws4 as `who` for execute-api (or the service and region given). */
function signedHeaders(who: string, url: string, body: Buffer, region = state.region, service = 'execute-api') {
  const { accessKeyId, secretAccessKey, sessionToken } = principal(state, who);
  const target = new URL(url);
  const signed = aws4.sign(
    { host: target.host, path: target.pathname, method: 'POST', service, region, body },
    { accessKeyId, secretAccessKey, sessionToken },
  );
  return signed.headers as Record<string, string>;
}

describe('back-pressure: a flood of large bodies that will be refused leaves memory where it was', () => {
  const body = Buffer.alloc(TEN_MB, 'a');

  beforeAll(async () => {
    // Warm-up: the server's first answers (JIT, buffers) are not the flood's.
    for (let i = 0; i < 5; i++) await clientFor(state, 'operator').get(`${restUrl()}echo`);
  });

  it('60 unsigned 10 MB POSTs at once, then 120: every one 403 Missing Authentication Token; the server never holds them (it grew 88 → 445 MB when bodies were read before authentication)', async () => {
    // Act
    const first = await growthDuring(60, () => post(`${restUrl()}echo`, body));
    const second = await growthDuring(120, () => post(`${restUrl()}echo`, body));

    // Assess: what grows is the garbage of bodies drained and dropped (600 MB and 1.2 GB sent),
    // never the bodies themselves, so twice the flood does not grow it twice as much.
    for (const { answers } of [first, second]) {
      expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([403]));
      expect(answers[0]?.text).toBe('{"message":"Missing Authentication Token"}');
    }
    expect(first.growthMb).toBeLessThan(150);
    expect(second.growthMb).toBeLessThan(150);
  });

  it('20 POSTs of 10 MB signed by a caller IAM refuses: each answered AccessDenied, bodies hashed as they stream, never held', async () => {
    const url = `${restUrl()}echo`;
    const headers = signedHeaders('outsider', url, body);
    const { growthMb, answers } = await growthDuring(20, () => post(url, body, headers));
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([403]));
    expect(answers[0]?.text).toMatch(
      /^\{"Message":"User: arn:aws:sts::999999999999:assumed-role\/outsider\/outsider is not authorized/,
    );
    expect(growthMb).toBeLessThan(150);
  });

  it('a refused request whose body does not match its signature still answers the signature error first', async () => {
    const url = `${restUrl()}echo`;
    const headers = signedHeaders('outsider', url, Buffer.from('signed!'));
    const answer = await post(url, Buffer.from('changed'), headers);
    expect(answer.status).toBe(403);
    expect(answer.text).toMatch(/The request signature we calculated does not match/);
  });
});

describe('the body budget never makes a request wait (a wait could wedge the server)', () => {
  it('chunked uploads that would pass the budget are throttled at once (429), and a small call meanwhile is answered', async () => {
    // Prepare: 8 signed chunked uploads of 9 MB as the operator (allowed), each paused after 8 MB:
    // 72 MB held at once would pass the 60 MB budget.
    const url = new URL(`${restUrl()}echo`);
    const { accessKeyId, secretAccessKey, sessionToken } = principal(state, 'operator');
    const body = Buffer.alloc(9 * 1024 * 1024, 'b');
    const uploads = Array.from({ length: 8 }, () => {
      const signed = aws4.sign(
        {
          host: url.host,
          path: url.pathname,
          method: 'POST',
          service: 'execute-api',
          region: state.region,
          body,
          // No Content-Length (a chunked body): aws4 adds nothing, so the date and token are set here.
          doNotModifyHeaders: true,
          headers: {
            Host: url.host,
            'Transfer-Encoding': 'chunked',
            'X-Amz-Date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
            'X-Amz-Security-Token': sessionToken,
          },
        },
        { accessKeyId, secretAccessKey, sessionToken },
      );
      const req = httpRequest(url, { method: 'POST', headers: signed.headers as Record<string, string> });
      const answer = new Promise<number>((resolve) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
      });
      req.write(body.subarray(0, 8 * 1024 * 1024));
      return { req, answer };
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));

    // Act: a small call while the uploads hold what they hold.
    const started = Date.now();
    const small = await clientFor(state, 'operator').request({ method: 'POST', url: `${restUrl()}echo`, body: '{}' });
    const smallMs = Date.now() - started;
    for (const { req } of uploads) req.end(body.subarray(8 * 1024 * 1024));
    const statuses = await Promise.all(uploads.map(({ answer }) => answer));

    // Assess: the small call was not held up; some uploads were throttled, none hung.
    expect(small.status).toBe(200);
    expect(smallMs).toBeLessThan(5000);
    expect(statuses).toContain(429);
    for (const status of statuses) expect([413, 429, 0]).toContain(status);
  }, 60_000);
});

describe('limits per target, with AWS’s answers', () => {
  const big = { 'x-big': 'y'.repeat(10_300) };
  it('REST: request line and headers over 10,240 bytes → 431, plain text (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html)', async () => {
    const response = await fetch(`${restUrl()}echo`, { headers: big });
    expect([response.status, await response.text()]).toEqual([431, 'HTTP header is larger than 10240 bytes.']);
  });

  it('HTTP API: the same quota on the request line and headers, the same answer (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html)', async () => {
    const response = await fetch(httpApiUrl(), { headers: big });
    expect([response.status, await response.text()]).toEqual([431, 'HTTP header is larger than 10240 bytes.']);
  });

  it('function URL: 12 KB of headers → 413 RequestEntityTooLargeException, Lambda’s payload message (https://github.com/vercel/next.js/issues/70175)', async () => {
    const response = await fetch(functionUrl(), { headers: { cookie: 'c'.repeat(12_000) } });
    expect(response.status).toBe(413);
    expect(response.headers.get('x-amzn-errortype')).toBe('RequestEntityTooLargeException');
    expect(await response.json()).toEqual({
      Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    });
  });

  const INVOKE_URL = () =>
    `${state.lambdaEndpoint}/2015-03-31/functions/${state.functions[0]?.functionName}/invocations`;
  /** The signer of each row: one IAM allows, one it refuses, one whose signature is wrong. */
  const SIGNERS = {
    'the operator (allowed)': (url: string, body: Buffer) =>
      signedHeaders('operator', url, body, state.region, 'lambda'),
    'the outsider (refused)': (url: string, body: Buffer) =>
      signedHeaders('outsider', url, body, state.region, 'lambda'),
    'the operator’s key with a wrong signature': (url: string, body: Buffer) => {
      const headers = signedHeaders('operator', url, body, state.region, 'lambda');
      return {
        ...headers,
        Authorization: headers.Authorization?.replace(/Signature=\w+/, `Signature=${'0'.repeat(64)}`) ?? '',
      };
    },
  };

  it.each(
    (['function URL', 'Invoke API'] as const).flatMap((target) =>
      Object.keys(SIGNERS).map((signer) => [target, signer as keyof typeof SIGNERS] as const),
    ),
  )(
    '%s, signed by %s: a declared body over Lambda’s 6 MB → 413 RequestEntityTooLargeException before its body is sent, the same answer whoever claims to call (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)',
    async (target, signer) => {
      // Prepare: a 7 MB body, of which only the head goes out
      const url = target === 'function URL' ? functionUrl() : INVOKE_URL();
      const body = Buffer.alloc(7 * 1024 * 1024, 'a');
      const headers = { ...SIGNERS[signer](url, body), 'content-length': String(body.length) };

      // Act: the answer comes while the body is still unsent (a server that read it first would never answer)
      const answer = await new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
        const req = httpRequest(url, { method: 'POST', headers });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            req.destroy();
            resolve({
              status: res.statusCode ?? 0,
              type: String(res.headers['x-amzn-errortype']),
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
        });
        req.on('error', reject);
        req.flushHeaders();
      });

      // Assess
      expect(answer.status).toBe(413);
      expect(answer.type).toBe('RequestEntityTooLargeException');
      expect(JSON.parse(answer.text)).toEqual({
        ...(target === 'Invoke API' ? { Type: 'User' } : {}),
        Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      });
    },
  );

  it('Invoke API: a chunked body streamed past 6 MB → 413, and the connection closes after it (it says so)', async () => {
    // Prepare: no declared length, 7 MB sent in 1 MB chunks
    const url = INVOKE_URL();
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const body = Buffer.concat(Array.from({ length: 7 }, () => chunk));
    const { accessKeyId, secretAccessKey, sessionToken } = principal(state, 'operator');
    const target = new URL(url);
    const { headers } = aws4.sign(
      {
        host: target.host,
        path: target.pathname,
        method: 'POST',
        service: 'lambda',
        region: state.region,
        headers: {
          'Transfer-Encoding': 'chunked',
          'X-Amz-Content-Sha256': createHash('sha256').update(body).digest('hex'),
        },
      },
      { accessKeyId, secretAccessKey, sessionToken },
    );

    // Act
    const answer = await new Promise<{ status: number; connection: string }>((resolve, reject) => {
      // Its own connection: a client still writing when the answer comes is no socket to reuse.
      const req = httpRequest(url, { method: 'POST', headers: headers as Record<string, string>, agent: false });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: String(res.headers.connection) }));
      });
      req.on('error', () => undefined); // the server closes while the rest is still being sent
      const send = (left: number) => {
        if (left === 0) return req.end();
        req.write(chunk, () => send(left - 1));
      };
      send(7);
      req.on('error', reject);
    });

    // Assess
    expect(answer).toEqual({ status: 413, connection: 'close' });
  });

  it('HTTP API: a declared body over 10 MB → 413 before anything else (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html)', async () => {
    const answer = await post(httpApiUrl(), Buffer.alloc(TEN_MB + 1));
    expect(answer).toEqual({ status: 413, text: 'HTTP content length exceeded 10485760 bytes.' });
  });
});

describe('AWS host names: only the app’s APIs, in their own region, answer as themselves', () => {
  const origin = () => new URL(restUrl()).origin;
  it('the API in another region → 403 Forbidden, as a region without that API answers (https://repost.aws/knowledge-center/api-gateway-disable-endpoint)', async () => {
    const id = state.apis[0]?.restApiId ?? '';
    const answer = await get(`${origin()}/prod/`, { host: `${id}.execute-api.eu-west-1.amazonaws.com` });
    expect(answer).toEqual({ status: 403, type: 'ForbiddenException', text: '{"message":"Forbidden"}' });
  });

  it('an API id the app does not have → 403 Forbidden', async () => {
    const answer = await get(`${origin()}/prod/`, { host: 'zzzzzzzzzz.execute-api.us-east-1.amazonaws.com' });
    expect(answer).toEqual({ status: 403, type: 'ForbiddenException', text: '{"message":"Forbidden"}' });
  });

  it('the right API and region, a stage it does not have → 403 Missing Authentication Token (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html)', async () => {
    const id = state.apis[0]?.restApiId ?? '';
    const answer = await get(`${origin()}/dev/`, { host: `${id}.execute-api.${state.region}.amazonaws.com` });
    expect(answer).toEqual({
      status: 403,
      type: 'MissingAuthenticationTokenException',
      text: '{"message":"Missing Authentication Token"}',
    });
  });
});

describe('every refusal explains itself on stderr, even before IAM', () => {
  const lineFor = (fragment: string) => stderr.split('\n').find((line) => line.includes(fragment));

  it('unsigned, unknown stage, wrong region: one DENY line each, what was expected and what came', async () => {
    // Act
    const unsigned = await fetch(restUrl());
    const apiId = state.apis[0]?.restApiId ?? '';
    const wrongStage = await fetch(restUrl().replace(/\/prod\/$/, '/dev/'));
    const url = `${restUrl()}echo`;
    const wrongRegion = await post(
      url,
      Buffer.from('{}'),
      signedHeaders('operator', url, Buffer.from('{}'), 'eu-west-1'),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess: AWS's answers, unchanged…
    expect([unsigned.status, wrongStage.status, wrongRegion.status]).toEqual([403, 403, 403]);
    expect(JSON.parse(wrongRegion.text)).toEqual({ message: 'Credential should be scoped to a valid region.' });
    // …and a line on stderr for each, which AWS does not give.
    expect(lineFor('DENY anonymous → GET /prod/: unsigned request')).toMatch(
      /\(answered 403 MissingAuthenticationTokenException: Missing Authentication Token\)$/,
    );
    expect(lineFor('GET /dev/')).toContain(`no stage "dev" on REST API ${apiId}; its stage: prod`);
    expect(lineFor('is in us-east-1, not eu-west-1')).toBeDefined();
    expect(lineFor('signed for eu-west-1')).toMatch(
      /^DENY operator → POST \/prod\/echo: signed for eu-west-1; this endpoint is in us-east-1/,
    );
  });

  it('a head past what the server reads (70 KB) → 431 from before any service, and a line that says so', async () => {
    // Act
    const answer = await get(functionUrl(), { 'x-big': 'b'.repeat(70_000) });
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess
    expect(answer.status).toBe(431);
    expect(lineFor('DENY unknown caller → a request no service read')).toContain(
      'its request line and headers pass the 64 KB this server reads (answered 431)',
    );
  });

  it('never a secret in what serve printed', () => {
    for (const who of state.principals) {
      expect(stderr).not.toContain(who.secretAccessKey);
      expect(stderr).not.toContain(who.sessionToken);
    }
  });
});
