import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCloudAssembly } from '../assembly/model.js';
import { CONSOLE_PATH } from '../console/server.js';
import { policyReport, policyReportSummary } from '../iam/policy-report.js';
import { newTraceId } from '../lambda/tracing.js';
import { traceTree } from '../services/xray/trace-tree.js';
import { LocalStack } from '../stack.js';
import { decisionOutputs } from './decisions.js';
import { fail, failFor } from './fail.js';
import { type CommandSpec, parseCommandArgs } from './options.js';
import { stopOnSignals } from './serve.js';
import { cachedSynth } from './synth.js';

// This repository's own app: `start` is the repository's quick start, not part of the package.
const INFRA = fileURLToPath(new URL('../../../infra/', import.meta.url));

/** Context of the two-account layout run locally: the accounts are placeholders. */
const TWO_ACCOUNTS = { apiAccount: '222222222222', requestorAccount: '111111111111', region: 'us-east-1' };

/** `start`'s usage and options: the table its arguments are read with and its help is written from. */
export const START = {
  name: 'start',
  summary: "synthesizes this repository's CDK app, serves it, invokes requestor once and prints its result",
  usage: '[--accounts one|two] [--private] [--console]',
  description:
    "The repository's quick start (`pnpm start`): the result is the last line, one JSON object; exit 0 when the signed call answered. " +
    'The synth is reused while nothing it read changed. It runs in a clone of this repository only: your own app is served by `serve --app <dir>`.',
  options: {
    accounts: {
      type: 'string',
      value: 'one|two',
      help: 'the API and the requestor in one account, or in two (222222222222 and 111111111111)',
      default: 'one',
    },
    private: {
      type: 'boolean',
      help: 'the private shape: a private REST API, the requestor in a VPC without internet, calling it through an execute-api endpoint',
      defaultHelp: 'public endpoints',
    },
    console: {
      type: 'boolean',
      help: 'serve the console (its URL printed) and keep serving after the call, until Ctrl-C',
      defaultHelp: 'stop after the call',
    },
  },
  examples: [
    'iam-m2m-local start',
    'iam-m2m-local start --accounts two',
    'iam-m2m-local start --private',
    'iam-m2m-local start --accounts two --console',
  ],
} satisfies CommandSpec;

/**
 * What the deploy script passes that the local stack would not wire by itself: in two accounts,
 * privately, the requestor deploys first (its endpoint's id goes to the API's policy) and again
 * with the API's id (`packages/infra` README, "Deploy order"), here given at once.
 */
function deployParameters(assemblyDir: string, twoPrivate: boolean): Record<string, Record<string, string>> {
  if (!twoPrivate) return {};
  const apiId = readCloudAssembly(assemblyDir).apis[0]?.restApiId;
  return apiId ? { IamM2mRequestor: { ApiId: apiId } } : {};
}

/**
 * `iam-m2m-local start [--accounts one|two]`: synthesizes this repository's CDK app, serves
 * it, invokes `requestor` once and prints its result as the last line.
 */
export async function start(args: string[]): Promise<void> {
  const values = parseCommandArgs(START, args);
  // Installed from npm, this package has no repository around it: nothing to run.
  if (!existsSync(join(INFRA, 'cdk.json')))
    fail(
      "start runs this repository's demo app (packages/infra), which an installed package does not have; for your own app: iam-m2m-local serve --app .",
    );
  if (values.accounts !== 'one' && values.accounts !== 'two')
    fail(`--accounts must be one or two, got ${JSON.stringify(values.accounts)}`);
  const accounts = `${values.accounts} account${values.accounts === 'two' ? 's' : ''}${values.private ? ', private' : ''}`;
  const context = {
    ...(values.accounts === 'two' ? TWO_ACCOUNTS : {}),
    ...(values.private ? { private: 'true' } : {}),
  };
  // Each run synthesizes into a folder of its own (or reuses the assembly of unchanged inputs),
  // so runs side by side never read each other's half-written output.
  const synthesized = await cachedSynth({ dir: INFRA, context }).catch((error: Error) =>
    fail(`synth failed: ${error.message}`),
  );
  process.stderr.write(
    synthesized.cached
      ? `iam-m2m-local: the CDK app (${accounts}) is unchanged since its last synth: reusing it\n`
      : `iam-m2m-local: synthesized the CDK app (${accounts}) in ${(synthesized.ms / 1000).toFixed(1)} s\n`,
  );
  const { sink, records } = decisionOutputs({ keep: true });
  const stack = await LocalStack.start({
    assemblyDir: synthesized.assemblyDir,
    parameters: deployParameters(synthesized.assemblyDir, values.accounts === 'two' && values.private === true),
    seedFile: join(INFRA, '.iam-m2m-local', 'seed'),
    decisions: sink,
    console: values.console,
  }).catch(failFor);
  if (stack.console) process.stderr.write(`iam-m2m-local: console: ${stack.origin}${CONSOLE_PATH}\n`);
  try {
    const requestor = stack.runtime('requestor');
    if (!requestor) fail('the assembly has no function named requestor');
    // A trace of our own, its sampling left to Lambda (the requestor's tracing is Active).
    const traceId = newTraceId();
    const outcome = await requestor.invoke({}, { trace: { root: traceId } });
    const state = stack.state();
    const api = state.apis[0];
    const caller = stack.identity('requestor')?.principal;
    const endpoint = state.vpcEndpoints?.find((candidate) => candidate.service === 'execute-api');
    if (values.private && (!endpoint || stack.model.apis[0]?.endpointType !== 'PRIVATE'))
      fail('the app synthesized with -c private=true has no private API or no execute-api VPC endpoint');
    process.stdout.write(
      [
        `Local stack on ${stack.origin}: API ${api?.restApiId} (account ${api?.accountId}, ${state.region}), ${state.functions.length} functions.`,
        values.private
          ? `requestor (${caller?.arn}) called the private API from its VPC through ${endpoint?.id}, once without and once with a SigV4 signature:`
          : `requestor (${caller?.arn}) called ${api?.url} once without and once with a SigV4 signature:`,
        '',
      ].join('\n'),
    );
    // Functions send their last segments as the invocation ends: wait for the trace to go quiet.
    const tree = traceTree(await stack.xray.settle(traceId));
    if (tree.length > 0) process.stdout.write(`\nIts X-Ray trace ${traceId}:\n${tree.join('\n')}\n\n`);
    if (!outcome.ok) fail(`requestor failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
    process.stdout.write(`${policyReportSummary(policyReport(records, stack.identities.all()))}\n`);
    process.stdout.write(`${JSON.stringify(outcome.result)}\n`);
    const signed = (outcome.result as { with?: { hello?: string } }).with;
    if (signed?.hello !== 'world') process.exitCode = 1;
  } finally {
    if (stack.console) {
      process.stderr.write('iam-m2m-local: serving on for the console until Ctrl-C\n');
      stopOnSignals(() => stack.close());
    } else await stack.close();
  }
}
