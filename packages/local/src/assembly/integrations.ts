import type { IntegrationTemplates, LambdaAuthorizerModel, MethodModel } from './rest-api-model.js';

// What a REST method's integration and authorizer are, however they were written: in the
// template's resources, or in an OpenAPI definition's extensions.

/** What a REST API's definition gives, from the template's resources or from an OpenAPI document. */
export interface RestApiParts {
  methods: MethodModel[];
  /** The resource policy (`Policy`, else `x-amazon-apigateway-policy`). */
  policy?: unknown;
  binaryMediaTypes?: string[] | undefined;
  vpcEndpointIds?: string[] | undefined;
}

/** An integration however it was written (template or OpenAPI), in the method's terms. */
export interface IntegrationInput {
  type: unknown;
  uri: unknown;
  /** `IntegrationHttpMethod` (template), `httpMethod` (OpenAPI). */
  httpMethod: unknown;
  /** `PassthroughBehavior` (template), `passthroughBehavior` (OpenAPI). */
  passthroughBehavior?: unknown;
  timeoutMs: unknown;
  requestTemplates: unknown;
  responses: {
    statusCode: unknown;
    selectionPattern: unknown;
    responseTemplates: unknown;
    responseParameters: unknown;
  }[];
}

/** The parts of a method its integration gives: the function, the mock, the URL, the timeout. */
export function integrationOf(
  input: IntegrationInput,
): Pick<
  MethodModel,
  | 'functionArn'
  | 'timeoutMs'
  | 'integrationType'
  | 'templates'
  | 'httpUrl'
  | 'integrationHttpMethod'
  | 'passthroughBehavior'
> {
  const type = input.type === undefined ? undefined : String(input.type).toUpperCase();
  const uri = input.uri === undefined ? '' : String(input.uri);
  const templates: IntegrationTemplates = {
    requestTemplates: stringMap(input.requestTemplates),
    responses: input.responses.map((response) => ({
      statusCode: String(response.statusCode ?? '200'),
      selectionPattern: typeof response.selectionPattern === 'string' ? response.selectionPattern : undefined,
      responseTemplates: stringMap(response.responseTemplates),
      responseParameters: stringMap(response.responseParameters),
    })),
  };
  return {
    functionArn: type === 'AWS_PROXY' ? /functions\/(.+)\/invocations$/.exec(uri)?.[1] : undefined,
    timeoutMs: Number(input.timeoutMs ?? 29_000),
    integrationType: type,
    ...(type === 'MOCK' || type === 'HTTP' ? { templates } : {}),
    ...(type === 'AWS_PROXY' && input.httpMethod !== undefined
      ? { integrationHttpMethod: String(input.httpMethod) }
      : {}),
    ...(type === 'HTTP_PROXY' || type === 'HTTP'
      ? {
          httpUrl: uri,
          integrationHttpMethod: input.httpMethod === undefined ? undefined : String(input.httpMethod),
          passthroughBehavior:
            input.passthroughBehavior === undefined ? undefined : String(input.passthroughBehavior).toUpperCase(),
        }
      : {}),
  };
}

/** A Lambda proxy integration whose `IntegrationHttpMethod` is not POST, which Lambda's Invoke API refuses. */
export const lambdaProxyMethodWrong = (method: MethodModel): boolean =>
  (method.integrationType ?? 'AWS_PROXY') === 'AWS_PROXY' &&
  method.integrationHttpMethod !== undefined &&
  method.integrationHttpMethod.toUpperCase() !== 'POST';

/**
 * A Lambda authorizer from its properties (`AWS::ApiGateway::Authorizer`, or an OpenAPI
 * `x-amazon-apigateway-authorizer` in the same names); undefined for a Cognito authorizer or one
 * whose function is not a Lambda ARN.
 */
export function lambdaAuthorizerOf(
  authorizerId: string,
  name: string,
  props: Record<string, unknown>,
): LambdaAuthorizerModel | undefined {
  const type = String(props.Type ?? '').toUpperCase();
  const functionArn = /functions\/(.+)\/invocations$/.exec(String(props.AuthorizerUri ?? ''))?.[1];
  if ((type !== 'TOKEN' && type !== 'REQUEST') || !functionArn) return undefined;
  const ttl = props.AuthorizerResultTtlInSeconds;
  return {
    authorizerId,
    name: typeof props.Name === 'string' ? props.Name : name,
    type,
    functionArn,
    identitySources: String(props.IdentitySource ?? '')
      .split(',')
      .map((source) => source.trim())
      .filter(Boolean),
    validationExpression:
      props.IdentityValidationExpression === undefined ? undefined : String(props.IdentityValidationExpression),
    // API Gateway's default: 300 seconds ("Configure a Lambda authorizer").
    ttlSeconds: ttl === undefined ? 300 : Number(ttl),
    credentials: props.AuthorizerCredentials === undefined ? undefined : String(props.AuthorizerCredentials),
  };
}

const stringMap = (value: unknown): Record<string, string> =>
  value !== null && typeof value === 'object'
    ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]))
    : {};

/**
 * A TOKEN authorizer's validation expression as a JavaScript regular expression over the whole
 * token (API Gateway's are Java's: a leading `(?i)` becomes the `i` flag); undefined when it is
 * not one.
 */
export function validationPattern(expression: string): RegExp | undefined {
  const insensitive = expression.startsWith('(?i)');
  try {
    return new RegExp(`^(?:${insensitive ? expression.slice(4) : expression})$`, insensitive ? 'is' : 's');
  } catch {
    return undefined;
  }
}

/** What of a Lambda authorizer the local stack cannot honour, one line each for the start. */
export function authorizerWarnings(authorizer: LambdaAuthorizerModel): string[] {
  const lines: string[] = [];
  const name = `Lambda authorizer ${authorizer.name}`;
  if (authorizer.credentials)
    lines.push(
      `${name} is invoked with the role ${authorizer.credentials} (AuthorizerCredentials): whether that role may invoke its function is not checked locally`,
    );
  for (const source of authorizer.identitySources.filter((entry) => /^\$?stageVariables\./.test(entry)))
    lines.push(
      `${name}: its identity source ${source} names a stage variable, which stages do not have locally; every call answers 401`,
    );
  if (authorizer.validationExpression !== undefined && !validationPattern(authorizer.validationExpression))
    lines.push(
      `${name}: its IdentityValidationExpression ${JSON.stringify(authorizer.validationExpression)} is not a regular expression the local stack can read; every call answers 401`,
    );
  if (authorizer.ttlSeconds > 0 && authorizer.identitySources.length === 0)
    lines.push(
      `${name} caches answers for ${authorizer.ttlSeconds} s with no identity source, which API Gateway requires for caching: not cached locally`,
    );
  return lines;
}
