import type { Node } from 'constructs';

/** Where the stacks go, read from CDK context (`-c key=value` or cdk.json). */
export type AppConfig = (
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
    }
) & {
  /**
   * `-c private=true`: the REST API is private and the requestor calls it from an isolated VPC
   * through an execute-api endpoint. Absent (not false) otherwise.
   */
  private?: true;
};

const ACCOUNT = /^\d{12}$/;

/** The AWS Regions (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html). */
export const REGIONS: ReadonlySet<string> = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
]);

const isRegion = { test: (text: string) => REGIONS.has(text) };

function read(
  node: Pick<Node, 'tryGetContext'>,
  key: string,
  pattern: { test: (text: string) => boolean },
  example: string,
): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value);
  if (!pattern.test(text)) {
    throw new Error(`Context ${key} must be ${example}, got ${JSON.stringify(text)}.`);
  }
  return text;
}

/** `private` from context: `true` or `false` (a string from `-c`, a boolean from cdk.json), or absent. */
function readPrivate(node: Pick<Node, 'tryGetContext'>): boolean {
  const value: unknown = node.tryGetContext('private');
  if (value === undefined || value === null || value === '' || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`Context private must be true or false, got ${JSON.stringify(String(value))}.`);
}

/**
 * Reads `apiAccount`, `requestorAccount`, `region` and `private` from context. Two different
 * accounts give the two-account layout; the same account twice, or none, give one stack.
 *
 * @throws {Error} one line naming the key and what was expected.
 *
 * @example
 * ```ts
 * const config = readConfig(app.node); // cdk synth -c apiAccount=222222222222 -c requestorAccount=111111111111
 * ```
 */
export function readConfig(node: Pick<Node, 'tryGetContext'>): AppConfig {
  const apiAccount = read(node, 'apiAccount', ACCOUNT, 'a 12-digit AWS account id');
  const requestorAccount = read(node, 'requestorAccount', ACCOUNT, 'a 12-digit AWS account id');
  const region = read(node, 'region', isRegion, 'an AWS Region such as eu-west-1');
  const privateApi = readPrivate(node) ? ({ private: true } as const) : {};
  if ((apiAccount === undefined) !== (requestorAccount === undefined)) {
    const [given, missing] = apiAccount ? ['apiAccount', 'requestorAccount'] : ['requestorAccount', 'apiAccount'];
    throw new Error(
      `Context ${given} is set but ${missing} is not: give both (the same account twice for one stack in it), or neither.`,
    );
  }
  if (apiAccount && requestorAccount && apiAccount !== requestorAccount) {
    if (!region) {
      throw new Error('Context region is required with two accounts (e.g. -c region=eu-west-1).');
    }
    return { layout: 'two', apiAccount, requestorAccount, region, ...privateApi };
  }
  return { layout: 'one', account: apiAccount ?? requestorAccount, region, ...privateApi };
}
