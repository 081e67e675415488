import { BlockList, isIPv4 } from 'node:net';
import { arnMatch, wildcardMatch } from './match.js';

/** Condition keys of one request, by lower-case name (`aws:principalaccount`). */
export type RequestContext = Record<string, string | undefined>;

type Test = (values: string[], actual: string) => boolean;

const anyOf =
  (match: (expected: string, actual: string) => boolean): Test =>
  (values, actual) =>
    values.some((expected) => match(expected, actual));

function inCidr(cidr: string, ip: string): boolean {
  const [address = '', bits] = cidr.split('/');
  const type = isIPv4(address) ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  const prefix = Number(bits ?? (type === 'ipv4' ? 32 : 128));
  try {
    list.addSubnet(address, prefix, type);
    const plain = ip.replace(/^::ffff:/, '');
    return list.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
}

const POSITIVE: Record<string, Test> = {
  StringEquals: anyOf((e, a) => e === a),
  StringEqualsIgnoreCase: anyOf((e, a) => e.toLowerCase() === a.toLowerCase()),
  StringLike: anyOf((e, a) => wildcardMatch(e, a)),
  ArnEquals: anyOf((e, a) => e === a),
  ArnLike: anyOf((e, a) => arnMatch(e, a)),
  IpAddress: anyOf((e, a) => inCidr(e, a)),
  Bool: anyOf((e, a) => e.toLowerCase() === a.toLowerCase()),
};

// A negated operator holds when none of the values match, and when the key is absent.
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NotIpAddress: 'IpAddress',
};

function operatorHolds(operator: string, key: string, expected: string[], context: RequestContext): boolean {
  const actual = context[key.toLowerCase()];
  if (operator === 'Null') return expected.some((e) => (e.toLowerCase() === 'true') === (actual === undefined));
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  const negatedOf = NEGATED[base];
  if (actual === undefined) return ifExists || negatedOf !== undefined;
  const test = POSITIVE[negatedOf ?? base];
  if (!test) return false; // unknown operators are refused when policies are loaded; fail closed here
  return negatedOf ? !test(expected, actual) : test(expected, actual);
}

/**
 * Whether every condition of a statement holds for the request: every operator, every key
 * (AND); any of a key's values (OR), as IAM evaluates them.
 *
 * @example
 * ```ts
 * conditionsHold({ StringEquals: { 'aws:PrincipalAccount': '111111111111' } }, { 'aws:principalaccount': '111111111111' });
 * ```
 */
export function conditionsHold(
  condition: Record<string, Record<string, unknown>> | undefined,
  context: RequestContext,
): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      const expected = (Array.isArray(value) ? value : [value]).map(String);
      if (!operatorHolds(operator, key, expected, context)) return false;
    }
  }
  return true;
}
