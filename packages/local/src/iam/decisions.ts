import type { AccessDecision, PolicyVerdict } from './evaluate.js';

/** Which door a request came through. */
export type DecisionKind = 'rest' | 'functionUrl' | 'httpApi' | 'invoke' | 'sts';

/**
 * One authorization the local stack made, as `serve --decisions <file>` writes it (one JSON
 * line each) and `serve` explains it on stderr. Never a key, token, signature or header.
 */
export interface DecisionRecord {
  time: string;
  allowed: boolean;
  kind: DecisionKind;
  /** The caller's name in the state file (`requestor`, `outsider`), `anonymous` when unsigned. */
  principal: string;
  /** The caller's ARN. */
  caller: string;
  action: string;
  resource: string;
  /** What was asked, as a person reads it: `GET /prod/items`, `Invoke hello-world`, `AssumeRole api-caller`. */
  endpoint: string;
  /** One line, in IAM's vocabulary, naming the policy and statement to look at. */
  reason: string;
  policies: {
    kind: PolicyVerdict['kind'] | 'trust';
    source: string;
    verdict: 'allow' | 'deny' | 'silent';
    statement?: string | undefined;
    miss?: string | undefined;
  }[];
  /** The request-context keys the policies' conditions refer to, and their values. */
  context: Record<string, string | string[] | null>;
  /** Not a refusal but a failure: a 5xx (a function error, a timeout, a misconfiguration). @default false */
  failed?: boolean | undefined;
}

/** Receives every decision as it is made. */
export type DecisionSink = (record: DecisionRecord) => void;

/** The record of a decision; `trust` marks a role's trust policy. */
export function decisionRecord(
  decision: AccessDecision,
  facts: Pick<DecisionRecord, 'kind' | 'principal' | 'caller' | 'action' | 'resource' | 'endpoint'> & {
    trustPolicy?: boolean;
  },
): DecisionRecord {
  const { trustPolicy, ...rest } = facts;
  return {
    time: new Date().toISOString(),
    allowed: decision.allowed,
    ...rest,
    reason: decision.reason,
    policies: decision.policies.map((policy) => ({
      kind: trustPolicy && policy.kind === 'resource' ? 'trust' : policy.kind,
      source: policy.source,
      // A statement naming the caller's account allows it, provided the account's own policy does.
      verdict: policy.verdict === 'delegated' ? 'allow' : policy.verdict,
      ...(policy.statement === undefined ? {} : { statement: policy.statement }),
      ...(policy.miss === undefined ? {} : { miss: policy.miss }),
    })),
    context: decision.keys,
  };
}

/** `DENY requestor → GET /prod/items: <reason>` (or ALLOW, or FAIL for a failure), the line `serve` prints on stderr. */
export const decisionLine = (record: DecisionRecord): string =>
  `${record.allowed ? 'ALLOW' : record.failed ? 'FAIL' : 'DENY'} ${record.principal} → ${record.endpoint}: ${record.reason}`;
