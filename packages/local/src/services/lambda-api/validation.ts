import { FUNCTION_NAME } from '../../assembly/function-reference.js';
import { AwsError } from '../../aws-error.js';

/** Invoke's `FunctionName` pattern, as Lambda prints it in a validation error. */
export const FUNCTION_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?';
/** Invoke's `Qualifier` pattern, as Lambda prints it. */
export const QUALIFIER_PATTERN = '\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+';
const QUALIFIER = /^(?:\$LATEST(?:\.PUBLISHED)?|[\w$-]+)$/;

/** Invoke's `FunctionName` (`NamespacedFunctionName`): 1 to 256 characters; the name alone is not held to 64. */
const MAX_NAME = 256;
/** Invoke's `Qualifier`: 1 to 128 characters. */
const MAX_QUALIFIER = 128;

/** One failed constraint, in the words of Lambda's validation. */
const violation = (value: string, member: string, constraint: string): string =>
  `Value '${value}' at '${member}' failed to satisfy constraint: Member ${constraint}`;

/** The constraints of one text member: its length, then its pattern. */
function violationsOf(value: string, member: string, max: number, pattern: [RegExp, string]): string[] {
  return [
    ...([...value].length > max ? [violation(value, member, `must have length less than or equal to ${max}`)] : []),
    ...(pattern[0].test(value)
      ? []
      : [violation(value, member, `must satisfy regular expression pattern: ${pattern[1]}`)]),
  ];
}

/**
 * Invoke's parameters checked as Lambda checks them before it looks for the function: the
 * `FunctionName` and the `Qualifier` against their length and pattern (API reference, Invoke),
 * every failure in one 400 `ValidationException` whose body is `{"message":…}` (Lambda's front
 * end writes no `Type`), `functionName` first as the request's members are ordered.
 *
 * @example
 * ```ts
 * invokeValidation('my-function!', undefined);
 * // AwsError 400 ValidationException: "1 validation error detected: Value 'my-function!' at 'functionName' failed to satisfy constraint: …"
 * invokeValidation('my-function', 'live'); // undefined
 * ```
 */
export function invokeValidation(functionName: string, qualifier: string | undefined): AwsError | undefined {
  const found = [
    ...violationsOf(functionName, 'functionName', MAX_NAME, [FUNCTION_NAME, FUNCTION_NAME_PATTERN]),
    ...(qualifier === undefined
      ? []
      : violationsOf(qualifier, 'qualifier', MAX_QUALIFIER, [QUALIFIER, QUALIFIER_PATTERN])),
  ];
  const n = found.length;
  if (n === 0) return undefined;
  return new AwsError(
    400,
    'ValidationException',
    `${n} validation error${n === 1 ? '' : 's'} detected: ${found.join('; ')}`,
  );
}
