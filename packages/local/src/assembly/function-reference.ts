/** A Lambda function as the Lambda API and CloudFormation name it. */
export interface FunctionReference {
  account: string;
  /** Only an ARN names one. */
  region?: string | undefined;
  name: string;
  /** A version or alias. */
  qualifier?: string | undefined;
}

/**
 * Lambda's pattern for a function's name in any of its forms (the API reference's `FunctionName`
 * pattern), anchored: `arn:<partition>:lambda:`, a region, a 12-digit account, `function:`, the
 * name, a version or alias; each part but the name optional. Its groups are how Lambda reads a
 * name: `arn:aws:lambda:us-east-1:111111111111:function` names the function `function`.
 */
export const FUNCTION_NAME =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(?<account>\d{12}):)?(?:function:)?(?<name>[\w.-]+)(?::(?<qualifier>\$LATEST(?:\.PUBLISHED)?|[\w-]+))?$/;

/**
 * Reads a function reference in any of Lambda's forms: `name`, `name:qualifier`, a partial ARN
 * (`account:function:name[:qualifier]`) or an ARN; a form without account is `defaultAccount`'s.
 * Text outside Lambda's pattern (a template's unresolved value) is read part by part.
 *
 * @example
 * ```ts
 * parseFunctionReference('123456789012:function:worker:live', '000000000000');
 * // { account: '123456789012', name: 'worker', qualifier: 'live' }
 * ```
 */
export function parseFunctionReference(text: string, defaultAccount: string): FunctionReference {
  const groups = FUNCTION_NAME.exec(text)?.groups;
  if (groups)
    return {
      region: groups.region,
      account: groups.account ?? defaultAccount,
      name: groups.name ?? '',
      qualifier: groups.qualifier,
    };
  const parts = text.split(':');
  if (text.startsWith('arn:'))
    return { region: parts[3], account: parts[4] ?? '', name: parts[6] ?? '', qualifier: parts[7] };
  if (parts[1] === 'function') return { account: parts[0] ?? '', name: parts[2] ?? '', qualifier: parts[3] };
  return { account: defaultAccount, name: parts[0] ?? '', qualifier: parts[1] };
}

/** Whether a reference names this function (any qualifier). */
export const namesFunction = (
  reference: FunctionReference,
  fn: { functionName: string; accountId: string; region: string },
): boolean =>
  reference.name === fn.functionName &&
  reference.account === fn.accountId &&
  (reference.region === undefined || reference.region === fn.region);

/** The version a qualifier runs (`$LATEST` when none), or undefined when the function has no such version or alias. */
export const versionOf = (qualifiers: Record<string, string>, qualifier: string | undefined): string | undefined => {
  const key = qualifier ?? '$LATEST';
  return Object.hasOwn(qualifiers, key) ? qualifiers[key] : undefined;
};
