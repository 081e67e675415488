/** The caller, as the verifier and the assembly know it. */
export interface Principal {
  /** The caller's ARN, e.g. `arn:aws:sts::111111111111:assumed-role/requestor-role/requestor`. */
  arn: string;
  accountId: string;
  /** The IAM entity: the role ARN for an assumed role, else `arn`. */
  entityArn: string;
  /** Organization of the account, for `aws:PrincipalOrgID`. @default none */
  orgId?: string | undefined;
  /** `aws:userid`: `<role id>:<session name>` for an assumed role. @default none */
  userId?: string | undefined;
  /** `aws:PrincipalOrgPaths` (`o-…/r-…/ou-…/`). @default none */
  orgPaths?: string[] | undefined;
  /** Tags of the role or user (`aws:PrincipalTag/<key>`). @default none */
  tags?: Record<string, string> | undefined;
  /** An AWS service (`apigateway.amazonaws.com`, its `arn`): named by a policy's `Principal.Service`. */
  service?: boolean | undefined;
}

const escapeRegExp = (text: string) => text.replace(/[.+^${}()|[\]\\]/g, '\\$&');

/** What the policy variables `${*}` and `${?}` become: the characters themselves, not wildcards. */
export const LITERAL_STAR = '\uE000';
export const LITERAL_QUESTION = '\uE001';

/** Compiled patterns, by pattern and case rule: policies repeat the same few on every request. */
const compiled = new Map<string, RegExp>();

/** IAM wildcard match: `*` any run of characters, `?` any one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!/[*?\uE000\uE001]/.test(pattern))
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = compiled.get(key);
  if (regex === undefined) {
    const source = `^${escapeRegExp(pattern)
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')
      .replaceAll(LITERAL_STAR, '\\*')
      .replaceAll(LITERAL_QUESTION, '\\?')}$`;
    regex = new RegExp(source, ignoreCase ? 'is' : 's');
    if (compiled.size >= 10_000) compiled.clear();
    compiled.set(key, regex);
  }
  return regex.test(value);
}

/** `arn:partition:service:region:account:resource`, the resource part keeping its colons. */
function arnSegments(arn: string): string[] {
  const parts = arn.split(':');
  return parts.length > 6 ? [...parts.slice(0, 5), parts.slice(5).join(':')] : parts;
}

/**
 * ARN match with IAM's rules: wildcards stay inside their colon-separated segment, except
 * a `*` ending the pattern's last segment, which matches the rest of the ARN.
 */
export function arnMatch(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const patternParts = arnSegments(pattern);
  const arnParts = arnSegments(arn);
  for (let i = 0; i < patternParts.length; i++) {
    const part = patternParts[i] ?? '';
    if (i === patternParts.length - 1 && part.endsWith('*')) return wildcardMatch(part, arnParts.slice(i).join(':'));
    if (!wildcardMatch(part, arnParts[i] ?? '')) return false;
  }
  return patternParts.length === arnParts.length;
}

const ACCOUNT = /^\d{12}$/;
const ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

/** Whether one value of a policy's `Principal.AWS` names `principal`. */
export function principalMatches(value: string, principal: Principal): boolean {
  if (value === '*') return true;
  if (ACCOUNT.test(value)) return value === principal.accountId;
  const root = ROOT.exec(value);
  if (root) return root[1] === principal.accountId;
  return value === principal.arn || value === principal.entityArn;
}
