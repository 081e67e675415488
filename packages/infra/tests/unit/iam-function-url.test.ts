import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { InlineCode, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { IamFunctionUrl } from '../../src/iam-function-url.js';
import { synthApp, templateOf, twoAccounts } from '../helpers/synth.js';

const helloWorldArn = (template: Template) => {
  const id = Object.keys(template.findResources('AWS::Lambda::Function')).find((logicalId) =>
    logicalId.startsWith('HelloWorld'),
  );
  return { 'Fn::GetAtt': [id, 'Arn'] };
};

/** The permissions a function URL adds to the function's resource-based policy. */
const urlPermissions = (template: Template) =>
  Object.values(template.findResources('AWS::Lambda::Permission'))
    .map((resource) => resource.Properties)
    .filter((p) => p.Principal !== 'apigateway.amazonaws.com');

function standalone() {
  const stack = new Stack(new App(), 'S', { env: { account: '222222222222', region: 'eu-west-1' } });
  const handler = new LambdaFunction(stack, 'H', {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: new InlineCode('export const handler = async () => ({});'),
  });
  return { stack, handler };
}

describe('IamFunctionUrl', () => {
  it('one account: a function URL with AWS_IAM on hello-world, and no resource-policy statement', () => {
    // Act
    const template = templateOf(synthApp().stacks[0]);

    // Assess
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      InvokeMode: 'BUFFERED',
      TargetFunctionArn: helloWorldArn(template),
    });
    expect(urlPermissions(template)).toEqual([]);
  });

  it('two accounts: both permissions, each once, for the requestor account only', () => {
    // Act
    const template = templateOf(synthApp({ context: twoAccounts }).stacks[0]);

    // Assess
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    const functionName = helloWorldArn(template);
    expect(urlPermissions(template)).toEqual([
      {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: functionName,
        FunctionUrlAuthType: 'AWS_IAM',
        Principal: '111111111111',
      },
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: functionName,
        InvokedViaFunctionUrl: true,
        Principal: '111111111111',
      },
    ]);
  });

  it('one pair of permissions per trusted account and role', () => {
    // Prepare
    const { stack, handler } = standalone();

    // Act
    new IamFunctionUrl(stack, 'Url', {
      handler,
      trustedAccounts: ['111111111111', '111111111111'],
      trustedRoleArns: ['arn:aws:iam::333333333333:role/caller'],
    });

    // Assess
    const permissions = urlPermissions(Template.fromStack(stack));
    expect(permissions.map((p) => [p.Action, p.Principal])).toEqual([
      ['lambda:InvokeFunctionUrl', '111111111111'],
      ['lambda:InvokeFunction', '111111111111'],
      ['lambda:InvokeFunctionUrl', 'arn:aws:iam::333333333333:role/caller'],
      ['lambda:InvokeFunction', 'arn:aws:iam::333333333333:role/caller'],
    ]);
  });

  it('callerStatements: both actions on exactly the function, each with its function-URL condition', () => {
    // Act
    const statements = IamFunctionUrl.callerStatements('arn:aws:lambda:eu-west-1:222222222222:function:hello');

    // Assess
    expect(statements.map((s) => s.toStatementJson())).toEqual([
      {
        Action: 'lambda:InvokeFunctionUrl',
        Effect: 'Allow',
        Resource: 'arn:aws:lambda:eu-west-1:222222222222:function:hello',
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: 'arn:aws:lambda:eu-west-1:222222222222:function:hello',
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
    ]);
  });

  it('grantInvokeUrl puts the caller statements in a same-account role, and nothing in the resource policy', () => {
    // Prepare
    const { stack, handler } = standalone();
    const url = new IamFunctionUrl(stack, 'Url', { handler });
    const role = new Role(stack, 'Caller', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });

    // Act
    url.grantInvokeUrl(role);

    // Assess
    const template = Template.fromStack(stack);
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy'));
    const [fn] = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: 'lambda:InvokeFunctionUrl',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [fn, 'Arn'] },
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [fn, 'Arn'] },
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
    ]);
    expect(urlPermissions(template)).toEqual([]);
  });
});
