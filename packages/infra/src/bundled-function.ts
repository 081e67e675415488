import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { type IRole, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

// Powertools (and other CommonJS dependencies) call require(); an ESM bundle needs one.
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/** Props of {@link BundledFunction}. */
export interface BundledFunctionProps {
  /** The TypeScript or JavaScript file to bundle (absolute, or relative to the working directory). */
  entry: string;
  /**
   * Construct id of the inner `NodejsFunction` and `POWERTOOLS_SERVICE_NAME`: the name the
   * local stack gives the function. @default the id of this construct
   */
  name?: string;
  /** Exported handler function of `entry`. @default 'handler' */
  handler?: string;
  /** Description of the function. @default none */
  description?: string;
  /** Extra environment variables. @default none */
  environment?: Record<string, string>;
  /** Timeout. @default 10 seconds */
  timeout?: Duration;
  /** Memory in MB. @default 256 */
  memorySize?: number;
  /** Retention of the function's log group. @default one month */
  logRetention?: RetentionDays;
  /** A physical name for the execution role, so another account can trust it by ARN. @default generated */
  roleName?: string;
  /** esbuild's project root. @default the folder of the lock file */
  projectRoot?: string;
  /** The lock file of the dependencies. @default the first lock file found upward from the working directory */
  depsLockFilePath?: string;
  /** Modules left out of the bundle. @default ['@aws-sdk/*'], which the Node.js 24 runtime ships */
  externalModules?: string[];
  /** Run the function in a VPC: its network interfaces go in these subnets with these security groups. @default no VPC */
  network?: FunctionNetwork;
}

/** Where a {@link BundledFunction} connects to a VPC. */
export interface FunctionNetwork {
  /** The VPC. */
  vpc: IVpc;
  /** The subnets of its network interfaces. @default the VPC's private subnets, else its isolated ones */
  subnets?: SubnetSelection;
  /**
   * The security groups of its network interfaces (the function's `connections`).
   * @default a new one that allows nothing out: allow what the function calls through `function.connections`
   */
  securityGroups?: ISecurityGroup[];
}

/**
 * A Node.js 24 arm64 Lambda bundled locally with esbuild (never Docker) as a minified ESM file
 * (`index.mjs`) that keeps function and class names, with source maps; X-Ray active tracing;
 * its own log group with retention; and an execution role that may write only to that log
 * group (no managed policy). In a VPC (`network`), the role may also manage the function's
 * network interfaces, in its subnets and security groups only (what AWSLambdaVPCAccessExecutionRole
 * would grant on `*`). In a CommonJS project (what `cdk init app` makes), a handler that
 * imports an ES-module-only package such as Middy 7 is an `.mts` entry, or a `.ts` one in a
 * folder whose `package.json` says `"type": "module"`: so `tsc` reads it as an ES module.
 *
 * @example
 * ```ts
 * const orders = new BundledFunction(this, 'Orders', { entry: 'src/orders.ts' });
 * orders.function.functionArn;
 * ```
 */
export class BundledFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: IRole;
  public readonly logGroup: LogGroup;

  public constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    const name = props.name ?? id;
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${name}`,
      roleName: props.roleName,
    });
    this.logGroup.grantWrite(role);
    this.role = role;
    // The local stack names functions by this construct id.
    this.function = new NodejsFunction(this, name, {
      entry: props.entry,
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      role,
      environment: {
        POWERTOOLS_SERVICE_NAME: name,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.subnets,
      securityGroups: props.network?.securityGroups,
      allowAllOutbound: props.network && !props.network.securityGroups ? false : undefined,
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        // Lambda reports error.name as errorType: a minified class would say `Et`, not `OrderRejectedError`.
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        externalModules: props.externalModules ?? ['@aws-sdk/*'],
        forceDockerBundling: false,
      },
    });
    if (props.network) this.allowNetworkInterfaces(role, props.network);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously only (API Gateway proxy integration, function URL, RequestResponse invokes): a DLQ serves asynchronous invocations; callers see every error.',
    });
  }

  /**
   * What Lambda needs of the execution role to create and delete the function's network
   * interfaces (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html), in a
   * policy of its own that the function waits for: creation names the subnets and security
   * groups, the rest network interfaces of this account and Region; only the two Describe
   * actions, which support no resource-level permissions, are on `*`.
   */
  private allowNetworkInterfaces(role: Role, network: FunctionNetwork): void {
    const stack = Stack.of(this);
    const ec2Arn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'ec2', resource, resourceName });
    const networkInterfaces = ec2Arn('network-interface', '*');
    const policy = new Policy(this, 'NetworkInterfaces', {
      roles: [role],
      statements: [
        new PolicyStatement({
          actions: ['ec2:CreateNetworkInterface'],
          resources: [
            networkInterfaces,
            ...network.vpc.selectSubnets(network.subnets).subnetIds.map((id) => ec2Arn('subnet', id)),
            ...this.function.connections.securityGroups.map((group) => ec2Arn('security-group', group.securityGroupId)),
          ],
        }),
        new PolicyStatement({
          actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          resources: [networkInterfaces],
        }),
        new PolicyStatement({
          actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
          resources: ['*'],
        }),
      ],
    });
    // Lambda checks these permissions when it creates the function (the function resource only:
    // its security group, which the policy names, comes first).
    this.function.node.defaultChild?.node.addDependency(policy);
    // How cdk-nag names the finding: pseudo parameters as <AWS::…>, literal values as they are.
    const named = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const anyNetworkInterface = `arn:<AWS::Partition>:ec2:${named(stack.region, 'AWS::Region')}:${named(stack.account, 'AWS::AccountId')}:network-interface/*`;
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets, which Lambda needs for a function in a VPC, support no resource-level permissions.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${anyNetworkInterface}]`,
        reason:
          "Lambda names the function's network interfaces when it creates them: the role may manage network interfaces of this account and Region, created only in the function's subnets and security groups.",
      },
    );
  }
}
