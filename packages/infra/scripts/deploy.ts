// pnpm --filter infra run deploy [-- -c apiAccount=… -c requestorAccount=… -c region=…]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppConfig, readConfig } from '../src/config.js';
import { STACK_NAMES } from '../src/stacks.js';
import { requireCredentials } from './aws-credentials.js';
import { callerAccount } from './caller.js';
import { assemblyDir, cdk, userArgs } from './cdk.js';
import { appContext } from './context.js';
import { requestorParameterArgs } from './parameters.js';

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

if (config.layout === 'one') {
  cdk([...common, STACK_NAMES.one]);
} else {
  // Beside the assembly deployed: a rehearsal's `--app <dir>` keeps the app's cdk.out untouched.
  const outputsFile = join(assemblyDir(args), 'outputs-api.json');
  cdk([...common, STACK_NAMES.api, '--exclusively', '--outputs-file', outputsFile]);
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
  let parameters: string[];
  try {
    parameters = requestorParameterArgs(outputs[STACK_NAMES.api] ?? {}, outputsFile);
  } catch (error) {
    process.stderr.write(`deploy: ${(error as Error).message}\n`);
    process.exit(1);
  }
  cdk([...common, STACK_NAMES.requestor, '--exclusively', ...parameters]);
}
