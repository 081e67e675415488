// Multi-account apps as teams write them (tests/fixtures/apps/stages/): CDK Stages, nested two
// deep, an API in 222222222222 trusting 111111111111, set up in two steps (deploy the API, paste
// its id into the caller, synthesize again); ids and credentials that survive a restart.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { awsEnvironment, clientFor, principal } from '../helpers/stack.js';
import { synthFixture } from '../helpers/synth.js';

const run = promisify(execFile);
const awsCli = spawnSync('aws', ['--version']).status === 0;
const CALLER = 'Prod/Callers/Handler';
const API_FUNCTION = 'Prod/Handler';

const start = (assemblyDir: string, options: { fresh?: boolean; seedFile?: string } = {}) =>
  LocalStack.start({ assemblyDir, functionOutput: 'ignore', warn: () => {}, ...options });

describe('a two-Stage, two-account app, set up in two steps as its blog post says', () => {
  let stack: LocalStack;
  let state: LocalState;
  let placeholderApiId = '';
  let deniedBefore = 0;

  beforeAll(async () => {
    // Step 1: the API is "deployed" (served); the caller still names a placeholder API id.
    const first = await start(inject('fixtures').stages);
    const firstState = first.state();
    placeholderApiId = firstState.apis[0]?.restApiId ?? '';
    deniedBefore = (await clientFor(firstState, CALLER).get(firstState.apis[0]?.url ?? '')).status;
    await first.close();
    // Step 2: paste the API's id into the caller (context), synthesize again, serve again.
    stack = await start(await synthFixture('stages', { apiId: placeholderApiId }));
    state = stack.state();
  }, 120_000);
  afterAll(() => stack?.close());

  it('stacks inside Stages are served with their Stage’s account; same construct ids carry the Stage path', () => {
    expect(state.functions.map((fn) => [fn.name, fn.accountId])).toEqual(
      expect.arrayContaining([
        [CALLER, '111111111111'],
        [API_FUNCTION, '222222222222'],
      ]),
    );
    expect(state.apis).toEqual([expect.objectContaining({ accountId: '222222222222', stage: 'prod' })]);
  });

  it('the API id stays the same across the two serves, so the pasted id names it: the caller, denied before, now gets 200', async () => {
    // Act
    const response = await clientFor(state, CALLER).get(state.apis[0]?.url ?? '');

    // Assess
    expect(deniedBefore).toBe(403);
    expect(state.apis[0]?.restApiId).toBe(placeholderApiId);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ caller: principal(state, CALLER).arn, accountId: '111111111111' });
  });

  it('the outsider, an unsigned call, and the API account’s own function role (granted nothing) get 403', async () => {
    const url = state.apis[0]?.url ?? '';
    expect((await clientFor(state, 'outsider').get(url)).status).toBe(403);
    expect((await clientFor(state, API_FUNCTION).get(url)).status).toBe(403);
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('every account has an operator: "operator" for the first, "operator-<account>" for the others', () => {
    const operators = state.principals.filter((p) => p.name.startsWith('operator'));
    expect(operators.map((p) => p.accountId).sort()).toEqual(['111111111111', '222222222222']);
    expect(operators.map((p) => p.name)).toContain('operator');
    for (const p of operators) if (p.name !== 'operator') expect(p.name).toBe(`operator-${p.accountId}`);
  });

  it.runIf(awsCli)(
    'aws lambda invoke --endpoint-url of the caller with its own account’s operator (AWS CLI, botocore signer)',
    async () => {
      // Prepare
      const operator = state.principals.find((p) => p.name.startsWith('operator') && p.accountId === '111111111111');
      const caller = state.functions.find((fn) => fn.name === CALLER);
      const out = join(mkdtempSync(join(tmpdir(), 'iam-m2m-cli-')), 'payload.json');

      // Act
      await run(
        'aws',
        [
          'lambda',
          'invoke',
          '--endpoint-url',
          state.lambdaEndpoint,
          '--function-name',
          String(caller?.functionName),
          out,
        ],
        { env: awsEnvironment(operator as LocalState['principals'][number], state.region) },
      );

      // Assess
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ ok: true });
    },
  );
});

describe('ids and credentials that survive a restart', () => {
  it('two serves of one assembly: the same ids and credentials; a new seed (--fresh): new credentials, same ids', async () => {
    // Prepare: a project folder of its own, so its seed is its own.
    const project = mkdtempSync(join(tmpdir(), 'iam-m2m-project-'));
    const seedFile = join(project, '.iam-m2m-local', 'seed');

    // Act
    const states: LocalState[] = [];
    for (const fresh of [false, false, true]) {
      const served = await start(inject('fixtures').stages, { seedFile, fresh });
      states.push(served.state());
      await served.close();
    }

    // Assess
    const [first, second, renewed] = states as [LocalState, LocalState, LocalState];
    // Every id but the port, which is any free one on each start.
    const ids = (s: LocalState) => [
      s.apis.map(({ url: _url, ...api }) => api),
      s.functions,
      s.principals.map((p) => [p.name, p.arn]),
    ];
    expect(ids(second)).toEqual(ids(first));
    expect(ids(renewed)).toEqual(ids(first));
    expect(second.principals).toEqual(first.principals);
    for (const p of renewed.principals) {
      const before = first.principals.find((other) => other.name === p.name);
      expect(p.accessKeyId).not.toBe(before?.accessKeyId);
      expect(p.secretAccessKey).not.toBe(before?.secretAccessKey);
    }
    // The seed is the project's secret: readable by its owner only.
    expect(spawnSync('stat', ['-c', '%a', seedFile], { encoding: 'utf8' }).stdout.trim()).toBe('600');
  });
});

describe('an assembly with nothing to serve is refused, never served as nothing', () => {
  it('one line on stderr and exit 1', () => {
    // Prepare: an app with no stack at all.
    const empty = mkdtempSync(join(tmpdir(), 'iam-m2m-empty-'));
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts: {} }));

    // Act
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('../../src/cli.ts', import.meta.url)),
        'serve',
        '--assembly',
        empty,
        '--state',
        join(empty, 'state.json'),
      ],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 30_000 },
    );

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'iam-m2m-local: nothing to serve: no Lambda function and no REST API in the assembly (it has no stack)\n',
    );
  });
});
