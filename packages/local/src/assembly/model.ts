import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { type NamedPolicy, type PolicyDocument, type PolicyStatement, policyProblems } from '../iam/policy.js';
import { type ResolutionScope, resolve, UnresolvedError } from './intrinsics.js';

/** An IAM role of the assembly. */
export interface RoleModel {
  stackName: string;
  logicalId: string;
  accountId: string;
  name: string;
  arn: string;
  /** `AROA…`, the role's unique id (the first half of `requestContext.identity.caller`). */
  roleId: string;
  policies: NamedPolicy[];
}

/** A Lambda function of the assembly, with what it takes to run it. */
export interface FunctionModel {
  stackName: string;
  /** Friendly name: `POWERTOOLS_SERVICE_NAME`, else the logical id. */
  name: string;
  functionName: string;
  arn: string;
  accountId: string;
  region: string;
  role: RoleModel;
  /** Folder of the bundled code in the assembly. */
  codeDir: string;
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, string>;
  /** Its resource policy, from `AWS::Lambda::Permission`. */
  permissions: PolicyStatement[];
}

/** A method of a REST API. */
export interface MethodModel {
  httpMethod: string;
  /** Resource path template, e.g. `/{proxy+}`. */
  resourcePath: string;
  authorizationType: string;
  /** ARN of the function of an `AWS_PROXY` integration. */
  functionArn?: string | undefined;
}

/** A REST API with its stage and methods. */
export interface RestApiModel {
  stackName: string;
  restApiId: string;
  accountId: string;
  region: string;
  stageName: string;
  policy?: PolicyDocument | undefined;
  methods: MethodModel[];
}

/** What the local stack runs, read from a cloud assembly. */
export interface CloudAssemblyModel {
  region: string;
  roles: RoleModel[];
  functions: FunctionModel[];
  apis: RestApiModel[];
}

/** Options of {@link readCloudAssembly}. */
export interface ReadOptions {
  /** Account of env-agnostic stacks. @default '000000000000' */
  defaultAccountId?: string;
  /** Region of env-agnostic stacks. @default 'us-east-1' */
  defaultRegion?: string;
}

interface Template {
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Resources?: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
  Outputs?: Record<string, { Value: unknown }>;
}

interface StackArtifact {
  type: string;
  environment?: string;
  properties?: { templateFile: string };
  dependencies?: string[];
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const randomId = (length: number, alphabet = LOWER): string =>
  Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');

/** Dependency order: a stack after the stacks it depends on. */
function ordered(artifacts: Record<string, StackArtifact>): string[] {
  const done: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (done.includes(name) || path.includes(name)) return;
    for (const dependency of artifacts[name]?.dependencies ?? [])
      if (artifacts[dependency]) visit(dependency, [...path, name]);
    done.push(name);
  };
  for (const name of Object.keys(artifacts)) visit(name, []);
  return done;
}

/**
 * Reads a synthesized CDK cloud assembly (`cdk.out`): per stack its account and region,
 * roles with their identity policies, functions with their bundled code and resolved
 * environment, REST APIs with their resource policy, stage and methods. Parameters take
 * their default or the same-named output of a stack they depend on (as the deploy script
 * passes `ApiId`). Anything security-relevant that cannot be resolved is reported by name.
 *
 * @throws {Error} listing every problem, when there is any.
 *
 * @example
 * ```ts
 * const model = readCloudAssembly('packages/infra/cdk.out');
 * ```
 */
export function readCloudAssembly(dir: string, options: ReadOptions = {}): CloudAssemblyModel {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new Error(
      `No cloud assembly at ${dir}: run \`pnpm --filter infra run synth\` first (manifest.json is missing).`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, StackArtifact> };
  const stacks = Object.fromEntries(
    Object.entries(manifest.artifacts ?? {}).filter(([, a]) => a.type === 'aws:cloudformation:stack'),
  );
  const model: CloudAssemblyModel = {
    region: options.defaultRegion ?? 'us-east-1',
    roles: [],
    functions: [],
    apis: [],
  };
  const problems: string[] = [];
  const outputs = new Map<string, Record<string, string>>();

  for (const stackName of ordered(stacks)) {
    const artifact = stacks[stackName] as StackArtifact;
    const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
    const scope: ResolutionScope = {
      stackName,
      accountId: account && account !== 'unknown-account' ? account : (options.defaultAccountId ?? '000000000000'),
      region: region && region !== 'unknown-region' ? region : model.region,
      refs: new Map(),
      attributes: new Map(),
    };
    model.region = scope.region;
    const template = JSON.parse(readFileSync(join(dir, artifact.properties?.templateFile ?? ''), 'utf8')) as Template;
    const resources = Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type !== 'AWS::CDK::Metadata');
    const attempt = <T>(what: string, run: () => T): T | undefined => {
      try {
        return run();
      } catch (error) {
        if (!(error instanceof UnresolvedError)) throw error;
        problems.push(`${stackName} ${what}: ${error.message}`);
        return undefined;
      }
    };

    for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
      const fromDependency = (artifact.dependencies ?? []).map((d) => outputs.get(d)?.[name]).find(Boolean);
      const value =
        parameter.Default !== undefined && !String(parameter.Type).startsWith('AWS::SSM')
          ? String(parameter.Default)
          : (fromDependency ?? (name === 'BootstrapVersion' ? '30' : undefined));
      if (value === undefined)
        problems.push(`${stackName} parameter ${name}: no default and no same-named output upstream`);
      else scope.refs.set(name, value);
    }

    // First pass: physical names and ARNs of what others reference.
    for (const [logicalId, resource] of resources) {
      const props = resource.Properties ?? {};
      const named = (property: string, fallback: string) =>
        (props[property] !== undefined
          ? attempt(`${logicalId}.${property}`, () => String(resolve(props[property], scope)))
          : undefined) ?? fallback;
      const generated = `${stackName}-${logicalId.slice(0, 40)}-${randomId(12, UPPER)}`;
      const { accountId, region } = scope;
      switch (resource.Type) {
        case 'AWS::IAM::Role': {
          const name = named('RoleName', generated.slice(0, 64));
          scope.refs.set(logicalId, name);
          scope.attributes.set(`${logicalId}.Arn`, `arn:aws:iam::${accountId}:role/${name}`);
          scope.attributes.set(`${logicalId}.RoleId`, `AROA${randomId(17, UPPER)}`);
          break;
        }
        case 'AWS::Lambda::Function': {
          const name = named('FunctionName', generated.slice(0, 64));
          scope.refs.set(logicalId, name);
          scope.attributes.set(`${logicalId}.Arn`, `arn:aws:lambda:${region}:${accountId}:function:${name}`);
          break;
        }
        case 'AWS::ApiGateway::RestApi':
          scope.refs.set(logicalId, randomId(10));
          scope.attributes.set(`${logicalId}.RootResourceId`, randomId(10));
          break;
        case 'AWS::Logs::LogGroup': {
          const name = named('LogGroupName', `/aws/lambda/${generated}`);
          scope.refs.set(logicalId, name);
          scope.attributes.set(`${logicalId}.Arn`, `arn:aws:logs:${region}:${accountId}:log-group:${name}:*`);
          break;
        }
        case 'AWS::ApiGateway::Stage':
          scope.refs.set(logicalId, named('StageName', logicalId));
          break;
        default:
          scope.refs.set(logicalId, `${logicalId}-${randomId(8)}`);
      }
    }

    // Second pass: the models.
    const roles = new Map<string, RoleModel>();
    for (const [logicalId, resource] of resources.filter(([, r]) => r.Type === 'AWS::IAM::Role')) {
      const props = resource.Properties ?? {};
      const role: RoleModel = {
        stackName,
        logicalId,
        accountId: scope.accountId,
        name: scope.refs.get(logicalId) ?? logicalId,
        arn: scope.attributes.get(`${logicalId}.Arn`) ?? '',
        roleId: scope.attributes.get(`${logicalId}.RoleId`) ?? '',
        policies: [],
      };
      for (const inline of (props.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]) {
        const document = attempt(`${logicalId} policy ${inline.PolicyName}`, () =>
          resolve(inline.PolicyDocument, scope),
        );
        if (document)
          role.policies.push({ name: `${logicalId}/${inline.PolicyName}`, document: document as PolicyDocument });
      }
      for (const managed of (props.ManagedPolicyArns ?? []) as unknown[]) {
        problems.push(`${stackName} ${logicalId}: managed policy ${JSON.stringify(managed)} is not known locally`);
      }
      roles.set(logicalId, role);
      model.roles.push(role);
    }
    for (const [logicalId, resource] of resources.filter(([, r]) => r.Type === 'AWS::IAM::Policy')) {
      const props = resource.Properties ?? {};
      const document = attempt(`${logicalId}.PolicyDocument`, () => resolve(props.PolicyDocument, scope));
      for (const target of (props.Roles ?? []) as unknown[]) {
        const roleName = attempt(`${logicalId}.Roles`, () => String(resolve(target, scope)));
        const role = [...roles.values()].find((r) => r.name === roleName);
        if (!role) problems.push(`${stackName} ${logicalId}: attached to role ${roleName}, not in this assembly`);
        else if (document) role.policies.push({ name: logicalId, document: document as PolicyDocument });
      }
    }
    for (const role of roles.values()) for (const policy of role.policies) problems.push(...policyProblems(policy));

    const permissions = resources
      .filter(([, r]) => r.Type === 'AWS::Lambda::Permission')
      .map(([logicalId, r]) => attempt(logicalId, () => resolve(r.Properties ?? {}, scope) as Record<string, string>))
      .filter((p): p is Record<string, string> => p !== undefined);

    for (const [logicalId, resource] of resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
      const props = resource.Properties ?? {};
      const roleArn = attempt(`${logicalId}.Role`, () => String(resolve(props.Role, scope)));
      const role = [...roles.values()].find((r) => r.arn === roleArn);
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (!role) problems.push(`${stackName} ${logicalId}: its role ${roleArn} is not in this assembly`);
      if (typeof assetPath !== 'string')
        problems.push(`${stackName} ${logicalId}: no aws:asset:path metadata (code to run)`);
      const variables = attempt(`${logicalId}.Environment`, () =>
        resolve((props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}, scope),
      ) as Record<string, unknown> | undefined;
      if (!role || typeof assetPath !== 'string' || !variables) continue;
      const functionName = scope.refs.get(logicalId) ?? logicalId;
      const arn = scope.attributes.get(`${logicalId}.Arn`) ?? '';
      model.functions.push({
        stackName,
        name: String(variables.POWERTOOLS_SERVICE_NAME ?? logicalId),
        functionName,
        arn,
        accountId: scope.accountId,
        region: scope.region,
        role,
        codeDir: resolvePath(dir, assetPath),
        handler: String(props.Handler ?? 'index.handler'),
        timeoutSeconds: Number(props.Timeout ?? 3),
        memoryMb: Number(props.MemorySize ?? 128),
        environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
        permissions: permissions
          .filter((p) => p.FunctionName === functionName || p.FunctionName === arn)
          .map(
            (p): PolicyStatement => ({
              Effect: 'Allow',
              Principal: { [/^\d{12}$|^arn:/.test(p.Principal ?? '') ? 'AWS' : 'Service']: p.Principal ?? '' },
              Action: p.Action ?? 'lambda:InvokeFunction',
              Resource: arn,
              ...(p.SourceArn ? { Condition: { ArnLike: { 'aws:SourceArn': p.SourceArn } } } : {}),
            }),
          ),
      });
    }

    for (const [logicalId, resource] of resources.filter(([, r]) => r.Type === 'AWS::ApiGateway::RestApi')) {
      const api = readRestApi(logicalId, resource.Properties ?? {}, resources, scope, attempt);
      if (api) model.apis.push(api);
    }

    const stackOutputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(template.Outputs ?? {})) {
      const value = attempt(`output ${name}`, () => String(resolve(output.Value, scope)));
      if (value !== undefined) stackOutputs[name] = value;
    }
    outputs.set(stackName, stackOutputs);
  }

  if (problems.length > 0) {
    throw new Error(`The cloud assembly at ${dir} has what the local stack cannot honour:\n- ${problems.join('\n- ')}`);
  }
  return model;
}

type Attempt = <T>(what: string, run: () => T) => T | undefined;
type Resources = [string, { Type: string; Properties?: Record<string, unknown> }][];

function readRestApi(
  logicalId: string,
  props: Record<string, unknown>,
  resources: Resources,
  scope: ResolutionScope,
  attempt: Attempt,
): RestApiModel | undefined {
  const restApiId = scope.refs.get(logicalId) ?? '';
  const belongs = (p: Record<string, unknown> | undefined) =>
    attempt(`${logicalId} member`, () => resolve(p?.RestApiId, scope)) === restApiId;
  const paths = new Map<string, string>([[scope.attributes.get(`${logicalId}.RootResourceId`) ?? '', '/']]);
  const children = resources.filter(([, r]) => r.Type === 'AWS::ApiGateway::Resource' && belongs(r.Properties));
  // Parents before children: resolve until every resource has a path.
  for (let round = 0; round < children.length; round++) {
    for (const [id, r] of children) {
      const parent = paths.get(String(attempt(`${id}.ParentId`, () => resolve(r.Properties?.ParentId, scope))));
      if (parent !== undefined)
        paths.set(scope.refs.get(id) ?? id, `${parent === '/' ? '' : parent}/${String(r.Properties?.PathPart)}`);
    }
  }
  const methods: MethodModel[] = [];
  for (const [id, r] of resources.filter(([, r]) => r.Type === 'AWS::ApiGateway::Method' && belongs(r.Properties))) {
    const p = r.Properties ?? {};
    const resourcePath = paths.get(String(attempt(`${id}.ResourceId`, () => resolve(p.ResourceId, scope))));
    const integration = attempt(`${id}.Integration`, () => resolve(p.Integration, scope)) as
      | { Type?: string; Uri?: string }
      | undefined;
    if (resourcePath === undefined) continue;
    methods.push({
      httpMethod: String(p.HttpMethod),
      resourcePath,
      authorizationType: String(p.AuthorizationType ?? 'NONE'),
      functionArn:
        integration?.Type === 'AWS_PROXY'
          ? /functions\/(.+)\/invocations$/.exec(integration.Uri ?? '')?.[1]
          : undefined,
    });
  }
  const stage = resources.find(([, r]) => r.Type === 'AWS::ApiGateway::Stage' && belongs(r.Properties));
  const policy =
    props.Policy === undefined ? undefined : attempt(`${logicalId}.Policy`, () => resolve(props.Policy, scope));
  if (props.Policy !== undefined && policy === undefined) return undefined;
  return {
    stackName: scope.stackName,
    restApiId,
    accountId: scope.accountId,
    region: scope.region,
    stageName: String(stage?.[1].Properties?.StageName ?? 'prod'),
    policy: policy as PolicyDocument | undefined,
    methods,
  };
}
