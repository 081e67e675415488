import { type App, Aws, CfnOutput, CfnParameter, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AppConfig } from './config.js';
import { ExecuteApiEndpoint } from './execute-api-endpoint.js';
import { HandlerFunction } from './handler-function.js';
import { IamFunctionUrl } from './iam-function-url.js';
import { IamHttpApi } from './iam-http-api.js';
import { IamRestApi } from './iam-rest-api.js';
import { RequestorFunction } from './requestor-function.js';

/** Names of the stacks, also used by the deploy and invoke scripts. */
export const STACK_NAMES = { one: 'IamM2m', api: 'IamM2mApi', requestor: 'IamM2mRequestor' } as const;

/** Output keys the scripts read. */
export const OUTPUTS = {
  apiId: 'ApiId',
  apiUrl: 'ApiUrl',
  helloWorld: 'HelloWorldFunctionName',
  functionUrl: 'FunctionUrl',
  httpApiId: 'HttpApiId',
  httpApiUrl: 'HttpApiUrl',
  httpApiCallerRole: 'HttpApiCallerRoleArn',
  requestor: 'RequestorFunctionName',
  requestorVpcEndpointId: 'RequestorVpcEndpointId',
} as const;

/**
 * What the requestor stack takes from the API stack, in two accounts: CloudFormation parameters
 * named like the API stack's outputs, so the deploy script (and the local stack) pass each
 * output to the parameter of the same name.
 */
export const REQUESTOR_PARAMETERS = {
  [OUTPUTS.apiId]: { allowedPattern: '^[a-z0-9]{10}$', what: 'Id of the REST API' },
  [OUTPUTS.functionUrl]: {
    allowedPattern: '^https://[a-z0-9]+\\.lambda-url\\.[a-z0-9-]+\\.on\\.aws/$',
    what: "URL of hello-world's function URL",
  },
  [OUTPUTS.helloWorld]: { allowedPattern: '^[a-zA-Z0-9_-]{1,64}$', what: 'Name of the hello-world function' },
  [OUTPUTS.httpApiId]: { allowedPattern: '^[a-z0-9]{10}$', what: 'Id of the HTTP API' },
  [OUTPUTS.httpApiCallerRole]: {
    allowedPattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]+$',
    what: 'ARN of the role the requestor assumes to call the HTTP API',
  },
} as const;

/**
 * What the API stack takes from the requestor stack, in two accounts with `private`: the
 * requestor's execute-api endpoint, which the private API's resource policy names.
 */
export const API_PARAMETERS = {
  [OUTPUTS.requestorVpcEndpointId]: {
    allowedPattern: '^vpce-[0-9a-f]{8,17}$',
    what: "Id of the requestor's execute-api interface VPC endpoint",
  },
} as const;

/**
 * In two accounts with `private`, the requestor calls the REST API only: `ApiId` is its one
 * parameter from the API stack.
 */
export const PRIVATE_REQUESTOR_PARAMETERS = [OUTPUTS.apiId] as const;

/**
 * `ApiId` of the private requestor stack until the API stack exists: its first deploy comes
 * before the API's, which needs its endpoint id. No API has this id; later deploys keep the
 * previous value unless given one.
 */
export const PENDING_API_ID = '0000000000';

/** Two Availability Zones of the stack's Region, resolved at deploy time: no lookup (no credentials) at synth. */
const twoZones = (): string[] => [0, 1].map((index) => Fn.select(index, Fn.getAzs()));

/**
 * The requestor's execution role name in two accounts, derived from configuration so the API
 * stack can name it before it exists (one per region: IAM names are global to an account).
 */
export const requestorRoleName = (region: string): string => `${STACK_NAMES.requestor}-${region}`;

/** The three IAM-authorized targets in front of hello-world, and its outputs. */
interface Targets {
  hello: HandlerFunction;
  api: IamRestApi;
  functionUrl: IamFunctionUrl;
  httpApi: IamHttpApi;
}

/** Trusted callers of the targets, in two accounts. @default none: the stack's own account only */
interface TargetTrust {
  requestorAccount: string;
  requestorRoleArn: string;
}

/**
 * @param vpcEndpointIds with them, the REST API is private, reachable through these endpoints only.
 */
function targets(scope: Construct, trust?: TargetTrust, vpcEndpointIds?: string[]): Targets {
  const hello = new HandlerFunction(scope, 'HelloWorld', {
    handler: 'hello-world',
    description: 'Integration of the IAM-authorized targets: answers hello world with the verified caller',
  });
  const handler = hello.function;
  const trustedAccounts = trust ? [trust.requestorAccount] : undefined;
  const api = new IamRestApi(scope, 'Api', { handler, trustedAccounts, private: vpcEndpointIds && { vpcEndpointIds } });
  // Lambda refuses a permission for a role that does not exist yet (the requestor stack deploys
  // after this one): the account is trusted, and its identity policy narrows it to the requestor.
  const functionUrl = new IamFunctionUrl(scope, 'HelloWorldUrl', { handler, trustedAccounts });
  const httpApi = new IamHttpApi(scope, 'HttpApi', {
    handler,
    trustedRoleArns: trust ? [trust.requestorRoleArn] : undefined,
  });
  new CfnOutput(scope, OUTPUTS.helloWorld, { value: handler.functionName });
  new CfnOutput(scope, OUTPUTS.apiId, { value: api.restApiId });
  new CfnOutput(scope, OUTPUTS.apiUrl, { value: api.url });
  new CfnOutput(scope, OUTPUTS.functionUrl, { value: functionUrl.url });
  new CfnOutput(scope, OUTPUTS.httpApiId, { value: httpApi.httpApiId });
  new CfnOutput(scope, OUTPUTS.httpApiUrl, { value: httpApi.url });
  if (httpApi.callerRole) new CfnOutput(scope, OUTPUTS.httpApiCallerRole, { value: httpApi.callerRole.roleArn });
  return { hello, api, functionUrl, httpApi };
}

/** Props of {@link IamM2mStack}. */
export interface IamM2mStackProps extends StackProps {
  /**
   * The REST API private, reachable only through the requestor's execute-api endpoint; the
   * requestor in an isolated VPC, calling the REST API only. @default false
   */
  private?: boolean;
}

/**
 * One account: the three targets, their integration and the requestor, in one stack. With
 * `private`, also the requestor's isolated VPC and execute-api endpoint (output
 * `RequestorVpcEndpointId`), which the private API's policy names.
 */
export class IamM2mStack extends Stack {
  public readonly api: IamRestApi;
  public readonly functionUrl: IamFunctionUrl;
  public readonly httpApi: IamHttpApi;
  public readonly requestor: RequestorFunction;

  public constructor(scope: Construct, id: string, props: IamM2mStackProps = {}) {
    const { private: privateApi, ...stackProps } = props;
    super(scope, id, stackProps);
    // Before the API, whose policy names it; the requestor then runs in its VPC.
    const endpoint = privateApi ? new ExecuteApiEndpoint(this, 'RequestorNetwork') : undefined;
    ({
      api: this.api,
      functionUrl: this.functionUrl,
      httpApi: this.httpApi,
    } = targets(this, undefined, endpoint && [endpoint.vpcEndpointId]));
    this.requestor = new RequestorFunction(
      this,
      'Requestor',
      endpoint
        ? { api: this.api, private: { endpoint } }
        : { api: this.api, functionUrl: this.functionUrl, httpApi: this.httpApi },
    );
    new CfnOutput(this, OUTPUTS.requestor, { value: this.requestor.function.functionName });
    if (endpoint) new CfnOutput(this, OUTPUTS.requestorVpcEndpointId, { value: endpoint.vpcEndpointId });
  }

  public override get availabilityZones(): string[] {
    return twoZones();
  }
}

/** Props of {@link ApiStack}. */
export interface ApiStackProps extends StackProps {
  /** The account whose principals call the API. */
  requestorAccount: string;
  /** The requestor's execution role name (physical), trusted by the HTTP API's caller role. */
  requestorRoleName: string;
  /**
   * The REST API private, reachable only through the requestor's execute-api endpoint, whose
   * id comes in as the parameter `RequestorVpcEndpointId` ({@link API_PARAMETERS}). @default false
   */
  private?: boolean;
}

/**
 * Two accounts, the API side: the REST API and the function URL trust the requestor's account;
 * the HTTP API's caller role trusts exactly the requestor's role.
 */
export class ApiStack extends Stack {
  public readonly api: IamRestApi;
  public readonly functionUrl: IamFunctionUrl;
  public readonly httpApi: IamHttpApi;

  public constructor(scope: Construct, id: string, props: ApiStackProps) {
    const { private: privateApi, ...stackProps } = props;
    super(scope, id, stackProps);
    const vpcEndpointIds = privateApi
      ? (Object.keys(API_PARAMETERS) as (keyof typeof API_PARAMETERS)[]).map(
          (name) =>
            new CfnParameter(this, name, {
              type: 'String',
              description: `${API_PARAMETERS[name].what} in account ${props.requestorAccount} (output ${name} of ${STACK_NAMES.requestor})`,
              allowedPattern: API_PARAMETERS[name].allowedPattern,
            }).valueAsString,
        )
      : undefined;
    ({
      api: this.api,
      functionUrl: this.functionUrl,
      httpApi: this.httpApi,
    } = targets(
      this,
      {
        requestorAccount: props.requestorAccount,
        requestorRoleArn: `arn:${Aws.PARTITION}:iam::${props.requestorAccount}:role/${props.requestorRoleName}`,
      },
      vpcEndpointIds,
    ));
  }
}

/** Props of {@link RequestorStack}. */
export interface RequestorStackProps extends StackProps {
  /** The account of the API. */
  apiAccount: string;
  /** Physical name of the requestor's execution role, the one the API stack trusts. */
  requestorRoleName: string;
  /**
   * Call the private REST API only, from an isolated VPC through an execute-api endpoint (output
   * `RequestorVpcEndpointId`); `ApiId` is then the one parameter. @default false
   */
  private?: boolean;
}

/**
 * Two accounts, the caller side. What exists only once the API stack is deployed comes in as
 * parameters named like that stack's outputs ({@link REQUESTOR_PARAMETERS}); the deploy script
 * passes them on. With `private`, only `ApiId` ({@link PRIVATE_REQUESTOR_PARAMETERS}), with the
 * default {@link PENDING_API_ID} for the first deploy, which comes before the API stack's.
 */
export class RequestorStack extends Stack {
  public readonly requestor: RequestorFunction;

  public constructor(scope: Construct, id: string, props: RequestorStackProps) {
    const { private: privateApi, ...stackProps } = props;
    super(scope, id, stackProps);
    const parameter = (name: keyof typeof REQUESTOR_PARAMETERS, pending?: string): string =>
      new CfnParameter(this, name, {
        type: 'String',
        description: `${REQUESTOR_PARAMETERS[name].what} in account ${props.apiAccount} (output ${name} of ${STACK_NAMES.api})`,
        allowedPattern: REQUESTOR_PARAMETERS[name].allowedPattern,
        default: pending,
      }).valueAsString;
    const region = this.region;
    if (privateApi) {
      const restApiId = parameter(OUTPUTS.apiId, PENDING_API_ID);
      const endpoint = new ExecuteApiEndpoint(this, 'RequestorNetwork');
      this.requestor = new RequestorFunction(this, 'Requestor', {
        remoteApi: { account: props.apiAccount, region, restApiId },
        roleName: props.requestorRoleName,
        private: { endpoint },
      });
      new CfnOutput(this, OUTPUTS.requestor, { value: this.requestor.function.functionName });
      new CfnOutput(this, OUTPUTS.requestorVpcEndpointId, { value: endpoint.vpcEndpointId });
      return;
    }
    const [restApiId, functionUrl, helloWorld, httpApiId, callerRoleArn] = (
      [OUTPUTS.apiId, OUTPUTS.functionUrl, OUTPUTS.helloWorld, OUTPUTS.httpApiId, OUTPUTS.httpApiCallerRole] as const
    ).map((name) => parameter(name)) as [string, string, string, string, string];
    this.requestor = new RequestorFunction(this, 'Requestor', {
      remoteApi: { account: props.apiAccount, region, restApiId },
      remoteFunctionUrl: {
        url: functionUrl,
        functionArn: `arn:${Aws.PARTITION}:lambda:${region}:${props.apiAccount}:function:${helloWorld}`,
      },
      remoteHttpApi: { region, httpApiId, callerRoleArn },
      roleName: props.requestorRoleName,
    });
    new CfnOutput(this, OUTPUTS.requestor, { value: this.requestor.function.functionName });
  }

  public override get availabilityZones(): string[] {
    return twoZones();
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
  const privateApi = config.private === true;
  if (config.layout === 'one') {
    const env = config.account || config.region ? { account: config.account, region: config.region } : undefined;
    return [
      new IamM2mStack(app, STACK_NAMES.one, {
        env,
        description: privateApi
          ? 'iam-m2m: private IAM-authorized REST API called from an isolated VPC, function URL and HTTP API'
          : 'iam-m2m: IAM-authorized REST API, function URL and HTTP API, and their caller',
        ...(privateApi ? { private: true } : {}),
      }),
    ];
  }
  const roleName = requestorRoleName(config.region);
  const api = new ApiStack(app, STACK_NAMES.api, {
    env: { account: config.apiAccount, region: config.region },
    requestorAccount: config.requestorAccount,
    requestorRoleName: roleName,
    description: privateApi
      ? `iam-m2m: private IAM-authorized REST API, function URL and HTTP API trusting account ${config.requestorAccount}`
      : `iam-m2m: IAM-authorized REST API, function URL and HTTP API trusting account ${config.requestorAccount}`,
    ...(privateApi ? { private: true } : {}),
  });
  const requestor = new RequestorStack(app, STACK_NAMES.requestor, {
    env: { account: config.requestorAccount, region: config.region },
    apiAccount: config.apiAccount,
    requestorRoleName: roleName,
    description: privateApi
      ? `iam-m2m: caller of the private REST API in account ${config.apiAccount}, from an isolated VPC`
      : `iam-m2m: caller of the targets in account ${config.apiAccount}`,
    ...(privateApi ? { private: true } : {}),
  });
  // Private: the API's policy names the requestor's endpoint, so the requestor stack comes first
  // (deploy then passes ApiId to it in a second deploy); otherwise the API stack comes first.
  if (privateApi) api.addStackDependency(requestor);
  else requestor.addStackDependency(api);
  return [api, requestor];
}
