import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { InlineCode, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { IamHttpApi } from '../../src/iam-http-api.js';
import { synthApp, templateOf, twoAccounts } from '../helpers/synth.js';

const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

function standalone() {
  const stack = new Stack(new App(), 'S', { env: { account: '222222222222', region: 'eu-west-1' } });
  const handler = new LambdaFunction(stack, 'H', {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: new InlineCode('export const handler = async () => ({});'),
  });
  return { stack, handler };
}

const callerRoleOf = (template: Template) =>
  Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('HttpApiCallerRole'));

describe('IamHttpApi', () => {
  it('routes only GET / and ANY /{proxy+}, both AWS_IAM, to hello-world with payload 2.0', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    expect(routes.map((r) => [r.RouteKey, r.AuthorizationType])).toEqual([
      ['GET /', 'AWS_IAM'],
      ['ANY /{proxy+}', 'AWS_IAM'],
    ]);
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HelloWorld'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', Name: 'IamM2m-HttpApi' });
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0); // AWS_IAM needs none
  });

  it('one $default stage: auto deploy, throttling, JSON access logs kept a month', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HttpApiAccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('"userArn":"\\$context.identity.userArn"'),
      },
    });
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    expect(JSON.parse(stage?.Properties.AccessLogSettings.Format)).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
  });

  it('one account: no caller role; the requestor may invoke exactly GET / on $default', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    expect(callerRoleOf(template)).toBeUndefined();
    const [httpApi] = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'));
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    expect(statements.filter((s) => JSON.stringify(s.Resource).includes(String(httpApi)))).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
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
              { Ref: httpApi },
              '/$default/GET/',
            ],
          ],
        },
      },
    ]);
  });

  it('two accounts: a caller role trusting exactly the requestor role, allowed exactly GET / on $default', () => {
    // Act
    const template = templateOf(synthApp({ context: twoAccounts }).stacks[0]);

    // Assess
    const [roleId, role] = callerRoleOf(template) ?? [];
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          // The account root with an exact PrincipalArn: IAM accepts it before the role exists.
          Principal: { AWS: partitionArn(':iam::111111111111:root') },
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': [partitionArn(':iam::111111111111:role/IamM2mRequestor-eu-west-1')] },
          },
        },
      ],
    });
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    const [httpApi] = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'));
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId),
    );
    expect(policies.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':execute-api:eu-west-1:222222222222:',
                { Ref: httpApi },
                '/$default/GET/',
              ],
            ],
          },
        },
      ],
    ]);
  });

  it('routeArn: the $default stage, the method (ANY as *) and the exact path', () => {
    // Prepare
    const { stack, handler } = standalone();
    const api = new IamHttpApi(stack, 'HttpApi', { handler });

    // Act
    const arns = [api.routeArn('get', '/'), api.routeArn('ANY', '/orders/42')].map((arn) => stack.resolve(arn));

    // Assess
    const id = { Ref: Object.keys(Template.fromStack(stack).findResources('AWS::ApiGatewayV2::Api'))[0] };
    expect(arns).toEqual([
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:222222222222:', id, '/$default/GET/'],
        ],
      },
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:222222222222:', id, '/$default/*/orders/42'],
        ],
      },
    ]);
    expect(() => api.routeArn('GET', 'orders')).toThrow('a route path must start with "/", got "orders"');
  });

  it('grantInvoke and callerRoutes grant exactly the routes named', () => {
    // Prepare
    const { stack, handler } = standalone();
    const api = new IamHttpApi(stack, 'HttpApi', {
      handler,
      trustedAccounts: ['333333333333'],
      callerRoutes: [{ method: 'POST', path: '/orders' }],
    });
    const sameAccount = new Role(stack, 'Same', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });

    // Act
    api.grantInvoke(sameAccount, 'PUT', '/orders/1');

    // Assess
    const resources = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).map((p) =>
      JSON.stringify(p.Properties.PolicyDocument.Statement.map((s: { Resource: unknown }) => s.Resource)),
    );
    expect(resources).toEqual([
      expect.stringContaining('/$default/POST/orders"'),
      expect.stringContaining('/$default/PUT/orders/1"'),
    ]);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: partitionArn(':iam::333333333333:root') } },
        ],
      },
    });
  });

  it('trusted roles and accounts together: two trust statements; a role ARN parameter is split at deploy time', () => {
    // Prepare
    const { stack, handler } = standalone();
    const roleArn = new CfnParameter(stack, 'CallerArn').valueAsString;

    // Act
    const api = new IamHttpApi(stack, 'HttpApi', {
      handler,
      trustedRoleArns: [roleArn],
      trustedAccounts: ['333333333333'],
      callerRoleName: 'api-caller',
    });

    // Assess
    const statements = stack.resolve(api.callerRole?.assumeRolePolicy?.toJSON()).Statement;
    expect(statements).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: {
          AWS: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':iam::',
                { 'Fn::Select': [4, { 'Fn::Split': [':', { Ref: 'CallerArn' }] }] },
                ':root',
              ],
            ],
          },
        },
        Condition: { ArnEquals: { 'aws:PrincipalArn': [{ Ref: 'CallerArn' }] } },
      },
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: partitionArn(':iam::333333333333:root') } },
    ]);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { RoleName: 'api-caller' });
  });

  it('refuses a trusted role that is not an IAM role ARN, naming it', () => {
    // Prepare
    const { stack, handler } = standalone();

    // Act & Assess
    expect(
      () => new IamHttpApi(stack, 'HttpApi', { handler, trustedRoleArns: ['arn:aws:iam::111111111111:user/me'] }),
    ).toThrow(
      'IamHttpApi HttpApi: trustedRoleArns must be IAM role ARNs like arn:aws:iam::111111111111:role/name, got "arn:aws:iam::111111111111:user/me".',
    );
  });
});
