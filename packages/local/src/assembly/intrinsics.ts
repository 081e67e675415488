/** Thrown for what a template references but the local stack cannot know; named for the report. */
export class UnresolvedError extends Error {
  public constructor(
    what: string,
    /** The whole line for the report, when the reference is one the user sets (a parameter without a value). */
    public readonly line?: string,
  ) {
    super(`cannot resolve ${what}`);
    this.name = 'UnresolvedError';
  }
}

/** What `Ref`, `Fn::GetAtt`, `Fn::ImportValue` and conditions resolve to in one stack. */
export interface ResolutionScope {
  stackName: string;
  accountId: string;
  region: string;
  /** Logical id → value of `Ref` (resources and parameters). */
  refs: Map<string, string>;
  /** `LogicalId.Attribute` → value of `Fn::GetAtt` (a list for list attributes such as `DnsEntries`). */
  attributes: Map<string, string | string[]>;
  /** Exports of the stacks deployed before this one, by `<account>/<region>/<export name>`. @default none */
  exports?: Map<string, string>;
  /** The template's `Conditions` section. @default none */
  conditions?: Record<string, unknown>;
  /** Parameters left without a value, with the line saying how to give one. @default none */
  unset?: Map<string, string>;
  /** The template's `Mappings` section. @default none */
  mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

/** What `Ref: AWS::NoValue` resolves to: the property or list item disappears. */
const NO_VALUE = Symbol('AWS::NoValue');

const PSEUDO: Record<string, (scope: ResolutionScope) => string> = {
  'AWS::AccountId': (s) => s.accountId,
  'AWS::Region': (s) => s.region,
  'AWS::Partition': (s) => partitionOf(s.region),
  'AWS::URLSuffix': (s) => (s.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'),
  'AWS::StackName': (s) => s.stackName,
  'AWS::StackId': (s) =>
    `arn:${partitionOf(s.region)}:cloudformation:${s.region}:${s.accountId}:stack/${s.stackName}/local`,
  'AWS::NotificationARNs': () => '',
};

/** The partition of a region: `aws`, `aws-cn` or `aws-us-gov`. */
export const partitionOf = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

function ref(name: string, scope: ResolutionScope): string | typeof NO_VALUE {
  if (name === 'AWS::NoValue') return NO_VALUE;
  const pseudo = PSEUDO[name];
  if (pseudo) return pseudo(scope);
  const value = scope.refs.get(name);
  const unset = scope.unset?.get(name);
  if (value === undefined && unset) throw new UnresolvedError(`Ref ${name} in ${scope.stackName}`, unset);
  if (value === undefined)
    throw new UnresolvedError(`Ref ${name} in ${scope.stackName} (a parameter without a default, or no such resource)`);
  return value;
}

function getAtt(target: unknown, scope: ResolutionScope): string | string[] {
  const [logicalId, attribute] = typeof target === 'string' ? target.split(/\.(.*)/s) : (target as string[]);
  const key = `${logicalId}.${attribute}`;
  const value = scope.attributes.get(key);
  if (value === undefined) throw new UnresolvedError(`Fn::GetAtt ${key} in ${scope.stackName}`);
  return value;
}

function sub(argument: unknown, scope: ResolutionScope): string {
  const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
  const values = Object.fromEntries(
    Object.entries((variables ?? {}) as Record<string, unknown>).map(([name, value]) => [
      name,
      String(resolve(value, scope)),
    ]),
  );
  // `${!Literal}` is written out as `${Literal}`.
  return String(template).replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in values) return values[name] ?? '';
    if (name.includes('.')) return String(getAtt(name, scope));
    const value = ref(name, scope);
    return typeof value === 'string' ? value : '';
  });
}

/**
 * The value of a named condition of the template's `Conditions` section (`Fn::Equals`,
 * `Fn::Not`, `Fn::And`, `Fn::Or`, `{ Condition: name }`).
 *
 * @throws {UnresolvedError} for an unknown condition name.
 */
export function conditionHolds(name: string, scope: ResolutionScope): boolean {
  const definition = scope.conditions?.[name];
  if (definition === undefined) throw new UnresolvedError(`condition ${name} in ${scope.stackName} (not defined)`);
  return booleanOf(definition, scope);
}

function booleanOf(value: unknown, scope: ResolutionScope): boolean {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const [entry] = Object.entries(value);
    if (entry?.[0] === 'Condition' && typeof entry[1] === 'string') return conditionHolds(entry[1], scope);
  }
  const resolved = resolve(value, scope);
  if (typeof resolved === 'boolean') return resolved;
  if (resolved === 'true' || resolved === 'false') return resolved === 'true';
  throw new UnresolvedError(`condition value ${JSON.stringify(value)} in ${scope.stackName}`);
}

function findInMap(argument: unknown, scope: ResolutionScope): unknown {
  const [map, first, second] = (resolve(argument, scope) as unknown[]).map(String);
  const value = scope.mappings?.[map ?? '']?.[first ?? '']?.[second ?? ''];
  if (value === undefined) throw new UnresolvedError(`Fn::FindInMap ${map}/${first}/${second} in ${scope.stackName}`);
  return value;
}

function importValue(argument: unknown, scope: ResolutionScope): string {
  const name = String(resolve(argument, scope));
  // Exports are per account and region: an import reads its own account's and region's.
  const value = scope.exports?.get(`${scope.accountId}/${scope.region}/${name}`);
  if (value === undefined) {
    throw new UnresolvedError(
      `Fn::ImportValue ${name} in ${scope.stackName}: no stack of the assembly deployed before it exports that name`,
    );
  }
  return value;
}

const FUNCTIONS: Record<string, (argument: unknown, scope: ResolutionScope) => unknown> = {
  Ref: (argument, scope) => ref(String(argument), scope),
  'Fn::GetAtt': getAtt,
  'Fn::Join': (argument, scope) => {
    const [separator, parts] = argument as [string, unknown];
    return (resolve(parts, scope) as unknown[]).map(String).join(separator);
  },
  'Fn::Sub': sub,
  'Fn::Select': (argument, scope) => {
    const [index, list] = argument as [unknown, unknown];
    const item = (resolve(list, scope) as unknown[])[Number(resolve(index, scope))];
    if (item === undefined) throw new UnresolvedError(`Fn::Select index out of range in ${scope.stackName}`);
    return item;
  },
  'Fn::Split': (argument, scope) => {
    const [separator, text] = argument as [string, unknown];
    return String(resolve(text, scope)).split(separator);
  },
  'Fn::ImportValue': importValue,
  'Fn::If': (argument, scope) => {
    const [name, whenTrue, whenFalse] = argument as [string, unknown, unknown];
    return resolveValue(conditionHolds(name, scope) ? whenTrue : whenFalse, scope);
  },
  'Fn::Equals': (argument, scope) => {
    const [a, b] = resolve(argument, scope) as [unknown, unknown];
    return (
      JSON.stringify(a) === JSON.stringify(b) ||
      (typeof a !== 'object' && typeof b !== 'object' && String(a) === String(b))
    );
  },
  'Fn::Not': (argument, scope) => !booleanOf((argument as unknown[])[0], scope),
  'Fn::And': (argument, scope) => (argument as unknown[]).every((item) => booleanOf(item, scope)),
  'Fn::Or': (argument, scope) => (argument as unknown[]).some((item) => booleanOf(item, scope)),
  'Fn::FindInMap': findInMap,
  'Fn::Base64': (argument, scope) => Buffer.from(String(resolve(argument, scope)), 'utf8').toString('base64'),
  'Fn::GetAZs': (argument, scope) => {
    const region = String(resolve(argument, scope)) || scope.region;
    return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
  },
};

function resolveValue(value: unknown, scope: ResolutionScope): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, scope)).filter((item) => item !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    const run = FUNCTIONS[first[0]];
    if (!run) throw new UnresolvedError(`${first[0]} in ${scope.stackName} (not supported locally)`);
    return run(first[1], scope);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolveValue(item, scope);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/**
 * Resolves the intrinsic functions real templates use (`Ref` to resources, parameters and
 * pseudo parameters, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub` in both forms, `Fn::Select`,
 * `Fn::Split`, `Fn::ImportValue`, `Fn::If` with the template's conditions, `Fn::FindInMap`,
 * `Fn::Base64`, `Fn::GetAZs`) in a template value, deeply; `AWS::NoValue` removes its property.
 *
 * @throws {UnresolvedError} naming the first reference it cannot resolve, or an unsupported function.
 *
 * @example
 * ```ts
 * resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::b']] }, scope); // 'arn:aws:s3:::b'
 * ```
 */
export function resolve(value: unknown, scope: ResolutionScope): unknown {
  const resolved = resolveValue(value, scope);
  return resolved === NO_VALUE ? undefined : resolved;
}
