import { REQUESTOR_PARAMETERS, STACK_NAMES } from '../src/stacks.js';

/**
 * The requestor stack's `--parameters` arguments in two accounts, each from the API stack's
 * output of the same name. A missing output is an error naming it and where it was looked for.
 *
 * @example
 * ```ts
 * requestorParameterArgs({ ApiId: 'a1b2c3d4e5', ... }, 'cdk.out/outputs-api.json');
 * // → ['--parameters', 'IamM2mRequestor:ApiId=a1b2c3d4e5', ...]
 * ```
 */
export function requestorParameterArgs(apiOutputs: Record<string, string | undefined>, source: string): string[] {
  const names = Object.keys(REQUESTOR_PARAMETERS);
  const missing = names.filter((name) => !apiOutputs[name]);
  if (missing.length > 0) {
    throw new Error(`${STACK_NAMES.api} has no ${missing.join(', ')} output in ${source}.`);
  }
  return names.flatMap((name) => ['--parameters', `${STACK_NAMES.requestor}:${name}=${apiOutputs[name]}`]);
}
