import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readOrganization } from '../iam/organization.js';
import { policyReport, policyReportText } from '../iam/policy-report.js';
import { LocalStack } from '../stack.js';
import { decisionOutputs } from './decisions.js';
import { fail, failFor, parseArgsOrFail } from './fail.js';
import { cachedSynth } from './synth.js';
import { watchAndReload } from './watch.js';

/** How often a served stack checks that whoever started it is still there. */
const PARENT_CHECK_MS = 250;

/**
 * `iam-m2m-local serve --assembly <cdk.out> --port <P> --state <file> [--account <12 digits>] [--org <o-…>] [--organization <file>] [--fresh]
 * [--explain] [--decisions <file>] [--policy-report <file>] [--traces <file>]`: serves the assembly until SIGTERM or SIGINT,
 * printing one line per denied request (every decision with `--explain`), or until the process that started it is gone
 * (a package manager killed between the user and this process does not pass signals on).
 */
export async function serve(args: string[]): Promise<void> {
  const { values } = parseArgsOrFail({
    args,
    options: {
      port: { type: 'string' },
      state: { type: 'string' },
      assembly: { type: 'string', default: 'cdk.out' },
      account: { type: 'string' },
      org: { type: 'string' },
      organization: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      explain: { type: 'boolean', default: false },
      decisions: { type: 'string' },
      'policy-report': { type: 'string' },
      traces: { type: 'string' },
      app: { type: 'string' },
      watch: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    fail(`--port must be a port number, got ${JSON.stringify(values.port)}`);
  if (!values.state)
    fail('--state <file> is required: the state file is written there once the stack accepts requests');
  if (values.account !== undefined && !/^\d{12}$/.test(values.account))
    fail(`--account must be 12 digits (an AWS account id), got ${JSON.stringify(values.account)}`);
  if (values.org !== undefined && !/^o-[a-z0-9]{10,32}$/.test(values.org))
    fail(
      `--org must be an AWS Organizations id (o-, then 10 to 32 lowercase letters or digits), got ${JSON.stringify(values.org)}`,
    );
  // --app <dir with cdk.json>: synthesize it (or reuse its unchanged synth); --watch without
  // --app watches the app whose cdk.out is served (this repository's: ../infra).
  const assemblyDir = resolve(values.assembly);
  const appDir = values.app
    ? resolve(values.app)
    : values.watch && existsSync(join(dirname(assemblyDir), 'cdk.json'))
      ? dirname(assemblyDir)
      : undefined;
  if (values.watch && !appDir)
    fail('--watch needs --app <folder with cdk.json> (the app to synthesize again on changes)');
  const synthesized = appDir
    ? await cachedSynth({ dir: appDir }).catch((error: Error) => fail(`synth failed: ${error.message}`))
    : undefined;
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
    assemblyDir: synthesized?.assemblyDir ?? assemblyDir,
    ...(appDir ? { seedFile: join(appDir, '.iam-m2m-local', 'seed') } : {}),
    port,
    defaultAccountId: values.account,
    tracesFile: values.traces === undefined ? undefined : resolve(values.traces),
  }).catch(failFor);
  stack.writeState(values.state);
  process.stderr.write(`iam-m2m-local: serving ${stack.origin} (state in ${values.state})\n`);
  const stopWatching =
    values.watch && appDir && synthesized
      ? await watchAndReload(stack, {
          appDir,
          assemblyDir: synthesized.assemblyDir,
          stateFile: values.state,
          written: [values.decisions, values.traces, values['policy-report']].filter((file) => file !== undefined),
        })
      : undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    stopWatching?.();
    const report = values['policy-report'];
    if (report) {
      const reports = policyReport(records, stack.identities.all());
      writeFileSync(report, `${JSON.stringify(reports, null, 2)}\n`, { mode: 0o600 });
      process.stderr.write(policyReportText(reports));
    }
    void stack.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
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
