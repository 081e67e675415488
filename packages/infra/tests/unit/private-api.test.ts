// `-c private=true`: the REST API private, the requestor in an isolated VPC behind an execute-api
// interface endpoint. What AWS documents and these tests pin:
// - https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-create.html
//   (endpoint type PRIVATE, reached through an execute-api interface VPC endpoint with private DNS)
// - https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html
//   (the Deny of execute-api:Invoke on execute-api:/* unless aws:SourceVpce is the endpoint)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { InlineCode, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { infraDir } from '../../scripts/cdk.js';
import { apiParameterArgs, requestorParameterArgs } from '../../scripts/parameters.js';
import { readConfig } from '../../src/config.js';
import { IamRestApi } from '../../src/iam-rest-api.js';
import { RequestorFunction } from '../../src/requestor-function.js';
import {
  API_PARAMETERS,
  PENDING_API_ID,
  PRIVATE_REQUESTOR_PARAMETERS,
  REQUESTOR_PARAMETERS,
} from '../../src/stacks.js';
import { synthApp, templateOf, twoAccounts } from '../helpers/synth.js';

const oneAccountPrivate = { private: 'true' };
const twoAccountsPrivate = { ...twoAccounts, private: 'true' };

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

/** The one resource of `type` (the test fails when there are more or none), with its logical id. */
function only(template: Template, type: string): [string, Resources[string]] {
  const found = Object.entries(template.findResources(type) as Resources);
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0] as [string, Resources[string]];
}

const requestorOf = (template: Template) => {
  const functions = Object.entries(template.findResources('AWS::Lambda::Function') as Resources);
  const found = functions.find(
    ([, fn]) =>
      (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_SERVICE_NAME ===
      'requestor',
  );
  if (!found) throw new Error('no requestor function');
  return found;
};

const bareStack = () => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
const inlineHandler = (stack: Stack) =>
  new LambdaFunction(stack, 'H', {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: new InlineCode('export const handler = async () => ({});'),
  });

describe('context private', () => {
  it.each([
    [{ private: 'true' }, { layout: 'one', private: true }],
    [{ private: true }, { layout: 'one', private: true }],
    [twoAccountsPrivate, { layout: 'two', ...twoAccounts, private: true }],
  ])('%j → %j', (context, expected) => {
    expect(readConfig(new App({ context }).node)).toEqual(expected);
  });

  it.each([[{ private: 'false' }], [{ private: false }], [{}]])('%j: no private key at all', (context) => {
    expect(readConfig(new App({ context }).node)).not.toHaveProperty('private');
  });

  it('refuses anything but true or false', () => {
    expect(() => readConfig(new App({ context: { private: 'yes' } }).node)).toThrow(
      'Context private must be true or false, got "yes".',
    );
  });
});

describe('IamRestApi with private', () => {
  it('one account: PRIVATE, no endpoint association, the Allow and the SourceVpce Deny naming its endpoint', () => {
    // Act
    const template = templateOf(synthApp({ context: oneAccountPrivate }).stacks[0]);

    // Assess
    const [endpointId] = only(template, 'AWS::EC2::VPCEndpoint');
    const [, api] = only(template, 'AWS::ApiGateway::RestApi');
    // Private DNS serves the API's own host name: no {api-id}-{vpce-id} host, so no VpcEndpointIds.
    expect(api.Properties.EndpointConfiguration).toEqual({ Types: ['PRIVATE'] });
    expect(api.Properties.Policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'TrustedCallers',
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Principal: {
            AWS: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
            },
          },
          Resource: 'execute-api:/prod/*',
        },
        {
          Sid: 'OnlyThroughVpcEndpoints',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
          Condition: { StringNotEquals: { 'aws:SourceVpce': { Ref: endpointId } } },
        },
      ],
    });
  });

  it('two accounts: the Deny names the RequestorVpcEndpointId parameter, the Allow both accounts', () => {
    // Act
    const [api] = synthApp({ context: twoAccountsPrivate }).stacks;
    const template = templateOf(api);

    // Assess
    template.hasParameter('RequestorVpcEndpointId', { Type: 'String', AllowedPattern: '^vpce-[0-9a-f]{8,17}$' });
    const [, restApi] = only(template, 'AWS::ApiGateway::RestApi');
    expect(restApi.Properties.EndpointConfiguration).toEqual({ Types: ['PRIVATE'] });
    expect((restApi.Properties.Policy as { Statement: unknown[] }).Statement).toEqual([
      expect.objectContaining({ Sid: 'TrustedCallers', Effect: 'Allow' }),
      {
        Sid: 'OnlyThroughVpcEndpoints',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
        Condition: { StringNotEquals: { 'aws:SourceVpce': { Ref: 'RequestorVpcEndpointId' } } },
      },
    ]);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.resourceCountIs('AWS::EC2::VPC', 0);
  });

  it.each([
    ['vpce-0123456789abcdef0', true],
    ['vpce-1a2b3c4d', true],
    ['vpce-0123456789ABCDEF0', false],
    ['vpc-0123456789abcdef0', false],
  ] as const)('parameter RequestorVpcEndpointId accepts %j: %s', (value, accepted) => {
    expect(new RegExp(API_PARAMETERS.RequestorVpcEndpointId.allowedPattern).test(value)).toBe(accepted);
  });

  it('takes several endpoints, tokens among them: the Deny lists them all', () => {
    // Prepare
    const stack = bareStack();
    const fromParameter = new CfnParameter(stack, 'Vpce').valueAsString;

    // Act
    new IamRestApi(stack, 'Api', {
      handler: inlineHandler(stack),
      private: { vpcEndpointIds: ['vpce-0123456789abcdef0', fromParameter] },
    });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { StringNotEquals: { 'aws:SourceVpce': ['vpce-0123456789abcdef0', { Ref: 'Vpce' }] } },
          }),
        ]),
      },
    });
  });

  it.each([[[]], [['vpc-0123456789abcdef0']], [['']]])('refuses vpcEndpointIds %j with a clear error', (ids) => {
    // Prepare
    const stack = bareStack();

    // Act & Assess
    expect(
      () => new IamRestApi(stack, 'Api', { handler: inlineHandler(stack), private: { vpcEndpointIds: ids } }),
    ).toThrow(
      /IamRestApi Api: `private.vpcEndpointIds` must be one or more VPC endpoint ids like vpce-0123456789abcdef0/,
    );
  });

  it('a changed resource policy is a new deployment of the stage (AWS applies it only then)', () => {
    // Prepare
    const deploymentOf = (vpce: string) => {
      const stack = bareStack();
      new IamRestApi(stack, 'Api', { handler: inlineHandler(stack), private: { vpcEndpointIds: [vpce] } });
      return only(Template.fromStack(stack), 'AWS::ApiGateway::Deployment')[0];
    };

    // Act & Assess
    expect(deploymentOf('vpce-0123456789abcdef0')).not.toBe(deploymentOf('vpce-0fedcba9876543210'));
  });
});

describe('the requestor in an isolated VPC', () => {
  const layouts = [
    ['one account', oneAccountPrivate, 0],
    ['two accounts', twoAccountsPrivate, 1],
  ] as const;

  it.each(layouts)(
    '%s: two isolated subnets, no NAT gateway, no internet gateway, no route out, flow logs',
    (_l, context, index) => {
      // Act
      const template = templateOf(synthApp({ context }).stacks[index]);

      // Assess
      only(template, 'AWS::EC2::VPC');
      for (const type of [
        'AWS::EC2::NatGateway',
        'AWS::EC2::InternetGateway',
        'AWS::EC2::VPCGatewayAttachment',
        'AWS::EC2::EIP',
        'AWS::EC2::Route',
      ])
        template.resourceCountIs(type, 0);
      const subnets = template.findResources('AWS::EC2::Subnet') as Resources;
      expect(Object.keys(subnets)).toHaveLength(2);
      for (const subnet of Object.values(subnets)) {
        expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
        expect(subnet.Properties.Tags).toEqual(
          expect.arrayContaining([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]),
        );
      }
      const [vpcId] = only(template, 'AWS::EC2::VPC');
      template.hasResourceProperties('AWS::EC2::FlowLog', {
        ResourceId: { Ref: vpcId },
        ResourceType: 'VPC',
        TrafficType: 'ALL',
      });
      // Availability Zones resolve at deploy time: no lookup, so synth needs no credentials.
      expect(Object.values(subnets).map((s) => s.Properties.AvailabilityZone)).toEqual([
        { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
        { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
      ]);
    },
  );

  it.each(layouts)(
    '%s: the function runs in those subnets and may reach only the endpoint, on 443',
    (_l, context, index) => {
      // Act
      const template = templateOf(synthApp({ context }).stacks[index]);

      // Assess
      const subnetRefs = Object.keys(template.findResources('AWS::EC2::Subnet')).map((id) => ({ Ref: id }));
      const [endpointId, endpoint] = only(template, 'AWS::EC2::VPCEndpoint');
      const [, requestor] = requestorOf(template);
      const { SubnetIds, SecurityGroupIds = [] } = requestor.Properties.VpcConfig as Record<string, unknown[]>;
      expect(SubnetIds).toEqual(subnetRefs);
      expect(endpoint.Properties.SubnetIds).toEqual(subnetRefs);
      expect(SecurityGroupIds).toHaveLength(1);
      const [functionGroup] = (SecurityGroupIds[0] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      const endpointGroups = endpoint.Properties.SecurityGroupIds as { 'Fn::GetAtt': [string, string] }[];
      expect(endpointGroups).toHaveLength(1);
      const endpointGroup = endpointGroups[0]?.['Fn::GetAtt'][0];
      // The function's group: no inline rule, so its one egress is the rule below (CloudFormation
      // drops the default allow-all when a SecurityGroupEgress is added).
      expect(
        template.findResources('AWS::EC2::SecurityGroup')[functionGroup]?.Properties.SecurityGroupEgress,
      ).toBeUndefined();
      const [, egress] = only(template, 'AWS::EC2::SecurityGroupEgress');
      expect(egress.Properties).toMatchObject({
        GroupId: { 'Fn::GetAtt': [functionGroup, 'GroupId'] },
        DestinationSecurityGroupId: { 'Fn::GetAtt': [endpointGroup, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      });
      const [, ingress] = only(template, 'AWS::EC2::SecurityGroupIngress');
      expect(ingress.Properties).toMatchObject({
        GroupId: { 'Fn::GetAtt': [endpointGroup, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [functionGroup, 'GroupId'] },
        FromPort: 443,
        ToPort: 443,
      });
      // The endpoint's group lets nothing else in, nothing out (CDK's match-nothing egress rule).
      expect(template.findResources('AWS::EC2::SecurityGroup')[String(endpointGroup)]?.Properties).toMatchObject({
        SecurityGroupEgress: [{ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }],
      });
      expect(
        template.findResources('AWS::EC2::SecurityGroup')[String(endpointGroup)]?.Properties.SecurityGroupIngress,
      ).toBeUndefined();
      expect(endpointId).toMatch(/Endpoint/);
    },
  );

  it.each(layouts)('%s: IAM_API only, the REST API stage URL', (_l, context, index) => {
    // Act
    const template = templateOf(synthApp({ context }).stacks[index]);

    // Assess
    const [, requestor] = requestorOf(template);
    const variables = (requestor.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables).sort()).toEqual(['IAM_API', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME']);
    expect(JSON.stringify(variables.IAM_API)).toContain('.execute-api.');
  });

  it('one account: the endpoint policy allows only the requestor role, GET / of prod in this account (the API names the endpoint, so not the API id)', () => {
    // Act
    const template = templateOf(synthApp({ context: oneAccountPrivate }).stacks[0]);

    // Assess
    const [roleId] = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
      id.startsWith('RequestorRole'),
    );
    const [, endpoint] = only(template, 'AWS::EC2::VPCEndpoint');
    expect(endpoint.Properties).toMatchObject({
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.execute-api']] },
    });
    expect(endpoint.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: { 'Fn::GetAtt': [roleId, 'Arn'] } },
          Action: 'execute-api:Invoke',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':execute-api:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':*/prod/GET/',
              ],
            ],
          },
        },
      ],
    });
  });

  it("two accounts: the endpoint policy allows only the requestor role, on the API's exact GET / ARN", () => {
    // Act
    const [, requestor] = synthApp({ context: twoAccountsPrivate }).stacks;
    const template = templateOf(requestor);

    // Assess
    const [roleId] = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
      id.startsWith('RequestorRole'),
    );
    const [, endpoint] = only(template, 'AWS::EC2::VPCEndpoint');
    expect(endpoint.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: { 'Fn::GetAtt': [roleId, 'Arn'] } },
          Action: 'execute-api:Invoke',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':execute-api:eu-west-1:222222222222:',
                { Ref: 'ApiId' },
                '/prod/GET/',
              ],
            ],
          },
        },
      ],
    });
  });

  it.each(layouts)(
    "%s: the role may invoke exactly the API's GET /, manage network interfaces in its subnets and group, nothing else",
    (_l, context, index) => {
      // Act
      const template = templateOf(synthApp({ context }).stacks[index]);

      // Assess
      const [roleId] = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
        id.startsWith('RequestorRole'),
      );
      const statements = Object.values(template.findResources('AWS::IAM::Policy') as Resources)
        .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
        .flatMap(
          (p) =>
            (
              p.Properties.PolicyDocument as {
                Statement: { Action: string | string[]; Resource: unknown; Sid?: string }[];
              }
            ).Statement,
        );
      expect(statements.map((s) => [s.Action].flat().join(','))).toEqual([
        'logs:CreateLogStream,logs:PutLogEvents',
        'xray:PutTraceSegments,xray:PutTelemetryRecords',
        'execute-api:Invoke',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface,ec2:AssignPrivateIpAddresses,ec2:UnassignPrivateIpAddresses',
        'ec2:DescribeNetworkInterfaces,ec2:DescribeSubnets',
      ]);
      expect(statements.find((s) => s.Sid === 'InvokeOneMethod')?.Resource).toEqual({
        'Fn::Join': ['', expect.arrayContaining([expect.stringMatching(/\/prod\/GET\/$/)])],
      });
      // Creation names the subnets and the function's group; only the Describe actions are on `*`.
      const create = JSON.stringify(statements[3]?.Resource);
      for (const subnet of Object.keys(template.findResources('AWS::EC2::Subnet')))
        expect(create).toContain(`:subnet/",{"Ref":"${subnet}"}`);
      expect(create).toContain(':security-group/');
      expect(statements.filter((s) => s.Resource === '*').map((s) => [s.Action].flat()[0])).toEqual([
        'xray:PutTraceSegments',
        'ec2:DescribeNetworkInterfaces',
      ]);
      // Lambda checks the permissions when it creates the function: it waits for that policy.
      const [fnId, fn] = requestorOf(template);
      const [networkPolicy] = Object.keys(template.findResources('AWS::IAM::Policy')).filter((id) =>
        id.includes('NetworkInterfaces'),
      );
      expect(fn.DependsOn).toContain(networkPolicy);
      expect(fnId).toMatch(/^Requestorrequestor/);
    },
  );

  it('refuses the function URL or the HTTP API beside private: the VPC reaches neither', () => {
    // Prepare
    const stack = bareStack();
    const handler = inlineHandler(stack);
    const api = new IamRestApi(stack, 'Api', { handler });

    // Act & Assess
    expect(
      () =>
        new RequestorFunction(stack, 'R', {
          api,
          remoteHttpApi: { region: 'eu-west-1', httpApiId: 'x', callerRoleArn: 'arn:aws:iam::222222222222:role/c' },
          private: {},
        }),
    ).toThrow(
      'RequestorFunction R: `private` calls the REST API only (private DNS hides public execute-api hosts, isolated subnets reach no function URL): drop `remoteHttpApi`.',
    );
  });

  it('without an endpoint given, creates its own beside itself, `<id>Network`, and exposes it', () => {
    // Prepare
    const stack = bareStack();

    // Act
    const requestor = new RequestorFunction(stack, 'R', {
      remoteApi: { account: '222222222222', region: 'eu-west-1', restApiId: 'a1b2c3d4e5' },
      private: {},
    });

    // Assess
    expect(requestor.vpcEndpoint?.node.path).toBe('S/RNetwork');
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 1);
  });
});

describe('two accounts, private: what each stack takes from the other', () => {
  it('the requestor stack comes first: it outputs its endpoint id, its one parameter ApiId waits with a placeholder', () => {
    // Act
    const [api, requestor] = synthApp({ context: twoAccountsPrivate }).stacks;

    // Assess
    expect(api?.dependencies).toContain(requestor);
    expect(requestor?.dependencies).not.toContain(api);
    const template = templateOf(requestor);
    const parameters = Object.keys(template.findParameters('*')).filter((p) => p !== 'BootstrapVersion');
    expect(parameters).toEqual([...PRIVATE_REQUESTOR_PARAMETERS]);
    template.hasParameter('ApiId', {
      Default: PENDING_API_ID,
      AllowedPattern: REQUESTOR_PARAMETERS.ApiId.allowedPattern,
    });
    expect(new RegExp(REQUESTOR_PARAMETERS.ApiId.allowedPattern).test(PENDING_API_ID)).toBe(true);
    const [endpointId] = only(template, 'AWS::EC2::VPCEndpoint');
    expect(template.findOutputs('*')).toEqual({
      RequestorFunctionName: { Value: { Ref: expect.stringMatching(/^Requestorrequestor/) } },
      RequestorVpcEndpointId: { Value: { Ref: endpointId } },
    });
  });

  it('parameters are named like the other stack’s outputs, both ways', () => {
    // Act
    const [api, requestor] = synthApp({ context: twoAccountsPrivate }).stacks;

    // Assess
    const names = (template: Template) =>
      Object.keys(template.findParameters('*')).filter((p) => p !== 'BootstrapVersion');
    const outputs = (template: Template) => Object.keys(template.findOutputs('*'));
    expect(names(templateOf(api))).toEqual(Object.keys(API_PARAMETERS));
    for (const name of names(templateOf(api))) expect(outputs(templateOf(requestor))).toContain(name);
    for (const name of names(templateOf(requestor))) expect(outputs(templateOf(api))).toContain(name);
  });

  it('deploy passes the endpoint id to the API stack and the API id to the requestor stack', () => {
    expect(apiParameterArgs({ RequestorVpcEndpointId: 'vpce-0123456789abcdef0' }, 'outputs-requestor.json')).toEqual([
      '--parameters',
      'IamM2mApi:RequestorVpcEndpointId=vpce-0123456789abcdef0',
    ]);
    expect(
      requestorParameterArgs(
        { ApiId: 'a1b2c3d4e5', FunctionUrl: 'https://x/' },
        'outputs-api.json',
        PRIVATE_REQUESTOR_PARAMETERS,
      ),
    ).toEqual(['--parameters', 'IamM2mRequestor:ApiId=a1b2c3d4e5']);
    expect(() => apiParameterArgs({ RequestorFunctionName: 'f' }, 'cdk.out/outputs-requestor.json')).toThrow(
      'IamM2mRequestor has no RequestorVpcEndpointId output in cdk.out/outputs-requestor.json.',
    );
  });
});

describe('private layouts: security checks', () => {
  it.each([
    ['one account', oneAccountPrivate, ['<AWS::Region>', '<AWS::AccountId>']],
    ['two accounts', twoAccountsPrivate, ['eu-west-1', '111111111111']],
    [
      'one account in an account and Region',
      { ...twoAccountsPrivate, requestorAccount: '222222222222' },
      ['eu-west-1', '222222222222'],
    ],
  ] as const)('%s: cdk-nag finds nothing unacknowledged', (_label, context, [region, account]) => {
    // Prepare
    const { app, outdir } = synthApp({ context, nag: true });

    // Act & Assess
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        conclusion: string;
        violations: unknown[];
        suppressedViolations: { acknowledgedId: string; reason: string }[];
      }[];
    };
    const acknowledged = new Set<string>();
    for (const plugin of report.pluginReports) {
      expect(plugin.conclusion).toBe('success');
      expect(plugin.violations).toEqual([]);
      for (const { acknowledgedId, reason } of plugin.suppressedViolations) {
        expect(reason.length).toBeGreaterThan(40);
        acknowledged.add(acknowledgedId);
      }
    }
    // The README's list: the six of the public layouts, and the function's network interfaces.
    expect([...acknowledged].sort()).toEqual([
      'AwsSolutions::AwsSolutions-APIG2',
      'AwsSolutions::AwsSolutions-APIG3',
      'AwsSolutions::AwsSolutions-APIG6',
      'AwsSolutions::AwsSolutions-COG4',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${region}:${account}:network-interface/*]`,
      'Serverless::Serverless-LambdaDLQ',
    ]);
  });

  it.each([
    ['one account', { private: 'true' }, ['IamM2m']],
    ['two accounts', twoAccountsPrivate, ['IamM2mApi', 'IamM2mRequestor']],
  ] as const)('%s: bin/app.ts synthesizes with -c private=true, its packs on', (_label, context, stacks) => {
    // Prepare: what the CDK CLI hands the app (bundling skipped: the bundle test covers it).
    const outdir = mkdtempSync(join(tmpdir(), 'iam-m2m-app-'));

    // Act
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', join('bin', 'app.ts')], {
        cwd: infraDir,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ ...context, 'aws:cdk:bundling-stacks': [] }),
        },
      });

    // Assess
    expect(run).not.toThrow();
    expect(
      readdirSync(outdir)
        .filter((file) => file.endsWith('.template.json'))
        .sort(),
    ).toEqual(stacks.map((stack) => `${stack}.template.json`));
  });
});

const cfnLintPresent = spawnSync('cfn-lint', ['--version']).status === 0;

describe.skipIf(!cfnLintPresent)(
  cfnLintPresent ? 'cfn-lint over the private templates' : 'cfn-lint: SKIPPED, cfn-lint is not installed',
  () => {
    it.each([
      ['one account', oneAccountPrivate],
      ['two accounts', twoAccountsPrivate],
    ] as const)('%s: no error or warning', (_label, context) => {
      // Prepare
      const { app, outdir } = synthApp({ context });
      app.synth();
      const templates = readdirSync(outdir)
        .filter((file) => file.endsWith('.template.json'))
        .map((file) => join(outdir, file));

      // Act & Assess: cfn-lint exits non-zero on any finding (W3005: CDK's own DependsOn).
      expect(() =>
        execFileSync('cfn-lint', ['--format', 'parseable', '--ignore-checks', 'W3005', '--', ...templates], {
          encoding: 'utf8',
        }),
      ).not.toThrow();
    });
  },
);
