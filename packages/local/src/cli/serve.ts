import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CONSOLE_PATH } from '../console/server.js';
import { readOrganization } from '../iam/organization.js';
import { policyReport, policyReportText } from '../iam/policy-report.js';
import { defaultSeedFile } from '../iam/seed.js';
import type { Environments } from '../lambda/environments.js';
import type { TraceSampling } from '../services/xray/sampling.js';
import { LocalStack } from '../stack.js';
import { APP_OPTIONS, type AppInputs, appForMissingAssembly, appInputs, DEFAULT_ASSEMBLY_OPTION } from './apps.js';
import { decisionOutputs } from './decisions.js';
import { fail, failFor } from './fail.js';
import { type CommandSpec, type OptionValues, parseCommandArgs } from './options.js';
import { watchAndReload } from './watch.js';

/** How often a served stack checks that whoever started it is still there. */
const PARENT_CHECK_MS = 250;

/** `serve`'s usage and options: the table its arguments are read with and its help is written from. */
export const SERVE = {
  name: 'serve',
  summary: "serves a CDK app's cloud assembly on 127.0.0.1 until SIGTERM or SIGINT",
  usage: '[--app <dir> … | --assembly <dir> …] [--parameters <Stack>:<Key>=<Value> …] [options]',
  description:
    'REST and HTTP APIs, function URLs, the Lambda Invoke API and STS, on one port: SigV4 verified and IAM evaluated as AWS does. ' +
    'Once it accepts requests, it writes the state file (endpoints, principals and their credentials) and prints where; ' +
    'then one line per denied request. It also stops when the process that started it ends.',
  options: {
    ...APP_OPTIONS,
    ...DEFAULT_ASSEMBLY_OPTION,
    port: {
      type: 'string',
      value: '<P>',
      help: 'the port of every API, function URL and the Lambda Invoke API',
      default: '0',
      defaultHelp: 'any free port',
    },
    state: {
      type: 'string',
      value: '<file>',
      help: 'where the state file goes',
      defaultHelp: '<app>/.iam-m2m-local/state.json with --app, else .iam-m2m-local/state.json beside the assembly',
    },
    account: {
      type: 'string',
      value: '<12 digits>',
      help: 'the account of stacks whose environment names none',
      defaultHelp: '000000000000',
    },
    org: {
      type: 'string',
      value: '<o-…>',
      help: 'the AWS Organizations id of every account of the app, for aws:PrincipalOrgID',
      defaultHelp: 'none',
    },
    organization: {
      type: 'string',
      value: '<file>',
      help: 'the organization in full (JSON: accounts, organizational units, service control policies)',
      defaultHelp: 'none',
    },
    fresh: {
      type: 'boolean',
      help: 'new credentials for every principal (a new seed)',
      defaultHelp: 'the same credentials on every start',
    },
    watch: {
      type: 'boolean',
      help: "synthesize again and reload on each change of the app's sources, without a restart (with --app, or an assembly beside a cdk.json)",
    },
    explain: { type: 'boolean', help: 'print every decision on stderr, not only denials' },
    console: {
      type: 'boolean',
      help: 'serve the console on the same port (its URL printed): each decision as it is made, and who can call what',
    },
    decisions: {
      type: 'string',
      value: '<file>',
      help: 'write every authorization decision, one JSON line each',
      defaultHelp: 'none',
    },
    'policy-report': {
      type: 'string',
      value: '<file>',
      help: 'write the least privilege the run needed, per principal, when it stops',
      defaultHelp: 'none',
    },
    traces: {
      type: 'string',
      value: '<file>',
      help: 'write the X-Ray segment documents the functions send, one JSON line each',
      defaultHelp: 'none',
    },
    sampling: {
      type: 'string',
      value: '<all|aws>',
      help: "which requests without a sampling decision are traced: all, or AWS's default rule (the first each second, then 5 %)",
      defaultHelp: 'aws; all with --traces',
    },
    environments: {
      type: 'string',
      value: '<warm|per-request>',
      help: "a function's execution environments under concurrency: as many as the cores, reused warm (one more when calls wait and none came free for 50 ms), or one per concurrent call as Lambda scales",
      default: 'warm',
    },
  },
  examples: [
    'iam-m2m-local serve --app . --watch',
    'iam-m2m-local serve --app producer --app consumer --parameters Producer:ConsumerVpceId=vpce-0123456789abcdef0',
    'iam-m2m-local serve --assembly cdk.out --port 4566 --state state.json --decisions decisions.jsonl',
  ],
} satisfies CommandSpec;

type ServeValues = OptionValues<typeof SERVE.options>;

/**
 * `iam-m2m-local serve`: serves the assembly (or the app's synth) until SIGTERM or SIGINT,
 * printing one line per denied request (every decision with `--explain`), or until the process
 * that started it is gone (a package manager killed between the user and this process does not
 * pass signals on). See {@link SERVE} for its options.
 */
export async function serve(args: string[]): Promise<void> {
  const values = checked(parseCommandArgs(SERVE, args));
  const { firstApp, firstAssembly, served } = servedApps(values);
  const stateFile = resolve(values.state ?? defaultStateFile(firstApp, firstAssembly));
  const written = [values.decisions, values.traces, values['policy-report']].filter((file) => file !== undefined);
  const inputs = await appInputs({ ...values, ...served }, [stateFile, ...written]);
  const { sink, records } = decisionOutputs({
    explain: values.explain,
    file: values.decisions,
    keep: values['policy-report'] !== undefined,
  });
  const stack = await LocalStack.start({
    decisions: sink,
    organizationId: values.org,
    organization: values.organization === undefined ? undefined : readOrganizationOrFail(values.organization),
    fresh: values.fresh,
    assemblyDir: inputs.assemblies,
    parameters: inputs.parameters,
    ...(firstApp ? { seedFile: join(firstApp, '.iam-m2m-local', 'seed') } : {}),
    port: Number(values.port),
    defaultAccountId: values.account,
    tracesFile: values.traces === undefined ? undefined : resolve(values.traces),
    // Nobody reads a trace without --traces: sampled as AWS samples, at a fraction of the cost.
    traceSampling: (values.sampling ?? (values.traces === undefined ? 'aws' : 'all')) as TraceSampling,
    environments: values.environments as Environments,
    console: values.console,
  }).catch(failFor);
  mkdirSync(dirname(stateFile), { recursive: true, mode: 0o700 });
  stack.writeState(stateFile);
  process.stderr.write(`iam-m2m-local: serving ${stack.origin} (state in ${shown(stateFile)})\n`);
  if (stack.console) process.stderr.write(`iam-m2m-local: console: ${stack.origin}${CONSOLE_PATH}\n`);
  const watchers = values.watch ? await watchEach(stack, inputs, { stateFile, written }) : [];
  stopOnSignals(() => {
    for (const stop of watchers) stop();
    const report = values['policy-report'];
    if (report) {
      const reports = policyReport(records, stack.identities.all());
      writeFileSync(report, `${JSON.stringify(reports, null, 2)}\n`, { mode: 0o600 });
      process.stderr.write(policyReportText(reports));
    }
    return stack.close();
  });
}

/**
 * The apps and assemblies to serve: `--app` (synthesized), `--assembly`, else `--default-assembly`,
 * or the app beside it when it is missing; `--watch` without `--app` watches the app beside the
 * one assembly served (this repository's: ../infra).
 */
function servedApps(values: ServeValues) {
  const firstAssembly = resolve(values.assembly?.[0] ?? values['default-assembly']);
  const besideAssembly =
    values.app === undefined &&
    (values.assembly?.length ?? 0) <= 1 &&
    existsSync(join(dirname(firstAssembly), 'cdk.json'))
      ? dirname(firstAssembly)
      : undefined;
  const defaultMissing =
    values.app === undefined && values.assembly === undefined ? appForMissingAssembly(firstAssembly) : undefined;
  const firstApp = values.app?.[0] ? resolve(values.app[0]) : values.watch ? besideAssembly : defaultMissing;
  if (values.watch && !firstApp)
    fail('--watch needs --app <folder with cdk.json> (the app to synthesize again on changes)');
  if (values.watch && values.assembly !== undefined && values.app !== undefined)
    fail('--watch watches apps: give every app with --app, not --assembly');
  const served = {
    app: values.app ?? (firstApp ? [firstApp] : undefined),
    // --watch beside an assembly watches its app instead; otherwise apps and assemblies are served together.
    assembly: values.app ? values.assembly : firstApp ? undefined : (values.assembly ?? [firstAssembly]),
  };
  return { firstApp, firstAssembly, served };
}

/** Each app watched on its own; a reload of one serves the others' assemblies as they are then. */
function watchEach(stack: LocalStack, inputs: AppInputs, outputs: { stateFile: string; written: string[] }) {
  const assemblies = [...inputs.assemblies];
  const queue = { last: Promise.resolve() as Promise<unknown> };
  const retries = new Map<number, () => void>();
  return Promise.all(
    inputs.appDirs.map((appDir, index) =>
      watchAndReload(stack, {
        appDir,
        assemblyDir: inputs.assemblies[index] as string,
        ...outputs,
        together: assemblies.length > 1 ? { assemblies, index, queue, retries } : undefined,
      }),
    ),
  );
}

/** The values, or the command ended with what is wrong with one. */
function checked(values: ServeValues): ServeValues {
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65_535)
    fail(`--port must be a port number (0 to 65535, 0 for any free port), got ${JSON.stringify(values.port)}`);
  if (values.account !== undefined && !/^\d{12}$/.test(values.account))
    fail(`--account must be 12 digits (an AWS account id), got ${JSON.stringify(values.account)}`);
  if (values.sampling !== undefined && !['all', 'aws'].includes(values.sampling))
    fail(`--sampling must be all or aws, got ${JSON.stringify(values.sampling)}`);
  if (!['warm', 'per-request'].includes(values.environments))
    fail(`--environments must be warm or per-request, got ${JSON.stringify(values.environments)}`);
  if (values.org !== undefined && !/^o-[a-z0-9]{10,32}$/.test(values.org))
    fail(
      `--org must be an AWS Organizations id (o-, then 10 to 32 lowercase letters or digits), got ${JSON.stringify(values.org)}`,
    );
  return values;
}

/**
 * Where the state file goes without `--state`: in the app's `.iam-m2m-local/` (`serve --app`),
 * else in the one beside the assembly, where the project's seed is kept too ({@link defaultSeedFile}).
 */
export function defaultStateFile(appDir: string | undefined, assemblyDir: string): string {
  return appDir
    ? join(appDir, '.iam-m2m-local', 'state.json')
    : join(dirname(defaultSeedFile(assemblyDir)), 'state.json');
}

/** A path as short as it reads well: from the current folder when it is inside it. */
function shown(file: string): string {
  const fromHere = relative(process.cwd(), file);
  return fromHere && !fromHere.startsWith(`..${sep}`) && fromHere !== '..' ? fromHere : file;
}

/** Runs `stop` once on SIGTERM, SIGINT, or when the parent process is gone; then exits 0. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const once = () => {
    if (stopping) return;
    stopping = true;
    void stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', once);
  process.once('SIGINT', once);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) once();
  }, PARENT_CHECK_MS).unref();
}

function readOrganizationOrFail(file: string) {
  try {
    return readOrganization(file);
  } catch (error) {
    for (const line of (error as Error).message.split('\n')) process.stderr.write(`iam-m2m-local: ${line}\n`);
    process.exit(1);
  }
}
