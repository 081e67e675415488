// iam-m2m-local serve --port <P> --state <file> [--assembly <cdk.out>]
// iam-m2m-local start [--accounts one|two]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalStack } from './server.js';

const DEFAULT_ASSEMBLY = fileURLToPath(new URL('../../infra/cdk.out', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Context of the two-account layout run locally: the accounts are placeholders. */
const TWO_ACCOUNTS = ['-c', 'apiAccount=222222222222', '-c', 'requestorAccount=111111111111', '-c', 'region=us-east-1'];

function fail(message: string): never {
  process.stderr.write(`iam-m2m-local: ${message}\n`);
  process.exit(1);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, state: { type: 'string' }, assembly: { type: 'string' } },
  });
  const port = Number(values.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    fail(`--port must be a port number, got ${JSON.stringify(values.port)}`);
  if (!values.state)
    fail('--state <file> is required: the state file is written there once the stack accepts requests');
  const stack = await LocalStack.start({ assemblyDir: values.assembly ?? DEFAULT_ASSEMBLY, port });
  stack.writeState(values.state);
  process.stderr.write(`iam-m2m-local: serving ${stack.origin} (state in ${values.state})\n`);
  const stop = () => {
    void stack.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { accounts: { type: 'string', default: 'one' } } });
  if (values.accounts !== 'one' && values.accounts !== 'two')
    fail(`--accounts must be one or two, got ${JSON.stringify(values.accounts)}`);
  const synthArgs = values.accounts === 'two' ? TWO_ACCOUNTS : [];
  process.stderr.write(
    `iam-m2m-local: synthesizing the CDK app (${values.accounts} account${values.accounts === 'two' ? 's' : ''})…\n`,
  );
  const synth = spawnSync('pnpm', ['--filter', '@iam-m2m/infra', 'run', 'synth', ...synthArgs], {
    cwd: REPO_ROOT,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (synth.status !== 0) fail(`synth failed (exit ${synth.status ?? synth.signal}); see above`);

  const stack = await LocalStack.start({ assemblyDir: DEFAULT_ASSEMBLY });
  try {
    const requestor = stack.runtime('requestor');
    if (!requestor) fail('the assembly has no function named requestor');
    const outcome = await requestor.invoke({});
    const state = stack.state();
    const api = state.apis[0];
    const caller = stack.identity('requestor')?.principal;
    process.stdout.write(
      [
        `Local stack on ${stack.origin}: API ${api?.restApiId} (account ${api?.accountId}, ${state.region}), ${state.functions.length} functions.`,
        `requestor (${caller?.arn}) called ${api?.url} once without and once with a SigV4 signature:`,
        '',
      ].join('\n'),
    );
    if (!outcome.ok) fail(`requestor failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
    process.stdout.write(`${JSON.stringify(outcome.result)}\n`);
    const signed = (outcome.result as { with?: { hello?: string } }).with;
    if (signed?.hello !== 'world') process.exitCode = 1;
  } finally {
    await stack.close();
  }
}

const [command, ...rest] = process.argv.slice(2).filter((arg) => arg !== '--');
if (command === 'serve') await serve(rest);
else if (command === 'start') await start(rest);
else fail(`unknown command ${JSON.stringify(command ?? '')}: use serve or start`);
