import type { RequestContext } from './conditions.js';
import { type DecisionKind, type DecisionSink, decisionRecord } from './decisions.js';
import { type AccessDecision, evaluateAccess } from './evaluate.js';
import type { Identity } from './identities.js';
import type { PolicyDocument } from './policy.js';

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
  /** The resource policy is a role's trust policy. @default false */
  trustPolicy?: boolean | undefined;
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
  const decision = evaluateAccess(
    {
      principal: caller.principal,
      action: request.action,
      resource: request.resource,
      resourceAccountId: request.resourceAccountId,
      context: request.context,
    },
    {
      identityPolicies: caller.policies,
      permissionsBoundary: caller.boundary,
      serviceControlPolicies: caller.scps,
      resourcePolicy: request.resourcePolicy,
      resourcePolicyName: request.resourcePolicyName,
    },
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

/**
 * IAM's explanation at the end of a denial message: ` with an explicit deny in a resource-based
 * policy`, ` because no identity-based policy allows the lambda:InvokeFunction action`.
 */
export function denialSuffix(decision: AccessDecision, action: string): string {
  if (decision.explicitDeny)
    return ` with an explicit deny in ${decision.identity === 'deny' ? 'an identity' : 'a resource'}-based policy`;
  return ` because no ${decision.identity === 'allow' ? 'resource' : 'identity'}-based policy allows the ${action} action`;
}
