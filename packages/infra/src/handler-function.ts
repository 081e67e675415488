import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The Lambdas of `@iam-m2m/handlers`, by entry file name. */
export type HandlerName = 'hello-world' | 'requestor';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('pnpm-workspace.yaml not found: run the CDK app from the iam-m2m repository.');
    dir = parent;
  }
  return dir;
}

/** The repository root: esbuild's project root and where `pnpm-lock.yaml` lives. */
export const repoRoot = findRepoRoot();

/** The entry file of a handler: infra knows the handlers only as files to bundle. */
export const handlerEntry = (name: HandlerName): string =>
  resolve(repoRoot, 'packages', 'handlers', 'src', `${name}.ts`);

// Powertools (and other CommonJS dependencies) call require(); an ESM bundle needs one.
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/** Props of {@link HandlerFunction}. */
export interface HandlerFunctionProps {
  /** Which handler of `@iam-m2m/handlers` to bundle. */
  handler: HandlerName;
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
}

/**
 * A Node.js 24 Lambda bundled locally with esbuild (never Docker) as a minified ESM file
 * with source maps; X-Ray active tracing; its own log group with retention; and an
 * execution role that may write only to that log group (no managed policy).
 *
 * @example
 * ```ts
 * const hello = new HandlerFunction(this, 'HelloWorld', { handler: 'hello-world' });
 * ```
 */
export class HandlerFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: IRole;
  public readonly logGroup: LogGroup;

  public constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.handler}`,
      roleName: props.roleName,
    });
    this.logGroup.grantWrite(role);
    this.role = role;
    // Its construct id is the handler's name: the local stack names functions by construct id.
    this.function = new NodejsFunction(this, props.handler, {
      entry: handlerEntry(props.handler),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      role,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.handler,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'pnpm-lock.yaml'),
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // The Node.js 24 runtime ships AWS SDK v3 (the middleware's optional assume-role uses it).
        externalModules: ['@aws-sdk/*'],
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
        'Invoked synchronously only (API Gateway proxy integration, RequestResponse invokes): a DLQ serves asynchronous invocations; callers see every error.',
    });
  }
}
