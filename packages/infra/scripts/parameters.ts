import { API_PARAMETERS, REQUESTOR_PARAMETERS, STACK_NAMES } from '../src/stacks.js';

/**
 * `--parameters` arguments for `stack`, each parameter from the output of the same name of
 * `from`. A missing output is an error naming it and where it was looked for.
 */
function parameterArgs(
  stack: string,
  names: readonly string[],
  from: string,
  outputs: Record<string, string | undefined>,
  source: string,
): string[] {
  const missing = names.filter((name) => !outputs[name]);
  if (missing.length > 0) {
    throw new Error(`${from} has no ${missing.join(', ')} output in ${source}.`);
  }
  return names.flatMap((name) => ['--parameters', `${stack}:${name}=${outputs[name]}`]);
}

/**
 * The requestor stack's `--parameters` arguments in two accounts, each from the API stack's
 * output of the same name (`names`: all of {@link REQUESTOR_PARAMETERS}, or only `ApiId` with
 * `private`). A missing output is an error naming it and where it was looked for.
 *
 * @example
 * ```ts
 * requestorParameterArgs({ ApiId: 'a1b2c3d4e5', ... }, 'cdk.out/outputs-api.json');
 * // → ['--parameters', 'IamM2mRequestor:ApiId=a1b2c3d4e5', ...]
 * ```
 */
export function requestorParameterArgs(
  apiOutputs: Record<string, string | undefined>,
  source: string,
  names: readonly string[] = Object.keys(REQUESTOR_PARAMETERS),
): string[] {
  return parameterArgs(STACK_NAMES.requestor, names, STACK_NAMES.api, apiOutputs, source);
}

/**
 * The API stack's `--parameters` arguments in two accounts with `private`: the requestor's
 * endpoint id ({@link API_PARAMETERS}), from the requestor stack's output of the same name.
 *
 * @example
 * ```ts
 * apiParameterArgs({ RequestorVpcEndpointId: 'vpce-0123456789abcdef0' }, 'cdk.out/outputs-requestor.json');
 * // → ['--parameters', 'IamM2mApi:RequestorVpcEndpointId=vpce-0123456789abcdef0']
 * ```
 */
export function apiParameterArgs(requestorOutputs: Record<string, string | undefined>, source: string): string[] {
  return parameterArgs(STACK_NAMES.api, Object.keys(API_PARAMETERS), STACK_NAMES.requestor, requestorOutputs, source);
}
