import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';
import { synthApp, templateOf, twoAccounts } from '../helpers/synth.js';

const contextOf = (context: Record<string, unknown>) => new App({ context }).node;

describe('configuration from context', () => {
  it.each([
    [{}, { layout: 'one', account: undefined, region: undefined }],
    [
      { apiAccount: '222222222222', requestorAccount: '222222222222', region: 'eu-west-1' },
      { layout: 'one', account: '222222222222', region: 'eu-west-1' },
    ],
    [
      { apiAccount: '222222222222', requestorAccount: '222222222222' },
      { layout: 'one', account: '222222222222', region: undefined },
    ],
    [twoAccounts, { layout: 'two', ...twoAccounts }],
  ])('%j → %j', (context, expected) => {
    expect(readConfig(contextOf(context))).toEqual(expected);
  });

  it.each([
    [
      { apiAccount: '1234', requestorAccount: '111111111111' },
      'Context apiAccount must be a 12-digit AWS account id, got "1234".',
    ],
    [
      { apiAccount: '222222222222', requestorAccount: 'abc' },
      'Context requestorAccount must be a 12-digit AWS account id, got "abc".',
    ],
    [{ region: 'mars-1' }, 'Context region must be an AWS Region such as eu-west-1, got "mars-1".'],
    // The shape of a region is not enough: only AWS's Regions are.
    [{ region: 'xx-nowhere-1' }, 'Context region must be an AWS Region such as eu-west-1, got "xx-nowhere-1".'],
    // One account alone used to deploy the whole one-account stack into it, silently.
    [
      { requestorAccount: '111111111111' },
      'Context requestorAccount is set but apiAccount is not: give both (the same account twice for one stack in it), or neither.',
    ],
    [
      { apiAccount: '222222222222', region: 'eu-west-1' },
      'Context apiAccount is set but requestorAccount is not: give both (the same account twice for one stack in it), or neither.',
    ],
    [
      { apiAccount: '222222222222', requestorAccount: '111111111111' },
      'Context region is required with two accounts (e.g. -c region=eu-west-1).',
    ],
  ])('refuses %j', (context, message) => {
    expect(() => readConfig(contextOf(context))).toThrow(message);
  });
});

describe('stacks', () => {
  it('one account with no context: one env-agnostic stack', () => {
    // Act
    const { stacks } = synthApp();

    // Assess
    expect(stacks.map((s) => s.stackName)).toEqual(['IamM2m']);
    expect(stacks[0]?.environment).toBe('aws://unknown-account/unknown-region');
    const outputs = Object.keys(templateOf(stacks[0]).findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining(['ApiId', 'ApiUrl', 'HelloWorldFunctionName', 'RequestorFunctionName']),
    );
  });

  it('two accounts: API stack then requestor stack, each in its account', () => {
    // Act
    const { stacks } = synthApp({ context: twoAccounts });

    // Assess
    expect(stacks.map((s) => [s.stackName, s.account, s.region])).toEqual([
      ['IamM2mApi', '222222222222', 'eu-west-1'],
      ['IamM2mRequestor', '111111111111', 'eu-west-1'],
    ]);
    expect(stacks[1]?.dependencies).toContain(stacks[0]);
  });

  it('every function: Node.js 24, arm64, active tracing, its own log group, no managed policy', () => {
    // Act
    const templates = [synthApp().stacks[0], ...synthApp({ context: twoAccounts }).stacks].map(templateOf);

    // Assess
    for (const template of templates) {
      const functions = template.findResources('AWS::Lambda::Function');
      expect(Object.keys(functions).length).toBeGreaterThan(0);
      for (const fn of Object.values(functions)) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/LogGroup/) } },
        });
        expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      }
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      template.allResourcesProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        }),
      });
    }
  });
});
