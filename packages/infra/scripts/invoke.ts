// pnpm --filter infra run invoke -- <requestor|hello-world> [--payload '{"path":"/echo/x"}']
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type AppConfig, readConfig } from '../src/config.js';
import { OUTPUTS, STACK_NAMES } from '../src/stacks.js';
import { requireCredentials } from './aws-credentials.js';
import { callerAccount } from './caller.js';
import { userArgs } from './cdk.js';
import { appContext } from './context.js';

const FUNCTIONS = { requestor: OUTPUTS.requestor, 'hello-world': OUTPUTS.helloWorld } as const;
type FunctionKey = keyof typeof FUNCTIONS;

const args = userArgs();
const name = args[0];
if (!name || !(name in FUNCTIONS)) {
  process.stderr.write(
    `invoke: say which function: ${Object.keys(FUNCTIONS).join(' or ')} (got ${JSON.stringify(name ?? '')}).\n`,
  );
  process.exit(2);
}
const payloadIndex = args.indexOf('--payload');
const payload = payloadIndex === -1 ? '{}' : (args[payloadIndex + 1] ?? '');
try {
  JSON.parse(payload);
} catch {
  process.stderr.write(`invoke: --payload must be JSON, got ${JSON.stringify(payload)}.\n`);
  process.exit(2);
}
requireCredentials('invoke');

/** Where each function lives: in two accounts, hello-world with the API, requestor in its own. */
function homeOf(key: FunctionKey): { stacks: string[]; account?: string; role?: string; region?: string | undefined } {
  let config: AppConfig;
  try {
    config = readConfig({ tryGetContext: (k: string) => appContext(args)[k] });
  } catch (error) {
    process.stderr.write(`invoke: ${(error as Error).message}\n`);
    process.exit(1);
  }
  // Without context the layout is unknown: look in every stack, as before.
  if (config.layout === 'one')
    return { stacks: [STACK_NAMES.one, STACK_NAMES.requestor, STACK_NAMES.api], region: config.region };
  return key === 'hello-world'
    ? { stacks: [STACK_NAMES.api], account: config.apiAccount, role: "the API's", region: config.region }
    : {
        stacks: [STACK_NAMES.requestor],
        account: config.requestorAccount,
        role: "the requestor's",
        region: config.region,
      };
}

/** The deployed function's physical name, from its stack's outputs; AWS's own errors shown as they are. */
async function physicalName(key: FunctionKey, stacks: string[], region?: string): Promise<string> {
  const cloudFormation = new CloudFormationClient(region ? { region } : {});
  for (const stackName of stacks) {
    try {
      const result = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
      const output = result.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === FUNCTIONS[key]);
      if (output?.OutputValue) return output.OutputValue;
    } catch (error) {
      const { name: code, message } = error as Error;
      // "Stack with id X does not exist": not deployed (here); anything else is AWS's answer to show.
      if (!(code === 'ValidationError' && /does not exist/.test(message))) throw error;
    }
  }
  throw new Error(
    `no deployed stack (${stacks.join(', ')}) has the output ${FUNCTIONS[key]}; run pnpm --filter infra run deploy first`,
  );
}

try {
  const home = homeOf(name as FunctionKey);
  const account = await callerAccount('invoke', home.region);
  if (home.account && account !== undefined && account !== home.account) {
    throw new Error(
      `${name} is in account ${home.account} (${home.role}); these credentials are of ${account}: use that account's profile (AWS_PROFILE) or keys`,
    );
  }
  const functionName = await physicalName(name as FunctionKey, home.stacks, home.region);
  const result = await new LambdaClient(home.region ? { region: home.region } : {}).send(
    new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(payload) }),
  );
  const text = new TextDecoder().decode(result.Payload);
  process.stdout.write(`${text}\n`);
  if (result.FunctionError) {
    process.stderr.write(`invoke: ${functionName} failed (${result.FunctionError}).\n`);
    process.exit(1);
  }
} catch (error) {
  const { name: code, message } = error as Error;
  process.stderr.write(`invoke: ${code === 'Error' ? '' : `${code}: `}${message}\n`);
  process.exit(1);
}
