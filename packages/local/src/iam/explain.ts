import type { RequestContext } from './conditions.js';
import type { AccessDecision, PolicyVerdict, Verdict } from './evaluate.js';
import { type PolicyDocument, statementsOf } from './policy.js';

// A decision's explanation, in IAM's vocabulary: read for decision records only, never on the way to an answer.

/** What an explanation needs besides the verdicts. */
export interface ExplainFacts {
  /** The VPC endpoint's policy (when the request came through one) allows the caller. */
  endpointAllows: boolean;
  sameAccount: boolean;
  /** The caller belongs to no account (anonymous, an AWS service): only a resource-based policy can allow it. */
  accountless: boolean;
  boundary: Verdict;
  session: Verdict;
  scpAllows: boolean;
  /** False when a role's trust policy allows neither the caller nor its account. */
  trusted: boolean;
  hasResourcePolicy: boolean;
  /** The identity-based policy is a Lambda authorizer's answer: it or the resource policy may allow. */
  authorizerAnswer: boolean;
}

/**
 * The condition keys and policy variables the documents refer to, as written, sorted: the only
 * request-context keys a decision on them can depend on.
 */
export function referencedKeys(documents: PolicyDocument[]): string[] {
  const keys = new Set<string>();
  for (const statement of documents.flatMap(statementsOf)) {
    for (const pairs of Object.values(statement.Condition ?? {})) for (const key of Object.keys(pairs)) keys.add(key);
    for (const [, key] of JSON.stringify(statement).matchAll(/\$\{([^},]+)[^}]*\}/g))
      if (key && !['*', '?', '$'].includes(key)) keys.add(key.trim());
  }
  return [...keys].sort();
}

/** The condition keys and policy variables the documents refer to, with the request's values (null: absent). */
export function keysUsed(
  documents: PolicyDocument[],
  context: RequestContext,
): Record<string, string | string[] | null> {
  return Object.fromEntries(referencedKeys(documents).map((key) => [key, context[key.toLowerCase()] ?? null]));
}

const KIND_WORDS: Record<PolicyVerdict['kind'], string> = {
  identity: 'an identity-based policy',
  resource: 'a resource-based policy',
  boundary: 'a permissions boundary',
  scp: 'a service control policy',
  session: 'a session policy',
  endpoint: 'a VPC endpoint policy',
};

/** `Stack/Policy statement "Sid"`, with why it misses when it says nothing. */
const cite = (record: PolicyVerdict) =>
  `${record.source}${record.statement === undefined ? '' : ` statement ${/^\d+$/.test(record.statement) ? `#${record.statement}` : JSON.stringify(record.statement)}`}${record.miss ? ` ${record.miss}` : ''}`;

/** The one-line reason of a decision, in IAM's vocabulary, naming the policy and statement to look at. */
export function explain(decision: Omit<AccessDecision, 'reason' | 'keys'>, facts: ExplainFacts): string {
  const { policies } = decision;
  const of = (kind: PolicyVerdict['kind']) => policies.filter((record) => record.kind === kind);
  const first = (kind: PolicyVerdict['kind'], verdict: Verdict) => of(kind).find((r) => r.verdict === verdict);
  const nearest = (kind: PolicyVerdict['kind']) => {
    const near = of(kind).find((record) => record.miss);
    return near ? ` (${cite(near)})` : '';
  };
  if (decision.explicitDeny) {
    const deny = policies.find((record) => record.verdict === 'deny');
    return deny ? `explicit deny in ${KIND_WORDS[deny.kind]} (${cite(deny)})` : 'explicit deny';
  }
  if (decision.allowed) {
    const grants = [first('identity', 'allow'), first('resource', 'allow') ?? first('resource', 'delegated')]
      .filter((record): record is PolicyVerdict => record !== undefined)
      .filter((record) => !facts.sameAccount || record.kind === 'identity' || decision.identity !== 'allow');
    return `allowed by ${grants.map(cite).join(' and ')}`;
  }
  if (!facts.endpointAllows) return `the VPC endpoint policy does not allow it${nearest('endpoint')}`;
  if (!facts.scpAllows) return `no service control policy allows it${nearest('scp')}`;
  if (facts.authorizerAnswer)
    return `the Lambda authorizer's policy does not allow it${nearest('identity')}${facts.hasResourcePolicy ? `; nor does the resource-based policy${nearest('resource')}` : ''}`;
  if (facts.accountless)
    return facts.hasResourcePolicy
      ? `only a resource-based policy can allow a caller of no account, and it does not${nearest('resource')}`
      : 'only a resource-based policy can allow a caller of no account, and there is none';
  if (!facts.trusted) return `the role's trust policy does not allow the caller${nearest('resource')}`;
  if (decision.notAllowedBy === 'boundary') return `the permissions boundary does not allow it${nearest('boundary')}`;
  if (decision.notAllowedBy === 'session') return `the session policies do not allow it${nearest('session')}`;
  const noIdentity = `no identity-based policy allows it${nearest('identity')}`;
  const noResource = facts.hasResourcePolicy
    ? `no resource-based policy allows it${nearest('resource')}`
    : 'it has no resource-based policy to allow a caller of another account';
  if (facts.sameAccount) {
    // Only an action that needs both (sts:SetSourceIdentity in role chaining) gets here with a resource allow.
    if (decision.resource === 'allow')
      return `${noIdentity}, which this action needs beside the resource-based policy's allow`;
    const delegating = first('resource', 'delegated');
    if (delegating)
      return `${noIdentity}; the resource-based policy (${cite(delegating)}) names only the caller's account, which leaves it to identity-based policies`;
    return facts.hasResourcePolicy
      ? `${noIdentity}; nor does the resource-based policy${nearest('resource')}`
      : noIdentity;
  }
  if (decision.identity !== 'allow' && decision.resource !== 'allow' && decision.resource !== 'delegated')
    return `across accounts both must allow: ${noIdentity}; ${noResource}`;
  return `across accounts both must allow: ${decision.identity === 'allow' ? noResource : noIdentity}`;
}
