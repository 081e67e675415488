import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { stableId } from './ids.js';
import { integrationOf, lambdaAuthorizerOf, type RestApiParts } from './integrations.js';
import { type ResolutionScope, resolve } from './intrinsics.js';
import type { LambdaAuthorizerModel, MethodModel } from './rest-api-model.js';

// REST APIs defined by an OpenAPI document (Swagger 2.0 or OpenAPI 3), as API Gateway imports
// them ("Working with API Gateway extensions to OpenAPI"): paths and operations become methods,
// `x-amazon-apigateway-integration` their integrations, security schemes their authorization,
// `x-amazon-apigateway-policy` the resource policy. The base path is ignored, API Gateway's
// default (`basepath=ignore`).

type Json = Record<string, unknown>;

/** What reading a definition needs of its stack (the assembly reader's stack input has it). */
interface DefinitionStack {
  artifact: { appDir: string };
  scope: ResolutionScope;
  assets: () => Map<string, string>;
  attempt: <T>(what: string, run: () => T) => T | undefined;
}

const VERBS: Record<string, string> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  delete: 'DELETE',
  options: 'OPTIONS',
  head: 'HEAD',
  patch: 'PATCH',
  'x-amazon-apigateway-any-method': 'ANY',
};

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The OpenAPI document of a REST API: its `Body` (intrinsics resolved), or the file of the
 * assembly's asset its `BodyS3Location` names (CDK's `ApiDefinition.fromAsset`), JSON or YAML.
 * A string is the problem that stops it being read; undefined, a reference reported already.
 */
export function openApiDocument(logicalId: string, props: Json, stack: DefinitionStack): Json | string | undefined {
  let text: unknown;
  if (props.Body !== undefined) {
    text = stack.attempt(`${logicalId}.Body`, () => resolve(props.Body, stack.scope));
    if (text === undefined) return undefined;
  } else {
    const location = stack.attempt(`${logicalId}.BodyS3Location`, () => resolve(props.BodyS3Location, stack.scope)) as
      | { Bucket?: unknown; Key?: unknown }
      | undefined;
    if (location === undefined) return undefined;
    const key = String(location.Key ?? '');
    const hash = /([0-9a-f]{64})\.[a-z]+$/.exec(key)?.[1];
    const file = hash ? stack.assets().get(hash) : undefined;
    if (!file)
      return `its OpenAPI definition s3://${String(location.Bucket)}/${key} is not an asset of this cloud assembly, so it cannot be read locally; define it inline (Body) or with ApiDefinition.fromAsset`;
    text = readFileSync(file, 'utf8');
  }
  if (typeof text !== 'string') return isObject(text) ? text : 'its Body is not an OpenAPI document (an object)';
  try {
    const parsed = /^\s*\{/.test(text) ? JSON.parse(text) : parseYaml(text, stack.artifact.appDir);
    return isObject(parsed) ? parsed : 'its OpenAPI definition is not an object';
  } catch (error) {
    return `its OpenAPI definition is neither JSON nor YAML: ${(error as Error).message.split('\n')[0]}`;
  }
}

/**
 * YAML read by the `yaml` package that aws-cdk-lib bundles (every CDK app has it), found from the
 * app's folder, else from here; loaded only for a YAML definition, so the local stack itself
 * depends on nothing.
 */
function parseYaml(text: string, appDir: string): unknown {
  for (const from of [join(appDir, 'package.json'), import.meta.url]) {
    try {
      const cdk = createRequire(from).resolve('aws-cdk-lib/package.json');
      const { parse } = createRequire(cdk)('yaml') as { parse: (text: string) => unknown };
      return parse(text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  throw new Error('reading YAML needs aws-cdk-lib installed beside the app; or write the definition as JSON');
}

/** The methods, policy and media types an OpenAPI document defines. */
export function openApiParts(
  document: Json,
  { where, apiArn, stack, logicalId }: { where: string; apiArn: string; stack: DefinitionStack; logicalId: string },
  warnings: string[],
): RestApiParts {
  const schemes =
    (isObject(document.components) ? document.components.securitySchemes : undefined) ??
    document.securityDefinitions ??
    {};
  const rootId = String(stack.scope.attributes.get(`${logicalId}.RootResourceId`) ?? '');
  const lambdaAuthorizer = schemeAuthorizers(apiArn, where);
  const methods: MethodModel[] = [];
  for (const [path, item] of Object.entries(isObject(document.paths) ? document.paths : {})) {
    if (!isObject(item)) continue;
    const resourcePath = path.length > 1 ? path.replace(/\/+$/, '') : '/';
    const resourceId = resourcePath === '/' ? rootId : stableId(`resource/${apiArn}/${resourcePath}`, 6);
    for (const [verb, operation] of Object.entries(item)) {
      const httpMethod = VERBS[verb.toLowerCase()];
      if (!httpMethod || !isObject(operation)) continue;
      const integration = operation['x-amazon-apigateway-integration'];
      // API Gateway refuses to deploy such an API ("No integration defined for method"); the others are served.
      if (!isObject(integration)) {
        warnings.push(`${where} ${httpMethod} ${resourcePath}: no x-amazon-apigateway-integration, so no method here`);
        continue;
      }
      // Only an operation's own: "API Gateway doesn't use root level security defined in the OpenAPI
      // specification" (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html).
      const security = operation.security ?? [];
      methods.push({
        httpMethod,
        resourceId,
        resourcePath,
        ...authorizationOf(security, isObject(schemes) ? schemes : {}, lambdaAuthorizer),
        ...integrationOf(integrationInput(integration)),
      });
    }
  }
  const endpoint = document['x-amazon-apigateway-endpoint-configuration'];
  const vpcEndpointIds = isObject(endpoint) && Array.isArray(endpoint.vpcEndpointIds) ? endpoint.vpcEndpointIds : [];
  const media = document['x-amazon-apigateway-binary-media-types'];
  return {
    methods,
    policy: document['x-amazon-apigateway-policy'],
    ...(Array.isArray(media) ? { binaryMediaTypes: media.map(String) } : {}),
    ...(vpcEndpointIds.length > 0 ? { vpcEndpointIds: vpcEndpointIds.map(String) } : {}),
  };
}

/** One Lambda authorizer per security scheme, whatever the number of operations it guards: one cache, as on AWS. */
function schemeAuthorizers(apiArn: string, where: string) {
  const authorizers = new Map<string, LambdaAuthorizerModel | undefined>();
  return (name: string, scheme: Json, authorizer: Json) => {
    if (!authorizers.has(name)) {
      const type = String(authorizer.type ?? '').toUpperCase();
      authorizers.set(
        name,
        lambdaAuthorizerOf(stableId(`authorizer/${apiArn}/${name}`, 6), `${where}/${name}`, {
          Type: type,
          AuthorizerUri: authorizer.authorizerUri,
          IdentitySource: authorizer.identitySource ?? (type === 'TOKEN' ? `method.request.header.${scheme.name}` : ''),
          IdentityValidationExpression: authorizer.identityValidationExpression,
          AuthorizerResultTtlInSeconds: authorizer.authorizerResultTtlInSeconds,
          AuthorizerCredentials: authorizer.authorizerCredentials,
        }),
      );
    }
    return authorizers.get(name);
  };
}

/** `x-amazon-apigateway-integration` in the terms of a template's `Integration`. */
const integrationInput = (integration: Json) => ({
  type: integration.type,
  uri: integration.uri,
  httpMethod: integration.httpMethod,
  passthroughBehavior: integration.passthroughBehavior,
  timeoutMs: integration.timeoutInMillis,
  requestTemplates: integration.requestTemplates,
  // Keyed by selection pattern; `default` is the response without one.
  responses: Object.entries(isObject(integration.responses) ? integration.responses : {}).map(
    ([pattern, response]) => ({
      statusCode: isObject(response) ? response.statusCode : undefined,
      selectionPattern: pattern === 'default' ? undefined : pattern,
      responseTemplates: isObject(response) ? response.responseTemplates : undefined,
      responseParameters: isObject(response) ? response.responseParameters : undefined,
    }),
  ),
});

/**
 * A method's authorization from its operation's security requirements: a scheme with `x-amazon-apigateway-authtype: awsSigv4` is AWS_IAM, one with an
 * `x-amazon-apigateway-authorizer` of type `token` or `request` a Lambda authorizer (CUSTOM),
 * of type `cognito_user_pools` COGNITO_USER_POOLS; an `x-api-key` header scheme is the API key.
 */
function authorizationOf(
  security: unknown,
  schemes: Json,
  lambdaAuthorizer: (name: string, scheme: Json, authorizer: Json) => LambdaAuthorizerModel | undefined,
): Pick<MethodModel, 'authorizationType' | 'apiKeyRequired' | 'authorizer'> {
  const names = (Array.isArray(security) ? security : []).flatMap((requirement) =>
    isObject(requirement) ? Object.keys(requirement) : [],
  );
  const apiKeyRequired = names.some((name) => {
    const scheme = schemes[name];
    return (
      isObject(scheme) &&
      scheme.type === 'apiKey' &&
      String(scheme.name).toLowerCase() === 'x-api-key' &&
      scheme['x-amazon-apigateway-authtype'] === undefined &&
      scheme['x-amazon-apigateway-authorizer'] === undefined
    );
  });
  for (const name of names) {
    const scheme = schemes[name];
    if (!isObject(scheme)) continue;
    const authType = String(scheme['x-amazon-apigateway-authtype'] ?? '').toLowerCase();
    const authorizer = scheme['x-amazon-apigateway-authorizer'];
    if (authType === 'awssigv4') return { authorizationType: 'AWS_IAM', apiKeyRequired };
    if (isObject(authorizer)) {
      const type = String(authorizer.type ?? '').toUpperCase();
      if (type === 'COGNITO_USER_POOLS') return { authorizationType: 'COGNITO_USER_POOLS', apiKeyRequired };
      const lambda = lambdaAuthorizer(name, scheme, authorizer);
      return { authorizationType: 'CUSTOM', apiKeyRequired, ...(lambda ? { authorizer: lambda } : {}) };
    }
  }
  return { authorizationType: 'NONE', apiKeyRequired };
}
