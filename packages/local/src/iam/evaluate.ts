import { conditionsHold, type RequestContext } from './conditions.js';
import { arnMatch, type Principal, principalMatches, wildcardMatch } from './match.js';
import { asList, type PolicyDocument, type PolicyStatement, statementsOf } from './policy.js';

/** What one set of policies says about a request. */
export type Verdict = 'allow' | 'deny' | 'silent';

/** The request being authorized. */
export interface AccessRequest {
  principal: Principal;
  /** e.g. `execute-api:Invoke`. */
  action: string;
  /** The resource ARN, e.g. the method ARN. */
  resource: string;
  /** Account that owns the resource. */
  resourceAccountId: string;
  /** Extra condition keys (`aws:SourceIp`, `aws:SecureTransport`…). */
  context?: RequestContext;
}

/** Inputs of {@link evaluateAccess}. */
export interface AccessPolicies {
  /** Policies attached to the caller's role or user. */
  identityPolicies: PolicyDocument[];
  /** The resource's policy (a RestApi policy, a function's permissions); undefined when it has none. */
  resourcePolicy?: PolicyDocument | undefined;
}

/** The decision, and whether a Deny statement made it. */
export interface AccessDecision {
  allowed: boolean;
  explicitDeny: boolean;
  identity: Verdict;
  resource: Verdict;
}

function principalApplies(statement: PolicyStatement, principal: Principal): boolean {
  const matches = (element: PolicyStatement['Principal']) =>
    element === '*' || asList(element?.AWS).some((value) => principalMatches(value, principal));
  if (statement.Principal !== undefined) return matches(statement.Principal);
  if (statement.NotPrincipal !== undefined) return !matches(statement.NotPrincipal);
  return false;
}

function statementApplies(
  statement: PolicyStatement,
  request: AccessRequest,
  context: RequestContext,
  resourcePolicy: boolean,
): boolean {
  if (resourcePolicy && !principalApplies(statement, request.principal)) return false;
  const action = (pattern: string) => wildcardMatch(pattern, request.action, true);
  if (statement.Action !== undefined && !asList(statement.Action).some(action)) return false;
  if (statement.NotAction !== undefined && asList(statement.NotAction).some(action)) return false;
  const resource = (pattern: string) => arnMatch(pattern, request.resource);
  if (statement.Resource !== undefined && !asList(statement.Resource).some(resource)) return false;
  if (statement.NotResource !== undefined && asList(statement.NotResource).some(resource)) return false;
  if (statement.Resource === undefined && statement.NotResource === undefined && !resourcePolicy) return false;
  return conditionsHold(statement.Condition, context);
}

function verdictOf(
  documents: PolicyDocument[],
  request: AccessRequest,
  context: RequestContext,
  resourcePolicy: boolean,
): Verdict {
  let verdict: Verdict = 'silent';
  for (const statement of documents.flatMap(statementsOf)) {
    if (!statementApplies(statement, request, context, resourcePolicy)) continue;
    if (statement.Effect === 'Deny') return 'deny';
    verdict = 'allow';
  }
  return verdict;
}

/** The request context keys IAM derives from the caller. */
export function principalContext(principal: Principal): RequestContext {
  return {
    'aws:principalaccount': principal.accountId,
    'aws:principalarn': principal.entityArn,
    'aws:principalorgid': principal.orgId,
    'aws:principaltype': principal.arn.includes(':assumed-role/') ? 'AssumedRole' : 'User',
  };
}

/**
 * AWS's authorization flow for a resource with a resource policy (API Gateway, Lambda):
 * an explicit Deny anywhere wins; in the same account the identity policy OR the resource
 * policy must allow; across accounts the identity policy AND the resource policy must.
 *
 * @example
 * ```ts
 * const { allowed } = evaluateAccess(request, { identityPolicies, resourcePolicy });
 * ```
 */
export function evaluateAccess(request: AccessRequest, policies: AccessPolicies): AccessDecision {
  const context = { ...principalContext(request.principal), ...lowerKeys(request.context ?? {}) };
  const identity = verdictOf(policies.identityPolicies, request, context, false);
  const resource = policies.resourcePolicy ? verdictOf([policies.resourcePolicy], request, context, true) : 'silent';
  const explicitDeny = identity === 'deny' || resource === 'deny';
  const sameAccount = request.principal.accountId === request.resourceAccountId;
  const allowed =
    !explicitDeny &&
    (sameAccount ? identity === 'allow' || resource === 'allow' : identity === 'allow' && resource === 'allow');
  return { allowed, explicitDeny, identity, resource };
}

const lowerKeys = (context: RequestContext): RequestContext =>
  Object.fromEntries(Object.entries(context).map(([key, value]) => [key.toLowerCase(), value]));
