import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthApp, templateOf, twoAccounts } from '../helpers/synth.js';

const rootOf = (account: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:root`]],
});

describe('IamRestApi', () => {
  it('uses AWS_IAM on every method, and routes only GET / and ANY /{proxy+}', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(2);
    for (const method of methods) expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(['ANY', 'GET']);
    template.resourceCountIs('AWS::ApiGateway::Resource', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      Integration: Match.objectLike({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' }),
    });
  });

  it('one account: the resource policy trusts the stack account only, on its stage', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      Policy: {
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
        ],
        Version: '2012-10-17',
      },
    });
  });

  it('two accounts: the API trusts the requestor account (and its own)', () => {
    // Act
    const [api] = synthApp({ context: twoAccounts }).stacks;

    // Assess
    templateOf(api).hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          {
            Sid: 'TrustedCallers',
            Action: 'execute-api:Invoke',
            Principal: { AWS: [rootOf('222222222222'), rootOf('111111111111')] },
            Resource: 'execute-api:/prod/*',
          },
        ],
      },
    });
  });

  it('the stage traces with X-Ray, writes JSON access logs and throttles', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
      MethodSettings: [
        Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50, HttpMethod: '*', ResourcePath: '/*' }),
      ],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.resourceCountIs('AWS::ApiGateway::Account', 0); // no account-wide CloudWatch role
  });
});
