import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { type ResolutionScope, resolve, UnresolvedError } from '../../src/assembly/intrinsics.js';
import { MissingAssemblyError } from '../../src/assembly/manifest.js';
import { type AssemblyError, readCloudAssembly } from '../../src/assembly/model.js';
import { nodeBinaryFor } from '../../src/lambda/node-binary.js';
import { findFunction } from '../../src/services/lambda-api/invoke-api.js';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { clientFor, editedAssembly } from '../helpers/stack.js';

const scope = (): ResolutionScope => ({
  stackName: 'S',
  accountId: '123456789012',
  region: 'eu-west-1',
  refs: new Map([['Api', 'abc123']]),
  attributes: new Map([['Role.Arn', 'arn:aws:iam::123456789012:role/r']]),
});

describe('intrinsic functions', () => {
  it.each([
    [{ Ref: 'AWS::AccountId' }, '123456789012'],
    [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x:', { Ref: 'AWS::Region' }]] }, 'arn:aws:x:eu-west-1'],
    [{ 'Fn::GetAtt': ['Role', 'Arn'] }, 'arn:aws:iam::123456789012:role/r'],
    [{ 'Fn::GetAtt': 'Role.Arn' }, 'arn:aws:iam::123456789012:role/r'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JS template
    [{ 'Fn::Sub': 'https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/' }, undefined],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JS template
    [{ 'Fn::Sub': ['${Api}/${Stage}', { Stage: 'prod' }] }, 'abc123/prod'],
    [{ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] }, 'b'],
    [{ nested: [{ Ref: 'Api' }] }, { nested: ['abc123'] }],
  ])('%j → %j', (value, expected) => {
    if (expected === undefined) expect(() => resolve(value, scope())).toThrow('cannot resolve Ref Stage in S');
    else expect(resolve(value, scope())).toEqual(expected);
  });

  it('an unsupported function is named', () => {
    expect(() => resolve({ 'Fn::Cidr': ['10.0.0.0/16', 6, 5] }, scope())).toThrow(UnresolvedError);
    expect(() => resolve({ 'Fn::Cidr': ['10.0.0.0/16', 6, 5] }, scope())).toThrow(
      'Fn::Cidr in S (not supported locally)',
    );
  });

  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html
  it('Fn::Equals compares values, not their text: a list is not a comma-joined string', () => {
    expect(resolve({ 'Fn::Equals': [['a', 'b'], 'a,b'] }, scope())).toBe(false);
    expect(resolve({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] }, scope())).toBe(true);
  });

  it('conditions: Fn::If picks by Fn::Equals / Fn::Not / Fn::And / Fn::Or, and AWS::NoValue removes the property', () => {
    // Prepare
    const withConditions: ResolutionScope = {
      ...scope(),
      refs: new Map([['Env', 'prod']]),
      conditions: {
        IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
        IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] },
        Either: { 'Fn::Or': [{ Condition: 'IsDev' }, { 'Fn::And': [{ Condition: 'IsProd' }, true] }] },
      },
    };
    const value = {
      Size: { 'Fn::If': ['IsProd', 'large', 'small'] },
      Debug: { 'Fn::If': ['IsDev', 'yes', { Ref: 'AWS::NoValue' }] },
      Both: { 'Fn::If': ['Either', 1, 2] },
      List: ['a', { 'Fn::If': ['IsDev', 'b', { Ref: 'AWS::NoValue' }] }],
    };

    // Act
    const resolved = resolve(value, withConditions);

    // Assess
    expect(resolved).toEqual({ Size: 'large', Both: 1, List: ['a'] });
    expect(() => resolve({ 'Fn::If': ['Nope', 1, 2] }, withConditions)).toThrow('condition Nope in S (not defined)');
  });

  it('Fn::ImportValue reads the exports of stacks deployed before in its own account and region, Fn::FindInMap the mappings', () => {
    const linked: ResolutionScope = {
      ...scope(),
      exports: new Map([
        ['123456789012/eu-west-1/SharedApiArn', 'arn:aws:execute-api:eu-west-1:123456789012:abc/*'],
        ['999999999999/eu-west-1/Other', 'another account’s export'],
      ]),
      mappings: { Regions: { 'eu-west-1': { Ami: 'ami-1' } } },
    };
    expect(resolve({ 'Fn::ImportValue': 'SharedApiArn' }, linked)).toBe(
      'arn:aws:execute-api:eu-west-1:123456789012:abc/*',
    );
    expect(resolve({ 'Fn::FindInMap': ['Regions', { Ref: 'AWS::Region' }, 'Ami'] }, linked)).toBe('ami-1');
    expect(() => resolve({ 'Fn::ImportValue': 'Other' }, linked)).toThrow(
      'Fn::ImportValue Other in S: no stack of the assembly deployed before it exports that name',
    );
  });
});

describe('reading a cloud assembly', () => {
  it('reports what it cannot resolve, one line per problem naming stack and logical id, instead of allowing anything', () => {
    // Prepare: a policy whose resource no stack of the assembly exports.
    const assembly = editedAssembly(inject('oneAccount'), 'IamM2m', (template) => {
      for (const resource of Object.values(template.Resources)) {
        if (resource.Type === 'AWS::IAM::Policy') {
          const document = resource.Properties.PolicyDocument as { Statement: { Resource: unknown }[] };
          for (const statement of document.Statement) statement.Resource = { 'Fn::ImportValue': 'SharedApiArn' };
        }
      }
    });

    // Act
    let problems: string[] = [];
    try {
      readCloudAssembly(assembly);
    } catch (error) {
      problems = (error as AssemblyError).problems;
    }

    // Assess
    expect(problems).toHaveLength(2);
    for (const problem of problems) {
      expect(problem).toMatch(
        /^IamM2m (HelloWorld|Requestor)RoleDefaultPolicy[0-9A-F]{8}\.PolicyDocument: cannot resolve Fn::ImportValue SharedApiArn in IamM2m: no stack of the assembly deployed before it exports that name/,
      );
      expect(problem).not.toContain('\n');
    }
  });

  it('names functions and roles by construct id, and keeps physical ids across reads (as a deployed stack does)', () => {
    // Act
    const first = readCloudAssembly(inject('oneAccount'));
    const second = readCloudAssembly(inject('oneAccount'));

    // Assess
    expect(first.functions.map((fn) => fn.name).sort()).toEqual(['hello-world', 'requestor']);
    expect(first.apis[0]?.restApiId).toMatch(/^[a-z0-9]{10}$/);
    expect(second.apis[0]?.restApiId).toBe(first.apis[0]?.restApiId);
    expect(second.functions.map((fn) => fn.functionName)).toEqual(first.functions.map((fn) => fn.functionName));
    for (const fn of first.functions) expect(fn.functionName).toMatch(/^IamM2m-[A-Za-z0-9-]+-[A-Z0-9]{12}$/);
    expect(readCloudAssembly(inject('oneAccount'), { defaultAccountId: '123456789012' }).apis[0]?.restApiId).not.toBe(
      first.apis[0]?.restApiId,
    );
  });

  it('a missing assembly says how to make one', () => {
    expect(() => readCloudAssembly('/nonexistent')).toThrow(MissingAssemblyError);
    expect(() => readCloudAssembly('/nonexistent')).toThrow(
      'No cloud assembly at /nonexistent: run `cdk synth` first (manifest.json is missing).',
    );
  });
});

describe('context lookups the app could not make (Vpc.fromLookup without credentials)', () => {
  it('one warning per lookup CDK answered with placeholders, naming the cdk.context.json key to give', () => {
    // Prepare: the manifest's `missing`, as `cdk synth` writes it for a lookup cdk.context.json lacks.
    const dir = editedAssembly(inject('fixtures').classic, 'ClassicStack', () => {});
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const key = 'vpc-provider:account=111111111111:filter.tag:Name=Shared:region=us-east-1';
    manifest.missing = [{ key, provider: 'vpc-provider', props: {} }];
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));

    // Act
    const { warnings } = readCloudAssembly(dir);

    // Assess
    expect(warnings.filter((line) => line.startsWith('the app looked up'))).toEqual([
      `the app looked up vpc-provider that its cdk.context.json does not hold (key ${JSON.stringify(key)}): CDK synthesized placeholders, served as they are; give the value under that key in cdk.context.json (\`cdk context\` shows it after a lookup with credentials)`,
    ]);
  });
});

describe('AWS managed policies (CDK attaches them by default)', () => {
  it('are evaluated like inline policies; an unknown one is one warning line, grants nothing, and the stack starts', async () => {
    // Prepare: the requestor's role gets AWSLambdaRole (lambda:InvokeFunction on *) and an unknown managed policy.
    const assembly = editedAssembly(inject('oneAccount'), 'IamM2m', (template) => {
      const [, role] =
        Object.entries(template.Resources).find(
          ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('RequestorRole'),
        ) ?? [];
      if (!role) throw new Error('no requestor role in the fixture');
      role.Properties.ManagedPolicyArns = [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaRole']] },
        'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      ];
    });
    const warnings: string[] = [];

    // Act
    const stack = await LocalStack.start({
      assemblyDir: assembly,
      functionOutput: 'ignore',
      warn: (line) => warnings.push(line),
    });
    try {
      const state = stack.state();
      const hello = state.functions.find((fn) => fn.name === 'hello-world');
      // Without AWSLambdaRole the requestor may not invoke functions (the gateway tests show that 403).
      const response = await clientFor(state, 'requestor', 'lambda').post(
        `${state.lambdaEndpoint}/2015-03-31/functions/${hello?.functionName}/invocations`,
        { json: {}, headers: { 'X-Amz-Invocation-Type': 'DryRun' } },
      );

      // Assess: one line about managed policies. Whether a line about Node.js majors comes too depends on the
      // machine (a Node.js 24 binary at hand or not), never on the policies: it is counted apart.
      expect(warnings.filter((line) => line.includes('managed policy'))).toEqual([
        expect.stringMatching(
          /^IamM2m RequestorRole[0-9A-F]{8}: managed policy arn:aws:iam::aws:policy\/AmazonS3ReadOnlyAccess is not known locally; it grants nothing here$/,
        ),
      ]);
      expect(warnings.filter((line) => line.startsWith('functions of runtime nodejs24.x '))).toHaveLength(
        nodeBinaryFor('nodejs24.x').exact ? 0 : 1,
      );
      expect(response.status).toBe(204);
    } finally {
      await stack.close();
    }
  });
});

describe('serve (CONTRACT.md)', () => {
  it('writes the state file once it accepts requests and stops on SIGTERM', async () => {
    // Prepare
    const stateFile = join(mkdtempSync(join(tmpdir(), 'iam-m2m-state-')), 'state.json');
    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, 'serve', '--port', '0', '--state', stateFile, '--assembly', inject('oneAccount')],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });

    // Act
    for (let i = 0; i < 200 && !existsSync(stateFile); i++) await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(stateFile)) throw new Error(`serve wrote no state file: ${stderr}`);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState;
    const answer = await fetch(state.apis[0]?.url ?? '');
    child.kill('SIGTERM');

    // Assess
    expect(state).toMatchObject({
      region: 'us-east-1',
      lambdaEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      apis: [
        {
          restApiId: expect.stringMatching(/^[a-z0-9]{10}$/),
          accountId: expect.any(String),
          stage: 'prod',
          url: expect.stringMatching(/\/prod\/$/),
        },
      ],
    });
    expect(state.functions.map((f) => f.name).sort()).toEqual(['hello-world', 'requestor']);
    expect(state.principals.map((p) => p.name)).toEqual(expect.arrayContaining(['requestor', 'outsider', 'operator']));
    for (const p of state.principals)
      expect(p).toMatchObject({
        accessKeyId: expect.stringMatching(/^ASIA/),
        secretAccessKey: expect.any(String),
        sessionToken: expect.any(String),
      });
    expect(answer.status).toBe(403);
    expect(await exited).toBe(0);
  });
});

describe('same-named functions in two accounts (review findings)', () => {
  /** Two stacks, 111111111111 and 222222222222, each with a function physically named `worker`. */
  function twoWorkers(): string {
    const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-workers-'));
    const stack = (account: string, withPermission: boolean) => ({
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: { AssumeRolePolicyDocument: { Statement: [] } },
        },
        Worker: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            FunctionName: 'worker',
            Runtime: 'nodejs22.x',
            Handler: 'index.handler',
            Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
            Code: { ZipFile: 'exports.handler = async () => "ok";' },
          },
        },
        ...(withPermission
          ? {
              Permission: {
                Type: 'AWS::Lambda::Permission',
                Properties: { Action: 'lambda:InvokeFunction', FunctionName: 'worker', Principal: account },
              },
            }
          : {}),
      },
    });
    const artifacts: Record<string, unknown> = {};
    for (const [name, account, permission] of [
      ['A', '111111111111', true],
      ['B', '222222222222', false],
    ] as const) {
      writeFileSync(join(dir, `${name}.template.json`), JSON.stringify(stack(account, permission)));
      artifacts[name] = {
        type: 'aws:cloudformation:stack',
        environment: `aws://${account}/us-east-1`,
        properties: { templateFile: `${name}.template.json` },
      };
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
    return dir;
  }

  it('a permission naming a function by name belongs to the function of its own account', () => {
    // Act
    const { functions } = readCloudAssembly(twoWorkers());

    // Assess
    const permissions = Object.fromEntries(functions.map((fn) => [fn.accountId, fn.permissions.length]));
    expect(permissions).toEqual({ '111111111111': 1, '222222222222': 0 });
  });

  it('the Invoke API reads a bare name in the caller’s own account', async () => {
    // Prepare
    const stack = await LocalStack.start({ assemblyDir: twoWorkers(), functionOutput: 'ignore', warn: () => {} });
    try {
      // Act
      const found = findFunction(stack.runtimes.values(), 'worker', '222222222222');
      const partial = findFunction(stack.runtimes.values(), '111111111111:function:worker', '222222222222');

      // Assess
      expect(found?.runtime.fn.arn).toBe('arn:aws:lambda:us-east-1:222222222222:function:worker');
      expect(partial?.runtime.fn.arn).toBe('arn:aws:lambda:us-east-1:111111111111:function:worker');
    } finally {
      await stack.close();
    }
  });
});

describe('permissions boundaries from the assembly (what PermissionsBoundary.of(scope).apply emits)', () => {
  it('a customer managed boundary that does not allow execute-api denies the requestor what its own policy grants', async () => {
    // Prepare: a boundary allowing logs only, on the requestor's role.
    const assembly = editedAssembly(inject('oneAccount'), 'IamM2m', (template) => {
      template.Resources.Boundary = {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }] } },
      };
      const [, role] = Object.entries(template.Resources).find(([id]) => /^RequestorRole[0-9A-F]{8}$/.test(id)) ?? [];
      if (!role) throw new Error('no requestor role in the fixture');
      role.Properties.PermissionsBoundary = { Ref: 'Boundary' };
    });
    const stack = await LocalStack.start({ assemblyDir: assembly, functionOutput: 'ignore', warn: () => {} });
    try {
      // Act
      const state = stack.state();
      const response = await clientFor(state, 'requestor').get(state.apis[0]?.url ?? '');

      // Assess: without the boundary this call is a 200 (gateway tests).
      expect(response.status).toBe(403);
      expect(response.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    } finally {
      await stack.close();
    }
  });
});
