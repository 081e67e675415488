import type { CloudAssemblyModel } from '../assembly/model.js';
import type { PolicyDocument } from './policy.js';

/** An AWS managed policy as AWS publishes it. */
export interface ManagedPolicy {
  name: string;
  /** `arn:aws:iam::aws:policy/<path><name>` */
  arn: string;
  /** Default version id, e.g. `v3`. */
  version: string;
  document: PolicyDocument;
}

/**
 * AWS managed policies as AWS publishes them: name, ARN, default version id, and the policy
 * document of that version. The comment above each entry names its source: the AWS Managed Policy
 * Reference Guide page and, where the guide's copy at hand was older or missing, the IAM
 * `GetPolicyVersion` output mirrored by MAMIP (snapshot of 2026-03-07). The documents are the
 * `aws` partition's: resource ARNs inside them say `arn:aws:`.
 */
export const AWS_MANAGED_POLICIES: readonly ManagedPolicy[] = [
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
  {
    name: 'AWSLambdaBasicExecutionRole',
    arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    version: 'v1',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: '*',
        },
      ],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
  {
    name: 'AWSLambdaVPCAccessExecutionRole',
    arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    version: 'v3',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSLambdaVPCAccessExecutionPermissions',
          Effect: 'Allow',
          Action: [
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:PutLogEvents',
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Resource: '*',
        },
      ],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSXRayDaemonWriteAccess.html
  {
    name: 'AWSXRayDaemonWriteAccess',
    arn: 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess',
    version: 'v2',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSXRayDaemonWriteAccess',
          Effect: 'Allow',
          Action: [
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
            'xray:GetSamplingStatisticSummaries',
          ],
          Resource: ['*'],
        },
      ],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html
  {
    name: 'AmazonAPIGatewayPushToCloudWatchLogs',
    arn: 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    version: 'v1',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:DescribeLogGroups',
            'logs:DescribeLogStreams',
            'logs:PutLogEvents',
            'logs:GetLogEvents',
            'logs:FilterLogEvents',
          ],
          Resource: '*',
        },
      ],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaRole.html
  {
    name: 'AWSLambdaRole',
    arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaRole',
    version: 'v1',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: ['*'] }],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayInvokeFullAccess.html
  {
    name: 'AmazonAPIGatewayInvokeFullAccess',
    arn: 'arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess',
    version: 'v2',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['execute-api:Invoke', 'execute-api:ManageConnections'],
          Resource: 'arn:aws:execute-api:*:*:*',
        },
      ],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambda_FullAccess.html (v7 as in https://github.com/zoph-io/MAMIP/blob/master/policies/AWSLambda_FullAccess)
  {
    name: 'AWSLambda_FullAccess',
    arn: 'arn:aws:iam::aws:policy/AWSLambda_FullAccess',
    version: 'v7',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'cloudformation:DescribeStacks',
            'cloudformation:ListStackResources',
            'cloudwatch:ListMetrics',
            'cloudwatch:GetMetricData',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
            'kms:DescribeKey',
            'kms:ListAliases',
            'iam:GetPolicy',
            'iam:GetPolicyVersion',
            'iam:GetRole',
            'iam:GetRolePolicy',
            'iam:ListAttachedRolePolicies',
            'iam:ListRolePolicies',
            'iam:ListRoles',
            'lambda:*',
            'logs:DescribeLogGroups',
            'states:DescribeStateMachine',
            'states:ListStateMachines',
            'tag:GetResources',
            'xray:GetTraceSummaries',
            'xray:BatchGetTraces',
          ],
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: '*',
          Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
        },
        {
          Effect: 'Allow',
          Action: [
            'logs:DescribeLogStreams',
            'logs:GetLogEvents',
            'logs:FilterLogEvents',
            'logs:StartLiveTail',
            'logs:StopLiveTail',
          ],
          Resource: 'arn:aws:logs:*:*:log-group:/aws/lambda/*',
        },
        {
          Effect: 'Allow',
          Action: 'iam:CreateServiceLinkedRole',
          Resource: 'arn:aws:iam::*:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda',
          Condition: { StringEquals: { 'iam:AWSServiceName': 'lambda.amazonaws.com' } },
        },
      ],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html (v1 as in https://github.com/zoph-io/MAMIP/blob/master/policies/AdministratorAccess)
  {
    name: 'AdministratorAccess',
    arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    version: 'v1',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaExecute.html
  {
    name: 'AWSLambdaExecute',
    arn: 'arn:aws:iam::aws:policy/AWSLambdaExecute',
    version: 'v1',
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['logs:*'], Resource: 'arn:aws:logs:*:*:*' },
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::*' },
      ],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudWatchLogsFullAccess.html (v8 as in https://github.com/zoph-io/MAMIP/blob/master/policies/CloudWatchLogsFullAccess)
  {
    name: 'CloudWatchLogsFullAccess',
    arn: 'arn:aws:iam::aws:policy/CloudWatchLogsFullAccess',
    version: 'v8',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CloudWatchLogsFullAccess',
          Effect: 'Allow',
          Action: [
            'logs:*',
            'cloudwatch:GenerateQuery',
            'cloudwatch:GenerateQueryResultsSummary',
            'observabilityadmin:GetS3TableIntegration',
            'observabilityadmin:ListS3TableIntegrations',
            'observabilityadmin:ListTelemetryPipelines',
          ],
          Resource: '*',
        },
      ],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSXrayWriteOnlyAccess.html
  {
    name: 'AWSXrayWriteOnlyAccess',
    arn: 'arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess',
    version: 'v2',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
            'xray:GetSamplingStatisticSummaries',
          ],
          Resource: ['*'],
        },
      ],
    },
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayAdministrator.html
  {
    name: 'AmazonAPIGatewayAdministrator',
    arn: 'arn:aws:iam::aws:policy/AmazonAPIGatewayAdministrator',
    version: 'v1',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['apigateway:*'], Resource: 'arn:aws:apigateway:*::/*' }],
    },
  },
];

const BY_ARN = new Map(AWS_MANAGED_POLICIES.map((policy) => [policy.arn, policy]));

/** `arn:<partition>:iam::aws:policy/<path><name>`: the partition, then everything after `policy/`. */
const AWS_MANAGED_ARN = /^arn:aws(?:-[a-z]+)*:iam::aws:policy\/(.+)$/;

/**
 * The AWS managed policy an ARN names, in any partition (`arn:aws-cn:iam::aws:policy/...`,
 * `arn:aws-us-gov:...`); undefined for anything else (customer managed policies, unknown names).
 * The path must be AWS's own: `arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole` (without
 * `service-role/`) names no policy. The document returned is the `aws` partition's.
 *
 * @example
 * awsManagedPolicy('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')?.version; // 'v1'
 * awsManagedPolicy('arn:aws-cn:iam::aws:policy/AdministratorAccess')?.name; // 'AdministratorAccess'
 * awsManagedPolicy('arn:aws:iam::123456789012:policy/my-policy'); // undefined
 */
export function awsManagedPolicy(arn: string): ManagedPolicy | undefined {
  const match = AWS_MANAGED_ARN.exec(arn);
  return match ? BY_ARN.get(`arn:aws:iam::aws:policy/${match[1]}`) : undefined;
}

/** Whether an ARN has the shape of an AWS managed policy's (`arn:<partition>:iam::aws:policy/…`), known here or not. */
export const isAwsManagedArn = (arn: string): boolean => AWS_MANAGED_ARN.test(arn);

/**
 * Gives each role the AWS managed policies it names (their documents, as AWS publishes them).
 * An unknown managed policy grants nothing and becomes a warning of the model.
 */
export function attachManagedPolicies(model: CloudAssemblyModel): void {
  for (const role of model.roles) {
    for (const arn of role.managedPolicyArns) {
      const managed = awsManagedPolicy(arn);
      if (managed) role.policies.push({ name: `${managed.arn} (${managed.version})`, document: managed.document });
      else
        model.warnings.push(
          `${role.stackName} ${role.logicalId}: managed policy ${arn} is not known locally; it grants nothing here`,
        );
    }
    role.managedPolicyArns = [];
    if (role.boundaryArn && !role.boundary) {
      const managed = awsManagedPolicy(role.boundaryArn);
      // An unknown boundary allows nothing here: saying no is the safe side of not knowing.
      role.boundary = { name: role.boundaryArn, document: managed?.document ?? { Statement: [] } };
      if (!managed)
        model.warnings.push(
          `${role.stackName} ${role.logicalId}: permissions boundary ${role.boundaryArn} is not known locally; it allows nothing here`,
        );
    }
  }
}
