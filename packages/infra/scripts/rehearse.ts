// pnpm --filter infra run rehearse: deploy every stack, one account then two, to a throwaway
// moto_server on 127.0.0.1 (CloudFormation, S3, SSM, STS, IAM, Lambda, API Gateway), check what
// was created, destroy it, and say so in one line last. moto runs no Node functions and skips
// resource policies and stages: this checks what deploy creates, not that it runs (the local
// stack, `pnpm start`, is where it runs).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { APIGatewayClient, GetMethodCommand, GetResourcesCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { OUTPUTS, STACK_NAMES } from '../src/stacks.js';
import { infraDir } from './cdk.js';

const REGION = 'us-east-1';
const ACCOUNTS = { one: '123456789012', api: '222222222222', requestor: '111111111111' } as const;

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

const fail = (message: string): never => {
  process.stderr.write(`rehearse: ${message}\n`);
  process.exit(1);
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startMoto(): Promise<{ endpoint: string; moto: ChildProcess }> {
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status !== 0)
    fail('moto_server is not installed (pip install "moto[server]"); it stands in for AWS here.');
  const port = await freePort();
  const moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  // S3's virtual-host addressing needs a host name: localhost, not 127.0.0.1.
  const endpoint = `http://localhost:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${endpoint}/moto-api/`).then(
        () => true,
        () => false,
      )
    )
      return { endpoint, moto };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  moto.kill();
  return fail('moto_server did not start');
}

/** Credentials of `account`: moto gives an assumed role's keys to the role's account. */
async function credentialsOf(account: string, endpoint: string): Promise<Credentials> {
  const sts = new STSClient({
    region: REGION,
    endpoint,
    credentials: { accessKeyId: 'rehearsal', secretAccessKey: 'rehearsal' },
  });
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/rehearsal`, RoleSessionName: 'rehearsal' }),
  );
  return {
    accessKeyId: c?.AccessKeyId ?? '',
    secretAccessKey: c?.SecretAccessKey ?? '',
    sessionToken: c?.SessionToken,
  };
}

/** Runs a command of this package with `credentials` against moto; its output is kept for the failure message. */
function run(command: string[], credentials: Credentials, endpoint: string): void {
  const result = spawnSync(process.execPath, command, {
    cwd: infraDir,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ENDPOINT_URL: endpoint,
      CDK_DISABLE_VERSION_CHECK: '1',
    },
  });
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    fail(`${command.slice(-6).join(' ')} failed:\n${tail}`);
  }
}

const cdkBin = (args: string[]) => ['node_modules/aws-cdk/bin/cdk', ...args, '--no-notices'];
const script = (name: string, args: string[]) => ['--import', 'tsx', `scripts/${name}.ts`, '--', ...args];

/** What a deploy must have created, checked against moto's APIs; each failed check is one line. */
async function check(
  stacks: { api: { name: string; account: string }; requestor: { name: string; account: string } },
  credentialsFor: (account: string) => Promise<Credentials>,
  endpoint: string,
): Promise<string[]> {
  const problems: string[] = [];
  const clients = async (account: string) => {
    const config = { region: REGION, endpoint, credentials: await credentialsFor(account) };
    return {
      cloudFormation: new CloudFormationClient(config),
      lambda: new LambdaClient(config),
      apiGateway: new APIGatewayClient(config),
      iam: new IAMClient(config),
    };
  };
  const outputsOf = async (name: string, account: string) => {
    const { Stacks } = await (await clients(account)).cloudFormation.send(
      new DescribeStacksCommand({ StackName: name }),
    );
    return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue ?? '']));
  };
  const apiOutputs = await outputsOf(stacks.api.name, stacks.api.account);
  const requestorOutputs =
    stacks.requestor.name === stacks.api.name
      ? apiOutputs
      : await outputsOf(stacks.requestor.name, stacks.requestor.account);
  const apiId = apiOutputs[OUTPUTS.apiId] ?? '';
  for (const [key, outputs] of [
    [OUTPUTS.apiId, apiOutputs],
    [OUTPUTS.helloWorld, apiOutputs],
    [OUTPUTS.requestor, requestorOutputs],
  ] as const) {
    if (!outputs[key]) problems.push(`output ${key} missing (the invoke script needs it)`);
  }
  for (const [key, account, handler] of [
    [OUTPUTS.helloWorld, stacks.api.account, 'hello-world'],
    [OUTPUTS.requestor, stacks.requestor.account, 'requestor'],
  ] as const) {
    const outputs = key === OUTPUTS.helloWorld ? apiOutputs : requestorOutputs;
    const { Configuration: fn } = await (await clients(account)).lambda.send(
      new GetFunctionCommand({ FunctionName: outputs[key] }),
    );
    if (fn?.Runtime !== 'nodejs24.x') problems.push(`${handler}: runtime ${fn?.Runtime}, expected nodejs24.x`);
    if (!fn?.CodeSize) problems.push(`${handler}: no code`);
    if (fn?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== handler)
      problems.push(`${handler}: POWERTOOLS_SERVICE_NAME is ${fn?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME}`);
    if (handler === 'requestor') {
      const roleName = fn?.Role?.split('/').at(-1) ?? '';
      const { iam } = await clients(account);
      const { PolicyNames } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
      const documents = await Promise.all(
        (PolicyNames ?? []).map((PolicyName) => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }))),
      );
      const expected = `arn:aws:execute-api:${REGION}:${stacks.api.account}:${apiId}/prod/GET/`;
      const text = documents.map((d) => decodeURIComponent(d.PolicyDocument ?? '')).join('\n');
      if (!text.includes(`"${expected}"`)) problems.push(`requestor's role may not invoke exactly ${expected}`);
    }
  }
  const { apiGateway } = await clients(stacks.api.account);
  const { items } = await apiGateway.send(new GetResourcesCommand({ restApiId: apiId }));
  let methods = 0;
  for (const resource of items ?? []) {
    for (const httpMethod of Object.keys(resource.resourceMethods ?? {})) {
      methods++;
      const method = await apiGateway.send(
        new GetMethodCommand({ restApiId: apiId, resourceId: resource.id, httpMethod }),
      );
      if (method.authorizationType !== 'AWS_IAM')
        problems.push(`${httpMethod} ${resource.path}: authorization ${method.authorizationType}, expected AWS_IAM`);
    }
  }
  if (methods === 0) problems.push(`API ${apiId} has no methods`);
  return problems;
}

const { endpoint, moto } = await startMoto();
const stopMoto = () => moto.kill();
process.once('exit', stopMoto);
const cache = new Map<string, Credentials>();
const credentialsFor = async (account: string) => {
  const known = cache.get(account) ?? (await credentialsOf(account, endpoint));
  cache.set(account, known);
  return known;
};
const summary: string[] = [];

// One account: one stack, deployed with the account's own credentials, env-agnostic.
{
  const credentials = await credentialsFor(ACCOUNTS.one);
  run(cdkBin(['bootstrap', `aws://${ACCOUNTS.one}/${REGION}`]), credentials, endpoint);
  run(script('deploy', ['--method=direct']), credentials, endpoint);
  const one = { name: STACK_NAMES.one, account: ACCOUNTS.one };
  const problems = await check({ api: one, requestor: one }, credentialsFor, endpoint);
  run(cdkBin(['destroy', '--force', STACK_NAMES.one]), credentials, endpoint);
  if (problems.length > 0) fail(`one account:\n- ${problems.join('\n- ')}`);
  summary.push('one account held');
}

// Two accounts: each bootstrapped with its own credentials (the API's trusting the requestor's
// account to deploy), deployed by the deploy script from the requestor's account.
{
  const context = [
    '-c',
    `apiAccount=${ACCOUNTS.api}`,
    '-c',
    `requestorAccount=${ACCOUNTS.requestor}`,
    '-c',
    `region=${REGION}`,
  ];
  const trust = [
    '--trust',
    ACCOUNTS.requestor,
    '--cloudformation-execution-policies',
    'arn:aws:iam::aws:policy/AdministratorAccess',
  ];
  run(cdkBin(['bootstrap', `aws://${ACCOUNTS.api}/${REGION}`, ...trust]), await credentialsFor(ACCOUNTS.api), endpoint);
  run(
    cdkBin(['bootstrap', `aws://${ACCOUNTS.requestor}/${REGION}`]),
    await credentialsFor(ACCOUNTS.requestor),
    endpoint,
  );
  const deployer = await credentialsFor(ACCOUNTS.requestor);
  run(script('deploy', ['--method=direct', ...context]), deployer, endpoint);
  const problems = await check(
    {
      api: { name: STACK_NAMES.api, account: ACCOUNTS.api },
      requestor: { name: STACK_NAMES.requestor, account: ACCOUNTS.requestor },
    },
    credentialsFor,
    endpoint,
  );
  run(cdkBin(['destroy', '--force', STACK_NAMES.requestor, STACK_NAMES.api, ...context]), deployer, endpoint);
  if (problems.length > 0) fail(`two accounts:\n- ${problems.join('\n- ')}`);
  summary.push('two accounts held');
}

stopMoto();
process.stdout.write(`rehearse: ${summary.join(', ')}: deployed, checked and destroyed on moto_server (${endpoint})\n`);
