import { readFileSync, realpathSync } from 'node:fs';
import type { NamedPolicy, PolicyDocument, PolicyStatement } from '../iam/policy.js';
import { conditionHolds, resolve, UnresolvedError } from './intrinsics.js';
import { assetSources, deploymentOrder, listStacks, missingContext, type StackArtifact } from './manifest.js';
import type { FunctionNetwork, VpcEndpointModel, VpcModel } from './network.js';
import {
  type AppBuilder,
  LATE_NAMERS,
  linkApp,
  NAMERS,
  READERS,
  type StackInput,
  type TemplateResource,
} from './readers.js';
import type { LambdaAuthorizerModel, RestApiModel } from './rest-api-model.js';

export type { IntegrationTemplates, LambdaAuthorizerModel, MethodModel, RestApiModel } from './rest-api-model.js';

/** An IAM role of the assembly. */
export interface RoleModel {
  stackName: string;
  logicalId: string;
  /** The construct id (the `aws:cdk:path` segment before `/Resource`), made unique in the app. */
  name: string;
  accountId: string;
  /** The role's physical name. */
  roleName: string;
  arn: string;
  /** `AROA…`, the role's unique id (the first half of `requestContext.identity.caller`). */
  roleId: string;
  /** Inline policies, `AWS::IAM::Policy` and customer managed policies of the assembly. */
  policies: NamedPolicy[];
  /** Managed policies the assembly does not define (AWS managed ones): the stack looks them up. */
  managedPolicyArns: string[];
  /** Its `Tags` (`aws:PrincipalTag/<key>` of its sessions). */
  tags: Record<string, string>;
  /** `PermissionsBoundary`: its ARN, and its document once known (customer managed: read; AWS managed: the stack's). */
  boundaryArn?: string | undefined;
  boundary?: NamedPolicy | undefined;
  /** `AssumeRolePolicyDocument`: who may assume it (`sts:AssumeRole`). @default none: nobody */
  trustPolicy?: PolicyDocument | undefined;
  /** `MaxSessionDuration` in seconds. @default 3600 */
  maxSessionSeconds?: number | undefined;
}

/** A Lambda function of the assembly, with what it takes to run it. */
export interface FunctionModel {
  stackName: string;
  logicalId: string;
  /** The construct id (the `aws:cdk:path` segment before `/Resource`), made unique in the app. */
  name: string;
  functionName: string;
  arn: string;
  accountId: string;
  region: string;
  role: RoleModel;
  /** e.g. `nodejs22.x`. */
  runtime: string;
  /** Folder of the bundled code in the assembly. */
  codeDir?: string | undefined;
  /** Inline code (`Code.ZipFile`), run as `index.js`. */
  inlineCode?: string | undefined;
  handler: string;
  /** Its CloudWatch Logs group: `LoggingConfig.LogGroup`, else `/aws/lambda/<function name>`. */
  logGroupName: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, string>;
  /** Its resource policy, from `AWS::Lambda::Permission`. */
  permissions: PolicyStatement[];
  /** `$LATEST`, its versions and aliases: qualifier → the version it runs. */
  qualifiers: Record<string, string>;
  /** The cloud assembly it was read from (of several apps served together, its own). @default the first */
  assemblyDir?: string | undefined;
  /** Why it cannot run here (its callers then get a 502); undefined when it can. */
  unsupported?: string | undefined;
  /** X-Ray tracing (`TracingConfig.Mode`): `Active` samples every invocation here, `PassThrough` only sampled callers'. @default 'PassThrough' */
  tracing?: 'Active' | 'PassThrough' | undefined;
  /** Its `VpcConfig`: the VPC it is in and whether its subnets reach the internet. @default none: not in a VPC */
  network?: FunctionNetwork | undefined;
}

/** A Lambda function URL (`AWS::Lambda::Url`). */
export interface FunctionUrlModel {
  stackName: string;
  logicalId: string;
  /** The 32-character id of its host name, `<url id>.lambda-url.<region>.on.aws`. */
  urlId: string;
  /** `https://<url id>.lambda-url.<region>.on.aws/`, as `Fn::GetAtt <url>.FunctionUrl` gives it. */
  url: string;
  /** The unqualified ARN of its function. */
  functionArn: string;
  /** The alias it invokes (`Qualifier`). @default none: `$LATEST` */
  qualifier?: string | undefined;
  accountId: string;
  region: string;
  /** `AWS_IAM` (SigV4, service `lambda`) or `NONE`. */
  authType: string;
}

/** A route of an HTTP API: `$default`, or `<METHOD> <path>` with `ANY` and `{proxy+}` allowed. */
export interface HttpRouteModel {
  routeKey: string;
  /** `ANY`, a method, or `$default`. */
  httpMethod: string;
  /** The path template, `''` for `$default`. */
  resourcePath: string;
  authorizationType: string;
  /** The function of its `AWS_PROXY` integration. */
  functionArn?: string | undefined;
  /** `2.0` or `1.0`. */
  payloadFormatVersion: string;
  /** The integration's timeout (`TimeoutInMillis`, 30 s by default for HTTP APIs). */
  timeoutMs: number;
  /** Its Lambda authorizer (`CUSTOM`). @default none */
  authorizer?: LambdaAuthorizerModel | undefined;
}

/** An API Gateway HTTP API (`AWS::ApiGatewayV2::Api`, protocol HTTP) with its stage and routes. */
export interface HttpApiModel {
  stackName: string;
  logicalId: string;
  apiId: string;
  accountId: string;
  region: string;
  /** Its stage: `$default` (no path prefix) where it has one, else the first. */
  stageName: string;
  routes: HttpRouteModel[];
}

/** A customer managed policy of the assembly (`AWS::IAM::ManagedPolicy`): what AssumeRole's `PolicyArns` may name. */
export interface ManagedPolicyModel {
  /** `arn:aws:iam::<account>:policy/<path><name>` */
  arn: string;
  accountId: string;
  /** `<stack>/<logical id>`, for explanations. */
  name: string;
  document: PolicyDocument;
}

/** What the local stack runs, read from a cloud assembly. */
export interface CloudAssemblyModel {
  region: string;
  roles: RoleModel[];
  /** Its customer managed policies, attached or not. */
  managedPolicies: ManagedPolicyModel[];
  functions: FunctionModel[];
  apis: RestApiModel[];
  functionUrls: FunctionUrlModel[];
  httpApis: HttpApiModel[];
  /** Its VPCs. */
  vpcs: VpcModel[];
  /** Its interface VPC endpoints. */
  vpcEndpoints: VpcEndpointModel[];
  /** What is served with a difference from AWS, one line each (stack, logical id, what). */
  warnings: string[];
}

/** Options of {@link readCloudAssembly}. */
export interface ReadOptions {
  /** Account of env-agnostic stacks. @default '000000000000' */
  defaultAccountId?: string;
  /** Region of env-agnostic stacks. @default 'us-east-1' */
  defaultRegion?: string;
  /**
   * Stack parameters by stack name, as `cdk deploy --parameters <stack>:<key>=<value>` gives them;
   * under {@link ANY_STACK}, for every stack that has the parameter (`--parameters <key>=<value>`). @default none
   */
  parameters?: Record<string, Record<string, string>>;
}

/** The stack name of parameters given without one: each stack that has the parameter takes it. */
export const ANY_STACK = '*';

/** What the local stack cannot honour in an assembly: one line per problem. */
export class AssemblyError extends Error {
  public constructor(
    dir: string,
    public readonly problems: string[],
  ) {
    super(`The cloud assembly at ${dir} has what the local stack cannot honour:\n- ${problems.join('\n- ')}`);
    this.name = 'AssemblyError';
  }
}

interface Template {
  Parameters?: Record<string, { Type?: string; Default?: unknown; AllowedPattern?: string; AllowedValues?: unknown[] }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Resources?: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown }; Condition?: string }>;
}

/**
 * Reads a synthesized CDK cloud assembly (`cdk.out`, CDK Stages included) into what the local
 * stack runs: roles with their policies, functions with their code and resolved environment,
 * REST APIs with their resource policy, stage and methods. Physical ids are derived from
 * account, stack and logical id, so they stay the same on every read. Parameters take their
 * default or the same-named output of a stack deployed before; exports feed `Fn::ImportValue`.
 *
 * @throws {MissingAssemblyError} when `dir` is not a cloud assembly.
 * @throws {AssemblyError} listing every problem, one line each, when there is any.
 *
 * @example
 * ```ts
 * const model = readCloudAssembly('cdk.out', { defaultAccountId: '123456789012' });
 * ```
 */
export function readCloudAssembly(dir: string | string[], options: ReadOptions = {}): CloudAssemblyModel {
  // The same assembly named twice (`--app x --assembly x/cdk.out`) is read once.
  const dirs = [...new Map((typeof dir === 'string' ? [dir] : dir).map((each) => [realPath(each), each])).values()];
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  const app = emptyApp(defaultRegion);
  const outputs = new Map<StackArtifact, Record<string, string>>();
  const shared: SharedReading = { app, exports: new Map(), assetsByDir: new Map(), defaultRegion, options };
  let regionSet = false;

  // Several apps (`--app producer --app consumer`) are one account space: their stacks are read together.
  const templates = new Map(
    dirs.flatMap((top) =>
      listStacks(top).map((artifact): [StackArtifact, Template] => [
        artifact,
        JSON.parse(readFileSync(artifact.templateFile, 'utf8')) as Template,
      ]),
    ),
  );
  app.model.warnings.push(...dirs.flatMap(missingContext));
  app.problems.push(...parameterProblems(templates, options.parameters ?? {}), ...clashingStacks(templates, options));
  for (const artifact of deploymentOrder([...templates.keys()], importedFrom(templates))) {
    const template = templates.get(artifact) as Template;
    const stack = stackInput(artifact, template, shared);
    if (artifact.region && !regionSet) {
      app.model.region = artifact.region;
      regionSet = true;
    }
    const wired = readParameters(stack, template, {
      given: { ...options.parameters?.[ANY_STACK], ...options.parameters?.[artifact.stackName] },
      outputs: [...outputs].filter(([other]) => other.appDir === artifact.appDir),
    });
    if (wired) app.model.warnings.push(wired);
    nameResources(stack, template, app);
    for (const [type, read] of Object.entries(READERS)) {
      for (const [logicalId, resource] of stack.resources.filter(([, r]) => r.Type === type))
        stack.attempt(logicalId, () => read(logicalId, resource, stack, app));
    }
    outputs.set(artifact, readOutputs(stack, template, shared));
  }

  linkApp(app);
  if (
    app.problems.length === 0 &&
    app.model.functions.length === 0 &&
    app.model.apis.length === 0 &&
    app.model.httpApis.length === 0
  ) {
    const stacks = [...templates.keys()].map((artifact) => artifact.stackName);
    app.problems.push(
      `nothing to serve: no Lambda function and no REST API in ${stacks.length === 0 ? 'the assembly (it has no stack)' : `its stacks (${stacks.join(', ')})`}`,
    );
  }
  app.problems = app.problems.map((line) => withOutputHint(line, outputs));
  if (app.problems.length > 0) throw new AssemblyError(dirs.join(' and '), app.problems);
  return app.model;
}

/** What the stacks of one read share: the app being built, the exports so far, the asset manifests read. */
interface SharedReading {
  app: AppBuilder;
  /** By `<account>/<region>/<export name>`. */
  exports: Map<string, string>;
  /** The asset manifests of each (nested) assembly, read once, when a function has no asset metadata. */
  assetsByDir: Map<string, Map<string, string>>;
  defaultRegion: string;
  options: ReadOptions;
}

function emptyApp(region: string): AppBuilder {
  return {
    model: {
      region,
      roles: [],
      managedPolicies: [],
      functions: [],
      apis: [],
      functionUrls: [],
      httpApis: [],
      vpcs: [],
      vpcEndpoints: [],
      warnings: [],
    },
    problems: [],
    attachments: [],
    managedPolicies: new Map(),
    permissions: [],
    functions: [],
    qualifiers: [],
    places: new Map(),
    network: { vpcs: [], endpoints: [], subnets: new Map(), associations: new Map(), natRouteTables: new Set() },
  };
}

/** One stack as the readers see it: its scope for intrinsics, its assets, and how a reference it cannot resolve is reported. */
function stackInput(artifact: StackArtifact, template: Template, shared: SharedReading): StackInput {
  const { app, assetsByDir } = shared;
  return {
    artifact,
    scope: {
      stackName: artifact.stackName,
      accountId: artifact.accountId ?? shared.options.defaultAccountId ?? '000000000000',
      region: artifact.region ?? shared.defaultRegion,
      refs: new Map(),
      attributes: new Map(),
      exports: shared.exports,
      conditions: template.Conditions ?? {},
      mappings: template.Mappings ?? {},
    },
    resources: [],
    assets: () => {
      const known = assetsByDir.get(artifact.assemblyDir) ?? assetSources(artifact.assemblyDir);
      assetsByDir.set(artifact.assemblyDir, known);
      return known;
    },
    attempt: (what, run) => {
      try {
        return run();
      } catch (error) {
        // Anything a template holds that the reader cannot use is a line of the report, never a stack trace.
        if (error instanceof UnresolvedError && error.line) {
          if (!app.problems.includes(error.line)) app.problems.push(error.line);
          return undefined;
        }
        const reason =
          error instanceof UnresolvedError
            ? `${error.message}; the local stack needs it resolved`
            : `not what CloudFormation expects here (${(error as Error).message})`;
        app.problems.push(`${artifact.stackName} ${what}: ${reason}`);
        return undefined;
      }
    },
  };
}

/** The stack's resources whose condition holds, each with what `Ref` and `Fn::GetAtt` give for it. */
function nameResources(stack: StackInput, template: Template, app: AppBuilder): void {
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {}))
    if (typeof resource?.Type !== 'string')
      app.problems.push(`${stack.artifact.stackName} ${logicalId}: a resource without a Type`);
  stack.resources = Object.entries(template.Resources ?? {}).filter(
    ([, resource]) =>
      typeof resource?.Type === 'string' &&
      resource.Type !== 'AWS::CDK::Metadata' &&
      (resource.Condition === undefined ||
        stack.attempt(`condition ${resource.Condition}`, () =>
          conditionHolds(resource.Condition ?? '', stack.scope),
        ) === true),
  );
  const naming = [...stack.resources].sort(
    ([, a], [, b]) => Number(LATE_NAMERS.has(a.Type)) - Number(LATE_NAMERS.has(b.Type)),
  );
  for (const [logicalId, resource] of naming) {
    const namer = NAMERS[resource.Type] ?? NAMERS.default;
    const { ref, attributes } = stack.attempt(logicalId, () => namer?.(logicalId, resource, stack)) ?? {
      ref: logicalId,
    };
    stack.scope.refs.set(logicalId, ref);
    for (const [name, value] of Object.entries(attributes ?? {}))
      stack.scope.attributes.set(`${logicalId}.${name}`, value);
  }
}

/** The stack's outputs by name; its exports added to the account's and region's. */
function readOutputs(stack: StackInput, template: Template, { app, exports }: SharedReading): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output === null || typeof output !== 'object') {
      app.problems.push(`${stack.artifact.stackName} output ${name}: not an object`);
      continue;
    }
    const value = stack.attempt(`output ${name}`, () =>
      output.Condition !== undefined && !conditionHolds(output.Condition, stack.scope)
        ? undefined
        : String(resolve(output.Value, stack.scope)),
    );
    if (value === undefined) continue;
    values[name] = value;
    const exportName =
      output.Export &&
      stack.attempt(`output ${name} export name`, () => String(resolve(output.Export?.Name, stack.scope)));
    // Exports are per account and region, as CloudFormation keeps them.
    if (exportName) exports.set(`${stack.scope.accountId}/${stack.scope.region}/${exportName}`, value);
  }
  return values;
}

/** For each stack, the stacks that export a name it imports (by literal name): they deploy first. */
function importedFrom(templates: Map<StackArtifact, Template>): (stack: StackArtifact) => string[] {
  const exporters = new Map<string, string>();
  for (const [artifact, template] of templates)
    for (const output of Object.values(template.Outputs ?? {}))
      if (typeof output.Export?.Name === 'string') exporters.set(output.Export.Name, artifact.id);
  return (stack) => {
    const imports = JSON.stringify(templates.get(stack)?.Resources ?? {}).matchAll(/"Fn::ImportValue":"([^"]+)"/g);
    return [...imports].map(([, name]) => exporters.get(name ?? '')).filter((id): id is string => id !== undefined);
  };
}

/** Where a stack's parameters can take their values from. */
interface ParameterSources {
  /** `--parameters <stack>:<key>=<value>` for this stack: as `cdk deploy --parameters` passes them. */
  given: Record<string, string>;
  /** Outputs of the stacks of the same app read before it, which a deploy script passes on by name. */
  outputs: [StackArtifact, Record<string, string>][];
}

/**
 * Sets each parameter of a stack: the value given with `--parameters`, else its default, else
 * the same-named output of a stack of the same app deployed before (a deploy script's wiring,
 * said in the line returned). A parameter left without a value is refused only where a resource
 * the stack reads refers to it, with the `--parameters` that would set it.
 *
 * @returns the line saying which parameters came from other stacks' outputs, if any.
 */
function readParameters(stack: StackInput, template: Template, sources: ParameterSources): string | undefined {
  const taken = new Map<string, string[]>();
  const { scope } = stack;
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    if (parameter === null || typeof parameter !== 'object') continue;
    const given = sources.given[name];
    const fromOutput = sources.outputs.find(([, values]) => values[name] !== undefined);
    const value =
      given ??
      (parameter.Default !== undefined && !String(parameter.Type).startsWith('AWS::SSM')
        ? String(parameter.Default)
        : (fromOutput?.[1][name] ?? (name === 'BootstrapVersion' ? '30' : undefined)));
    if (value !== undefined) {
      scope.refs.set(name, value);
      const from = fromOutput?.[0].stackName;
      if (given === undefined && from && value === fromOutput?.[1][name])
        taken.set(from, [...(taken.get(from) ?? []), name]);
      continue;
    }
    scope.unset ??= new Map();
    scope.unset.set(name, unsetLine(scope.stackName, name));
  }
  if (taken.size === 0) return undefined;
  const lines = [...taken].map(([from, names]) => `${names.join(', ')} from ${from}'s outputs`);
  return `${scope.stackName} takes parameters ${lines.join('; ')} by name, as a deploy script passes them (CloudFormation does not): --parameters ${scope.stackName}:<key>=<value> sets another value`;
}

const unsetLine = (stackName: string, name: string) =>
  `${stackName} parameter ${name} has no value and the app uses it: give it with --parameters ${stackName}:${name}=<value>`;

/**
 * An unset parameter's line, with the output of another app's stack of the same name if there is
 * one: what a team would pass, and that CloudFormation passes no output across apps by itself.
 */
function withOutputHint(line: string, outputs: Map<StackArtifact, Record<string, string>>): string {
  const [, stackName = '', name = ''] = /^(\S+) parameter (\S+) has no value/.exec(line) ?? [];
  if (line !== unsetLine(stackName, name)) return line;
  const own = [...outputs.keys()].find((artifact) => artifact.stackName === stackName)?.appDir;
  const other = [...outputs].find(([artifact, values]) => artifact.appDir !== own && values[name] !== undefined);
  if (!other) return line;
  return `${stackName} parameter ${name} has no value and the app uses it: give it with --parameters ${stackName}:${name}=${other[1][name]} (the output ${name} of ${other[0].stackName}, another app: CloudFormation passes no output across apps by itself)`;
}

/** `--parameters` that name no stack or no parameter of it, or break a parameter's `AllowedPattern` / `AllowedValues`. */
function parameterProblems(
  templates: Map<StackArtifact, Template>,
  given: Record<string, Record<string, string>>,
): string[] {
  const problems: string[] = [];
  for (const [stackName, values] of Object.entries(given)) {
    const any = stackName === ANY_STACK;
    const stacks = [...templates].filter(([artifact]) => any || artifact.stackName === stackName);
    if (stacks.length === 0) {
      const names = [...new Set([...templates.keys()].map((artifact) => artifact.stackName))];
      problems.push(`--parameters ${stackName}:…: no stack ${stackName} in the app (its stacks: ${names.join(', ')})`);
      continue;
    }
    for (const [key, value] of Object.entries(values)) {
      const flag = any ? `--parameters ${key}` : `--parameters ${stackName}:${key}`;
      const declaring = stacks.filter(([, template]) => template.Parameters?.[key] !== undefined);
      if (declaring.length === 0) {
        const declared = Object.keys(stacks[0]?.[1].Parameters ?? {}).filter((name) => name !== 'BootstrapVersion');
        problems.push(
          any
            ? `${flag}: no stack of the app has a parameter ${key}`
            : `${flag}: ${stackName} has no parameter ${key} (${declared.length > 0 ? `its parameters: ${declared.join(', ')}` : 'it has none'})`,
        );
      }
      for (const [, template] of declaring) problems.push(...valueProblems(flag, template.Parameters?.[key], value));
    }
  }
  return [...new Set(problems)];
}

/** What CloudFormation refuses of a parameter's value: outside its `AllowedPattern` or `AllowedValues`. */
function valueProblems(
  flag: string,
  parameter: NonNullable<Template['Parameters']>[string] | undefined,
  value: string,
) {
  const problems: string[] = [];
  if (parameter?.AllowedPattern !== undefined && !allowedBy(parameter.AllowedPattern, value))
    problems.push(
      `${flag}: ${JSON.stringify(value)} does not match its AllowedPattern ${parameter.AllowedPattern} (CloudFormation refuses it)`,
    );
  if (parameter?.AllowedValues !== undefined && !parameter.AllowedValues.map(String).includes(value))
    problems.push(
      `${flag}: ${JSON.stringify(value)} is not one of its AllowedValues (${parameter.AllowedValues.join(', ')})`,
    );
  return problems;
}

/** Whether a value matches a parameter's `AllowedPattern` (Java's syntax; one JavaScript cannot read is not checked). */
function allowedBy(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return true;
  }
}

/** Two stacks of the same name in one account and region (two apps that both define it): CloudFormation has one. */
function clashingStacks(templates: Map<StackArtifact, Template>, options: ReadOptions): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const artifact of templates.keys()) {
    const where = `${artifact.accountId ?? options.defaultAccountId ?? '000000000000'}/${artifact.region ?? options.defaultRegion ?? 'us-east-1'}/${artifact.stackName}`;
    const app = artifact.appDir;
    const before = seen.get(where);
    if (before !== undefined && before !== app)
      problems.push(
        `stack ${artifact.stackName} is in two apps (${before} and ${app}) in one account and region: CloudFormation holds one stack of a name there`,
      );
    seen.set(where, app);
  }
  return problems;
}

const realPath = (dir: string) => {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
};
