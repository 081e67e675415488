import { CONDITION_OPERATORS } from './conditions.js';

/** An IAM policy statement, as written in a template. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: PrincipalElement;
  NotPrincipal?: PrincipalElement;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** `"*"` or `{ AWS: …, Service: … }`. */
export type PrincipalElement = '*' | Record<string, string | string[]>;

/** An IAM policy document. */
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** A policy and where it came from, for messages. */
export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}

export const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export const statementsOf = (document: PolicyDocument): PolicyStatement[] => asList(document.Statement);

/**
 * Checks what the evaluator relies on: an Effect, an Action or NotAction, known condition
 * operators. Returns the problems, each naming the policy and statement (empty when fine).
 */
export function policyProblems(policy: NamedPolicy): string[] {
  const problems: string[] = [];
  statementsOf(policy.document).forEach((statement, index) => {
    const where = `${policy.name} statement ${statement.Sid ?? index}`;
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
      problems.push(`${where}: Effect must be Allow or Deny`);
    if (!statement.Action && !statement.NotAction) problems.push(`${where}: no Action or NotAction`);
    for (const operator of Object.keys(statement.Condition ?? {})) {
      if (!CONDITION_OPERATORS.has(operator))
        problems.push(`${where}: condition operator ${operator} is not supported`);
    }
    for (const field of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
      for (const value of asList(statement[field])) {
        if (typeof value !== 'string')
          problems.push(`${where}: ${field} has an unresolved value ${JSON.stringify(value)}`);
      }
    }
  });
  return problems;
}

/** Where AWS documents that `NotPrincipal` does not go with `Allow`. */
const NOT_PRINCIPAL_PAGE =
  'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html';

/**
 * What a policy says that AWS would not honour as written, one line per statement, naming the
 * policy and the statement (its Sid, else its index): today a `NotPrincipal` with `Effect: Allow`,
 * which AWS does not support and which grants nothing here (empty when there is none).
 *
 * @example
 * ```ts
 * policyWarnings({ name: 'ApiStack/Api policy', document: { Statement: [{ Sid: 'X', Effect: 'Allow', NotPrincipal: { AWS: '111111111111' }, Action: '*', Resource: '*' }] } });
 * // ['ApiStack/Api policy statement "X": NotPrincipal with Allow is not supported by AWS (https://…); it grants nothing here']
 * ```
 */
export function policyWarnings(policy: NamedPolicy): string[] {
  return statementsOf(policy.document).flatMap((statement, index) =>
    statement.NotPrincipal !== undefined && statement.Effect === 'Allow'
      ? [
          `${policy.name} statement ${statement.Sid === undefined ? `#${index}` : JSON.stringify(statement.Sid)}: NotPrincipal with Allow is not supported by AWS (${NOT_PRINCIPAL_PAGE}); it grants nothing here`,
        ]
      : [],
  );
}
