import type { PolicyDocument } from '../iam/policy.js';

// A REST API as the local stack serves it: its methods, their integrations and authorizers.

/** A method of a REST API. */
export interface MethodModel {
  httpMethod: string;
  /** The REST resource's id (`requestContext.resourceId`). */
  resourceId: string;
  /** Resource path template, e.g. `/{proxy+}`. */
  resourcePath: string;
  authorizationType: string;
  /** ARN of the function of an `AWS_PROXY` integration. */
  functionArn?: string | undefined;
  /** The integration's timeout (`TimeoutInMillis`, 29 s by default). */
  timeoutMs: number;
  /** `ApiKeyRequired`: API keys are not reproduced, so such a method refuses every call. */
  apiKeyRequired: boolean;
  /** The integration's `Type` (`AWS_PROXY`, `MOCK`, `HTTP`…). @default 'AWS_PROXY' */
  integrationType?: string | undefined;
  /** A `MOCK` or `HTTP` integration's request templates and integration responses. @default none */
  templates?: IntegrationTemplates | undefined;
  /** `PassthroughBehavior` of an HTTP integration: a request with no template of its content type passes (`WHEN_NO_MATCH`), or is 415. @default 'WHEN_NO_MATCH' */
  passthroughBehavior?: string | undefined;
  /**
   * The method an HTTP or HTTP_PROXY backend is called with (`IntegrationHttpMethod`); `ANY`: the caller's.
   * For a Lambda proxy, the method Lambda is invoked with: only `POST` works. @default the caller's
   */
  integrationHttpMethod?: string | undefined;
  /** An `HTTP_PROXY` or `HTTP` integration's URL (`{proxy}` and other path parameters filled in per request). @default none */
  httpUrl?: string | undefined;
  /** Its Lambda authorizer (`CUSTOM` with an `AuthorizerId`). @default none */
  authorizer?: LambdaAuthorizerModel | undefined;
}

/**
 * A Lambda authorizer (`AWS::ApiGateway::Authorizer` of type `TOKEN` or `REQUEST`,
 * `AWS::ApiGatewayV2::Authorizer` of type `REQUEST`): the function API Gateway asks before a
 * method or route, and how long it remembers the answer.
 */
export interface LambdaAuthorizerModel {
  /** Its id: `requestContext.authorizer`'s source, the ARN `<api arn>/authorizers/<id>` that invokes it. */
  authorizerId: string;
  /** `<stack>/<logical id>` (or its `Name`), as decisions name it. */
  name: string;
  type: 'TOKEN' | 'REQUEST';
  /** The unqualified or qualified ARN of its function (from `AuthorizerUri`). */
  functionArn: string;
  /**
   * Where its identity comes from, as API Gateway writes it: `method.request.header.Authorization`
   * (REST) or `$request.header.Authorization` (HTTP APIs). Empty: none (REQUEST without caching).
   */
  identitySources: string[];
  /** A TOKEN authorizer's `IdentityValidationExpression`: a token that does not match is 401 without a call. */
  validationExpression?: string | undefined;
  /** `AuthorizerResultTtlInSeconds`: how long an answer is remembered per identity (0: never). */
  ttlSeconds: number;
  /** `AuthorizerCredentials`: the role API Gateway invokes it with, instead of the function's permission. @default none */
  credentials?: string | undefined;
  /** HTTP APIs: the payload format (`1.0`, `2.0`) and whether it answers `{isAuthorized}` (simple responses). */
  payloadFormatVersion?: string | undefined;
  simpleResponses?: boolean | undefined;
}

/** A MOCK or HTTP integration's mapping (API Gateway, "Set up mock integrations", "Integration responses"): request templates by content type, integration responses. */
export interface IntegrationTemplates {
  requestTemplates: Record<string, string>;
  responses: {
    /** The method response's status. */
    statusCode: string;
    /** A regular expression over the integration's status code; none: the default response. */
    selectionPattern?: string | undefined;
    responseTemplates: Record<string, string>;
    /** `method.response.header.<name>` → a static `'value'` (or a mapping the local stack ignores). */
    responseParameters: Record<string, string>;
  }[];
}

/** A REST API with its stage and methods. */
export interface RestApiModel {
  stackName: string;
  logicalId: string;
  restApiId: string;
  accountId: string;
  region: string;
  stageName: string;
  policy?: PolicyDocument | undefined;
  methods: MethodModel[];
  /** Its `Name`, as X-Ray names the stage's segments (`<name>/<stage>`). @default the logical id */
  name?: string | undefined;
  /** X-Ray tracing on the stage (`TracingEnabled`). @default false */
  tracingEnabled?: boolean | undefined;
  /** `EndpointConfiguration.Types`: an EDGE API is reached through CloudFront. @default 'EDGE' */
  endpointType?: 'EDGE' | 'REGIONAL' | 'PRIVATE' | undefined;
  /** `EndpointConfiguration.VpcEndpointIds`: the endpoints with a Route 53 alias `<api id>-<vpce id>` (private APIs). @default none */
  vpcEndpointIds?: string[] | undefined;
  /** Media types it treats as binary (`BinaryMediaTypes`, `~1` read as `/`). @default none */
  binaryMediaTypes?: string[] | undefined;
  /** The id of the deployment its stage serves (6 lowercase letters and digits). @default none */
  deploymentId?: string | undefined;
}
