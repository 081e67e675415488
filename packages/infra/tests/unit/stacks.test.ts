import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { requestorParameterArgs } from '../../scripts/parameters.js';
import { readConfig } from '../../src/config.js';
import { REQUESTOR_PARAMETERS, requestorRoleName } from '../../src/stacks.js';
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
    expect(outputs).toEqual(expect.arrayContaining(['FunctionUrl', 'HttpApiId', 'HttpApiUrl']));
    expect(outputs).not.toContain('HttpApiCallerRoleArn');
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
      // Each function's execution role (the HTTP API's caller role is pinned in its own test).
      const roles = template.findResources('AWS::IAM::Role');
      for (const fn of Object.values(functions)) {
        expect(roles[fn.Properties.Role['Fn::GetAtt'][0]]?.Properties.AssumeRolePolicyDocument).toMatchObject({
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        });
      }
    }
  });
});

describe('two accounts: what the requestor stack takes from the API stack', () => {
  it('the API stack outputs its three targets and the caller role', () => {
    // Act
    const [api] = synthApp({ context: twoAccounts }).stacks;

    // Assess
    const template = templateOf(api);
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'ApiId',
        'ApiUrl',
        'HelloWorldFunctionName',
        'FunctionUrl',
        'HttpApiId',
        'HttpApiUrl',
        'HttpApiCallerRoleArn',
      ]),
    );
    const [url] = Object.keys(template.findResources('AWS::Lambda::Url'));
    const [httpApi] = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'));
    const [callerRole] = Object.keys(
      template.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('HTTP API') } }),
    );
    expect(outputs.FunctionUrl?.Value).toEqual({ 'Fn::GetAtt': [url, 'FunctionUrl'] });
    expect(outputs.HttpApiId?.Value).toEqual({ Ref: httpApi });
    expect(outputs.HttpApiUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', { Ref: httpApi }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/']],
    });
    expect(outputs.HttpApiCallerRoleArn?.Value).toEqual({ 'Fn::GetAtt': [callerRole, 'Arn'] });
  });

  it('every parameter of the requestor stack is named like an output of the API stack', () => {
    // Act
    const [api, requestor] = synthApp({ context: twoAccounts }).stacks;

    // Assess
    const parameters = Object.keys(templateOf(requestor).findParameters('*')).filter((p) => p !== 'BootstrapVersion');
    expect(parameters.sort()).toEqual(Object.keys(REQUESTOR_PARAMETERS).sort());
    expect(parameters.sort()).toEqual([
      'ApiId',
      'FunctionUrl',
      'HelloWorldFunctionName',
      'HttpApiCallerRoleArn',
      'HttpApiId',
    ]);
    const outputs = Object.keys(templateOf(api).findOutputs('*'));
    for (const parameter of parameters) expect(outputs).toContain(parameter);
  });

  it.each([
    ['ApiId', 'a1b2c3d4e5', true],
    ['ApiId', 'A1B2C3D4E5', false],
    ['FunctionUrl', 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/', true],
    ['FunctionUrl', 'https://abc.execute-api.eu-west-1.amazonaws.com/', false],
    ['HelloWorldFunctionName', 'IamM2mApi-HelloWorldhelloworldEC884017-AbC123', true],
    ['HttpApiId', 'z9y8x7w6v5', true],
    ['HttpApiCallerRoleArn', 'arn:aws:iam::222222222222:role/IamM2mApi-HttpApiCallerRoleBA5A33FF-AbC123', true],
    ['HttpApiCallerRoleArn', 'arn:aws:iam::222222222222:user/someone', false],
  ] as const)('parameter %s accepts %j: %s', (name, value, accepted) => {
    expect(new RegExp(REQUESTOR_PARAMETERS[name].allowedPattern).test(value)).toBe(accepted);
  });

  it('the requestor role is physically named from the configuration, the name the API stack trusts', () => {
    // Act
    const [api, requestor] = synthApp({ context: twoAccounts }).stacks;

    // Assess
    expect(requestorRoleName('eu-west-1')).toBe('IamM2mRequestor-eu-west-1');
    templateOf(requestor).hasResourceProperties('AWS::IAM::Role', { RoleName: 'IamM2mRequestor-eu-west-1' });
    expect(JSON.stringify(templateOf(api).toJSON())).toContain(':iam::111111111111:role/IamM2mRequestor-eu-west-1');
  });
});

describe("deploy: the requestor stack's parameters from the API stack's outputs", () => {
  const outputs = {
    ApiId: 'a1b2c3d4e5',
    ApiUrl: 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/',
    FunctionUrl: 'https://abc.lambda-url.eu-west-1.on.aws/',
    HelloWorldFunctionName: 'IamM2mApi-HelloWorld-AbC',
    HttpApiId: 'z9y8x7w6v5',
    HttpApiUrl: 'https://z9y8x7w6v5.execute-api.eu-west-1.amazonaws.com/',
    HttpApiCallerRoleArn: 'arn:aws:iam::222222222222:role/caller',
  };

  it('passes each output to the parameter of the same name', () => {
    expect(requestorParameterArgs(outputs, 'outputs.json')).toEqual([
      '--parameters',
      'IamM2mRequestor:ApiId=a1b2c3d4e5',
      '--parameters',
      'IamM2mRequestor:FunctionUrl=https://abc.lambda-url.eu-west-1.on.aws/',
      '--parameters',
      'IamM2mRequestor:HelloWorldFunctionName=IamM2mApi-HelloWorld-AbC',
      '--parameters',
      'IamM2mRequestor:HttpApiId=z9y8x7w6v5',
      '--parameters',
      'IamM2mRequestor:HttpApiCallerRoleArn=arn:aws:iam::222222222222:role/caller',
    ]);
  });

  it('names every missing output and the file it read', () => {
    // Prepare
    const { FunctionUrl: _url, HttpApiCallerRoleArn: _role, ...partial } = outputs;

    // Act & Assess
    expect(() => requestorParameterArgs(partial, 'cdk.out/outputs-api.json')).toThrow(
      'IamM2mApi has no FunctionUrl, HttpApiCallerRoleArn output in cdk.out/outputs-api.json.',
    );
  });
});
