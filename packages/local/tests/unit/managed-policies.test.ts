import { describe, expect, it } from 'vitest';
import { AWS_MANAGED_POLICIES, awsManagedPolicy } from '../../src/iam/managed-policies.js';
import { asList, policyProblems, statementsOf } from '../../src/iam/policy.js';

// Sources: the AWS Managed Policy Reference Guide,
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html
const GUIDE = 'https://docs.aws.amazon.com/aws-managed-policy/latest/reference';

const policy = (name: string) => {
  const found = AWS_MANAGED_POLICIES.find((entry) => entry.name === name);
  if (!found) throw new Error(`${name} is not in AWS_MANAGED_POLICIES`);
  return found;
};

describe('awsManagedPolicy', () => {
  it(`finds a policy by its ARN, path included (${GUIDE}/AWSLambdaBasicExecutionRole.html)`, () => {
    // Act
    const found = awsManagedPolicy('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');

    // Assess
    expect(found?.name).toBe('AWSLambdaBasicExecutionRole');
    expect(found?.version).toBe('v1');
  });

  it('finds the same policy in the aws-cn and aws-us-gov partitions', () => {
    // Act
    const china = awsManagedPolicy('arn:aws-cn:iam::aws:policy/AdministratorAccess');
    const govCloud = awsManagedPolicy('arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole');

    // Assess
    expect(china).toBe(policy('AdministratorAccess'));
    expect(govCloud).toBe(policy('AWSLambdaVPCAccessExecutionRole'));
  });

  it.each([
    ['an unknown name', 'arn:aws:iam::aws:policy/NoSuchPolicy'],
    ['the right name under the wrong path', 'arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole'],
    ['a customer managed policy', 'arn:aws:iam::123456789012:policy/AdministratorAccess'],
    ['a role', 'arn:aws:iam::123456789012:role/service-role/AWSLambdaBasicExecutionRole'],
    ['a policy name alone', 'AdministratorAccess'],
    ['a partition that is not AWS', 'arn:other:iam::aws:policy/AdministratorAccess'],
  ])('gives undefined for %s', (_what, arn) => {
    expect(awsManagedPolicy(arn)).toBeUndefined();
  });
});

describe('AWS_MANAGED_POLICIES', () => {
  it('holds the policies the local stack relies on', () => {
    const names = AWS_MANAGED_POLICIES.map((entry) => entry.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'AWSLambdaBasicExecutionRole',
        'AWSLambdaVPCAccessExecutionRole',
        'AWSXRayDaemonWriteAccess',
        'AmazonAPIGatewayPushToCloudWatchLogs',
        'AWSLambdaRole',
        'AmazonAPIGatewayInvokeFullAccess',
        'AWSLambda_FullAccess',
        'AdministratorAccess',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(AWS_MANAGED_POLICIES.map((entry) => [entry.name, entry] as const))(
    '%s: ARN ends with its name, version is vN, every statement is usable',
    (name, entry) => {
      expect(entry.arn).toMatch(/^arn:aws:iam::aws:policy\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/);
      expect(entry.arn.endsWith(`/${name}`)).toBe(true);
      expect(entry.version).toMatch(/^v\d+$/);
      expect(entry.document.Version).toBe('2012-10-17');
      const statements = statementsOf(entry.document);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(['Allow', 'Deny']).toContain(statement.Effect);
        expect(statement.Action ?? statement.NotAction).toBeDefined();
      }
      expect(policyProblems({ name, document: entry.document })).toEqual([]);
    },
  );

  it(`AWSLambdaBasicExecutionRole allows logs:PutLogEvents on * (${GUIDE}/AWSLambdaBasicExecutionRole.html)`, () => {
    const [statement] = statementsOf(policy('AWSLambdaBasicExecutionRole').document);
    expect(statement).toEqual({
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: '*',
    });
  });

  it(`AdministratorAccess is Action * on Resource * (${GUIDE}/AdministratorAccess.html)`, () => {
    const entry = policy('AdministratorAccess');
    expect(entry.arn).toBe('arn:aws:iam::aws:policy/AdministratorAccess');
    expect(statementsOf(entry.document)).toEqual([{ Effect: 'Allow', Action: '*', Resource: '*' }]);
  });

  it(`AmazonAPIGatewayInvokeFullAccess allows execute-api:Invoke on any API (${GUIDE}/AmazonAPIGatewayInvokeFullAccess.html)`, () => {
    const [statement] = statementsOf(policy('AmazonAPIGatewayInvokeFullAccess').document);
    expect(asList(statement?.Action)).toContain('execute-api:Invoke');
    expect(statement?.Resource).toBe('arn:aws:execute-api:*:*:*');
  });

  it(`AWSLambda_FullAccess passes roles only to Lambda (${GUIDE}/AWSLambda_FullAccess.html)`, () => {
    const passRole = statementsOf(policy('AWSLambda_FullAccess').document).find((s) => s.Action === 'iam:PassRole');
    expect(passRole?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } });
  });

  it('service role policies live under service-role/', () => {
    for (const name of [
      'AWSLambdaBasicExecutionRole',
      'AWSLambdaVPCAccessExecutionRole',
      'AmazonAPIGatewayPushToCloudWatchLogs',
      'AWSLambdaRole',
    ]) {
      expect(policy(name).arn).toBe(`arn:aws:iam::aws:policy/service-role/${name}`);
    }
  });
});
