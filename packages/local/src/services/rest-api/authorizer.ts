import { validationPattern } from '../../assembly/integrations.js';
import type { LambdaAuthorizerModel } from '../../assembly/model.js';
import { AwsError, CAPITAL_MESSAGE } from '../../aws-error.js';
import { headerOf, type LocalRequest } from '../../http.js';
import type { AccessDecision } from '../../iam/evaluate.js';
import { type AuthorizerAnswer, type AuthorizerRefusals, identityValues } from '../lambda-authorizer.js';

// A REST API's Lambda authorizers (TOKEN and REQUEST): the identity API Gateway takes from the
// request, the event it sends, its answers for refusals, and what the integration receives.

/**
 * API Gateway's answers (gateway responses UNAUTHORIZED, AUTHORIZER_CONFIGURATION_ERROR):
 * 401 `{"message":"Unauthorized"}`; 500 `{"message": null}` with `AuthorizerConfigurationException`
 * ("Supported gateway response types": https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
 */
export const REST_REFUSALS: AuthorizerRefusals = {
  unauthorized: () => new AwsError(401, 'UnauthorizedException', 'Unauthorized'),
  failed: () => new AwsError(500, 'AuthorizerConfigurationException', '', { body: () => '{"message": null}' }),
};

/**
 * The 403 of an authorizer's policy that does not allow the method (ACCESS_DENIED; AWS Knowledge
 * Center, "Why do I get 403 errors with a Lambda authorizer"): `{"Message":"User is not
 * authorized to access this resource"}`, ` with an explicit deny` when a statement denies it.
 */
export const authorizerDenied = (decision: AccessDecision) =>
  new AwsError(
    403,
    'AccessDeniedException',
    `User is not authorized to access this resource${decision.explicitDeny ? ' with an explicit deny' : ''}`,
    CAPITAL_MESSAGE,
  );

/** What API Gateway knows of a request when it asks a REST authorizer. */
export interface RestAuthorizerRequest {
  request: LocalRequest;
  /** The query's pairs, decoded. */
  query: [string, string][];
  methodArn: string;
  /** `$context` values an identity source may name (`context.requestId`…). */
  contextValues: Record<string, string>;
}

/**
 * The authorizer's identity: a TOKEN authorizer's header, which must match its validation
 * expression; a REQUEST authorizer's headers, query strings, stage variables and context values
 * ("Configure an API Gateway Lambda authorizer"). Undefined when one is missing or empty.
 */
export function restIdentity(authorizer: LambdaAuthorizerModel, facts: RestAuthorizerRequest): string[] | undefined {
  const values = identityValues(authorizer.identitySources, (place, name) => {
    if (place === 'header') return headerOf(facts.request.headers, name.toLowerCase());
    if (place === 'querystring') return facts.query.findLast(([key]) => key === name)?.[1];
    // Stages have no variables locally.
    return place === 'context' ? facts.contextValues[name] : undefined;
  });
  if (authorizer.type !== 'TOKEN' || !values || authorizer.validationExpression === undefined) return values;
  return patternOf(authorizer)?.test(values[0] ?? '') ? values : undefined;
}

const patterns = new WeakMap<LambdaAuthorizerModel, RegExp | undefined>();

/** The authorizer's validation expression, compiled once (one that is not a pattern refuses every token). */
function patternOf(authorizer: LambdaAuthorizerModel): RegExp | undefined {
  if (!patterns.has(authorizer)) patterns.set(authorizer, validationPattern(authorizer.validationExpression ?? ''));
  return patterns.get(authorizer);
}

/**
 * The event a REST authorizer receives ("Input to an API Gateway Lambda authorizer"): TOKEN
 * `{type, authorizationToken, methodArn}`; REQUEST the proxy event without its body, with
 * `type` and `methodArn`.
 */
export function restAuthorizerEvent(
  authorizer: LambdaAuthorizerModel,
  identity: string[],
  methodArn: string,
  proxyEvent: () => Record<string, unknown>,
): Record<string, unknown> {
  if (authorizer.type === 'TOKEN') return { type: 'TOKEN', authorizationToken: identity[0], methodArn };
  const { body: _body, isBase64Encoded: _base64, ...rest } = proxyEvent();
  return { type: 'REQUEST', methodArn, ...rest };
}

/**
 * `requestContext.authorizer` of the integration's event: the context's values stringified, as
 * `$context.authorizer.<key>` gives them, `principalId`, and the authorizer's latency in ms.
 */
export function restAuthorizerContext(answer: AuthorizerAnswer, latencyMs: number): Record<string, unknown> {
  const context = Object.fromEntries(
    Object.entries(answer.context)
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([key, value]) => [key, String(value)]),
  );
  return { ...context, principalId: answer.principalId, integrationLatency: latencyMs };
}
