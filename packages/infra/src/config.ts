import type { Node } from 'constructs';

/** Where the stacks go, read from CDK context (`-c key=value` or cdk.json). */
export type AppConfig =
  | {
      /** One stack with the API and its caller. Account and region undefined → env-agnostic. */
      layout: 'one';
      account?: string | undefined;
      region?: string | undefined;
    }
  | {
      /** The API in `apiAccount`, trusting `requestorAccount`; the requestor there. */
      layout: 'two';
      apiAccount: string;
      requestorAccount: string;
      region: string;
    };

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

function read(node: Pick<Node, 'tryGetContext'>, key: string, pattern: RegExp, example: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value);
  if (!pattern.test(text)) {
    throw new Error(`Context ${key} must be ${example}, got ${JSON.stringify(text)}.`);
  }
  return text;
}

/**
 * Reads `apiAccount`, `requestorAccount` and `region` from context. Two different accounts
 * give the two-account layout; one or none give one stack.
 *
 * @example
 * ```ts
 * const config = readConfig(app.node); // cdk synth -c apiAccount=222222222222 -c requestorAccount=111111111111
 * ```
 */
export function readConfig(node: Pick<Node, 'tryGetContext'>): AppConfig {
  const apiAccount = read(node, 'apiAccount', ACCOUNT, 'a 12-digit AWS account id');
  const requestorAccount = read(node, 'requestorAccount', ACCOUNT, 'a 12-digit AWS account id');
  const region = read(node, 'region', REGION, 'an AWS region such as eu-west-1');
  if (apiAccount && requestorAccount && apiAccount !== requestorAccount) {
    if (!region) {
      throw new Error('Context region is required with two accounts (e.g. -c region=eu-west-1).');
    }
    return { layout: 'two', apiAccount, requestorAccount, region };
  }
  return { layout: 'one', account: apiAccount ?? requestorAccount, region };
}
