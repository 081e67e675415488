import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { type ResolutionScope, resolve, UnresolvedError } from '../../src/assembly/intrinsics.js';
import { readCloudAssembly } from '../../src/assembly/model.js';
import type { LocalState } from '../../src/server.js';
import { editedAssembly } from '../helpers/stack.js';

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
    expect(() => resolve({ 'Fn::ImportValue': 'X' }, scope())).toThrow(UnresolvedError);
    expect(() => resolve({ 'Fn::ImportValue': 'X' }, scope())).toThrow('Fn::ImportValue in S (not supported locally)');
  });
});

describe('reading a cloud assembly', () => {
  it('reports what it cannot resolve by name instead of allowing anything', () => {
    // Prepare: a policy resource the local stack cannot know, and a managed policy.
    const assembly = editedAssembly(inject('oneAccount'), 'IamM2m', (template) => {
      for (const resource of Object.values(template.Resources)) {
        if (resource.Type === 'AWS::IAM::Policy') {
          const document = resource.Properties.PolicyDocument as { Statement: { Resource: unknown }[] };
          for (const statement of document.Statement) statement.Resource = { 'Fn::ImportValue': 'SharedApiArn' };
        }
        if (resource.Type === 'AWS::IAM::Role') {
          resource.Properties.ManagedPolicyArns = ['arn:aws:iam::aws:policy/ReadOnlyAccess'];
        }
      }
    });

    // Act
    const read = () => readCloudAssembly(assembly);

    // Assess
    expect(read).toThrow(/Fn::ImportValue in IamM2m \(not supported locally\)/);
    expect(read).toThrow(/managed policy "arn:aws:iam::aws:policy\/ReadOnlyAccess" is not known locally/);
  });

  it('a missing assembly says how to make one', () => {
    expect(() => readCloudAssembly('/nonexistent')).toThrow(
      'No cloud assembly at /nonexistent: run `pnpm --filter infra run synth` first (manifest.json is missing).',
    );
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
