import { conditionsHold, type RequestContext } from './conditions.js';
import { arnMatch, LITERAL_QUESTION, LITERAL_STAR, type Principal, principalMatches, wildcardMatch } from './match.js';
import { asList, type PolicyDocument, type PolicyStatement, statementsOf } from './policy.js';

/**
 * What one set of policies says about a request. `delegated`: a resource policy allows the
 * caller's account (root or account id), which grants nothing by itself in that account.
 */
export type Verdict = 'allow' | 'delegated' | 'deny' | 'silent';

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
  /** The caller's permissions boundary; undefined when it has none. */
  permissionsBoundary?: PolicyDocument | undefined;
  /** The service control policies over the caller's account, per level (root, OUs, account). @default none */
  serviceControlPolicies?: PolicyDocument[][] | undefined;
}

/** The decision, and whether a Deny statement made it. */
export interface AccessDecision {
  allowed: boolean;
  explicitDeny: boolean;
  identity: Verdict;
  resource: Verdict;
}

const ACCOUNT_PRINCIPAL = /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$/;

/** Whether a resource policy statement names the caller: directly, through its account, or not. */
function principalApplies(statement: PolicyStatement, principal: Principal): 'direct' | 'account' | undefined {
  if (statement.Principal !== undefined) {
    if (statement.Principal === '*') return 'direct';
    if (principal.service) return asList(statement.Principal.Service).includes(principal.arn) ? 'direct' : undefined;
    const values = asList(statement.Principal.AWS).filter((value) => principalMatches(value, principal));
    if (values.length === 0) return undefined;
    return values.every((value) => ACCOUNT_PRINCIPAL.test(value)) ? 'account' : 'direct';
  }
  if (statement.NotPrincipal !== undefined) {
    // AWS checks the account, then the role, then the session: the caller is excluded only when
    // every level is listed, by its exact ARN (a role ARN does not cover its sessions).
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    if (statement.NotPrincipal === '*') return undefined;
    const listed = asList(statement.NotPrincipal.AWS);
    const levels = [
      (value: string) => value === principal.accountId || value === `arn:aws:iam::${principal.accountId}:root`,
      (value: string) => value === principal.entityArn,
      (value: string) => value === principal.arn,
    ];
    return levels.every((level) => listed.some(level)) ? undefined : 'direct';
  }
  return undefined;
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
  // A variable without a value makes the whole statement not apply, Allow or Deny, in any element.
  const resources = asList(statement.Resource).map((pattern) => withVariables(pattern, context));
  const notResources = asList(statement.NotResource).map((pattern) => withVariables(pattern, context));
  const condition = conditionWithVariables(statement.Condition, context);
  if ([...resources, ...notResources].includes(undefined) || condition === undefined) return false;
  const conditions = condition ?? undefined;
  const resource = (pattern: string | undefined) => arnMatch(pattern ?? '', request.resource);
  if (statement.Resource !== undefined && !resources.some(resource)) return false;
  if (statement.NotResource !== undefined && notResources.some(resource)) return false;
  if (statement.Resource === undefined && statement.NotResource === undefined && !resourcePolicy) return false;
  return conditionsHold(conditions, context);
}

/**
 * A policy string with its variables replaced (`${aws:PrincipalAccount}`, `${aws:userid}`,
 * `${aws:username, 'default'}`; `${*}`, `${?}`, `${$}` for the characters): undefined when a
 * variable has no value and no default, as then the element does not match
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
 */
function withVariables(text: string, context: RequestContext): string | undefined {
  if (!text.includes('${')) return text;
  let missing = false;
  const replaced = text.replace(/\$\{([^}]+)\}/g, (_match, inner: string) => {
    if (inner === '*') return LITERAL_STAR;
    if (inner === '?') return LITERAL_QUESTION;
    if (inner === '$') return '$';
    const [key = '', fallback] = inner.split(/\s*,\s*/);
    const value = context[key.trim().toLowerCase()];
    // A multivalued key cannot be a policy variable: it resolves to nothing.
    const chosen = Array.isArray(value) ? undefined : value;
    if (chosen !== undefined) return chosen;
    const quoted = /^'(.*)'$/.exec(fallback ?? '');
    if (quoted) return quoted[1] ?? '';
    missing = true;
    return '';
  });
  return missing ? undefined : replaced;
}

/**
 * A condition with its variables replaced; undefined when one has no value. `${*}` and `${?}`
 * are wildcards' literal characters for the `*Like` and `Arn*` operators, plain characters for the others.
 */
function conditionWithVariables(
  condition: PolicyStatement['Condition'],
  context: RequestContext,
): PolicyStatement['Condition'] | undefined | null {
  if (!condition || !JSON.stringify(condition).includes('${')) return condition ?? null;
  const out: Record<string, Record<string, unknown>> = {};
  let unresolved = false;
  for (const [operator, keys] of Object.entries(condition)) {
    const patterned = /Like|^(ForA\w+:)?Arn/.test(operator);
    out[operator] = {};
    for (const [key, value] of Object.entries(keys)) {
      const substitute = (item: unknown) => {
        const text = withVariables(String(item), context);
        if (text === undefined) unresolved = true;
        return patterned ? text : text?.replaceAll(LITERAL_STAR, '*').replaceAll(LITERAL_QUESTION, '?');
      };
      (out[operator] as Record<string, unknown>)[key] = Array.isArray(value)
        ? value.map(substitute)
        : substitute(value);
    }
  }
  return unresolved ? undefined : out;
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
    const delegated = resourcePolicy && principalApplies(statement, request.principal) === 'account';
    if (!delegated) verdict = 'allow';
    else if (verdict === 'silent') verdict = 'delegated';
  }
  return verdict;
}

/** Whether a resource policy allows the caller by naming its session ARN exactly (a boundary does not cap that). */
function allowsSession(document: PolicyDocument, request: AccessRequest, context: RequestContext): boolean {
  return statementsOf(document).some(
    (statement) =>
      statement.Effect === 'Allow' &&
      typeof statement.Principal === 'object' &&
      asList(statement.Principal.AWS).includes(request.principal.arn) &&
      statementApplies(statement, request, context, true),
  );
}

/** The request context keys IAM derives from the caller (`aws:PrincipalArn`, `aws:userid`…). */
export function principalContext(principal: Principal): RequestContext {
  return {
    'aws:principalaccount': principal.accountId,
    'aws:principalarn': principal.entityArn,
    'aws:principalorgid': principal.orgId,
    'aws:principalorgpaths': principal.orgPaths,
    'aws:principaltype': principal.arn.includes(':assumed-role/') ? 'AssumedRole' : 'User',
    'aws:userid': principal.userId,
    'aws:principalisawsservice': principal.service ? 'true' : 'false',
    'aws:viaawsservice': 'false',
    ...Object.fromEntries(
      Object.entries(principal.tags ?? {}).map(([key, value]) => [`aws:principaltag/${key.toLowerCase()}`, value]),
    ),
  };
}

/**
 * AWS's authorization flow for a resource with a resource policy (API Gateway, Lambda):
 * an explicit Deny anywhere wins; in the same account the identity policy OR the resource
 * policy must allow; across accounts the identity policy AND the resource policy must.
 * A resource policy that names only the caller's account (its root or id) delegates to that
 * account's identity policies: it counts across accounts, not as an allow of its own.
 *
 * @example
 * ```ts
 * const { allowed } = evaluateAccess(request, { identityPolicies, resourcePolicy });
 * ```
 */
export function evaluateAccess(request: AccessRequest, policies: AccessPolicies): AccessDecision {
  const context = {
    ...principalContext(request.principal),
    'aws:resourceaccount': request.resourceAccountId,
    ...lowerKeys(request.context ?? {}),
  };
  const granted = verdictOf(policies.identityPolicies, request, context, false);
  const resource = policies.resourcePolicy ? verdictOf([policies.resourcePolicy], request, context, true) : 'silent';
  // A permissions boundary caps what the identity's own policies grant, and its Deny is a deny.
  // (Conservative: AWS lets a resource policy naming the session ARN bypass the boundary.)
  const boundary = policies.permissionsBoundary
    ? verdictOf([policies.permissionsBoundary], request, context, false)
    : 'allow';
  const identity: Verdict =
    granted === 'deny' || boundary === 'deny' ? 'deny' : boundary === 'allow' ? granted : 'silent';
  // SCPs: every level with policies attached must allow, and a Deny at any level denies
  // (AWS Organizations, "SCP evaluation"); they cap resource-policy grants as well.
  const scps = (policies.serviceControlPolicies ?? [])
    .filter((level) => level.length > 0)
    .map((level) => verdictOf(level, request, context, false));
  const scpAllows = scps.every((verdict) => verdict === 'allow');
  const explicitDeny = identity === 'deny' || resource === 'deny' || scps.includes('deny');
  const sameAccount = request.principal.accountId === request.resourceAccountId;
  const resourceAllows = resource === 'allow' || (!sameAccount && resource === 'delegated');
  // In one account a resource policy's allow is capped by the boundary too, unless it names the
  // session ARN itself (IAM "Permissions boundaries": resource-based policies and role sessions).
  const sameAccountResourceAllows =
    resource === 'allow' &&
    (boundary === 'allow' ||
      (policies.resourcePolicy !== undefined && allowsSession(policies.resourcePolicy, request, context)));
  const allowed =
    !explicitDeny &&
    scpAllows &&
    (sameAccount ? identity === 'allow' || sameAccountResourceAllows : identity === 'allow' && resourceAllows);
  return { allowed, explicitDeny, identity, resource };
}

const lowerKeys = (context: RequestContext): RequestContext =>
  Object.fromEntries(Object.entries(context).map(([key, value]) => [key.toLowerCase(), value]));
