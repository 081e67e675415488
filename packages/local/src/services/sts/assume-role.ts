import type { CloudAssemblyModel, RoleModel } from '../../assembly/model.js';
import type { LocalRequest } from '../../http.js';
import { authorize, denialSuffix } from '../../iam/authorize.js';
import type { RequestContext } from '../../iam/conditions.js';
import type { ThroughEndpoint } from '../../iam/context-keys.js';
import { requestContext } from '../../iam/context-keys.js';
import type { DecisionSink } from '../../iam/decisions.js';
import type { Identity } from '../../iam/identities.js';
import { AWS_MANAGED_POLICIES, awsManagedPolicy, isAwsManagedArn } from '../../iam/managed-policies.js';
import type { NamedPolicy, PolicyDocument } from '../../iam/policy.js';
import { endpointPolicy } from '../vpc-endpoint/endpoint.js';
import type { AssumeRoleParameters, SessionTag } from './parameters.js';
import { accessDenied, invalidParameterValue, validationError } from './wire.js';

/** A role session assumes a role: role chaining (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining). */
export const isRoleSession = (caller: Identity): boolean => caller.principal.arn.includes(':assumed-role/');

const lowerKeys = (keys: Iterable<string>) => new Set([...keys].map((key) => key.toLowerCase()));

/** A role without a trust policy trusts nobody: one document for all of them, so decisions on it are remembered. */
const NO_TRUST_POLICY: PolicyDocument = { Statement: [] };

/**
 * What role chaining forbids before any policy is read: changing the calling session's
 * transitive tags (recorded AWS answer) or its source identity, which "cannot be changed"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
 */
export function checkChaining(parameters: AssumeRoleParameters, caller: Identity): void {
  const inherited = lowerKeys(Object.keys(caller.transitiveTags ?? {}));
  if (parameters.tags.some((tag) => inherited.has(tag.key.toLowerCase())))
    throw invalidParameterValue(
      "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.",
    );
  const { sourceIdentity } = parameters;
  if (caller.sourceIdentity !== undefined && sourceIdentity !== undefined && sourceIdentity !== caller.sourceIdentity)
    throw invalidParameterValue(
      `The source identity ${caller.sourceIdentity} of the calling session cannot be changed to ${sourceIdentity}.`,
    );
}

/**
 * The request context of AssumeRole and its permissions-only actions: `sts:RoleSessionName`,
 * `sts:ExternalId`, `aws:RequestTag/<key>`, `aws:TagKeys`, `sts:TransitiveTagKeys`,
 * `sts:SourceIdentity` (the one passed, else the one the calling session carries), beside the
 * request's global keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html).
 */
export function assumeRoleContext(
  parameters: AssumeRoleParameters,
  caller: Identity,
  request: LocalRequest,
  facts: { now: Date; region: string },
): RequestContext {
  const { tags, transitiveTagKeys, externalId } = parameters;
  const sourceIdentity = parameters.sourceIdentity ?? caller.sourceIdentity;
  return {
    ...requestContext({ ...facts, sourceIp: request.sourceIp, headers: request.headers, via: request.via }),
    'sts:rolesessionname': parameters.roleSessionName,
    ...(externalId === undefined ? {} : { 'sts:externalid': externalId }),
    ...Object.fromEntries(tags.map((tag) => [`aws:requesttag/${tag.key.toLowerCase()}`, tag.value])),
    ...(tags.length === 0 ? {} : { 'aws:tagkeys': tags.map((tag) => tag.key) }),
    ...(transitiveTagKeys.length === 0 ? {} : { 'sts:transitivetagkeys': transitiveTagKeys }),
    ...(sourceIdentity === undefined ? {} : { 'sts:sourceidentity': sourceIdentity }),
  };
}

/** `DurationSeconds` against the role: its `MaxSessionDuration`, and one hour for role chaining. */
export function sessionSeconds(seconds: number | undefined, role: RoleModel, caller: Identity): number {
  if (seconds === undefined) return 3600;
  if (seconds > 3600 && isRoleSession(caller))
    throw validationError(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  if (seconds > (role.maxSessionSeconds ?? 3600))
    throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  return seconds;
}

/**
 * The session policies of a request: the inline `Policy`, then each `PolicyArns` policy, an AWS
 * managed one or a customer managed one of the assembly in the role's account ("The policies
 * must exist in the same account as the role"). Another ARN, or an AWS managed one the stack has
 * no text of, is refused with `InvalidParameterValue` (the latter with why, on stderr).
 */
export function sessionPolicies(
  parameters: AssumeRoleParameters,
  role: RoleModel,
  model: CloudAssemblyModel,
): NamedPolicy[] | undefined {
  const managed = parameters.policyArns.map((arn): NamedPolicy => {
    const aws = awsManagedPolicy(arn);
    if (aws) return { name: `session policy ${aws.arn} (${aws.version})`, document: aws.document };
    const own = model.managedPolicies.find((policy) => policy.arn === arn && policy.accountId === role.accountId);
    if (own) return { name: `session policy ${own.name}`, document: own.document };
    const refused = invalidParameterValue(`Policy ${arn} does not exist or is not attachable.`);
    // An AWS managed policy the stack has no text of may exist on AWS, or be a typo AWS refuses:
    // refused here (never a session AWS would not give), saying so.
    throw isAwsManagedArn(arn)
      ? refused.because(
          `${arn} is not among the ${AWS_MANAGED_POLICIES.length} AWS managed policies the local stack knows; if it exists, AWS accepts it: pass its statements as the inline Policy here`,
        )
      : refused;
  });
  const inline = parameters.policy ? [{ name: 'session policy (AssumeRole Policy)', document: parameters.policy }] : [];
  const all = [...inline, ...managed];
  return all.length > 0 ? all : undefined;
}

/**
 * A new session's principal tags and what it passes on: the role's tags, overridden (whatever
 * their case) by the calling session's transitive tags, then by the tags passed; transitive
 * are the inherited ones and the passed ones named in `TransitiveTagKeys`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_role-chaining).
 */
export function sessionTags(
  roleTags: Record<string, string>,
  caller: Identity,
  parameters: Pick<AssumeRoleParameters, 'tags' | 'transitiveTagKeys'>,
): { tags: Record<string, string>; transitive: Record<string, string> } {
  const inherited = Object.entries(caller.transitiveTags ?? {}).map(([key, value]): SessionTag => ({ key, value }));
  const transitiveKeys = lowerKeys(parameters.transitiveTagKeys);
  const passedTransitive = parameters.tags.filter((tag) => transitiveKeys.has(tag.key.toLowerCase()));
  const overriding = [...inherited, ...parameters.tags];
  const overridden = lowerKeys(overriding.map((tag) => tag.key));
  const kept = Object.entries(roleTags).filter(([key]) => !overridden.has(key.toLowerCase()));
  return {
    tags: Object.fromEntries([...kept, ...overriding.map((tag) => [tag.key, tag.value])]),
    transitive: Object.fromEntries([...inherited, ...passedTransitive].map((tag) => [tag.key, tag.value])),
  };
}

/** The actions an AssumeRole request is authorized for, in the order IAM reports a denial. */
export type SessionAction = 'sts:AssumeRole' | 'sts:TagSession' | 'sts:SetSourceIdentity';

/**
 * What an AssumeRole request asks of the role: `sts:AssumeRole`, `sts:TagSession` when it passes
 * tags or its caller carries transitive ones (role chaining passes them on: "the trust policy of
 * the role … must allow sts:TagSession",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_role-chaining),
 * `sts:SetSourceIdentity` when it passes a source identity or its caller carries one
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required).
 */
export function actionsOf(parameters: AssumeRoleParameters, caller: Identity): SessionAction[] {
  const tagged =
    parameters.tags.length > 0 ||
    parameters.transitiveTagKeys.length > 0 ||
    Object.keys(caller.transitiveTags ?? {}).length > 0;
  return [
    'sts:AssumeRole',
    ...(tagged ? (['sts:TagSession'] as const) : []),
    ...(parameters.sourceIdentity !== undefined || caller.sourceIdentity !== undefined
      ? (['sts:SetSourceIdentity'] as const)
      : []),
  ];
}

/**
 * One action on a role, decided (and recorded) by the one evaluator with the role's trust
 * policy as its resource policy, which must allow the caller. `sts:SetSourceIdentity` by a
 * role session needs the caller's identity policy too ("permissions for sts:SetSourceIdentity
 * are required in both the permissions policy of the principal who is assuming the role and in
 * the role trust policy of the target role"). Throws STS's 403 `AccessDenied`.
 */
export function authorizeOnRole(
  action: SessionAction,
  role: RoleModel,
  caller: Identity,
  context: RequestContext,
  decisions?: DecisionSink,
  via?: ThroughEndpoint,
): void {
  const decision = authorize(
    {
      caller,
      action,
      // Through an STS VPC endpoint, its policy first.
      endpointPolicy: via && endpointPolicy(via.endpoint),
      resource: role.arn,
      resourceAccountId: role.accountId,
      resourcePolicy: role.trustPolicy ?? NO_TRUST_POLICY,
      context,
      resourcePolicyName: `${role.stackName}/${role.logicalId} trust policy`,
      trustPolicy: true,
      identityRequired: action === 'sts:SetSourceIdentity' && isRoleSession(caller),
      kind: 'sts',
      endpoint: `${action.slice('sts:'.length)} ${role.name}`,
    },
    decisions,
  );
  if (decision.allowed) return;
  // STS names an explicit deny, not the missing allow.
  const suffix = decision.explicitDeny ? denialSuffix(decision, action) : '';
  throw accessDenied(caller.principal.arn, action, role.arn, suffix);
}
