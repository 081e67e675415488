import { accessOf, accessText } from '../access.js';
import { APP_OPTIONS, appInputs } from './apps.js';
import { fail, failFor } from './fail.js';
import { type CommandSpec, parseCommandArgs } from './options.js';

/** `access`'s usage and options: the table its arguments are read with and its help is written from. */
export const ACCESS = {
  name: 'access',
  summary: 'prints who can call what, from the assembly alone, without starting anything',
  usage: '[--app <dir> … | --assembly <dir> …] [--parameters <Stack>:<Key>=<Value> …] [--account <12 digits>] [--json]',
  description:
    'Every principal (and an outsider) against every IAM-authorized endpoint: REST methods, function URLs, HTTP API routes and functions, ' +
    'allowed or denied with the one-line reason, decided by the same code that serves them.',
  options: {
    ...APP_OPTIONS,
    account: {
      type: 'string',
      value: '<12 digits>',
      help: 'the account of stacks whose environment names none',
      defaultHelp: '000000000000',
    },
    json: {
      type: 'boolean',
      help: 'print a JSON list of {principal, endpoint, kind, allowed, reason}',
      defaultHelp: 'a table',
    },
  },
  examples: [
    'iam-m2m-local access --app .',
    'iam-m2m-local access --assembly cdk.out --json',
    'iam-m2m-local access --app producer --app consumer --parameters-file parameters.json',
  ],
} satisfies CommandSpec;

/**
 * `iam-m2m-local access`: who can call what, from the assembly alone — every principal (and an
 * outsider) against every IAM-authorized endpoint, allowed or denied with the one-line reason.
 * See {@link ACCESS} for its options.
 */
export async function access(args: string[]): Promise<void> {
  const values = parseCommandArgs(ACCESS, args);
  if (values.account !== undefined && !/^\d{12}$/.test(values.account))
    fail(`--account must be 12 digits (an AWS account id), got ${JSON.stringify(values.account)}`);
  const { assemblies, parameters } = await appInputs(values);
  let matrix: ReturnType<typeof accessOf>;
  try {
    matrix = accessOf(assemblies, { defaultAccountId: values.account, parameters });
  } catch (error) {
    return failFor(error);
  }
  process.stdout.write(values.json ? `${JSON.stringify(matrix.cells, null, 2)}\n` : accessText(matrix));
}
