import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCredentialSource } from '../../scripts/aws-credentials.js';
import { assemblyDir, contextArgs, infraDir, optionValue } from '../../scripts/cdk.js';
import { appContext } from '../../scripts/context.js';
import { withoutMotoLacks } from '../../scripts/moto-templates.js';

const emptyHome = () => mkdtempSync(join(tmpdir(), 'iam-m2m-home-'));

/** Runs a script as `pnpm --filter infra run <script>` would, with only PATH and HOME set. */
const runScript = (script: string, args: string[] = [], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', join('scripts', script), ...args], {
    cwd: infraDir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: emptyHome(), ...env },
  });

describe('finding AWS credentials without the network', () => {
  it.each([
    [{ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, 'AWS_ACCESS_KEY_ID'],
    [{ AWS_PROFILE: 'dev' }, 'profile dev'],
    [{ AWS_WEB_IDENTITY_TOKEN_FILE: '/var/token' }, 'AWS_WEB_IDENTITY_TOKEN_FILE'],
    [{ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials' }, 'container credentials'],
    [{ AWS_ACCESS_KEY_ID: 'AKIA' }, undefined],
    [{}, undefined],
  ])('%j → %s', (env, expected) => {
    expect(findCredentialSource(env, emptyHome())).toBe(expected);
  });

  it('finds ~/.aws/credentials', () => {
    // Prepare
    const home = emptyHome();
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), '[default]\n');

    // Act & Assess
    expect(findCredentialSource({}, home)).toBe(join(home, '.aws', 'credentials'));
  });
});

describe('scripts without credentials', () => {
  it.each(['deploy.ts', 'invoke.ts'])('%s stops with one clear line and exit 1, before any synth', (script) => {
    // Act
    const result = runScript(script, script === 'invoke.ts' ? ['requestor'] : []);

    // Assess
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/needs AWS credentials and found none: set AWS_PROFILE/);
  });

  it('invoke names the functions it knows when given another', () => {
    // Act
    const result = runScript('invoke.ts', ['nope']);

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe('invoke: say which function: requestor or hello-world (got "nope").');
  });
});

describe('context arguments', () => {
  it('reads -c, --context and --context= forms', () => {
    expect(
      contextArgs(['-c', 'apiAccount=1', '--context', 'region=eu-west-1', '--context=requestorAccount=2', 'x']),
    ).toEqual({
      apiAccount: '1',
      region: 'eu-west-1',
      requestorAccount: '2',
    });
  });
});

describe('the assembly a CDK command works on', () => {
  it('reads --name value, --name=value and -n value; the last one wins', () => {
    expect(optionValue(['--app', 'a', '-c', 'x=1'], 'app', 'a')).toBe('a');
    expect(optionValue(['--app=b'], 'app', 'a')).toBe('b');
    expect(optionValue(['-a', 'c', '--app', 'd'], 'app', 'a')).toBe('d');
    expect(optionValue(['--approve', 'x'], 'app', 'a')).toBeUndefined();
  });

  it('is --app when it names a folder, else --output, else cdk.out: outputs go beside it', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-assembly-'));
    mkdirSync(join(dir, 'rehearsal'));

    // Act & Assess
    expect(assemblyDir(['--app', 'rehearsal', '-c', 'region=eu-west-1'], dir)).toBe(join(dir, 'rehearsal'));
    expect(assemblyDir(['--app', 'node --import tsx bin/app.ts', '-o', 'out'], dir)).toBe(join(dir, 'out'));
    expect(assemblyDir(['--output=/tmp/elsewhere'], dir)).toBe('/tmp/elsewhere');
    expect(assemblyDir([], dir)).toBe(join(dir, 'cdk.out'));
  });
});

describe('context: one source of truth for the app and the scripts', () => {
  it('cdk.json, then cdk.context.json, then -c (the last wins), as the CDK CLI reads them', () => {
    // Prepare: the README offers cdk.json; deploy used to read -c only ("No stacks match IamM2m").
    const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-context-'));
    writeFileSync(
      join(dir, 'cdk.json'),
      JSON.stringify({ context: { apiAccount: '222222222222', region: 'eu-west-1' } }),
    );
    writeFileSync(join(dir, 'cdk.context.json'), JSON.stringify({ region: 'eu-central-1' }));

    // Act
    const context = appContext(['-c', 'requestorAccount=111111111111'], dir);

    // Assess
    expect(context).toMatchObject({
      apiAccount: '222222222222',
      region: 'eu-central-1',
      requestorAccount: '111111111111',
    });
  });

  it.each([
    [
      ['-c', 'apiAccount=abc', '-c', 'requestorAccount=111111111111'],
      'deploy: Context apiAccount must be a 12-digit AWS account id, got "abc".',
    ],
    [
      ['-c', 'region=xx-nowhere-1'],
      'deploy: Context region must be an AWS Region such as eu-west-1, got "xx-nowhere-1".',
    ],
    [
      ['-c', 'requestorAccount=111111111111'],
      'deploy: Context requestorAccount is set but apiAccount is not: give both (the same account twice for one stack in it), or neither.',
    ],
  ])('deploy %j: one line, exit 1, before any synth (no stack trace)', (args, line) => {
    // Act: credentials present (they are never used: it stops first).
    const result = runScript('deploy.ts', args, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example' });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`${line}\n`);
  });
});

/** A stand-in for STS answering every call with `status` and `body` (AWS itself cannot run here). */
async function fakeSts(status: number, body: string): Promise<{ url: string; close: () => void }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** Runs a script with test credentials and STS at `stsUrl`, without blocking this process (it serves STS). */
function runScriptAgainst(
  stsUrl: string,
  script: string,
  args: string[],
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('scripts', script), ...args], {
      cwd: infraDir,
      env: {
        PATH: process.env.PATH,
        HOME: emptyHome(),
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'example',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_STS: stsUrl,
        NODE_NO_WARNINGS: '1',
      },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('exit', (status) => resolve({ status, stderr }));
  });
}

describe('credentials AWS refuses (STS mocked: AWS itself cannot run here)', () => {
  it.each([
    [
      'ExpiredToken',
      'The security token included in the request is expired',
      'have expired (aws sso login, or fresh keys)',
    ],
    [
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
      'are not valid: the access key id is unknown to AWS',
    ],
  ])('%s: deploy says so in one line, before any synth', async (code, message, why) => {
    // Prepare
    const sts = await fakeSts(
      403,
      `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
    );
    try {
      // Act
      const result = await runScriptAgainst(sts.url, 'deploy.ts', []);

      // Assess
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`deploy: the AWS credentials from AWS_ACCESS_KEY_ID ${why}.\n`);
    } finally {
      sts.close();
    }
  });
});

describe('invoke in two accounts (STS mocked: AWS itself cannot run here)', () => {
  it('names the account whose credentials it needs, in one line', async () => {
    // Prepare: STS says these credentials are of a third account.
    const sts = await fakeSts(
      200,
      '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::333333333333:user/dev</Arn><UserId>AIDA</UserId><Account>333333333333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
    );
    try {
      // Act
      const result = await runScriptAgainst(sts.url, 'invoke.ts', [
        'hello-world',
        '-c',
        'apiAccount=222222222222',
        '-c',
        'requestorAccount=111111111111',
        '-c',
        'region=us-east-1',
      ]);

      // Assess
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        "invoke: hello-world is in account 222222222222 (the API's); these credentials are of 333333333333: use that account's profile (AWS_PROFILE) or keys\n",
      );
    } finally {
      sts.close();
    }
  });
});

describe('rehearsal on moto: leaving out what its CloudFormation lacks', () => {
  it('removes AWS::Lambda::Url and AWS::ApiGatewayV2::*, replaces Ref and GetAtt, drops DependsOn', () => {
    // Prepare
    const template = {
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
        Url: { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
        Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} },
        Stage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Api' } } },
        Policy: {
          Type: 'AWS::IAM::Policy',
          DependsOn: ['Stage', 'Fn'],
          Properties: { Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'Api' }, '/$default/GET/']] } },
        },
      },
      Outputs: { FunctionUrl: { Value: { 'Fn::GetAtt': ['Url', 'FunctionUrl'] } } },
    };

    // Act
    const { template: rewritten, leftOut } = withoutMotoLacks(template);

    // Assess
    expect(leftOut).toEqual({ 'AWS::Lambda::Url': 1, 'AWS::ApiGatewayV2::Api': 1, 'AWS::ApiGatewayV2::Stage': 1 });
    expect(rewritten).toEqual({
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
        Policy: {
          Type: 'AWS::IAM::Policy',
          DependsOn: ['Fn'],
          Properties: { Resource: { 'Fn::Join': ['', ['arn:', 'moto-lacks-Api', '/$default/GET/']] } },
        },
      },
      Outputs: { FunctionUrl: { Value: 'moto-lacks-Url.FunctionUrl' } },
    });
  });

  it.each([
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JS template
    [{ 'Fn::Sub': 'arn:${Api}/x' }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JS template
    [{ 'Fn::Sub': '${Api.ApiEndpoint}' }],
    [{ Target: 'Api' }],
  ])('refuses a reference it cannot replace (%j) rather than deploy it broken', (value) => {
    // Prepare
    const template = {
      Resources: {
        Api: { Type: 'AWS::ApiGatewayV2::Api' },
        Param: { Type: 'AWS::SSM::Parameter', Properties: { Value: value } },
      },
    };

    // Act & Assess
    expect(() => withoutMotoLacks(template)).toThrow(
      'a reference to Api is left that the rewrite for moto does not know how to replace',
    );
  });
});
