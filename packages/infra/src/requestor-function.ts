import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ExecuteApiEndpoint } from './execute-api-endpoint.js';
import { HandlerFunction } from './handler-function.js';
import { IamFunctionUrl } from './iam-function-url.js';
import type { IamHttpApi } from './iam-http-api.js';
import type { IamRestApi } from './iam-rest-api.js';

/** An API in another account: CDK cannot reference a RestApi across accounts, so it is described. */
export interface RemoteApi {
  /** Account of the API. */
  account: string;
  /** Region of the API. */
  region: string;
  /** Id of the REST API (a token such as a CfnParameter is fine). */
  restApiId: string;
  /** Stage. @default 'prod' */
  stageName?: string;
}

/** A function URL in another account, described by its URL and its function's ARN. */
export interface RemoteFunctionUrl {
  /** The URL, `https://<url-id>.lambda-url.<region>.on.aws/` (a token is fine). */
  url: string;
  /** ARN of the function behind it, what the identity statements name. */
  functionArn: string;
}

/** An HTTP API in another account, called through a role assumed there. */
export interface RemoteHttpApi {
  /** Region of the API. */
  region: string;
  /** Id of the HTTP API (a token is fine). */
  httpApiId: string;
  /** The role of the API's account that may invoke it (`IamHttpApi.callerRole`): assumed with sts:AssumeRole. */
  callerRoleArn: string;
}

/** Props of {@link RequestorFunction}. Give exactly one of `api` and `remoteApi`, at most one of each other pair. */
export interface RequestorFunctionProps {
  /** The REST API in the same stack or account. @default none: `remoteApi` is used */
  api?: IamRestApi;
  /** The REST API in another account. @default none: `api` is used */
  remoteApi?: RemoteApi;
  /** A function URL in the same account. @default none */
  functionUrl?: IamFunctionUrl;
  /** A function URL in another account. @default none */
  remoteFunctionUrl?: RemoteFunctionUrl;
  /** An HTTP API in the same account. @default none */
  httpApi?: IamHttpApi;
  /** An HTTP API in another account. @default none */
  remoteHttpApi?: RemoteHttpApi;
  /** Method the requestor calls and is allowed to invoke on the REST and HTTP APIs. @default 'GET' */
  method?: string;
  /** Path the requestor calls and is allowed to invoke on the REST and HTTP APIs. @default '/' */
  path?: string;
  /** Physical name of the execution role, for APIs that trust a role ARN. @default generated */
  roleName?: string;
  /**
   * Call a private REST API: the function runs in the endpoint's VPC, may connect to the endpoint
   * only, and the endpoint's policy lets only its role invoke the API. The REST API only: with
   * private DNS on, no public execute-api host (an HTTP API) answers from the VPC, and isolated
   * subnets reach no function URL. @default none: the function runs outside any VPC
   */
  private?: RequestorPrivateNetwork;
}

/** Where a requestor of a private REST API runs. */
export interface RequestorPrivateNetwork {
  /**
   * The execute-api endpoint to call through, and its VPC: give it when the API's policy must
   * name the endpoint before the requestor exists (one stack). @default a new
   * {@link ExecuteApiEndpoint} (isolated VPC) beside this construct, with the id `<id>Network`
   */
  endpoint?: ExecuteApiEndpoint;
}

/**
 * The `requestor` Lambda: `IAM_API` points at the REST API's stage URL, `IAM_FUNCTION_URL` and
 * `IAM_HTTP_API` at the other targets given (`IAM_HTTP_API_ROLE` names the role to assume for a
 * remote HTTP API). Its role may invoke exactly one method ARN of each API (`GET /` by default)
 * and the one function behind the URL, never `*`. With `private`, it runs in an isolated VPC
 * and calls the REST API through an execute-api endpoint (`IAM_API` only).
 *
 * @example
 * ```ts
 * new RequestorFunction(this, 'Requestor', { api, functionUrl, httpApi });
 * new RequestorFunction(this, 'Requestor', { remoteApi: { account: '222222222222', region: 'eu-west-1', restApiId } });
 * // a private API in another account: its policy names `requestor.vpcEndpoint?.vpcEndpointId`
 * const requestor = new RequestorFunction(this, 'Requestor', { remoteApi, private: {} });
 * ```
 */
export class RequestorFunction extends HandlerFunction {
  /** The one execute-api ARN of the REST API the role may invoke. */
  public readonly invokeArn: string;
  /** With `private`: the execute-api endpoint the function calls through (its id, `vpcEndpoint.vpcEndpointId`). */
  public readonly vpcEndpoint: ExecuteApiEndpoint | undefined;

  public constructor(scope: Construct, id: string, props: RequestorFunctionProps) {
    const { api, remoteApi } = props;
    if ((api === undefined) === (remoteApi === undefined)) {
      throw new Error(
        `RequestorFunction ${id}: give exactly one of \`api\` (same account) and \`remoteApi\` (another account).`,
      );
    }
    for (const [same, remote] of [
      ['functionUrl', 'remoteFunctionUrl'],
      ['httpApi', 'remoteHttpApi'],
    ] as const) {
      if (props[same] !== undefined && props[remote] !== undefined)
        throw new Error(`RequestorFunction ${id}: give at most one of \`${same}\` and \`${remote}\`.`);
    }
    if (props.private) {
      const publicTargets = (['functionUrl', 'remoteFunctionUrl', 'httpApi', 'remoteHttpApi'] as const).filter(
        (target) => props[target] !== undefined,
      );
      if (publicTargets.length > 0) {
        throw new Error(
          `RequestorFunction ${id}: \`private\` calls the REST API only (private DNS hides public execute-api hosts, isolated subnets reach no function URL): drop ${publicTargets.map((t) => `\`${t}\``).join(', ')}.`,
        );
      }
    }
    const method = (props.method ?? 'GET').toUpperCase();
    const path = props.path ?? '/';
    if (!path.startsWith('/'))
      throw new Error(`RequestorFunction ${id}: \`path\` must start with "/", got ${JSON.stringify(path)}.`);
    const stage = remoteApi?.stageName ?? 'prod';
    const environment: Record<string, string> = {
      IAM_API: api
        ? api.url
        : `https://${remoteApi?.restApiId}.execute-api.${remoteApi?.region}.${Aws.URL_SUFFIX}/${stage}/`,
    };
    const functionUrl = props.functionUrl?.url ?? props.remoteFunctionUrl?.url;
    if (functionUrl) environment.IAM_FUNCTION_URL = functionUrl;
    const { remoteHttpApi } = props;
    const httpApiUrl =
      props.httpApi?.url ??
      (remoteHttpApi && `https://${remoteHttpApi.httpApiId}.execute-api.${remoteHttpApi.region}.${Aws.URL_SUFFIX}/`);
    if (httpApiUrl) environment.IAM_HTTP_API = httpApiUrl;
    if (remoteHttpApi) environment.IAM_HTTP_API_ROLE = remoteHttpApi.callerRoleArn;
    // Created before the function, which goes in its VPC: a sibling, as `this` does not exist yet.
    const vpcEndpoint = props.private
      ? (props.private.endpoint ?? new ExecuteApiEndpoint(scope, `${id}Network`))
      : undefined;
    super(scope, id, {
      handler: 'requestor',
      description: vpcEndpoint
        ? 'Calls the private IAM-authorized REST API through its VPC endpoint (without and with a SigV4 signature)'
        : 'Calls the IAM-authorized REST API (without and with a SigV4 signature), function URL and HTTP API',
      environment,
      roleName: props.roleName,
      network: vpcEndpoint && { vpc: vpcEndpoint.vpc, subnets: vpcEndpoint.subnets },
    });
    this.vpcEndpoint = vpcEndpoint;

    this.invokeArn = api
      ? api.methodArn(method, path)
      : `arn:${Aws.PARTITION}:execute-api:${remoteApi?.region}:${remoteApi?.account}:${remoteApi?.restApiId}/${stage}/${method}${path}`;
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'InvokeOneMethod', actions: ['execute-api:Invoke'], resources: [this.invokeArn] }),
    );
    if (vpcEndpoint) {
      vpcEndpoint.allowFrom(this.function);
      // A same-stack API's policy names this endpoint; naming the API's id here would close a
      // circular reference: the endpoint allows the method on this stage of any API of the account.
      const apiArn = api
        ? Stack.of(api).formatArn({
            service: 'execute-api',
            resource: '*',
            resourceName: `${api.stageName}/${method}${path}`,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          })
        : this.invokeArn;
      vpcEndpoint.allowInvoke(this.role, [apiArn]);
    }
    props.functionUrl?.grantInvokeUrl(this.role);
    if (props.remoteFunctionUrl) {
      for (const statement of IamFunctionUrl.callerStatements(props.remoteFunctionUrl.functionArn)) {
        this.role.addToPrincipalPolicy(statement);
      }
    }
    props.httpApi?.grantInvoke(this.role, method, path);
    if (remoteHttpApi) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'AssumeHttpApiCallerRole',
          actions: ['sts:AssumeRole'],
          resources: [remoteHttpApi.callerRoleArn],
        }),
      );
    }
  }
}
