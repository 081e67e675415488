import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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
}

/**
 * A Node.js 24 arm64 Lambda bundled locally with esbuild (never Docker) as a minified ESM file
 * (`index.mjs`) that keeps function and class names, with source maps; X-Ray active tracing;
 * its own log group with retention; and an execution role that may write only to that log
 * group (no managed policy). In a CommonJS project (what `cdk init app` makes), a handler that
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
}
