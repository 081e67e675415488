import type { PolicyDocument } from '../iam/policy.js';
import {
  authorizerWarnings,
  integrationOf,
  lambdaAuthorizerOf,
  lambdaProxyMethodWrong,
  type RestApiParts,
} from './integrations.js';
import { type ResolutionScope, resolve } from './intrinsics.js';
import { openApiDocument, openApiParts } from './openapi.js';
import type { LambdaAuthorizerModel, MethodModel, RestApiModel } from './rest-api-model.js';

// REST APIs (`AWS::ApiGateway::RestApi`): their methods from the template's resources, methods
// and authorizers, or from an OpenAPI definition (`Body`, `BodyS3Location`); then their stage.

/** A resource of a template (the assembly reader's). */
interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** What the reader needs of the stack being read (the assembly reader's stack input has it). */
export interface ApiStack {
  artifact: { appDir: string };
  scope: ResolutionScope;
  resources: [string, TemplateResource][];
  assets: () => Map<string, string>;
  attempt: <T>(what: string, run: () => T) => T | undefined;
}

/** Where a read API goes, with its warnings and the problems that stop the app being served. */
interface ApiApp {
  model: { apis: RestApiModel[]; warnings: string[] };
  problems: string[];
}

/** Reads one `AWS::ApiGateway::RestApi` with its stage: every method, however it was defined. */
export function readRestApi(logicalId: string, resource: TemplateResource, stack: ApiStack, app: ApiApp): void {
  const { scope } = stack;
  const props = resource.Properties ?? {};
  const where = `${scope.stackName} ${logicalId}`;
  const restApiId = scope.refs.get(logicalId) ?? '';
  const members = (type: string) =>
    stack.resources.filter(
      ([id, r]) =>
        r.Type === type &&
        stack.attempt(`${id}.RestApiId`, () => resolve(r.Properties?.RestApiId, scope)) === restApiId,
    );
  let parts: RestApiParts | undefined;
  if (props.Body !== undefined || props.BodyS3Location !== undefined) {
    const document = openApiDocument(logicalId, props, stack);
    if (typeof document === 'string') {
      app.problems.push(`${where}: ${document}`);
      return;
    }
    if (document === undefined) return;
    parts = openApiParts(document, { where, apiArn: apiArnOf(restApiId, stack), stack, logicalId }, app.model.warnings);
  } else parts = templateMethods(logicalId, stack, members);
  for (const [method, problem] of parts.methods.map((method) => [method, methodWarning(method)] as const))
    if (problem) app.model.warnings.push(`${where} ${method.httpMethod} ${method.resourcePath}: ${problem}`);
  const authorizers = new Set(parts.methods.flatMap((method) => (method.authorizer ? [method.authorizer] : [])));
  for (const authorizer of authorizers)
    app.model.warnings.push(...authorizerWarnings(authorizer).map((line) => `${where}: ${line}`));
  const stage = restStage(logicalId, stack, members);
  if (stage.stageName === undefined) {
    app.model.warnings.push(`${where}: no stage, so no URL on AWS either: not served`);
    return;
  }
  // `Policy` wins over the definition's `x-amazon-apigateway-policy` (CloudFormation, AWS::ApiGateway::RestApi).
  const rawPolicy = props.Policy ?? parts.policy;
  const policy =
    rawPolicy === undefined
      ? undefined
      : stack.attempt(`${logicalId}.Policy`, () => {
          const resolved = resolve(rawPolicy, scope);
          return typeof resolved === 'string' ? JSON.parse(resolved) : resolved;
        });
  if (rawPolicy !== undefined && policy === undefined) return;
  const name = stack.attempt(`${logicalId}.Name`, () => resolve(props.Name, scope));
  const media = restApiMedia(logicalId, props, stack);
  app.model.apis.push({
    stackName: scope.stackName,
    logicalId,
    restApiId,
    accountId: scope.accountId,
    region: scope.region,
    stageName: stage.stageName,
    policy: policy as PolicyDocument | undefined,
    methods: parts.methods,
    name: typeof name === 'string' ? name : logicalId,
    tracingEnabled: stage.tracing === true || stage.tracing === 'true',
    ...media,
    ...(media.binaryMediaTypes || !parts.binaryMediaTypes ? {} : { binaryMediaTypes: parts.binaryMediaTypes }),
    ...(media.vpcEndpointIds || !parts.vpcEndpointIds ? {} : { vpcEndpointIds: parts.vpcEndpointIds }),
    ...(typeof stage.deploymentId === 'string' ? { deploymentId: stage.deploymentId } : {}),
  });
}

/** The API's stage: its own `Stage`, else the one its `Deployment` makes; its tracing and deployment. */
function restStage(logicalId: string, stack: ApiStack, members: (type: string) => [string, TemplateResource][]) {
  const { scope } = stack;
  const [stage] = members('AWS::ApiGateway::Stage');
  const [deployment] = members('AWS::ApiGateway::Deployment');
  const deploymentStage = deployment?.[1].Properties?.StageName;
  const stageName = stage
    ? scope.refs.get(stage[0])
    : deploymentStage !== undefined
      ? stack.attempt(`${deployment?.[0]}.StageName`, () => String(resolve(deploymentStage, scope)))
      : undefined;
  // A stage of its own says TracingEnabled; a stage a Deployment makes, StageDescription.TracingEnabled.
  const tracing = stack.attempt(`${logicalId} stage TracingEnabled`, () =>
    resolve(
      stage
        ? stage[1].Properties?.TracingEnabled
        : (deployment?.[1].Properties?.StageDescription as { TracingEnabled?: unknown } | undefined)?.TracingEnabled,
      scope,
    ),
  );
  const deploymentId = stage
    ? stack.attempt(`${stage[0]}.DeploymentId`, () => resolve(stage[1].Properties?.DeploymentId, scope))
    : deployment && scope.refs.get(deployment[0]);
  return { stageName, tracing, deploymentId };
}

const apiArnOf = (restApiId: string, stack: ApiStack) =>
  `arn:aws:execute-api:${stack.scope.region}:${stack.scope.accountId}:${restApiId}`;

/** The methods of a REST API defined by its template's `Resource`, `Method` and `Authorizer` resources. */
function templateMethods(
  logicalId: string,
  stack: ApiStack,
  members: (type: string) => [string, TemplateResource][],
): RestApiParts {
  const { scope } = stack;
  const rootId = String(scope.attributes.get(`${logicalId}.RootResourceId`) ?? '');
  const paths = new Map<string, string>([[rootId, '/']]);
  const children = members('AWS::ApiGateway::Resource');
  // Parents before children: resolve until every resource has a path.
  for (let round = 0; round < children.length; round++) {
    for (const [id, r] of children) {
      const parent = paths.get(String(stack.attempt(`${id}.ParentId`, () => resolve(r.Properties?.ParentId, scope))));
      if (parent !== undefined)
        paths.set(scope.refs.get(id) ?? id, `${parent === '/' ? '' : parent}/${String(r.Properties?.PathPart)}`);
    }
  }
  const authorizers = new Map<string, LambdaAuthorizerModel>();
  for (const [id, r] of members('AWS::ApiGateway::Authorizer')) {
    const props = stack.attempt(id, () => resolve(r.Properties ?? {}, scope)) as Record<string, unknown> | undefined;
    const authorizerId = scope.refs.get(id) ?? id;
    const authorizer = props && lambdaAuthorizerOf(authorizerId, `${scope.stackName}/${id}`, props);
    if (authorizer) authorizers.set(authorizerId, authorizer);
  }
  const methods: MethodModel[] = [];
  for (const [id, r] of members('AWS::ApiGateway::Method')) {
    const p = r.Properties ?? {};
    const resourceId = String(stack.attempt(`${id}.ResourceId`, () => resolve(p.ResourceId, scope)));
    const resourcePath = paths.get(resourceId);
    const integration = stack.attempt(`${id}.Integration`, () => resolve(p.Integration, scope)) as
      | Record<string, unknown>
      | undefined;
    if (resourcePath === undefined) continue;
    const authorizationType = String(
      stack.attempt(`${id}.AuthorizationType`, () => resolve(p.AuthorizationType, scope)) ?? 'NONE',
    );
    const keyRequired = stack.attempt(`${id}.ApiKeyRequired`, () => resolve(p.ApiKeyRequired ?? false, scope));
    const authorizerId = stack.attempt(`${id}.AuthorizerId`, () => resolve(p.AuthorizerId, scope));
    methods.push({
      httpMethod: String(p.HttpMethod),
      resourceId,
      resourcePath,
      authorizationType,
      apiKeyRequired: keyRequired === true || keyRequired === 'true' || keyRequired === undefined,
      ...integrationOf({
        type: integration?.Type,
        uri: integration?.Uri,
        httpMethod: integration?.IntegrationHttpMethod,
        passthroughBehavior: integration?.PassthroughBehavior,
        timeoutMs: integration?.TimeoutInMillis,
        requestTemplates: integration?.RequestTemplates,
        responses: (Array.isArray(integration?.IntegrationResponses) ? integration.IntegrationResponses : []).map(
          (response: Record<string, unknown>) => ({
            statusCode: response.StatusCode,
            selectionPattern: response.SelectionPattern,
            responseTemplates: response.ResponseTemplates,
            responseParameters: response.ResponseParameters,
          }),
        ),
      }),
      ...(authorizationType === 'CUSTOM' && authorizers.has(String(authorizerId))
        ? { authorizer: authorizers.get(String(authorizerId)) }
        : {}),
    });
  }
  return { methods };
}

/** What of a method the local stack does not reproduce, as the line it prints at start; undefined when all of it is. */
function methodWarning(method: MethodModel): string | undefined {
  if (method.apiKeyRequired)
    return 'API keys are not reproduced locally; the method answers 403 Forbidden to every call';
  const auth = method.authorizationType;
  if (auth === 'CUSTOM' && !method.authorizer)
    return 'its authorizer is not a Lambda authorizer the local stack can run; the method answers 401 Unauthorized (after the VPC endpoint policy and any explicit deny of the resource policy, which come first)';
  if (auth !== 'NONE' && auth !== 'AWS_IAM' && auth !== 'CUSTOM')
    return `${auth} authorization is not reproduced locally; the method answers 401 Unauthorized (after the VPC endpoint policy, which comes first)`;
  const type = method.integrationType ?? 'AWS_PROXY';
  if (type !== 'AWS_PROXY' && type !== 'MOCK' && type !== 'HTTP_PROXY' && type !== 'HTTP')
    return `its ${type} integration is not reproduced locally; the method answers 500 Internal server error`;
  if (lambdaProxyMethodWrong(method))
    return `its Lambda proxy integration invokes Lambda with ${method.integrationHttpMethod}, not POST: every call answers 500 Internal server error, as on AWS`;
  const templates = [
    ...Object.values(method.templates?.requestTemplates ?? {}),
    ...(method.templates?.responses ?? []).flatMap((response) => Object.values(response.responseTemplates)),
  ];
  return templates.some((template) => /#(?:if|foreach|set|else|end)\b/.test(template))
    ? `its ${type} integration templates use VTL directives, which are not evaluated locally; calls that need one answer 500 Internal server error`
    : undefined;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];

/** A REST API's endpoint type (EDGE unless `EndpointConfiguration` says otherwise) and binary media types. */
function restApiMedia(
  logicalId: string,
  props: Record<string, unknown>,
  stack: ApiStack,
): Pick<RestApiModel, 'endpointType' | 'binaryMediaTypes' | 'vpcEndpointIds'> {
  const configuration = stack.attempt(`${logicalId}.EndpointConfiguration`, () =>
    resolve(props.EndpointConfiguration, stack.scope),
  ) as { Types?: unknown; VpcEndpointIds?: unknown } | undefined;
  const type = strings(configuration?.Types)[0]?.toUpperCase();
  const vpcEndpointIds = strings(configuration?.VpcEndpointIds);
  const media = stack.attempt(`${logicalId}.BinaryMediaTypes`, () => resolve(props.BinaryMediaTypes, stack.scope));
  return {
    endpointType: type === 'REGIONAL' || type === 'PRIVATE' ? type : 'EDGE',
    ...(vpcEndpointIds.length > 0 ? { vpcEndpointIds } : {}),
    // SAM templates write `/` as `~1` (as the API's patch paths do; SAM turns it back); CDK writes `/`.
    ...(media === undefined ? {} : { binaryMediaTypes: strings(media).map((entry) => entry.replaceAll('~1', '/')) }),
  };
}
