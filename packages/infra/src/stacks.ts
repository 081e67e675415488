import { type App, CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AppConfig } from './config.js';
import { HandlerFunction } from './handler-function.js';
import { IamRestApi } from './iam-rest-api.js';
import { RequestorFunction } from './requestor-function.js';

/** Names of the stacks, also used by the deploy and invoke scripts. */
export const STACK_NAMES = { one: 'IamM2m', api: 'IamM2mApi', requestor: 'IamM2mRequestor' } as const;

/** Output keys the scripts read. */
export const OUTPUTS = {
  apiId: 'ApiId',
  apiUrl: 'ApiUrl',
  helloWorld: 'HelloWorldFunctionName',
  requestor: 'RequestorFunctionName',
} as const;

function helloWorld(scope: Construct): HandlerFunction {
  const hello = new HandlerFunction(scope, 'HelloWorld', {
    handler: 'hello-world',
    description: 'Integration of the IAM-authorized API: answers hello world with the verified caller',
  });
  new CfnOutput(scope, OUTPUTS.helloWorld, { value: hello.function.functionName });
  return hello;
}

function apiOutputs(scope: Construct, api: IamRestApi): void {
  new CfnOutput(scope, OUTPUTS.apiId, { value: api.restApiId });
  new CfnOutput(scope, OUTPUTS.apiUrl, { value: api.url });
}

/** One account: the API, its integration and the requestor, in one stack. */
export class IamM2mStack extends Stack {
  public readonly api: IamRestApi;
  public readonly requestor: RequestorFunction;

  public constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.api = new IamRestApi(this, 'Api', { handler: helloWorld(this).function });
    apiOutputs(this, this.api);
    this.requestor = new RequestorFunction(this, 'Requestor', { api: this.api });
    new CfnOutput(this, OUTPUTS.requestor, { value: this.requestor.function.functionName });
  }
}

/** Props of {@link ApiStack}. */
export interface ApiStackProps extends StackProps {
  /** The account whose principals call the API. */
  requestorAccount: string;
}

/** Two accounts, the API side: the API trusts the requestor's account. */
export class ApiStack extends Stack {
  public readonly api: IamRestApi;

  public constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    this.api = new IamRestApi(this, 'Api', {
      handler: helloWorld(this).function,
      trustedAccounts: [props.requestorAccount],
    });
    apiOutputs(this, this.api);
  }
}

/** Props of {@link RequestorStack}. */
export interface RequestorStackProps extends StackProps {
  /** The account of the API. */
  apiAccount: string;
}

/**
 * Two accounts, the caller side. The API id is a parameter (`ApiId`): it exists only once
 * the API stack is deployed, and the deploy script passes it from that stack's outputs.
 */
export class RequestorStack extends Stack {
  public readonly requestor: RequestorFunction;

  public constructor(scope: Construct, id: string, props: RequestorStackProps) {
    super(scope, id, props);
    const apiId = new CfnParameter(this, 'ApiId', {
      type: 'String',
      description: `Id of the REST API in account ${props.apiAccount} (output ${OUTPUTS.apiId} of ${STACK_NAMES.api})`,
      allowedPattern: '^[a-z0-9]{10}$',
    });
    this.requestor = new RequestorFunction(this, 'Requestor', {
      remoteApi: { account: props.apiAccount, region: this.region, restApiId: apiId.valueAsString },
    });
    new CfnOutput(this, OUTPUTS.requestor, { value: this.requestor.function.functionName });
  }
}

/**
 * Adds the stacks the configuration asks for to `app`.
 *
 * @example
 * ```ts
 * const app = new App();
 * buildApp(app, readConfig(app.node));
 * ```
 */
export function buildApp(app: App, config: AppConfig): Stack[] {
  if (config.layout === 'one') {
    const env = config.account || config.region ? { account: config.account, region: config.region } : undefined;
    return [new IamM2mStack(app, STACK_NAMES.one, { env, description: 'iam-m2m: IAM-authorized API and its caller' })];
  }
  const api = new ApiStack(app, STACK_NAMES.api, {
    env: { account: config.apiAccount, region: config.region },
    requestorAccount: config.requestorAccount,
    description: `iam-m2m: IAM-authorized API trusting account ${config.requestorAccount}`,
  });
  const requestor = new RequestorStack(app, STACK_NAMES.requestor, {
    env: { account: config.requestorAccount, region: config.region },
    apiAccount: config.apiAccount,
    description: `iam-m2m: caller of the API in account ${config.apiAccount}`,
  });
  requestor.addStackDependency(api);
  return [api, requestor];
}
