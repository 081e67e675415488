import { statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { PolicyDocument, PolicyStatement } from '../iam/policy.js';
import { namesFunction, parseFunctionReference } from './function-reference.js';
import { stableId, UPPER } from './ids.js';
import { authorizerWarnings } from './integrations.js';
import { partitionOf, type ResolutionScope, resolve } from './intrinsics.js';
import type { StackArtifact } from './manifest.js';
import type { CloudAssemblyModel, FunctionModel, HttpRouteModel, LambdaAuthorizerModel, RoleModel } from './model.js';
import { functionSubnets, linkNetwork, NETWORK_NAMERS, NETWORK_READERS, type NetworkParts } from './network.js';
import { readRestApi } from './rest-api.js';

/** A resource of a template. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
}

/** One stack being read. */
export interface StackInput {
  artifact: StackArtifact;
  scope: ResolutionScope;
  /** Its resources whose condition holds. */
  resources: [string, TemplateResource][];
  /** The assembly folder's file assets by hash (`*.assets.json`), read on first use. */
  assets: () => Map<string, string>;
  /** Runs `run`; an unresolvable reference becomes a problem of the report and `undefined`. */
  attempt: <T>(what: string, run: () => T) => T | undefined;
}

interface PolicyAttachment {
  source: string;
  accountId: string;
  roleNames: string[];
  document: PolicyDocument;
}

/** The app as it is being read: the model, and what links across stacks once all are read. */
export interface AppBuilder {
  model: CloudAssemblyModel;
  problems: string[];
  /** `AWS::IAM::Policy` documents, attached to roles by name at the end. */
  attachments: PolicyAttachment[];
  /** Customer managed policies (`AWS::IAM::ManagedPolicy`) by ARN. */
  managedPolicies: Map<string, PolicyAttachment>;
  /** `AWS::Lambda::Permission` properties, resolved. */
  permissions: Record<string, unknown>[];
  /** Functions waiting for their role, permissions and qualifiers. */
  functions: { fn: Omit<FunctionModel, 'role' | 'permissions' | 'qualifiers'>; roleArn: string; path: string }[];
  /** Where each role and function is, to tell same-named ones apart: its Stage path and its construct path. */
  places: Map<object, { stagePath: string; path: string }>;
  /** Versions and aliases: qualifier → the version it runs. */
  qualifiers: { functionArn: string; qualifier: string; version: string }[];
  /** VPCs, subnets, routes and endpoints, linked to the functions at the end. */
  network: NetworkParts;
}

/** What `Ref` and `Fn::GetAtt` give for one resource. */
type Namer = (
  logicalId: string,
  resource: TemplateResource,
  stack: StackInput,
) => { ref: string; attributes?: Record<string, string | string[]> };

/** Reads one resource of a type into the app. */
type Reader = (logicalId: string, resource: TemplateResource, stack: StackInput, app: AppBuilder) => void;

const seed = (stack: StackInput, logicalId: string, kind: string) =>
  `${kind}/${stack.scope.accountId}/${stack.scope.stackName}/${logicalId}`;

/** CloudFormation's generated physical name: `<stack>-<logical id>-<12 characters>`, cut to `max`. */
const generatedName = (stack: StackInput, logicalId: string, max: number, alphabet = UPPER) =>
  `${`${stack.scope.stackName}-${logicalId}`.slice(0, max - 13)}-${stableId(seed(stack, logicalId, 'name'), 12, alphabet)}`;

/** The physical name a resource's property gives, else CloudFormation's generated one. */
function physicalName(logicalId: string, resource: TemplateResource, stack: StackInput, property: string, max = 64) {
  const value = resource.Properties?.[property];
  const named =
    value === undefined
      ? undefined
      : stack.attempt(`${logicalId}.${property}`, () => String(resolve(value, stack.scope)));
  return named ?? generatedName(stack, logicalId, max);
}

const arnOf = (stack: StackInput, service: string, resource: string, withRegion = true) => {
  const { region, accountId } = stack.scope;
  return `arn:${partitionOf(region)}:${service}:${withRegion ? region : ''}:${accountId}:${resource}`;
};

/** Physical ids and attributes of the types the local stack or common templates reference. */
export const NAMERS: Record<string, Namer> = {
  'AWS::IAM::Role': (logicalId, resource, stack) => {
    const name = physicalName(logicalId, resource, stack, 'RoleName');
    const path = String(resource.Properties?.Path ?? '/');
    return {
      ref: name,
      attributes: {
        Arn: arnOf(stack, 'iam', `role${path}${name}`, false),
        RoleId: `AROA${stableId(seed(stack, logicalId, 'role-id'), 17, UPPER)}`,
      },
    };
  },
  'AWS::IAM::ManagedPolicy': (logicalId, resource, stack) => {
    const name = physicalName(logicalId, resource, stack, 'ManagedPolicyName', 128);
    const arn = arnOf(stack, 'iam', `policy${String(resource.Properties?.Path ?? '/')}${name}`, false);
    return { ref: arn, attributes: { PolicyArn: arn } };
  },
  'AWS::Lambda::Function': (logicalId, resource, stack) => {
    const name = physicalName(logicalId, resource, stack, 'FunctionName');
    return { ref: name, attributes: { Arn: arnOf(stack, 'lambda', `function:${name}`) } };
  },
  // Versions count from 1 per function, in template order; an alias names a version.
  'AWS::Lambda::Version': (logicalId, resource, stack) => {
    const target = JSON.stringify(resource.Properties?.FunctionName);
    const before = stack.resources.slice(
      0,
      stack.resources.findIndex(([id]) => id === logicalId),
    );
    const number = String(
      before.filter(([, r]) => r.Type === resource.Type && JSON.stringify(r.Properties?.FunctionName) === target)
        .length + 1,
    );
    const arn = `${functionArn(resource, stack)}:${number}`;
    return { ref: arn, attributes: { Version: number, FunctionArn: arn } };
  },
  'AWS::Lambda::Alias': (logicalId, resource, stack) => {
    const name = stack.attempt(`${logicalId}.Name`, () => String(resolve(resource.Properties?.Name, stack.scope)));
    const arn = `${functionArn(resource, stack)}:${name}`;
    return { ref: arn, attributes: { AliasArn: arn } };
  },
  'AWS::ApiGateway::RestApi': (logicalId, _resource, stack) => ({
    ref: stableId(seed(stack, logicalId, 'restapi'), 10),
    attributes: { RootResourceId: stableId(seed(stack, logicalId, 'root'), 10) },
  }),
  // REST resource ids are 6 lowercase letters and digits; the root's 10.
  'AWS::ApiGateway::Resource': (logicalId, _resource, stack) => ({
    ref: stableId(seed(stack, logicalId, 'resource'), 6),
  }),
  'AWS::ApiGateway::Authorizer': (logicalId, _resource, stack) => ({
    ref: stableId(seed(stack, logicalId, 'authorizer'), 6),
  }),
  'AWS::ApiGateway::Stage': (logicalId, resource, stack) => ({
    ref: physicalName(logicalId, resource, stack, 'StageName'),
  }),
  // Deployment ids are 6 lowercase letters and digits; CDK renames the Deployment when the API changes.
  'AWS::ApiGateway::Deployment': (logicalId, _resource, stack) => ({
    ref: stableId(seed(stack, logicalId, 'deployment'), 6),
  }),
  // Function URLs: `Ref` is the function's ARN; the host name's id is 32 lowercase letters and digits.
  'AWS::Lambda::Url': (logicalId, resource, stack) => {
    const target = functionArn(resource, stack, 'TargetFunctionArn');
    const urlId = stableId(seed(stack, logicalId, 'function-url'), 32);
    return {
      ref: target,
      attributes: { FunctionArn: target, FunctionUrl: `https://${urlId}.lambda-url.${stack.scope.region}.on.aws/` },
    };
  },
  'AWS::ApiGatewayV2::Api': (logicalId, _resource, stack) => {
    const apiId = stableId(seed(stack, logicalId, 'httpapi'), 10);
    const endpoint = `https://${apiId}.execute-api.${stack.scope.region}.amazonaws.com`;
    return { ref: apiId, attributes: { ApiId: apiId, ApiEndpoint: endpoint } };
  },
  'AWS::ApiGatewayV2::Integration': (logicalId, _resource, stack) => ({
    ref: stableId(seed(stack, logicalId, 'integration'), 7),
  }),
  'AWS::ApiGatewayV2::Route': (logicalId, _resource, stack) => ({
    ref: stableId(seed(stack, logicalId, 'route'), 7),
  }),
  'AWS::ApiGatewayV2::Authorizer': (logicalId, _resource, stack) => ({
    ref: stableId(seed(stack, logicalId, 'authorizer'), 6),
  }),
  'AWS::ApiGatewayV2::Stage': (logicalId, resource, stack) => ({
    ref: physicalName(logicalId, resource, stack, 'StageName', 128),
  }),
  'AWS::Logs::LogGroup': (logicalId, resource, stack) => {
    const name = physicalName(logicalId, resource, stack, 'LogGroupName', 512);
    return { ref: name, attributes: { Arn: arnOf(stack, 'logs', `log-group:${name}:*`) } };
  },
  'AWS::SQS::Queue': (logicalId, resource, stack) => {
    const name = physicalName(logicalId, resource, stack, 'QueueName', 80);
    const url = `https://sqs.${stack.scope.region}.amazonaws.com/${stack.scope.accountId}/${name}`;
    return { ref: url, attributes: { Arn: arnOf(stack, 'sqs', name), QueueName: name, QueueUrl: url } };
  },
  'AWS::SNS::Topic': (logicalId, resource, stack) => {
    const name = physicalName(logicalId, resource, stack, 'TopicName', 256);
    const arn = arnOf(stack, 'sns', name);
    return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
  },
  'AWS::DynamoDB::Table': (logicalId, resource, stack) => {
    const name = physicalName(logicalId, resource, stack, 'TableName', 255);
    const arn = arnOf(stack, 'dynamodb', `table/${name}`);
    return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/1970-01-01T00:00:00.000` } };
  },
  'AWS::S3::Bucket': (logicalId, resource, stack) => {
    const name = resource.Properties?.BucketName
      ? physicalName(logicalId, resource, stack, 'BucketName', 63)
      : generatedName(stack, logicalId, 63).toLowerCase();
    const { region } = stack.scope;
    return {
      ref: name,
      attributes: {
        Arn: `arn:${partitionOf(region)}:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
      },
    };
  },
  // `Ref` of a secret is its ARN: `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>`.
  'AWS::SecretsManager::Secret': (logicalId, resource, stack) => {
    const name = physicalName(logicalId, resource, stack, 'Name', 512);
    const arn = arnOf(stack, 'secretsmanager', `secret:${name}-${stableId(seed(stack, logicalId, 'secret'), 6)}`);
    return { ref: arn, attributes: { Id: arn } };
  },
  ...NETWORK_NAMERS,
  /** Any other type: a generated physical id and an ARN of the usual shape. */
  default: (logicalId, resource, stack) => {
    const name = generatedName(stack, logicalId, 64);
    const [, service = 'unknown', kind = 'resource'] = resource.Type.split('::');
    return { ref: name, attributes: { Arn: arnOf(stack, service.toLowerCase(), `${kind.toLowerCase()}/${name}`) } };
  },
};

/** An HTTP API's routes: their keys, integrations (a Lambda function) and authorization. */
function httpRoutes(
  stack: StackInput,
  members: (type: string) => [string, TemplateResource][],
  where: string,
  warn: (line: string) => void,
): HttpRouteModel[] {
  const { scope } = stack;
  const integrations = new Map<string, Record<string, unknown>>();
  for (const [id, r] of members('AWS::ApiGatewayV2::Integration')) {
    const p = stack.attempt(id, () => resolve(r.Properties ?? {}, scope)) as Record<string, unknown> | undefined;
    if (p) integrations.set(scope.refs.get(id) ?? id, p);
  }
  const authorizers = httpAuthorizers(stack, members('AWS::ApiGatewayV2::Authorizer'), (line) =>
    warn(`${where}: ${line}`),
  );
  const routes: HttpRouteModel[] = [];
  for (const [id, r] of members('AWS::ApiGatewayV2::Route')) {
    const p = stack.attempt(id, () =>
      resolve(
        {
          RouteKey: r.Properties?.RouteKey,
          AuthorizationType: r.Properties?.AuthorizationType,
          AuthorizerId: r.Properties?.AuthorizerId,
          Target: r.Properties?.Target,
        },
        scope,
      ),
    ) as { RouteKey?: unknown; AuthorizationType?: unknown; AuthorizerId?: unknown; Target?: unknown } | undefined;
    if (!p) continue;
    const authorizer = authorizers.get(String(p.AuthorizerId));
    const routeKey = String(p.RouteKey);
    const [httpMethod = '', resourcePath = ''] = routeKey === '$default' ? ['$default', ''] : routeKey.split(' ');
    const integration = integrations.get(String(p.Target ?? '').replace(/^integrations\//, ''));
    const authorizationType = String(p.AuthorizationType ?? 'NONE');
    if (authorizationType !== 'NONE' && authorizationType !== 'AWS_IAM' && !authorizer)
      warn(
        `${scope.stackName} ${id}: ${authorizationType === 'CUSTOM' ? 'its authorizer is not a Lambda authorizer the local stack can run' : `${authorizationType} authorization is not reproduced locally`}; the route answers 401 Unauthorized`,
      );
    const uri = String(integration?.IntegrationUri ?? '');
    routes.push({
      routeKey,
      httpMethod,
      resourcePath,
      authorizationType,
      functionArn:
        integration?.IntegrationType === 'AWS_PROXY'
          ? (/functions\/(.+)\/invocations$/.exec(uri)?.[1] ?? (uri.includes(':lambda:') ? uri : undefined))
          : undefined,
      payloadFormatVersion: String(integration?.PayloadFormatVersion ?? '2.0'),
      timeoutMs: Number(integration?.TimeoutInMillis ?? 30_000),
      ...(authorizationType === 'CUSTOM' && authorizer ? { authorizer } : {}),
    });
  }
  return routes;
}

/** An HTTP API's Lambda authorizers by id, with a line for what of each is not honoured locally. */
function httpAuthorizers(
  stack: StackInput,
  resources: [string, TemplateResource][],
  warn: (line: string) => void,
): Map<string, LambdaAuthorizerModel> {
  const { scope } = stack;
  const authorizers = new Map<string, LambdaAuthorizerModel>();
  for (const [id, r] of resources) {
    const p = stack.attempt(id, () => resolve(r.Properties ?? {}, scope)) as Record<string, unknown> | undefined;
    const authorizer = p && httpLambdaAuthorizer(scope.refs.get(id) ?? id, `${scope.stackName}/${id}`, p);
    if (!authorizer) continue;
    authorizers.set(authorizer.authorizerId, authorizer);
    for (const line of authorizerWarnings(authorizer)) warn(line);
  }
  return authorizers;
}

/**
 * An HTTP API's Lambda authorizer (`AWS::ApiGatewayV2::Authorizer` of type `REQUEST`); undefined
 * for a JWT one. Caching is off unless `AuthorizerResultTtlInSeconds` says otherwise.
 */
function httpLambdaAuthorizer(
  authorizerId: string,
  name: string,
  p: Record<string, unknown>,
): LambdaAuthorizerModel | undefined {
  const functionArn = /functions\/(.+)\/invocations$/.exec(String(p.AuthorizerUri ?? ''))?.[1];
  if (String(p.AuthorizerType).toUpperCase() !== 'REQUEST' || !functionArn) return undefined;
  return {
    authorizerId,
    name: typeof p.Name === 'string' ? p.Name : name,
    type: 'REQUEST',
    functionArn,
    identitySources: strings(p.IdentitySource).flatMap((source) => source.split(',').map((part) => part.trim())),
    ttlSeconds: Number(p.AuthorizerResultTtlInSeconds ?? 0),
    credentials: p.AuthorizerCredentials === undefined ? undefined : String(p.AuthorizerCredentials),
    payloadFormatVersion: String(p.AuthorizerPayloadFormatVersion ?? '2.0'),
    simpleResponses: p.EnableSimpleResponses === true || p.EnableSimpleResponses === 'true',
  };
}

/** The unqualified ARN of the function a version, an alias, a permission or a URL names (by name or ARN). */
function functionArn(resource: TemplateResource, stack: StackInput, property = 'FunctionName'): string {
  const name = String(stack.attempt(property, () => resolve(resource.Properties?.[property], stack.scope)));
  const reference = parseFunctionReference(name, stack.scope.accountId);
  const region = reference.region ?? stack.scope.region;
  return `arn:${partitionOf(region)}:lambda:${region}:${reference.account}:function:${reference.name}`;
}

/** Types whose names need other resources' names first. */
export const LATE_NAMERS = new Set(['AWS::Lambda::Version', 'AWS::Lambda::Alias', 'AWS::Lambda::Url']);

/** The construct id: the `aws:cdk:path` segment before `/Resource` (else the last one, else the logical id without CDK's hash). */
function constructId(logicalId: string, resource: TemplateResource): string {
  const path = resource.Metadata?.['aws:cdk:path'];
  // Without path metadata (an app synthesized outside the CLI), CDK's logical id without its hash.
  if (typeof path !== 'string') return /^(.+?)[0-9A-F]{8}$/.exec(logicalId)?.[1] ?? logicalId;
  const segments = path.split('/');
  if (segments.at(-1) === 'Resource' && segments.length > 2) segments.pop();
  return segments.at(-1) || logicalId;
}

/** The construct path without the stack's own prefix and `/Resource`, to tell apart same-named constructs. */
function constructPath(logicalId: string, resource: TemplateResource, stackName: string): string {
  const path = resource.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path.replace(/\/Resource$/, '') : `${stackName}/${logicalId}`;
}

/** A function's bundled code: its `aws:asset:path` metadata, else the asset its `S3Key` names. */
function codeFolder(resource: TemplateResource, stack: StackInput): string | undefined {
  const { assemblyDir } = stack.artifact;
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath === 'string') return resolvePath(assemblyDir, assetPath);
  const key = (resource.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
  if (key === undefined) return undefined;
  const hash = /([0-9a-f]{64})\.zip$/.exec(String(stack.attempt('Code.S3Key', () => resolve(key, stack.scope))))?.[1];
  return hash ? stack.assets().get(hash) : undefined;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];

const NODE_RUNTIME = /^nodejs(1[6-9]|2[0-4])\.x$/;

/** Why a function cannot run locally; undefined when it can. */
function unsupportedReason(
  props: Record<string, unknown>,
  codeDir: string | undefined,
  inline: unknown,
): string | undefined {
  const code = (props.Code ?? {}) as Record<string, unknown>;
  if (props.PackageType === 'Image' || code.ImageUri !== undefined)
    return 'container image functions do not run locally';
  const runtime = String(props.Runtime ?? '');
  if (!NODE_RUNTIME.test(runtime))
    return `runtime ${runtime || '(none)'} does not run locally (nodejs16.x to nodejs24.x do)`;
  if (codeDir === undefined && typeof inline !== 'string')
    return 'its code is not in the assembly (no aws:asset:path metadata, no inline ZipFile)';
  if (codeDir !== undefined && !statSync(codeDir, { throwIfNoEntry: false })?.isDirectory())
    return `its code asset ${codeDir} is not a folder (a zip file asset is not unpacked locally)`;
  return undefined;
}

/** A policy resource (`AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy`): its document and the roles it names. */
function policyAttachment(
  logicalId: string,
  resource: TemplateResource,
  stack: StackInput,
): PolicyAttachment | undefined {
  const { scope } = stack;
  const props = resource.Properties ?? {};
  const document = stack.attempt(`${logicalId}.PolicyDocument`, () => resolve(props.PolicyDocument, scope));
  const roleNames = stack.attempt(`${logicalId}.Roles`, () => strings(resolve(props.Roles, scope)));
  if (!document || !roleNames) return undefined;
  return {
    source: `${scope.stackName}/${logicalId}`,
    accountId: scope.accountId,
    roleNames,
    document: document as PolicyDocument,
  };
}

/** Readers of the types the local stack serves, in the order they run for each stack. */
export const READERS: Record<string, Reader> = {
  ...Object.fromEntries(
    Object.entries(NETWORK_READERS).map(([type, read]): [string, Reader] => [
      type,
      (logicalId, resource, stack, app) => read(logicalId, resource, stack, app.network),
    ]),
  ),
  'AWS::IAM::Role': (logicalId, resource, stack, app) => {
    const { scope } = stack;
    const props = resource.Properties ?? {};
    const role: RoleModel & { rawManagedArns?: string[] } = {
      stackName: scope.stackName,
      logicalId,
      name: constructId(logicalId, resource),
      accountId: scope.accountId,
      roleName: scope.refs.get(logicalId) ?? logicalId,
      arn: String(scope.attributes.get(`${logicalId}.Arn`) ?? ''),
      roleId: String(scope.attributes.get(`${logicalId}.RoleId`) ?? ''),
      policies: [],
      managedPolicyArns: [],
      tags: {},
    };
    const tags = stack.attempt(`${logicalId}.Tags`, () => resolve(props.Tags ?? [], scope)) as
      | { Key: string; Value: string }[]
      | undefined;
    for (const tag of Array.isArray(tags) ? tags : [])
      if (tag?.Key !== undefined) role.tags[String(tag.Key)] = String(tag.Value);
    const inlines = stack.attempt(`${logicalId}.Policies`, () => {
      const resolved = resolve(props.Policies ?? [], scope);
      if (!Array.isArray(resolved)) throw new Error('Policies must be a list');
      return resolved as { PolicyName: string; PolicyDocument: unknown }[];
    });
    for (const inline of (inlines ?? []).filter((item) => item !== null && typeof item === 'object')) {
      const document = inline.PolicyDocument;
      if (document)
        role.policies.push({
          name: `${scope.stackName}/${logicalId}/${inline.PolicyName}`,
          document: document as PolicyDocument,
        });
    }
    const managed = stack.attempt(`${logicalId}.ManagedPolicyArns`, () =>
      strings(resolve(props.ManagedPolicyArns, scope)),
    );
    role.managedPolicyArns = managed ?? [];
    if (props.AssumeRolePolicyDocument !== undefined)
      role.trustPolicy = stack.attempt(`${logicalId}.AssumeRolePolicyDocument`, () => {
        const resolved = resolve(props.AssumeRolePolicyDocument, scope);
        return (typeof resolved === 'string' ? JSON.parse(resolved) : resolved) as PolicyDocument;
      });
    if (props.MaxSessionDuration !== undefined)
      role.maxSessionSeconds = Number(
        stack.attempt(`${logicalId}.MaxSessionDuration`, () => resolve(props.MaxSessionDuration, scope)) ?? 3600,
      );
    if (props.PermissionsBoundary !== undefined)
      role.boundaryArn = stack.attempt(`${logicalId}.PermissionsBoundary`, () =>
        String(resolve(props.PermissionsBoundary, scope)),
      );
    app.model.roles.push(role);
    app.places.set(role, {
      stagePath: stack.artifact.stagePath,
      path: constructPath(logicalId, resource, scope.stackName),
    });
  },
  'AWS::IAM::ManagedPolicy': (logicalId, resource, stack, app) => {
    const attachment = policyAttachment(logicalId, resource, stack);
    if (attachment) app.managedPolicies.set(stack.scope.refs.get(logicalId) ?? '', attachment);
  },
  'AWS::IAM::Policy': (logicalId, resource, stack, app) => {
    const attachment = policyAttachment(logicalId, resource, stack);
    if (attachment) app.attachments.push(attachment);
  },
  'AWS::Lambda::Permission': (logicalId, resource, stack, app) => {
    const props = stack.attempt(logicalId, () => resolve(resource.Properties ?? {}, stack.scope));
    if (props) app.permissions.push({ ...(props as Record<string, unknown>), accountId: stack.scope.accountId });
  },
  'AWS::Lambda::Function': (logicalId, resource, stack, app) => {
    const { scope } = stack;
    const raw = resource.Properties ?? {};
    // The scalars it runs with, resolved (a Timeout may be a Ref to a parameter).
    const scalars = stack.attempt(`${logicalId} Runtime/Handler/Timeout/MemorySize`, () =>
      resolve(
        {
          Runtime: raw.Runtime,
          Handler: raw.Handler,
          Timeout: raw.Timeout,
          MemorySize: raw.MemorySize,
          PackageType: raw.PackageType,
        },
        scope,
      ),
    ) as Record<string, unknown> | undefined;
    const props = { ...raw, ...scalars };
    const roleArn = stack.attempt(`${logicalId}.Role`, () => String(resolve(props.Role, scope)));
    const variables = stack.attempt(`${logicalId}.Environment`, () =>
      resolve((props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}, scope),
    ) as Record<string, unknown> | undefined;
    const inline = stack.attempt(`${logicalId}.Code.ZipFile`, () =>
      resolve((props.Code as { ZipFile?: unknown } | undefined)?.ZipFile, scope),
    );
    const tracing = stack.attempt(`${logicalId}.TracingConfig`, () =>
      resolve((props.TracingConfig as { Mode?: unknown } | undefined)?.Mode, scope),
    );
    const logGroup = stack.attempt(`${logicalId}.LoggingConfig`, () =>
      resolve((props.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup, scope),
    );
    if (roleArn === undefined || variables === undefined) return;
    const functionName = scope.refs.get(logicalId) ?? logicalId;
    const codeDir = codeFolder(resource, stack);
    const subnetIds = functionSubnets(props, stack, logicalId);
    app.functions.push({
      roleArn,
      path: constructPath(logicalId, resource, scope.stackName),
      fn: {
        stackName: scope.stackName,
        logicalId,
        name: constructId(logicalId, resource),
        functionName,
        arn: String(scope.attributes.get(`${logicalId}.Arn`) ?? ''),
        accountId: scope.accountId,
        region: scope.region,
        runtime: String(props.Runtime ?? ''),
        codeDir,
        inlineCode: typeof inline === 'string' ? inline : undefined,
        handler: String(props.Handler ?? 'index.handler'),
        logGroupName: typeof logGroup === 'string' ? logGroup : `/aws/lambda/${functionName}`,
        timeoutSeconds: Number(props.Timeout ?? 3),
        memoryMb: Number(props.MemorySize ?? 128),
        environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
        assemblyDir: stack.artifact.appDir,
        unsupported: unsupportedReason(props, codeDir, inline),
        tracing: tracing === 'Active' ? 'Active' : 'PassThrough',
        ...(subnetIds ? { network: { vpcId: undefined, subnetIds, internet: undefined } } : {}),
      },
    });
    const entry = app.functions.at(-1);
    if (entry) app.places.set(entry.fn, { stagePath: stack.artifact.stagePath, path: entry.path });
  },
  'AWS::Lambda::Version': (logicalId, _resource, stack, app) => {
    const arn = stack.scope.refs.get(logicalId) ?? '';
    const version = String(stack.scope.attributes.get(`${logicalId}.Version`) ?? '');
    app.qualifiers.push({ functionArn: arn.slice(0, arn.lastIndexOf(':')), qualifier: version, version });
  },
  'AWS::Lambda::Alias': (logicalId, resource, stack, app) => {
    const arn = stack.scope.refs.get(logicalId) ?? '';
    const version = stack.attempt(`${logicalId}.FunctionVersion`, () =>
      String(resolve(resource.Properties?.FunctionVersion, stack.scope)),
    );
    if (version === undefined) return;
    app.qualifiers.push({
      functionArn: arn.slice(0, arn.lastIndexOf(':')),
      qualifier: arn.split(':').at(-1) ?? '',
      version,
    });
  },
  'AWS::Lambda::Url': (logicalId, resource, stack, app) => {
    const { scope } = stack;
    const props = stack.attempt(logicalId, () =>
      resolve({ AuthType: resource.Properties?.AuthType, Qualifier: resource.Properties?.Qualifier }, scope),
    ) as { AuthType?: unknown; Qualifier?: unknown } | undefined;
    if (!props) return;
    const url = String(scope.attributes.get(`${logicalId}.FunctionUrl`) ?? '');
    app.model.functionUrls.push({
      stackName: scope.stackName,
      logicalId,
      urlId: new URL(url).hostname.split('.')[0] ?? '',
      url,
      functionArn: scope.refs.get(logicalId) ?? '',
      qualifier: props.Qualifier === undefined ? undefined : String(props.Qualifier),
      accountId: scope.accountId,
      region: scope.region,
      authType: String(props.AuthType ?? 'AWS_IAM'),
    });
  },
  'AWS::ApiGatewayV2::Api': (logicalId, resource, stack, app) => {
    const { scope } = stack;
    const props = resource.Properties ?? {};
    const where = `${scope.stackName} ${logicalId}`;
    const protocol = stack.attempt(`${logicalId}.ProtocolType`, () => String(resolve(props.ProtocolType, scope)));
    if (protocol !== 'HTTP') {
      app.model.warnings.push(`${where}: a ${protocol ?? 'WEBSOCKET'} API is not served locally (HTTP APIs are)`);
      return;
    }
    if (props.Body !== undefined || props.BodyS3Location !== undefined || props.Target !== undefined) {
      app.problems.push(
        `${where}: an HTTP API defined by an OpenAPI body or quick create (Target) is not served locally; define its routes and integrations in CDK`,
      );
      return;
    }
    const apiId = scope.refs.get(logicalId) ?? '';
    const members = (type: string) =>
      stack.resources.filter(
        ([id, r]) =>
          r.Type === type && stack.attempt(`${id}.ApiId`, () => resolve(r.Properties?.ApiId, scope)) === apiId,
      );
    const routes = httpRoutes(stack, members, where, (line) => app.model.warnings.push(line));
    const stages = members('AWS::ApiGatewayV2::Stage').map(([id]) => scope.refs.get(id) ?? id);
    const stageName = stages.includes('$default') ? '$default' : stages[0];
    if (stageName === undefined) {
      app.model.warnings.push(`${where}: no stage, so no URL on AWS either: not served`);
      return;
    }
    app.model.httpApis.push({
      stackName: scope.stackName,
      logicalId,
      apiId,
      accountId: scope.accountId,
      region: scope.region,
      stageName,
      routes,
    });
  },
  'AWS::ApiGateway::RestApi': readRestApi,
};

/**
 * The qualifier a permission's `FunctionName` names (a name, a partial ARN or an ARN, with or
 * without a version or alias), `''` for the function itself; undefined when it names another
 * function. A name without account means the permission's own account.
 */
function permissionQualifier(
  p: Record<string, unknown>,
  fn: { functionName: string; accountId: string; region: string },
): string | undefined {
  const reference = parseFunctionReference(String(p.FunctionName), String(p.accountId));
  return namesFunction(reference, fn) ? (reference.qualifier ?? '') : undefined;
}

/** `AWS::Lambda::Permission` as a statement of the function's resource policy. */
function permissionStatement(p: Record<string, unknown>, resource: string): PolicyStatement {
  const principal = String(p.Principal ?? '');
  const conditions: Record<string, Record<string, string>> = {};
  if (p.SourceArn !== undefined) conditions.ArnLike = { 'aws:SourceArn': String(p.SourceArn) };
  if (p.SourceAccount !== undefined) conditions.StringEquals = { 'aws:SourceAccount': String(p.SourceAccount) };
  if (p.PrincipalOrgID !== undefined)
    conditions.StringEquals = { ...conditions.StringEquals, 'aws:PrincipalOrgID': String(p.PrincipalOrgID) };
  if (p.FunctionUrlAuthType !== undefined)
    conditions.StringEquals = {
      ...conditions.StringEquals,
      'lambda:FunctionUrlAuthType': String(p.FunctionUrlAuthType),
    };
  // `InvokedViaFunctionUrl` (since October 2025): the permission covers calls through the function's URL only.
  if (p.InvokedViaFunctionUrl === true || p.InvokedViaFunctionUrl === 'true')
    conditions.Bool = { 'lambda:InvokedViaFunctionUrl': 'true' };
  return {
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : { [/^\d{12}$|^arn:/.test(principal) ? 'AWS' : 'Service']: principal },
    Action: String(p.Action ?? 'lambda:InvokeFunction'),
    Resource: resource,
    ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
  };
}

/**
 * Makes names unique: same-named things in CDK Stages take their Stage path (`Prod/requestor`);
 * those still alike, their construct path.
 */
function uniqueNames(items: { name: string }[], places: AppBuilder['places']): void {
  const qualifiers = [
    (item: { name: string }) => {
      const stagePath = places.get(item)?.stagePath;
      return stagePath ? `${stagePath}/${item.name}` : item.name;
    },
    (item: { name: string }) => places.get(item)?.path ?? item.name,
  ];
  for (const qualify of qualifiers) {
    const counts = new Map<string, number>();
    for (const item of items) counts.set(item.name, (counts.get(item.name) ?? 0) + 1);
    for (const item of items) if ((counts.get(item.name) ?? 0) > 1) item.name = qualify(item);
  }
}

/**
 * Links what crosses stacks once every stack is read: policies to their roles, functions to
 * their roles and permissions; names made unique; functions that cannot run become warnings.
 */
export function linkApp(app: AppBuilder): void {
  const { model } = app;
  const roleNamed = (accountId: string, roleName: string) =>
    model.roles.find((role) => role.accountId === accountId && role.roleName === roleName);
  for (const attachment of app.attachments) {
    for (const roleName of attachment.roleNames) {
      const role = roleNamed(attachment.accountId, roleName);
      if (role) role.policies.push({ name: attachment.source, document: attachment.document });
      else
        model.warnings.push(
          `${attachment.source}: attached to role ${roleName}, which is not in this assembly: ignored`,
        );
    }
  }
  for (const role of model.roles) {
    const managed = role.boundaryArn ? app.managedPolicies.get(role.boundaryArn) : undefined;
    if (managed) role.boundary = { name: managed.source, document: managed.document };
  }
  for (const [arn, managed] of app.managedPolicies) {
    model.managedPolicies.push({ arn, accountId: managed.accountId, name: managed.source, document: managed.document });
    for (const roleName of managed.roleNames)
      roleNamed(managed.accountId, roleName)?.policies.push({ name: managed.source, document: managed.document });
    for (const role of model.roles) {
      if (!role.managedPolicyArns.includes(arn)) continue;
      role.managedPolicyArns = role.managedPolicyArns.filter((other) => other !== arn);
      role.policies.push({ name: managed.source, document: managed.document });
    }
  }
  linkNetwork(app.network, app.functions, model.warnings);
  model.vpcs = app.network.vpcs;
  model.vpcEndpoints = app.network.endpoints;
  uniqueNames(model.roles, app.places);
  uniqueNames(
    app.functions.map((entry) => entry.fn),
    app.places,
  );
  for (const { fn, roleArn } of app.functions) {
    let role = model.roles.find((candidate) => candidate.arn === roleArn);
    if (!role) {
      model.warnings.push(
        `${fn.stackName} ${fn.logicalId}: its role ${roleArn} is not in this assembly; the function runs with no permissions locally`,
      );
      const roleName = roleArn.split('/').at(-1) ?? roleArn;
      role = {
        stackName: fn.stackName,
        logicalId: '',
        name: roleName,
        accountId: fn.accountId,
        roleName,
        arn: roleArn,
        roleId: `AROA${stableId(roleArn, 17, UPPER)}`,
        policies: [],
        managedPolicyArns: [],
        tags: {},
      };
    }
    if (fn.unsupported)
      model.warnings.push(
        `${fn.stackName} ${fn.logicalId} (${fn.name}): ${fn.unsupported}; its callers get 502 locally`,
      );
    const qualifiers: Record<string, string> = { $LATEST: '$LATEST' };
    for (const q of app.qualifiers) if (q.functionArn === fn.arn) qualifiers[q.qualifier] = q.version;
    model.functions.push({
      ...fn,
      qualifiers,
      role,
      // A permission on a version or alias applies to invocations of that qualified ARN only.
      permissions: app.permissions.flatMap((p) => {
        const qualifier = permissionQualifier(p, fn);
        return qualifier === undefined ? [] : [permissionStatement(p, qualifier ? `${fn.arn}:${qualifier}` : fn.arn)];
      }),
    });
  }
}
