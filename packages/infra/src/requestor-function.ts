import { Aws } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
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
}

/**
 * The `requestor` Lambda: `IAM_API` points at the REST API's stage URL, `IAM_FUNCTION_URL` and
 * `IAM_HTTP_API` at the other targets given (`IAM_HTTP_API_ROLE` names the role to assume for a
 * remote HTTP API). Its role may invoke exactly one method ARN of each API (`GET /` by default)
 * and the one function behind the URL, never `*`.
 *
 * @example
 * ```ts
 * new RequestorFunction(this, 'Requestor', { api, functionUrl, httpApi });
 * new RequestorFunction(this, 'Requestor', { remoteApi: { account: '222222222222', region: 'eu-west-1', restApiId } });
 * ```
 */
export class RequestorFunction extends HandlerFunction {
  /** The one execute-api ARN of the REST API the role may invoke. */
  public readonly invokeArn: string;

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
    super(scope, id, {
      handler: 'requestor',
      description: 'Calls the IAM-authorized REST API (without and with a SigV4 signature), function URL and HTTP API',
      environment,
      roleName: props.roleName,
    });

    this.invokeArn = api
      ? api.methodArn(method, path)
      : `arn:${Aws.PARTITION}:execute-api:${remoteApi?.region}:${remoteApi?.account}:${remoteApi?.restApiId}/${stage}/${method}${path}`;
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'InvokeOneMethod', actions: ['execute-api:Invoke'], resources: [this.invokeArn] }),
    );
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
