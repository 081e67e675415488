import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { InlineCode, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { IamHttpApi } from '../../src/iam-http-api.js';
import { IamRestApi } from '../../src/iam-rest-api.js';
import { RequestorFunction } from '../../src/requestor-function.js';
import { synthApp, templateOf, twoAccounts } from '../helpers/synth.js';

// The REST API's statement (the HTTP API's route grant has an execute-api:Invoke statement too).
const invokeStatements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    policy.Properties.PolicyDocument.Statement.filter(
      (s: { Action: unknown; Sid?: string }) => s.Action === 'execute-api:Invoke' && s.Sid === 'InvokeOneMethod',
    ),
  );

describe('RequestorFunction', () => {
  it('same account: may invoke exactly GET / of the API, and IAM_API is its stage URL', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    const statements = invokeStatements(template);
    expect(statements).toHaveLength(1);
    const [apiId] = Object.keys(template.findResources('AWS::ApiGateway::RestApi'));
    expect(statements[0]).toEqual({
      Sid: 'InvokeOneMethod',
      Effect: 'Allow',
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
            ':',
            { Ref: apiId },
            '/prod/GET/',
          ],
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'requestor',
          IAM_API: { 'Fn::Join': ['', Match.arrayWith([{ Ref: apiId }])] },
        }),
      },
    });
  });

  it('two accounts: the ARN and URL are built from the API account, region and the ApiId parameter', () => {
    // Act
    const [, requestor] = synthApp({ context: twoAccounts }).stacks;
    const template = templateOf(requestor);

    // Assess
    template.hasParameter('ApiId', { Type: 'String', AllowedPattern: '^[a-z0-9]{10}$' });
    expect(invokeStatements(template)).toEqual([
      {
        Sid: 'InvokeOneMethod',
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:222222222222:', { Ref: 'ApiId' }, '/prod/GET/'],
          ],
        },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          IAM_API: {
            'Fn::Join': [
              '',
              ['https://', { Ref: 'ApiId' }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/prod/'],
            ],
          },
        }),
      },
    });
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
  });

  it('no IAM statement but X-Ray uses a wildcard action or resource', () => {
    // Act
    const templates = [synthApp().stacks[0], ...synthApp({ context: twoAccounts }).stacks].map(templateOf);

    // Assess
    for (const template of templates) {
      for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          const actions = [statement.Action].flat();
          expect(actions.every((a: string) => !a.includes('*'))).toBe(true);
          if (statement.Resource === '*') expect(actions.every((a: string) => a.startsWith('xray:'))).toBe(true);
        }
      }
      template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
    }
  });

  it.each([
    [{}, /give exactly one of `api` \(same account\) and `remoteApi`/],
    [{ remoteApi: { account: '1', region: 'r', restApiId: 'x' }, path: 'no-slash' }, /`path` must start with "\/"/],
  ])('refuses props %j with a clear error', (props, message) => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');

    // Act & Assess
    expect(() => new RequestorFunction(stack, 'R', props)).toThrow(message);
  });

  it('a custom method and path narrow the grant to that method', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const handler = new LambdaFunction(stack, 'H', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: new InlineCode('export const handler = async () => ({});'),
    });
    const api = new IamRestApi(stack, 'Api', { handler });

    // Act
    new RequestorFunction(stack, 'R', { api, method: 'post', path: '/echo/orders' });

    // Assess
    const [statement] = invokeStatements(Template.fromStack(stack));
    expect(JSON.stringify(statement.Resource)).toContain('/prod/POST/echo/orders');
  });
});

/** Every statement of the requestor's identity policy. */
const requestorStatements = (template: Template) => {
  const [roleId] = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith('RequestorRole'));
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
};

const logsAndXray = (logGroup: string) => [
  {
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Effect: 'Allow',
    Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
  },
  { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
];

describe('RequestorFunction: the three targets', () => {
  it('one account: every statement of its role, each on exactly one resource', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    const id = (prefix: string, type: string) =>
      Object.keys(template.findResources(type)).find((logicalId) => logicalId.startsWith(prefix)) ?? '';
    const here = (rest: unknown[]) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':execute-api:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':',
          ...rest,
        ],
      ],
    });
    const hello = { 'Fn::GetAtt': [id('HelloWorldhelloworld', 'AWS::Lambda::Function'), 'Arn'] };
    expect(requestorStatements(template)).toEqual([
      ...logsAndXray(id('RequestorLogGroup', 'AWS::Logs::LogGroup')),
      {
        Sid: 'InvokeOneMethod',
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: here([{ Ref: id('Api', 'AWS::ApiGateway::RestApi') }, '/prod/GET/']),
      },
      {
        Action: 'lambda:InvokeFunctionUrl',
        Effect: 'Allow',
        Resource: hello,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: hello,
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: here([{ Ref: id('HttpApi', 'AWS::ApiGatewayV2::Api') }, '/$default/GET/']),
      },
    ]);
  });

  it('one account: IAM_FUNCTION_URL and IAM_HTTP_API are the targets of the stack, no role to assume', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    const [url] = Object.keys(template.findResources('AWS::Lambda::Url'));
    const [httpApi] = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'));
    const requestor = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'requestor',
    );
    const variables = requestor?.Properties.Environment.Variables;
    expect(variables.IAM_FUNCTION_URL).toEqual({ 'Fn::GetAtt': [url, 'FunctionUrl'] });
    expect(variables.IAM_HTTP_API).toEqual({
      'Fn::Join': [
        '',
        ['https://', { Ref: httpApi }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/'],
      ],
    });
    expect(variables.IAM_HTTP_API_ROLE).toBeUndefined();
  });

  it('two accounts: every statement of its role names a parameter-built ARN exactly', () => {
    // Act
    const [, requestor] = synthApp({ context: twoAccounts }).stacks;
    const template = templateOf(requestor);

    // Assess
    const [logGroup] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    const hello = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':lambda:eu-west-1:222222222222:function:',
          { Ref: 'HelloWorldFunctionName' },
        ],
      ],
    };
    expect(requestorStatements(template)).toEqual([
      ...logsAndXray(String(logGroup)),
      {
        Sid: 'InvokeOneMethod',
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:222222222222:', { Ref: 'ApiId' }, '/prod/GET/'],
          ],
        },
      },
      {
        Action: 'lambda:InvokeFunctionUrl',
        Effect: 'Allow',
        Resource: hello,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: hello,
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
      {
        Sid: 'AssumeHttpApiCallerRole',
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Resource: { Ref: 'HttpApiCallerRoleArn' },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          IAM_FUNCTION_URL: { Ref: 'FunctionUrl' },
          IAM_HTTP_API: {
            'Fn::Join': [
              '',
              ['https://', { Ref: 'HttpApiId' }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/'],
            ],
          },
          IAM_HTTP_API_ROLE: { Ref: 'HttpApiCallerRoleArn' },
        }),
      },
    });
  });

  it('refuses both a same-account and a remote target of one kind', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const remoteApi = { account: '222222222222', region: 'eu-west-1', restApiId: 'a1b2c3d4e5' };
    const handler = new LambdaFunction(stack, 'H', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: new InlineCode('export const handler = async () => ({});'),
    });
    const httpApi = new IamHttpApi(stack, 'HttpApi', { handler });

    // Act & Assess
    expect(
      () =>
        new RequestorFunction(stack, 'R', {
          remoteApi,
          httpApi,
          remoteHttpApi: { region: 'eu-west-1', httpApiId: 'x', callerRoleArn: 'arn:aws:iam::222222222222:role/c' },
        }),
    ).toThrow('RequestorFunction R: give at most one of `httpApi` and `remoteHttpApi`.');
  });
});
