// pnpm --filter infra run deploy [-- -c apiAccount=… -c requestorAccount=… -c region=… -c private=true]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppConfig, readConfig } from '../src/config.js';
import { PRIVATE_REQUESTOR_PARAMETERS, STACK_NAMES } from '../src/stacks.js';
import { requireCredentials } from './aws-credentials.js';
import { callerAccount } from './caller.js';
import { assemblyDir, cdk, userArgs } from './cdk.js';
import { appContext } from './context.js';
import { apiParameterArgs, requestorParameterArgs } from './parameters.js';

// Before anything else: no credentials, one line, exit 1 (no synth, no bundling).
requireCredentials('deploy');

const args = userArgs();
const context = appContext(args);
let config: AppConfig;
try {
  config = readConfig({ tryGetContext: (key: string) => context[key] });
} catch (error) {
  process.stderr.write(`deploy: ${(error as Error).message}\n`);
  process.exit(1);
}
// Refused or expired credentials: one line now, not CDK's generic message after a synth.
await callerAccount('deploy', config.region);
const common = ['deploy', '--require-approval', 'never', ...args];

/** The outputs of `stack` that `cdk deploy --outputs-file` wrote. */
const outputsOf = (file: string, stack: string): Record<string, string> =>
  (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>)[stack] ?? {};

/** Parameter arguments, or one line naming the missing output and exit 1. */
function parametersOr(build: () => string[]): string[] {
  try {
    return build();
  } catch (error) {
    process.stderr.write(`deploy: ${(error as Error).message}\n`);
    return process.exit(1);
  }
}

if (config.layout === 'one') {
  cdk([...common, STACK_NAMES.one]);
} else {
  // Beside the assembly deployed: a rehearsal's `--app <dir>` keeps the app's cdk.out untouched.
  const apiOutputsFile = join(assemblyDir(args), 'outputs-api.json');
  const requestorOutputsFile = join(assemblyDir(args), 'outputs-requestor.json');
  const requestor = [...common, STACK_NAMES.requestor, '--exclusively'];
  if (config.private) {
    // The private API's policy names the requestor's endpoint, and the requestor calls the API:
    // the requestor first (ApiId as it was, or PENDING_API_ID the first time), then the API with
    // its endpoint id, then the requestor again with the API's id.
    cdk([...requestor, '--outputs-file', requestorOutputsFile]);
    const endpoint = parametersOr(() =>
      apiParameterArgs(outputsOf(requestorOutputsFile, STACK_NAMES.requestor), requestorOutputsFile),
    );
    cdk([...common, STACK_NAMES.api, '--exclusively', '--outputs-file', apiOutputsFile, ...endpoint]);
    const apiId = parametersOr(() =>
      requestorParameterArgs(outputsOf(apiOutputsFile, STACK_NAMES.api), apiOutputsFile, PRIVATE_REQUESTOR_PARAMETERS),
    );
    cdk([...requestor, ...apiId]);
  } else {
    cdk([...common, STACK_NAMES.api, '--exclusively', '--outputs-file', apiOutputsFile]);
    const parameters = parametersOr(() =>
      requestorParameterArgs(outputsOf(apiOutputsFile, STACK_NAMES.api), apiOutputsFile),
    );
    cdk([...requestor, ...parameters]);
  }
}
