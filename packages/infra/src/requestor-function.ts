import { Aws } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { HandlerFunction } from './handler-function.js';
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

/** Props of {@link RequestorFunction}. Give exactly one of `api` and `remoteApi`. */
export interface RequestorFunctionProps {
  /** The API in the same stack or account. @default none: `remoteApi` is used */
  api?: IamRestApi;
  /** The API in another account. @default none: `api` is used */
  remoteApi?: RemoteApi;
  /** Method the requestor calls and is allowed to invoke. @default 'GET' */
  method?: string;
  /** Path the requestor calls and is allowed to invoke. @default '/' */
  path?: string;
  /** Physical name of the execution role, for APIs that trust a role ARN. @default generated */
  roleName?: string;
}

/**
 * The `requestor` Lambda: `IAM_API` points at the API's stage URL and its role may invoke
 * exactly one method ARN (`GET /` by default), never `*`.
 *
 * @example
 * ```ts
 * new RequestorFunction(this, 'Requestor', { api });
 * new RequestorFunction(this, 'Requestor', { remoteApi: { account: '222222222222', region: 'eu-west-1', restApiId } });
 * ```
 */
export class RequestorFunction extends HandlerFunction {
  /** The one execute-api ARN the role may invoke. */
  public readonly invokeArn: string;

  public constructor(scope: Construct, id: string, props: RequestorFunctionProps) {
    const { api, remoteApi } = props;
    if ((api === undefined) === (remoteApi === undefined)) {
      throw new Error(
        `RequestorFunction ${id}: give exactly one of \`api\` (same account) and \`remoteApi\` (another account).`,
      );
    }
    const method = (props.method ?? 'GET').toUpperCase();
    const path = props.path ?? '/';
    if (!path.startsWith('/'))
      throw new Error(`RequestorFunction ${id}: \`path\` must start with "/", got ${JSON.stringify(path)}.`);
    const stage = remoteApi?.stageName ?? 'prod';
    const url = api
      ? api.url
      : `https://${remoteApi?.restApiId}.execute-api.${remoteApi?.region}.${Aws.URL_SUFFIX}/${stage}/`;
    super(scope, id, {
      handler: 'requestor',
      description: 'Calls the IAM-authorized API without and with a SigV4 signature',
      environment: { IAM_API: url },
      roleName: props.roleName,
    });
    this.invokeArn = api
      ? api.methodArn(method, path)
      : `arn:${Aws.PARTITION}:execute-api:${remoteApi?.region}:${remoteApi?.account}:${remoteApi?.restApiId}/${stage}/${method}${path}`;
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'InvokeOneMethod', actions: ['execute-api:Invoke'], resources: [this.invokeArn] }),
    );
  }
}
