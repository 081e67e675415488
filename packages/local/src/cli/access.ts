import { resolve } from 'node:path';
import { accessOf, accessText } from '../access.js';
import { fail, failFor, parseArgsOrFail } from './fail.js';

/**
 * `iam-m2m-local access --assembly <cdk.out> [--account <12 digits>] [--json]`: who can call
 * what, from the assembly alone — every principal (and an outsider) against every
 * IAM-authorized endpoint, allowed or denied with the one-line reason.
 */
export async function access(args: string[]): Promise<void> {
  const { values } = parseArgsOrFail({
    args,
    options: {
      assembly: { type: 'string', default: 'cdk.out' },
      account: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.account !== undefined && !/^\d{12}$/.test(values.account))
    fail(`--account must be 12 digits (an AWS account id), got ${JSON.stringify(values.account)}`);
  let matrix: ReturnType<typeof accessOf>;
  try {
    matrix = accessOf(resolve(values.assembly), { defaultAccountId: values.account });
  } catch (error) {
    return failFor(error);
  }
  process.stdout.write(values.json ? `${JSON.stringify(matrix.cells, null, 2)}\n` : accessText(matrix));
}
