import { failingCondition, type RequestContext } from './conditions.js';
import { type ExplainFacts, explain, keysUsed } from './explain.js';
import { arnMatch, type Principal, principalMatches, wildcardMatch } from './match.js';
import { asList, type NamedPolicy, type PolicyDocument, type PolicyStatement, statementsOf } from './policy.js';
import { conditionWithVariables, withVariables } from './variables.js';

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
  /** Policies attached to the caller's role or user (named, for explanations, or bare documents). */
  identityPolicies: (PolicyDocument | NamedPolicy)[];
  /** The resource's policy (a RestApi policy, a function's permissions); undefined when it has none. */
  resourcePolicy?: PolicyDocument | undefined;
  /** What to call the resource policy in explanations. @default 'the resource policy' */
  resourcePolicyName?: string | undefined;
  /** The caller's permissions boundary; undefined when it has none. */
  permissionsBoundary?: PolicyDocument | NamedPolicy | undefined;
  /** The service control policies over the caller's account, per level (root, OUs, account). @default none */
  serviceControlPolicies?: (PolicyDocument | NamedPolicy)[][] | undefined;
  /**
   * The caller's session policies (AssumeRole `Policy`, `PolicyArns`): like a permissions
   * boundary they cap its identity-based policies and resource-based policies naming its role
   * or account, not those naming its session ARN; their Deny is a deny. @default none
   */
  sessionPolicies?: (PolicyDocument | NamedPolicy)[] | undefined;
  /**
   * The resource policy is a role's trust policy: it must allow the caller (itself, or its account
   * with the account's identity policies), an identity-based policy alone never does
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html). @default false
   */
  trustPolicy?: boolean | undefined;
  /** The identity-based policies must allow as well, in any account (`sts:SetSourceIdentity` in role chaining). @default false */
  identityRequired?: boolean | undefined;
  /**
   * The policy of the VPC endpoint the request came through: it must allow the caller (named, or
   * its account, or `*`) and its Deny denies, before any other policy counts; the default policy
   * of an endpoint allows all (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
   * @default none: not through an endpoint, or its default policy
   */
  endpointPolicy?: NamedPolicy | undefined;
  /**
   * The identity-based policies are a Lambda authorizer's answer for a caller of no account: to
   * the resource policy it is anonymous, and either may allow, any Deny denies (API Gateway's
   * authorization workflow, Table A:
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html). @default false
   */
  authorizerAnswer?: boolean | undefined;
}

/** What one policy said about a request, and which statement made it say so. */
export interface PolicyVerdict {
  kind: 'identity' | 'resource' | 'boundary' | 'scp' | 'session' | 'endpoint';
  /** Where it comes from: `<stack>/<logical id>[/<name>]`, a managed policy ARN, `<api> policy`. */
  source: string;
  verdict: Verdict;
  /** The deciding statement: its `Sid`, else its index in the policy. */
  statement?: string | undefined;
  /** For a policy that says nothing: why its nearest statement does not apply. */
  miss?: string | undefined;
}

/** The decision, whether a Deny statement made it, each policy's verdict, and why, in IAM's terms. */
export interface AccessDecision {
  allowed: boolean;
  explicitDeny: boolean;
  identity: Verdict;
  resource: Verdict;
  /** Every policy consulted, in order: VPC endpoint, identity, boundary, session, SCPs, resource. */
  policies: PolicyVerdict[];
  /**
   * For an implicit deny, the kind of policy that did not allow, as IAM's message names it
   * (`because no session policy allows …`); undefined when allowed or explicitly denied.
   */
  notAllowedBy?: PolicyVerdict['kind'] | undefined;
  /** One line: `allowed by …`, `explicit deny in …`, `no resource-based policy allows it (…)`. */
  reason: string;
  /** The request-context keys the consulted statements' conditions and variables refer to, with their values. */
  keys: Record<string, string | string[] | null>;
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
    // NotPrincipal with Allow is not supported by AWS: such a statement grants nothing (policyWarnings says so).
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    if (statement.Effect === 'Allow') return undefined;
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

/** Why a statement does not apply to a request (undefined: it applies), for explanations. */
function statementMiss(
  statement: PolicyStatement,
  request: AccessRequest,
  context: RequestContext,
  resourcePolicy: boolean,
): { element: 'action' | 'principal' | 'resource' | 'condition'; detail: () => string } | undefined {
  const action = (pattern: string) => wildcardMatch(pattern, request.action, true);
  if (statement.Action !== undefined && !asList(statement.Action).some(action))
    return { element: 'action', detail: () => `it is for ${asList(statement.Action).join(', ')}` };
  if (statement.NotAction !== undefined && asList(statement.NotAction).some(action))
    return { element: 'action', detail: () => `its NotAction names ${request.action}` };
  if (resourcePolicy && !principalApplies(statement, request.principal)) {
    if (statement.Principal === undefined && statement.NotPrincipal !== undefined && statement.Effect === 'Allow')
      return { element: 'principal', detail: () => 'NotPrincipal with Allow grants nothing (AWS does not support it)' };
    const named = statement.Principal ?? statement.NotPrincipal;
    return {
      element: 'principal',
      detail: () => `names ${describePrincipal(named)}; the caller is ${request.principal.arn}`,
    };
  }
  // A variable without a value makes the whole statement not apply, Allow or Deny, in any element.
  const resources = asList(statement.Resource).map((pattern) => withVariables(pattern, context));
  const notResources = asList(statement.NotResource).map((pattern) => withVariables(pattern, context));
  const condition = conditionWithVariables(statement.Condition, context);
  if ([...resources, ...notResources].includes(undefined) || condition === undefined)
    return { element: 'condition', detail: () => 'a policy variable it uses has no value for this caller' };
  const resource = (pattern: string | undefined) => arnMatch(pattern ?? '', request.resource);
  if (statement.Resource !== undefined && !resources.some(resource))
    return {
      element: 'resource',
      detail: () => `its Resource ${asList(statement.Resource).join(', ')} does not match ${request.resource}`,
    };
  if (statement.NotResource !== undefined && notResources.some(resource))
    return { element: 'resource', detail: () => `its NotResource excludes ${request.resource}` };
  if (statement.Resource === undefined && statement.NotResource === undefined && !resourcePolicy)
    return { element: 'resource', detail: () => 'it has no Resource' };
  const failed = failingCondition(condition ?? undefined, context);
  if (failed) {
    const seen = failed.seen === undefined ? 'none' : JSON.stringify(failed.seen);
    return {
      element: 'condition',
      detail: () =>
        `condition ${failed.operator} ${failed.key} ${JSON.stringify(failed.expected.length === 1 ? failed.expected[0] : failed.expected)} fails: the request has ${seen}`,
    };
  }
  return undefined;
}

const statementApplies = (...args: Parameters<typeof statementMiss>) => statementMiss(...args) === undefined;

/** `account 111111111111`, `arn:aws:iam::…:role/x`, `everyone`: a Principal element for a sentence. */
function describePrincipal(element: PolicyStatement['Principal']): string {
  if (element === undefined) return 'nobody';
  if (element === '*') return 'everyone';
  const values = Object.values(element).flatMap((value) => asList(value));
  return values
    .map((value) => {
      const account = /^(\d{12})$|^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(value);
      return account ? `account ${account[1] ?? account[2]}` : value;
    })
    .join(', ');
}

const statementId = (statement: PolicyStatement, index: number) => statement.Sid ?? String(index);

/** One policy's verdict, its deciding statement, and for silence the nearest statement's miss. */
function judgePolicy(
  policy: NamedPolicy,
  kind: PolicyVerdict['kind'],
  request: AccessRequest,
  context: RequestContext,
): PolicyVerdict {
  // A VPC endpoint policy names principals as a resource policy does.
  const resourcePolicy = kind === 'resource' || kind === 'endpoint';
  const record: PolicyVerdict = { kind, source: policy.name, verdict: 'silent' };
  let nearest: { rank: number; detail: () => string; statement: string } | undefined;
  const rank = { action: 0, principal: 3, resource: 2, condition: 4 } as const;
  for (const [index, statement] of statementsOf(policy.document).entries()) {
    const miss = statementMiss(statement, request, context, resourcePolicy);
    if (miss) {
      if (statement.Effect === 'Allow' && rank[miss.element] > (nearest?.rank ?? 0))
        nearest = { rank: rank[miss.element], detail: miss.detail, statement: statementId(statement, index) };
      continue;
    }
    if (statement.Effect === 'Deny') return { ...record, verdict: 'deny', statement: statementId(statement, index) };
    const delegated = resourcePolicy && principalApplies(statement, request.principal) === 'account';
    if (!delegated && record.verdict !== 'allow') {
      record.verdict = 'allow';
      record.statement = statementId(statement, index);
    } else if (delegated && record.verdict === 'silent') {
      record.verdict = 'delegated';
      record.statement = statementId(statement, index);
    }
  }
  if (record.verdict === 'silent' && nearest) {
    record.statement = nearest.statement;
    record.miss = nearest.detail();
  }
  return record;
}

/** The verdict of a set of policies: a Deny anywhere, else an Allow, else a delegation, else silence. */
const combined = (records: PolicyVerdict[]): Verdict =>
  (['deny', 'allow', 'delegated'] as const).find((verdict) => records.some((r) => r.verdict === verdict)) ?? 'silent';

const named = (policy: PolicyDocument | NamedPolicy, fallback: string): NamedPolicy =>
  'document' in policy ? policy : { name: fallback, document: policy };

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
  // A caller of no account has no account, ARN or tags for a policy to read: an anonymous one is
  // `aws:PrincipalType` Anonymous, an AWS service is `aws:PrincipalServiceName`
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltype).
  if (principal.service)
    return {
      'aws:principalservicename': principal.arn,
      'aws:principalisawsservice': 'true',
      'aws:viaawsservice': 'false',
    };
  if (principal.accountId === '')
    return {
      'aws:principaltype': 'Anonymous',
      'aws:userid': 'anonymous',
      'aws:principalisawsservice': 'false',
      'aws:viaawsservice': 'false',
    };
  return {
    'aws:principalaccount': principal.accountId,
    'aws:principalarn': principal.entityArn,
    'aws:principalorgid': principal.orgId,
    'aws:principalorgpaths': principal.orgPaths,
    'aws:principaltype': principal.arn.includes(':assumed-role/') ? 'AssumedRole' : 'User',
    'aws:userid': principal.userId,
    'aws:principalisawsservice': 'false',
    'aws:viaawsservice': 'false',
    ...Object.fromEntries(
      Object.entries(principal.tags ?? {}).map(([key, value]) => [`aws:principaltag/${key.toLowerCase()}`, value]),
    ),
  };
}

/** Every policy's verdict on a request, by kind; SCPs per level. */
interface Judged {
  identity: PolicyVerdict[];
  boundary: PolicyVerdict[];
  session: PolicyVerdict[];
  scpLevels: PolicyVerdict[][];
  resource: PolicyVerdict[];
  endpoint: PolicyVerdict[];
}

function judgeEveryPolicy(request: AccessRequest, policies: AccessPolicies, context: RequestContext): Judged {
  const judge = (list: (PolicyDocument | NamedPolicy)[], kind: PolicyVerdict['kind'], fallback: string) =>
    list.map((policy, index) => judgePolicy(named(policy, `${fallback} ${index}`), kind, request, context));
  const { resourcePolicy, permissionsBoundary, endpointPolicy } = policies;
  return {
    endpoint: endpointPolicy ? judge([endpointPolicy], 'endpoint', 'VPC endpoint policy') : [],
    identity: judge(policies.identityPolicies, 'identity', 'identity policy'),
    boundary: permissionsBoundary ? judge([permissionsBoundary], 'boundary', 'permissions boundary') : [],
    session: judge(policies.sessionPolicies ?? [], 'session', 'session policy'),
    // SCPs: every level with policies attached must allow, and a Deny at any level denies
    // (AWS Organizations, "SCP evaluation"); they cap resource-policy grants as well.
    scpLevels: (policies.serviceControlPolicies ?? [])
      .filter((level) => level.length > 0)
      .map((level, depth) => judge(level, 'scp', `service control policy (level ${depth})`)),
    resource: resourcePolicy
      ? judge(
          [{ name: policies.resourcePolicyName ?? 'the resource policy', document: resourcePolicy }],
          'resource',
          '',
        )
      : [],
  };
}

/** What the evaluator concluded from the verdicts, before the explanation. */
interface Outcome {
  allowed: boolean;
  explicitDeny: boolean;
  identity: Verdict;
  resource: Verdict;
  notAllowedBy: PolicyVerdict['kind'] | undefined;
  facts: ExplainFacts;
}

function conclude(judged: Judged, request: AccessRequest, policies: AccessPolicies, context: RequestContext): Outcome {
  const granted = combined(judged.identity);
  const resource = policies.resourcePolicy ? combined(judged.resource) : 'silent';
  // A permissions boundary and session policies cap what the identity's own policies grant; their Deny is a deny.
  const boundary = policies.permissionsBoundary ? combined(judged.boundary) : 'allow';
  const session = judged.session.length > 0 ? combined(judged.session) : 'allow';
  const capped = boundary === 'allow' && session === 'allow';
  const identity: Verdict =
    granted === 'deny' || boundary === 'deny' || session === 'deny' ? 'deny' : capped ? granted : 'silent';
  const scps = judged.scpLevels.map(combined);
  const scpAllows = scps.every((verdict) => verdict === 'allow');
  // Through a VPC endpoint its policy must allow the caller (named, by account or as `*`) first.
  const endpoint = policies.endpointPolicy ? combined(judged.endpoint) : 'allow';
  const endpointAllows = endpoint === 'allow' || endpoint === 'delegated';
  const explicitDeny = endpoint === 'deny' || identity === 'deny' || resource === 'deny' || scps.includes('deny');
  const sameAccount = request.principal.accountId === request.resourceAccountId;
  const accountless = request.principal.accountId === '';
  // In one account a resource policy's allow is capped by the boundary and session policies too,
  // unless it names the session ARN itself (IAM "Policy evaluation logic", resource-based policies
  // and role sessions: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
  const namesSession =
    policies.resourcePolicy !== undefined && allowsSession(policies.resourcePolicy, request, context);
  const sameAccountResourceAllows = resource === 'allow' && (capped || namesSession);
  const resourceAllows = resource === 'allow' || (!sameAccount && resource === 'delegated');
  const trusted = !policies.trustPolicy || resource === 'allow' || resource === 'delegated';
  const allowed =
    !explicitDeny &&
    endpointAllows &&
    scpAllows &&
    trusted &&
    (!policies.identityRequired || identity === 'allow') &&
    (accountless
      ? resource === 'allow' || (policies.authorizerAnswer === true && identity === 'allow')
      : sameAccount
        ? identity === 'allow' || sameAccountResourceAllows
        : identity === 'allow' && resourceAllows);
  const facts = {
    endpointAllows,
    sameAccount,
    accountless,
    boundary,
    session,
    scpAllows,
    trusted,
    hasResourcePolicy: !!policies.resourcePolicy,
    authorizerAnswer: policies.authorizerAnswer === true,
  };
  const notAllowedBy = allowed || explicitDeny ? undefined : missingAllow(granted, resource, identity, facts);
  return { allowed, explicitDeny, identity, resource, notAllowedBy, facts };
}

/** For an implicit deny, the kind of policy whose allow is missing, in IAM's order of checks. */
function missingAllow(
  granted: Verdict,
  resource: Verdict,
  identity: Verdict,
  facts: ExplainFacts,
): PolicyVerdict['kind'] {
  if (!facts.endpointAllows) return 'endpoint';
  if (!facts.scpAllows) return 'scp';
  if (facts.authorizerAnswer) return 'identity';
  if (facts.accountless || !facts.trusted) return 'resource';
  const wouldAllow = granted === 'allow' || (facts.sameAccount && resource === 'allow');
  if (wouldAllow && facts.boundary !== 'allow') return 'boundary';
  if (wouldAllow && facts.session !== 'allow') return 'session';
  return facts.sameAccount || identity !== 'allow' ? 'identity' : 'resource';
}

/**
 * AWS's authorization flow for a resource with a resource policy (API Gateway, Lambda):
 * an explicit Deny anywhere wins; in the same account the identity policy OR the resource
 * policy must allow; across accounts the identity policy AND the resource policy must.
 * A resource policy that names only the caller's account (its root or id) delegates to that
 * account's identity policies: it counts across accounts, not as an allow of its own. A caller
 * of no account (anonymous, an AWS service principal) is allowed exactly when the resource
 * policy allows and nothing denies. Permissions boundaries and session policies cap the
 * identity side (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
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
  const judged = judgeEveryPolicy(request, policies, context);
  const { facts, ...outcome } = conclude(judged, request, policies, context);
  const records = [
    ...judged.endpoint,
    ...judged.identity,
    ...judged.boundary,
    ...judged.session,
    ...judged.scpLevels.flat(),
    ...judged.resource,
  ];
  const decision = { ...outcome, policies: records };
  // The explanation is read for decision records only: computed when first asked (once, however
  // many records a remembered decision makes), never on the way to an answer.
  let reason: string | undefined;
  let keys: Record<string, string | string[] | null> | undefined;
  return {
    ...decision,
    get reason() {
      reason ??= explain(decision, facts);
      return reason;
    },
    get keys() {
      keys ??= keysUsed(consultedDocuments(policies), context);
      return keys;
    },
  };
}

/** Every document a decision consults: identity, boundary, session, SCPs, resource. */
export function consultedDocuments(policies: AccessPolicies): PolicyDocument[] {
  return [
    ...(policies.endpointPolicy ? [policies.endpointPolicy] : []),
    ...policies.identityPolicies,
    ...(policies.permissionsBoundary ? [policies.permissionsBoundary] : []),
    ...(policies.sessionPolicies ?? []),
    ...(policies.serviceControlPolicies ?? []).flat(),
    ...(policies.resourcePolicy ? [policies.resourcePolicy] : []),
  ].map((policy) => ('document' in policy ? policy.document : policy));
}

const lowerKeys = (context: RequestContext): RequestContext =>
  Object.fromEntries(Object.entries(context).map(([key, value]) => [key.toLowerCase(), value]));
