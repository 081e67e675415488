import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { InlineCode, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { IamRestApi } from '../../src/iam-rest-api.js';
import { RequestorFunction } from '../../src/requestor-function.js';
import { synthApp, templateOf, twoAccounts } from '../helpers/synth.js';

const invokeStatements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    policy.Properties.PolicyDocument.Statement.filter((s: { Action: unknown }) => s.Action === 'execute-api:Invoke'),
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
