// CDK apps of the kind users write (tests/fixtures/apps/), synthesized once by the global
// setup, served and called end to end: the local stack must behave on them as AWS would.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { clientFor, editedAssembly, principal } from '../helpers/stack.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** Serves a fixture app for the tests of one `describe`, warnings collected. */
function served(assembly: () => string) {
  const served = {
    stack: undefined as unknown as LocalStack,
    state: undefined as unknown as LocalState,
    warnings: [] as string[],
  };
  beforeAll(async () => {
    served.stack = await LocalStack.start({
      assemblyDir: assembly(),
      functionOutput: 'ignore',
      warn: (line) => served.warnings.push(line),
    });
    served.state = served.stack.state();
  });
  afterAll(() => served.stack?.close());
  return served;
}

/** Status and error type of a call signed as `who` (a principal of the state). */
async function call(state: LocalState, who: string, url: string) {
  const response = await clientFor(state, who).get(url);
  return { status: response.status, type: response.headers.get('x-amzn-errortype'), body: await response.text() };
}

async function unsigned(url: string) {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('x-amzn-errortype'), body: await response.json() };
}

/** Warnings about the assembly, not about which Node.js majors this machine has. */
const assemblyWarnings = (warnings: string[]) => warnings.filter((line) => !line.startsWith('functions of runtime'));

const MISSING_TOKEN = {
  status: 403,
  type: 'MissingAuthenticationTokenException',
  body: { message: 'Missing Authentication Token' },
};

describe('classic app: RestApi (AWS_IAM, resource policy for its account), two NodejsFunctions with default roles', () => {
  const app = served(() => inject('fixtures').classic);

  it('is served unchanged: functions and roles named by construct id, AWS managed policies known (no warning)', () => {
    expect(app.state.functions.map((fn) => fn.name).sort()).toEqual(['Backend', 'Requestor']);
    expect(app.state.principals.map((p) => p.name)).toEqual(
      expect.arrayContaining(['Backend', 'Requestor', 'CloudWatchRole', 'outsider', 'operator']),
    );
    // AWSLambdaBasicExecutionRole and AmazonAPIGatewayPushToCloudWatchLogs are known locally.
    expect(assemblyWarnings(app.warnings)).toEqual([]);
  });

  it('its requestor, signing with a third-party signer (aws4) inside Lambda, gets 403 unsigned and 200 signed', async () => {
    // Act
    const outcome = await app.stack.runtime('Requestor')?.invoke({});

    // Assess
    expect(outcome).toEqual({
      log: expect.stringMatching(/^START RequestId: /),
      ok: true,
      result: {
        without: { status: 403, body: { message: 'Missing Authentication Token' } },
        with: {
          status: 200,
          body: {
            hello: 'classic',
            caller: principal(app.state, 'Requestor').arn,
            path: '/items',
            method: 'GET',
          },
        },
      },
    });
  });

  it('the requestor may call only what its role allows: the resource policy names its account, which delegates', async () => {
    const url = app.state.apis[0]?.url ?? '';
    expect(await call(app.state, 'Requestor', `${url}items`)).toMatchObject({ status: 200 });
    // Same account, resource policy naming the account root: the identity policy decides (GET / is not in it).
    expect(await call(app.state, 'Requestor', url)).toMatchObject({ status: 403, type: 'AccessDeniedException' });
    // The API's CloudWatch role has AmazonAPIGatewayPushToCloudWatchLogs only: no execute-api:Invoke.
    expect(await call(app.state, 'CloudWatchRole', `${url}items`)).toMatchObject({
      status: 403,
      type: 'AccessDeniedException',
    });
  });

  it('an outsider gets 403 AccessDeniedException, an unsigned call 403 Missing Authentication Token', async () => {
    const url = `${app.state.apis[0]?.url}items`;
    expect(await call(app.state, 'outsider', url)).toMatchObject({ status: 403, type: 'AccessDeniedException' });
    expect(await unsigned(url)).toEqual(MISSING_TOKEN);
  });

  it('a CommonJS bundle stays CommonJS under a project whose package.json says "type": "module" (Lambda sees only the asset)', async () => {
    // Prepare: the assembly inside an ESM project, as `cdk.out` of a TypeScript CDK app often is.
    const project = mkdtempSync(join(tmpdir(), 'iam-m2m-esm-project-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    cpSync(inject('fixtures').classic, join(project, 'cdk.out'), { recursive: true });
    const stack = await LocalStack.start({ assemblyDir: join(project, 'cdk.out'), functionOutput: 'ignore' });
    try {
      // Act
      const outcome = await stack.runtime('Requestor')?.invoke({});

      // Assess: Backend (CommonJS index.js) answered through the API.
      expect(outcome).toMatchObject({ ok: true, result: { with: { status: 200, body: { hello: 'classic' } } } });
    } finally {
      await stack.close();
    }
  });
});

describe('proxy app: LambdaRestApi {proxy+} in account 222222222222, resource policy naming a role ARN of 111111111111', () => {
  const app = served(() => inject('fixtures').proxy);

  it('the named role (cross-account: its identity policy AND the resource policy allow) gets 200 through {proxy+}', async () => {
    // Act
    const response = await clientFor(app.state, 'Caller').get(`${app.state.apis[0]?.url}orders/42?expand=items`);

    // Assess: the nested handler path src/app.lambdaHandler ran, with the greedy path parameter.
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      proxy: 'orders/42',
      resource: '/{proxy+}',
      caller: principal(app.state, 'Caller').arn,
      query: { expand: 'items' },
    });
    expect(principal(app.state, 'Caller').arn).toMatch(/^arn:aws:sts::111111111111:assumed-role\/proxy-caller\//);
  });

  it('a role of the API account that the resource policy does not name, an outsider and an unsigned call are refused', async () => {
    const url = `${app.state.apis[0]?.url}orders`;
    // Proxy's own role is in the API's account but has no identity policy for execute-api.
    expect(await call(app.state, 'Proxy', url)).toMatchObject({ status: 403, type: 'AccessDeniedException' });
    expect(await call(app.state, 'outsider', url)).toMatchObject({ status: 403, type: 'AccessDeniedException' });
    expect(await unsigned(url)).toEqual(MISSING_TOKEN);
  });

  it('every account that holds a function or an API has an operator', () => {
    const operators = app.state.principals.filter((p) => p.name.startsWith('operator'));
    expect(operators.map((p) => [p.name, p.accountId])).toEqual([
      ['operator', '111111111111'],
      ['operator-222222222222', '222222222222'],
    ]);
  });
});

describe('exports app: two stacks linked by an export and Fn::ImportValue, inline code, a Python function', () => {
  const app = served(() => inject('fixtures').exports);

  it('the consumer, whose policy and environment come from Fn::ImportValue, gets 200 on what it may call', async () => {
    // Prepare: its inline (ZipFile) code reports the imported URL, the API's as on AWS (its calls to it reach the local stack).
    const outcome = await app.stack.runtime('Consumer')?.invoke({});
    const imported = (outcome as { result?: { apiUrl?: string } }).result?.apiUrl ?? '';
    const api = app.state.apis[0];
    const apiUrl = api?.url ?? '';

    // Act
    const greet = await clientFor(app.state, 'Consumer').get(`${apiUrl}greet`);

    // Assess
    expect(imported).toBe(`https://${api?.restApiId}.execute-api.${app.state.region}.amazonaws.com/${api?.stage}/`);
    expect(greet.status).toBe(200);
    expect(await greet.json()).toMatchObject({ caller: principal(app.state, 'Consumer').arn });
    expect(await call(app.state, 'Consumer', `${apiUrl}legacy`)).toMatchObject({ status: 403 });
  });

  it('an outsider gets 403 AccessDeniedException (no resource policy: no cross-account access), unsigned 403', async () => {
    const url = `${app.state.apis[0]?.url}greet`;
    expect(await call(app.state, 'outsider', url)).toMatchObject({ status: 403, type: 'AccessDeniedException' });
    expect(await unsigned(url)).toEqual(MISSING_TOKEN);
  });

  it('the Python function is one warning line; its callers get a 502, the rest of the app works', async () => {
    // Act
    const legacy = await call(app.state, 'operator', `${app.state.apis[0]?.url}legacy`);

    // Assess
    expect(assemblyWarnings(app.warnings)).toEqual([
      expect.stringMatching(
        /^SharedApiStack Legacy[0-9A-F]{8} \(Legacy\): runtime python3\.12 does not run locally \(nodejs16\.x to nodejs24\.x do\); its callers get 502 locally$/,
      ),
    ]);
    expect(legacy).toEqual({
      status: 502,
      type: 'InternalServerErrorException',
      // As AWS writes it (docs: services-apigateway-errors), a space after the colon.
      body: '{"message": "Internal server error"}',
    });
  });
});

describe('serve refuses what it cannot honour: one line per problem, exit 1, no stack trace', () => {
  it('an assembly with an unsupported intrinsic function', () => {
    // Prepare: Fn::Cidr where the local stack needs a value (a policy's resource).
    const assembly = editedAssembly(inject('fixtures').classic, 'ClassicStack', (template) => {
      for (const resource of Object.values(template.Resources)) {
        if (resource.Type !== 'AWS::IAM::Policy') continue;
        const document = resource.Properties.PolicyDocument as { Statement: { Resource: unknown }[] };
        for (const statement of document.Statement) statement.Resource = { 'Fn::Cidr': ['10.0.0.0/16', 6, 5] };
      }
    });
    const stateFile = join(mkdtempSync(join(tmpdir(), 'iam-m2m-state-')), 'state.json');

    // Act
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', cli, 'serve', '--assembly', assembly, '--port', '0', '--state', stateFile],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 30_000 },
    );

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^iam-m2m-local: ClassicStack RequestorServiceRoleDefaultPolicy[0-9A-F]{8}\.PolicyDocument: cannot resolve Fn::Cidr in ClassicStack \(not supported locally\)/,
      ),
    ]);
  });

  it('a folder that is no cloud assembly', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', cli, 'serve', '--assembly', tmpdir(), '--port', '0', '--state', join(tmpdir(), 'x.json')],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `iam-m2m-local: No cloud assembly at ${tmpdir()}: run \`cdk synth\` first (manifest.json is missing).\n`,
    );
  });
});
