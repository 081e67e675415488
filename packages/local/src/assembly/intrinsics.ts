/** Thrown for what a template references but the local stack cannot know; named for the report. */
export class UnresolvedError extends Error {
  public constructor(what: string) {
    super(`cannot resolve ${what}`);
    this.name = 'UnresolvedError';
  }
}

/** What `Ref` and `Fn::GetAtt` resolve to in one stack. */
export interface ResolutionScope {
  stackName: string;
  accountId: string;
  region: string;
  /** Logical id → value of `Ref` (resources and parameters). */
  refs: Map<string, string>;
  /** `LogicalId.Attribute` → value of `Fn::GetAtt`. */
  attributes: Map<string, string>;
}

const PSEUDO: Record<string, (scope: ResolutionScope) => string> = {
  'AWS::AccountId': (s) => s.accountId,
  'AWS::Region': (s) => s.region,
  'AWS::Partition': () => 'aws',
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': (s) => s.stackName,
  'AWS::StackId': (s) => `arn:aws:cloudformation:${s.region}:${s.accountId}:stack/${s.stackName}/local`,
};

function ref(name: string, scope: ResolutionScope): string {
  const pseudo = PSEUDO[name];
  if (pseudo) return pseudo(scope);
  const value = scope.refs.get(name);
  if (value === undefined) throw new UnresolvedError(`Ref ${name} in ${scope.stackName}`);
  return value;
}

function getAtt(target: unknown, scope: ResolutionScope): string {
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
  return String(template).replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
    if (name in values) return values[name] ?? '';
    if (name.includes('.')) return getAtt(name, scope);
    return ref(name, scope);
  });
}

/**
 * Resolves the intrinsic functions CDK emits (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`,
 * `Fn::Select`, `Fn::Split`, pseudo parameters) in a template value, deeply.
 *
 * @throws {UnresolvedError} naming the first reference it cannot resolve, or an unsupported function.
 *
 * @example
 * ```ts
 * resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::b']] }, scope); // 'arn:aws:s3:::b'
 * ```
 */
export function resolve(value: unknown, scope: ResolutionScope): unknown {
  if (Array.isArray(value)) return value.map((item) => resolve(item, scope));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    const [name, argument] = first;
    switch (name) {
      case 'Ref':
        return ref(String(argument), scope);
      case 'Fn::GetAtt':
        return getAtt(argument, scope);
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return (resolve(parts, scope) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Sub':
        return sub(argument, scope);
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        const items = resolve(list, scope) as unknown[];
        const item = items[Number(resolve(index, scope))];
        if (item === undefined) throw new UnresolvedError(`Fn::Select index out of range in ${scope.stackName}`);
        return item;
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return String(resolve(text, scope)).split(separator);
      }
      default:
        throw new UnresolvedError(`${name} in ${scope.stackName} (not supported locally)`);
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolve(item, scope)]));
}
