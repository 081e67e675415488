import type { RequestContext } from './conditions.js';
import { rememberedDecision } from './decision-cache.js';
import { type DecisionKind, type DecisionSink, decisionRecord } from './decisions.js';
import { type AccessDecision, type AccessPolicies, evaluateAccess, type PolicyVerdict } from './evaluate.js';
import type { Identity } from './identities.js';
import type { NamedPolicy, PolicyDocument } from './policy.js';

/** One request for authorization: who (verified, or anonymous), what, on which resource, under which policy. */
export interface Authorization {
  caller: Identity;
  /** e.g. `execute-api:Invoke`, `lambda:InvokeFunctionUrl`, `sts:AssumeRole`. */
  action: string;
  resource: string;
  resourceAccountId: string;
  /** The resource's own policy (an API's, a function's permissions, a role's trust policy). @default none */
  resourcePolicy?: PolicyDocument | undefined;
  /** The request's condition keys (`aws:SourceIp`, `lambda:FunctionUrlAuthType`…). */
  context: RequestContext;
  /** What to call the resource policy in explanations (`<stack>/<logical id> policy`). */
  resourcePolicyName?: string | undefined;
  /** The resource policy is a role's trust policy: it must allow the caller, its identity policies alone never do. @default false */
  trustPolicy?: boolean | undefined;
  /** The caller's identity-based policies must allow too, whatever the accounts (`sts:SetSourceIdentity` in role chaining). @default false */
  identityRequired?: boolean | undefined;
  /** The policy of the VPC endpoint the request came through. @default none */
  endpointPolicy?: NamedPolicy | undefined;
  /** For the decision record: the door, and what was asked as a person reads it (`GET /prod/items`). */
  kind: DecisionKind;
  endpoint: string;
}

/**
 * Every service's one way to ask the evaluator: the caller's identity policies, boundary and
 * service control policies, and the resource's policy.
 *
 * @example
 * ```ts
 * const { allowed } = authorize({ caller, action: 'sts:AssumeRole', resource: role.arn, resourceAccountId: role.accountId, resourcePolicy: role.trustPolicy, context });
 * ```
 */
export function authorize(request: Authorization, record?: DecisionSink): AccessDecision {
  const { caller } = request;
  const policies: AccessPolicies = {
    identityPolicies: caller.policies,
    permissionsBoundary: caller.boundary,
    sessionPolicies: caller.sessionPolicies,
    serviceControlPolicies: caller.scps,
    resourcePolicy: request.resourcePolicy,
    resourcePolicyName: request.resourcePolicyName,
    trustPolicy: request.trustPolicy,
    identityRequired: request.identityRequired,
    endpointPolicy: request.endpointPolicy,
    authorizerAnswer: caller.authorizerAnswer,
  };
  const decision = rememberedDecision(caller, policies, request, () =>
    evaluateAccess(
      {
        principal: caller.principal,
        action: request.action,
        resource: request.resource,
        resourceAccountId: request.resourceAccountId,
        context: { ...sessionContext(caller), ...request.context },
      },
      policies,
    ),
  );
  record?.(
    decisionRecord(decision, {
      kind: request.kind,
      principal: caller.name,
      caller: caller.principal.arn,
      action: request.action,
      resource: request.resource,
      endpoint: request.endpoint,
      trustPolicy: request.trustPolicy,
    }),
  );
  return decision;
}

/** The condition keys a session carries besides its principal's: `aws:SourceIdentity` once set. */
const sessionContext = (caller: Identity): RequestContext =>
  caller.sourceIdentity === undefined ? {} : { 'aws:sourceidentity': caller.sourceIdentity };

/** The policy kinds as IAM's denial messages name them. */
const DENIAL_WORDS: Record<PolicyVerdict['kind'], string> = {
  identity: 'identity-based policy',
  resource: 'resource-based policy',
  boundary: 'permissions boundary',
  scp: 'service control policy',
  session: 'session policy',
  endpoint: 'VPC endpoint policy',
};

/**
 * IAM's explanation at the end of a denial message: ` with an explicit deny in a resource-based
 * policy`, ` because no session policy allows the lambda:InvokeFunction action`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 */
export function denialSuffix(decision: AccessDecision, action: string): string {
  if (decision.explicitDeny) {
    const kind = decision.policies.find((policy) => policy.verdict === 'deny')?.kind ?? 'resource';
    return ` with an explicit deny in ${kind === 'identity' ? 'an' : 'a'} ${DENIAL_WORDS[kind]}`;
  }
  const missing = decision.notAllowedBy ?? (decision.identity === 'allow' ? 'resource' : 'identity');
  return ` because no ${DENIAL_WORDS[missing]} allows the ${action} action`;
}
