// Two teams, two apps: a producer's private REST API and a consumer's VPC, execute-api endpoint and
// functions, synthesized as two CDK apps and served together, wired by --parameters as `cdk deploy` is.
// AWS itself is what the local stack stands in for; every call here is a real signed HTTP call.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { readCloudAssembly } from '../../src/assembly/model.js';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { awsError, clientFor, startStack } from '../helpers/stack.js';

/** API Gateway, "Invoke a private API": the host forms from inside a VPC. */
const INVOKE_PRIVATE =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html';
/** API Gateway, "Use VPC endpoint policies for private APIs": evaluated first, unsigned → anonymous. */
const ENDPOINT_POLICIES =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-vpc-endpoint-policies.html';
/** Lambda, "Giving Lambda functions access to resources in an Amazon VPC": no internet without a NAT. */
const LAMBDA_VPC = 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
/** The package's folder: `--import tsx` resolves from there, whatever folder the tests run from. */
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const PLACEHOLDER_VPCE = 'vpce-00000000000000000';

let producer = '';
let consumer = '';
/** The ids each side hands the other: the producer's API id, the consumer's endpoint id. */
let apiId = '';
let vpceId = '';
const parametersFor = (vpce = vpceId) => ({
  PrivateProducer: { ConsumerVpceId: vpce },
  PrivateConsumer: { ProducerApiId: apiId },
});

beforeAll(() => {
  ({ 'private-producer': producer, 'private-consumer': consumer } = inject('fixtures'));
  // As the teams learn them: each app read on its own, the other's id not yet known.
  apiId =
    readCloudAssembly(producer, { parameters: { PrivateProducer: { ConsumerVpceId: PLACEHOLDER_VPCE } } }).apis[0]
      ?.restApiId ?? '';
  vpceId =
    readCloudAssembly(consumer, { parameters: { PrivateConsumer: { ProducerApiId: 'aaaaaaaaaa' } } }).vpcEndpoints[0]
      ?.id ?? '';
});

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function serveBoth(vpce = vpceId) {
  const warnings: string[] = [];
  const started = await startStack([producer, consumer], {
    parameters: parametersFor(vpce),
    warn: (line) => warnings.push(line),
  });
  stack = started.stack;
  return { ...started, warnings };
}

const endpointUrl = (state: LocalState) => state.vpcEndpoints?.[0]?.url ?? '';

/** An unsigned GET with the Host and headers given (fetch would drop a Host header): its status and error type. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, type: response.headers['x-amzn-errortype'] as string | undefined });
    });
    request.once('error', reject).end();
  });
}

describe(`a private API across accounts, two apps served together (${INVOKE_PRIVATE})`, () => {
  it('the state file lists the consumer endpoint, with a local URL through it', async () => {
    // Act
    const { state } = await serveBoth();

    // Assess
    expect(vpceId).toMatch(/^vpce-[0-9a-f]{17}$/);
    expect(state.vpcEndpoints).toEqual([
      {
        id: vpceId,
        vpcId: expect.stringMatching(/^vpc-[0-9a-f]{17}$/),
        accountId: '111111111111',
        service: 'execute-api',
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/),
      },
    ]);
  });

  it.each(['private-dns', 'vpce-host', 'vpce-dns-with-host-header', 'vpce-dns-with-api-id-header'])(
    'the in-VPC caller, signed, gets its answer through the endpoint (%s)',
    async (form) => {
      // Prepare
      await serveBoth();

      // Act
      const outcome = await stack?.runtime('Caller')?.invoke({ form, signed: true, path: '/items' });

      // Assess: the producer sees the consumer's role, and the endpoint it came through.
      expect(outcome).toMatchObject({
        ok: true,
        result: {
          status: 200,
          body: {
            message: 'hello from producer',
            caller: expect.stringContaining(':assumed-role/PrivateConsumer-CallerServiceRole'),
            sourceVpce: vpceId,
          },
        },
      });
    },
  );

  it(`unsigned, the endpoint policy meets it first as anonymous (${ENDPOINT_POLICIES})`, async () => {
    // Prepare
    await serveBoth();

    // Act
    const outcome = await stack?.runtime('Caller')?.invoke({ signed: false });

    // Assess
    expect(outcome).toMatchObject({
      ok: true,
      result: {
        status: 403,
        body: {
          Message: expect.stringMatching(
            /^User: anonymous is not authorized to perform: execute-api:Invoke on resource: /,
          ),
        },
      },
    });
  });

  it('a producer policy whose aws:SourceVpce is another endpoint denies the consumer explicitly', async () => {
    // Prepare
    await serveBoth('vpce-0123456789abcdef0');

    // Act
    const outcome = await stack?.runtime('Caller')?.invoke({});

    // Assess
    expect(outcome).toMatchObject({
      ok: true,
      result: { status: 403, body: { Message: expect.stringMatching(/ with an explicit deny$/) } },
    });
  });

  it('from the host: through the endpoint URL as the consumer role, and refused on the public port', async () => {
    // Prepare
    const { state, url } = await serveBoth();
    const client = clientFor(state, 'Caller');

    // Act
    const through = await client.get(`${endpointUrl(state)}prod/items`);
    const named = await client.get(`${endpointUrl(state)}restapis/${apiId}/prod/`);
    const publicly = await client.get(url);
    const outsider = await clientFor(state, 'outsider').get(`${endpointUrl(state)}prod/`);

    // Assess
    expect(through.status).toBe(200);
    expect(named.status).toBe(200);
    expect(await awsError(publicly)).toEqual({ status: 403, type: 'ForbiddenException', message: 'Forbidden' });
    // The endpoint policy names the Caller role only.
    expect(await awsError(outsider)).toMatchObject({ status: 403, type: 'AccessDeniedException' });
  });

  it(`a function in isolated subnets cannot reach STS without an endpoint: ETIMEDOUT and one line (${LAMBDA_VPC})`, async () => {
    // Prepare
    const { warnings } = await serveBoth();

    // Act
    const outcome = await stack?.runtime('PublicCaller')?.invoke({});

    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { error: 'ETIMEDOUT' } });
    expect(warnings.filter((line) => line.includes('cannot reach'))).toEqual([
      expect.stringMatching(
        /^PublicCaller \(in vpc-[0-9a-f]{17}, whose subnets have no route to a NAT gateway.*cannot reach sts\.us-east-1\.amazonaws\.com:443/,
      ),
    ]);
  });
});

describe(`host forms that name no API of the endpoint answer 403 Forbidden (${INVOKE_PRIVATE})`, () => {
  it("an alias naming another endpoint, the endpoint's own name without x-apigw-api-id, an unknown API id", async () => {
    // Prepare
    const { state } = await serveBoth();
    const through = `${endpointUrl(state)}prod/`;
    const region = state.region;
    const vpceHost = `${vpceId}-abcd1234.execute-api.${region}.vpce.amazonaws.com`;

    // Act
    const answers = await Promise.all([
      rawGet(through, { Host: `${apiId}-vpce-0123456789abcdef0.execute-api.${region}.amazonaws.com` }),
      rawGet(through, { Host: vpceHost }),
      rawGet(through, { Host: vpceHost, 'x-apigw-api-id': 'zzzzzzzzzz' }),
      rawGet(through, { Host: `abc.lambda-url.${region}.on.aws` }),
    ]);

    // Assess
    expect(answers).toEqual(Array(4).fill({ status: 403, type: 'ForbiddenException' }));
  });

  it('from the VPC, the alias of an API not associated with its endpoint does not resolve (ENOTFOUND)', async () => {
    // Prepare: the producer's API associated with another endpoint than the consumer's.
    await serveBoth('vpce-0123456789abcdef0');

    // Act
    const outcome = await stack?.runtime('Caller')?.invoke({ form: 'vpce-host' });

    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { error: 'ENOTFOUND' } });
  });
});

describe('reloads (serve --watch) keep each endpoint where it was', () => {
  it('the same apps again: the same endpoint URL, still answering; closed with the stack', async () => {
    // Prepare
    const { state } = await serveBoth();
    const before = endpointUrl(state);

    // Act
    await stack?.reload([producer, consumer]);
    const again = stack?.state() as LocalState;
    const through = await clientFor(state, 'Caller').get(`${endpointUrl(again)}prod/`);
    await stack?.close();
    stack = undefined;
    const closed = await fetch(`${before}prod/`).catch((error: Error) => error);

    // Assess
    expect(endpointUrl(again)).toBe(before);
    expect(through.status).toBe(200);
    expect(closed).toBeInstanceOf(Error);
  });
});

describe(`from isolated subnets, what AWS lets through and what it does not (${LAMBDA_VPC})`, () => {
  it.each([
    [
      'SQS, whose endpoint the VPC has: reached on AWS; not served here, so refused with a line',
      'https://sqs.us-east-1.amazonaws.com/?Action=ListQueues',
      'sqs',
      'ECONNREFUSED',
    ],
    ['S3, with no endpoint in the VPC: times out', 'https://s3.us-east-1.amazonaws.com/', 's3', 'ETIMEDOUT'],
    ['the internet: times out', 'https://example.com/', 'execute-api', 'ETIMEDOUT'],
  ])('%s', async (_, url, service, expected) => {
    // Prepare
    const { warnings } = await serveBoth();

    // Act
    const outcome = await stack?.runtime('PublicCaller')?.invoke({ url, service });

    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { error: expected } });
    expect(warnings.filter((line) => line.includes(new URL(url).hostname))).toHaveLength(1);
  });

  it("a database's name in the VPC is left to the VPC's DNS, neither refused nor timed out here", async () => {
    // Prepare
    await serveBoth();

    // Act
    const outcome = (await stack?.runtime('PublicCaller')?.invoke({
      url: 'https://mydb.c9akciq32.us-east-1.rds.amazonaws.com/',
      service: 'rds',
    })) as { result?: { error?: string } };

    // Assess
    expect(['ETIMEDOUT', 'ECONNREFUSED']).not.toContain(outcome.result?.error);
  });
});

describe('two apps at the command line', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
      cwd: packageRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('without the parameters, one line per parameter naming the --parameters that sets it; exit 1', () => {
    // Act
    const result = run(['access', '--assembly', producer, '--assembly', consumer]);

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      `iam-m2m-local: PrivateProducer parameter ConsumerVpceId has no value and the app uses it: give it with --parameters PrivateProducer:ConsumerVpceId=${vpceId} (the output ConsumerVpceId of PrivateConsumer, another app: CloudFormation passes no output across apps by itself)`,
      'iam-m2m-local: PrivateConsumer parameter ProducerApiId has no value and the app uses it: give it with --parameters PrivateConsumer:ProducerApiId=<value>',
    ]);
  });

  it.each([
    [['--parameters', 'ConsumerVpceId'], '--parameters must be <Stack>:<Key>=<Value> or <Key>=<Value>'],
    [['--parameters', 'NoSuchKey=1'], '--parameters NoSuchKey: no stack of the app has a parameter NoSuchKey'],
    [['--parameters', 'Nope:Key=v'], '--parameters Nope:…: no stack Nope in the app'],
    [['--parameters', 'PrivateConsumer:ProducerApiId=NOT-AN-ID'], 'does not match its AllowedPattern'],
  ])('a bad parameter %j is one line', (extra, expected) => {
    // Act
    const result = run(['access', '--assembly', producer, '--assembly', consumer, ...extra]);

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(expected);
    expect(result.stderr).not.toContain('    at ');
  });

  it('--parameters <Key>=<Value> sets the parameter in every stack that has it, as cdk deploy does', () => {
    // Act
    const result = run([
      'access',
      '--assembly',
      producer,
      '--assembly',
      consumer,
      '--parameters',
      `ConsumerVpceId=${vpceId}`,
      '--parameters',
      `ProducerApiId=${apiId}`,
    ]);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('access with a parameters file: the private API only through the endpoint, the consumer allowed, others not', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'iam-m2m-parameters-')), 'parameters.json');
    writeFileSync(file, JSON.stringify(parametersFor()));

    // Act
    const result = run(['access', '--assembly', producer, '--assembly', consumer, '--parameters-file', file, '--json']);

    // Assess
    const cells = JSON.parse(result.stdout) as { principal: string; endpoint: string; allowed: boolean }[];
    const rest = cells.filter((cell) => cell.endpoint.startsWith('GET /prod/'));
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((cell) => cell.endpoint.endsWith(`(through ${vpceId})`))).toBe(true);
    expect(rest.filter((cell) => cell.allowed).map((cell) => cell.principal)).toEqual(['Caller', 'Caller']);
  });

  it('start --private: the requestor in its isolated VPC, refused unsigned by the endpoint policy, answered signed', () => {
    // Act
    const result = spawnSync(process.execPath, ['--import', 'tsx', cli, 'start', '--private'], {
      cwd: packageRoot,
      encoding: 'utf8',
      timeout: 180_000,
    });

    // Assess
    expect(result.status).toBe(0);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(last).toMatchObject({
      without: { Message: expect.stringMatching(/^User: anonymous is not authorized to perform: execute-api:Invoke/) },
      with: { hello: 'world' },
      functionUrl: { message: 'IAM_FUNCTION_URL is not set' },
    });
    expect(result.stdout).toMatch(/called the private API from its VPC through vpce-[0-9a-f]{17}/);
  }, 200_000);

  it('serve with two --assembly and --parameters writes vpcEndpoints in the state file', async () => {
    // Prepare
    const state = join(mkdtempSync(join(tmpdir(), 'iam-m2m-state-')), 'state.json');
    const parameters = Object.entries(parametersFor()).flatMap(([stackName, values]) =>
      Object.entries(values).flatMap(([key, value]) => ['--parameters', `${stackName}:${key}=${value}`]),
    );
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        cli,
        'serve',
        '--assembly',
        producer,
        '--assembly',
        consumer,
        ...parameters,
        '--state',
        state,
      ],
      { cwd: packageRoot, stdio: 'ignore' },
    );
    try {
      // Act
      for (let waited = 0; !existsSync(state) && waited < 30_000; waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const written = JSON.parse(readFileSync(state, 'utf8')) as LocalState;
      const response = await clientFor(written, 'Caller').get(`${endpointUrl(written)}prod/`);

      // Assess
      expect(written.vpcEndpoints?.map((endpoint) => endpoint.id)).toEqual([vpceId]);
      expect(response.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
