import { BlockList, isIPv4 } from 'node:net';
import { arnMatch, wildcardMatch } from './match.js';

/** Condition keys of one request, by lower-case name (`aws:principalaccount`); multivalued keys are lists. */
export type RequestContext = Record<string, string | string[] | undefined>;

/** Whether one expected value of a condition matches one value of the request. */
type Match = (expected: string, actual: string) => boolean;

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

/** A number, or NaN (which compares false with everything, as IAM fails such a condition). */
const numeric = (text: string): number => (/^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN);

/** IAM dates: ISO 8601 (`2026-11-25T12:00:00Z`, `2026-11-25`) or epoch seconds. */
function date(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  return Date.parse(text);
}

const compare =
  (parse: (text: string) => number, holds: (a: number, b: number) => boolean): Match =>
  (expected, actual) =>
    holds(parse(actual), parse(expected));

// The positive operators; IAM documents each (Condition operators, IAM JSON policy reference).
const POSITIVE: Record<string, Match> = {
  StringEquals: (e, a) => e === a,
  StringEqualsIgnoreCase: (e, a) => e.toLowerCase() === a.toLowerCase(),
  StringLike: (e, a) => wildcardMatch(e, a),
  // ArnEquals behaves like ArnLike: both take `*` and `?` within each ARN segment.
  ArnEquals: (e, a) => arnMatch(e, a),
  ArnLike: (e, a) => arnMatch(e, a),
  IpAddress: (e, a) => inCidr(e, a),
  Bool: (e, a) => e.toLowerCase() === a.toLowerCase(),
  BinaryEquals: (e, a) => e === a,
  NumericEquals: compare(numeric, (a, e) => a === e),
  NumericLessThan: compare(numeric, (a, e) => a < e),
  NumericLessThanEquals: compare(numeric, (a, e) => a <= e),
  NumericGreaterThan: compare(numeric, (a, e) => a > e),
  NumericGreaterThanEquals: compare(numeric, (a, e) => a >= e),
  DateEquals: compare(date, (a, e) => a === e),
  DateLessThan: compare(date, (a, e) => a < e),
  DateLessThanEquals: compare(date, (a, e) => a <= e),
  DateGreaterThan: compare(date, (a, e) => a > e),
  DateGreaterThanEquals: compare(date, (a, e) => a >= e),
};

// A negated operator holds when none of the values match, and when the key is absent.
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NotIpAddress: 'IpAddress',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
};

const SET_PREFIXES = ['ForAnyValue:', 'ForAllValues:'] as const;

/** Every operator the evaluator knows, with and without `IfExists` and the set prefixes. */
export const CONDITION_OPERATORS: ReadonlySet<string> = new Set(
  [...Object.keys(POSITIVE), ...Object.keys(NEGATED)]
    .flatMap((op) => [op, `${op}IfExists`])
    .flatMap((op) => [op, ...SET_PREFIXES.map((prefix) => `${prefix}${op}`)])
    .concat('Null'),
);

function operatorHolds(operator: string, key: string, expected: string[], context: RequestContext): boolean {
  const raw = context[key.toLowerCase()];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (operator === 'Null') return expected.some((e) => (e.toLowerCase() === 'true') === (raw === undefined));
  const prefix = SET_PREFIXES.find((candidate) => operator.startsWith(candidate));
  const unprefixed = prefix ? operator.slice(prefix.length) : operator;
  const ifExists = unprefixed.endsWith('IfExists');
  const base = ifExists ? unprefixed.slice(0, -'IfExists'.length) : unprefixed;
  const negatedOf = NEGATED[base];
  const test = POSITIVE[negatedOf ?? base];
  if (!test) return false; // unknown operators are refused when policies are loaded; fail closed here
  const holdsFor = (actual: string) => {
    const matched = expected.some((e) => test(e, actual));
    return negatedOf ? !matched : matched;
  };
  // ForAllValues: every value of the request matches (true when there is none);
  // ForAnyValue: at least one does (false when there is none).
  if (prefix === 'ForAllValues:') return values.every(holdsFor);
  if (prefix === 'ForAnyValue:') return values.some(holdsFor);
  if (values.length === 0) return ifExists || negatedOf !== undefined;
  return values.some(holdsFor);
}

/**
 * Whether every condition of a statement holds for the request: every operator, every key
 * (AND); any of a key's values (OR), as IAM evaluates them; `ForAllValues:` / `ForAnyValue:`
 * over multivalued keys.
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

/** A condition pair that does not hold: what the policy expects and what the request had. */
export interface FailedCondition {
  operator: string;
  key: string;
  expected: string[];
  /** The request's value(s) of the key; undefined when it has none. */
  seen: string | string[] | undefined;
}

/** The first operator and key of a statement's condition that does not hold; undefined when all do. */
export function failingCondition(
  condition: Record<string, Record<string, unknown>> | undefined,
  context: RequestContext,
): FailedCondition | undefined {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      const expected = (Array.isArray(value) ? value : [value]).map(String);
      if (!operatorHolds(operator, key, expected, context))
        return { operator, key, expected, seen: context[key.toLowerCase()] };
    }
  }
  return undefined;
}
