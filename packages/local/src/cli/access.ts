import { writeFileSync } from 'node:fs';
import { accessOf, accessText } from '../access.js';
import { accessHtml } from '../console/report.js';
import { type PrincipalReport, policyReportText } from '../iam/policy-report.js';
import { APP_OPTIONS, appInputs, DEFAULT_ASSEMBLY_OPTION } from './apps.js';
import { readDecisions } from './decisions.js';
import { fail, failFor } from './fail.js';
import { type CommandSpec, parseCommandArgs } from './options.js';

/** `access`'s usage and options: the table its arguments are read with and its help is written from. */
export const ACCESS = {
  name: 'access',
  summary: 'prints who can call what, from the assembly alone, without starting anything',
  usage:
    '[--app <dir> … | --assembly <dir> …] [--parameters <Stack>:<Key>=<Value> …] [--account <12 digits>] [--json | --html <file>] [--decisions <file>]',
  description:
    'Every principal (and an outsider) against every IAM-authorized endpoint: REST methods, function URLs, HTTP API routes and functions, ' +
    'allowed or denied with the one-line reason, decided by the same code that serves them.',
  options: {
    ...APP_OPTIONS,
    ...DEFAULT_ASSEMBLY_OPTION,
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
    decisions: {
      type: 'string',
      value: '<file>',
      help: "a run's decisions (serve --decisions <file>): add the least privilege it needed per principal, and the grants broader than that",
      defaultHelp: 'none',
    },
    html: {
      type: 'string',
      value: '<file>',
      help: 'write the matrix as one self-contained HTML page (no network requests), for a CI run or a pull request',
      defaultHelp: 'none',
    },
  },
  examples: [
    'iam-m2m-local access --app .',
    'iam-m2m-local access --assembly cdk.out --json',
    'iam-m2m-local access --app . --html access.html',
    'iam-m2m-local access --app . --html access.html --decisions decisions.jsonl',
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
  let leastPrivilege: { file: string; reports: PrincipalReport[] } | undefined;
  if (values.decisions !== undefined) {
    try {
      leastPrivilege = { file: values.decisions, reports: matrix.leastPrivilege(readDecisions(values.decisions)) };
    } catch (error) {
      return fail((error as Error).message);
    }
  }
  if (values.html !== undefined) {
    writeReport(values.html, accessHtml(matrix, { generatedAt: new Date(), sources: assemblies, leastPrivilege }));
    process.stderr.write(
      `iam-m2m-local: wrote who can call what to ${values.html} (${matrix.principals.length} principals, ${new Set(matrix.cells.map((cell) => cell.endpoint)).size} endpoints)\n`,
    );
    return;
  }
  // The JSON keys CONTRACT.md names, and no others.
  const cells = matrix.cells.map(({ principal, endpoint, kind, allowed, reason }) => ({
    principal,
    endpoint,
    kind,
    allowed,
    reason,
  }));
  process.stdout.write(values.json ? `${JSON.stringify(cells, null, 2)}\n` : accessText(matrix));
  if (leastPrivilege && !values.json) process.stdout.write(`\n${policyReportText(leastPrivilege.reports)}`);
}

/** Writes the report, or one line naming the file and why not. */
function writeReport(file: string, html: string): void {
  try {
    writeFileSync(file, html);
  } catch (error) {
    fail(`--html ${file}: cannot write it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
