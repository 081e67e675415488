// pnpm --filter infra run invoke -- <requestor|hello-world> [--payload '{"path":"/echo/x"}']
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { OUTPUTS, STACK_NAMES } from '../src/stacks.js';
import { requireCredentials } from './aws-credentials.js';
import { userArgs } from './cdk.js';

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

/** The deployed function's physical name, from the outputs of whichever stack holds it. */
async function physicalName(key: FunctionKey): Promise<string> {
  const cloudFormation = new CloudFormationClient({});
  for (const stackName of [STACK_NAMES.one, STACK_NAMES.requestor, STACK_NAMES.api]) {
    const result = await cloudFormation
      .send(new DescribeStacksCommand({ StackName: stackName }))
      .catch(() => undefined);
    const output = result?.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === FUNCTIONS[key]);
    if (output?.OutputValue) return output.OutputValue;
  }
  throw new Error(
    `invoke: no deployed stack has the output ${FUNCTIONS[key]}; run pnpm --filter infra run deploy first.`,
  );
}

const functionName = await physicalName(name as FunctionKey);
const result = await new LambdaClient({}).send(
  new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(payload) }),
);
const text = new TextDecoder().decode(result.Payload);
process.stdout.write(`${text}\n`);
if (result.FunctionError) {
  process.stderr.write(`invoke: ${functionName} failed (${result.FunctionError}).\n`);
  process.exit(1);
}
