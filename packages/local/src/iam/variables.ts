import type { RequestContext } from './conditions.js';
import { LITERAL_QUESTION, LITERAL_STAR } from './match.js';
import type { PolicyStatement } from './policy.js';

// Policy variables (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).

/**
 * A policy string with its variables replaced (`${aws:PrincipalAccount}`, `${aws:userid}`,
 * `${aws:username, 'default'}`; `${*}`, `${?}`, `${$}` for the characters): undefined when a
 * variable has no value and no default, as then the element does not match
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
 */
export function withVariables(text: string, context: RequestContext): string | undefined {
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
export function conditionWithVariables(
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
