import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import {
  AccountPrincipal,
  AnyPrincipal,
  ArnPrincipal,
  Effect,
  type IPrincipal,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Props of {@link IamRestApi}. */
export interface IamRestApiProps {
  /** The Lambda behind `GET /` and `ANY /{proxy+}` (REST proxy integration). */
  handler: IFunction;
  /** Accounts whose principals may invoke the API; the API's own account is always trusted. @default none besides its own */
  trustedAccounts?: string[];
  /** Role ARNs that may invoke the API (physically named roles of other accounts). @default none */
  trustedRoleArns?: string[];
  /** An organization whose principals may invoke the API (`aws:PrincipalOrgID`). @default none */
  trustedOrganizationId?: string;
  /** Stage name. @default 'prod' */
  stageName?: string;
  /** Steady-state requests per second of the stage. @default 100 */
  throttlingRateLimit?: number;
  /** Burst of the stage. @default 50 */
  throttlingBurstLimit?: number;
  /** Retention of the JSON access logs. @default one month */
  accessLogRetention?: RetentionDays;
  /** Name of the REST API. @default 'Api' */
  restApiName?: string;
  /**
   * Make the API private: reachable only through the given interface VPC endpoints for
   * execute-api, every other request denied by the resource policy. @default none: a regional API
   */
  private?: PrivateEndpoint;
}

/**
 * A private REST API's endpoints
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-create.html).
 */
export interface PrivateEndpoint {
  /**
   * Ids of the interface VPC endpoints for execute-api (`vpce-…`, in any account) whose requests
   * the API accepts; tokens such as a CfnParameter's value are fine. The resource policy denies
   * every request whose `aws:SourceVpce` is none of them. They are not associated with the API
   * (`EndpointConfiguration.VpcEndpointIds`): that only serves the `{api-id}-{vpce-id}` host
   * names (or a Route 53 alias) of callers without private DNS; with private DNS on the
   * endpoint, callers use the API's own host name.
   */
  vpcEndpointIds: string[];
}

const VPC_ENDPOINT_ID = /^vpce-[0-9a-f]{8,17}$/;

/**
 * A REST API whose every method uses AWS_IAM authorization, with a resource policy that
 * allows `execute-api:Invoke` on its stage to the trusted accounts, roles and organization
 * only; stage with X-Ray tracing, JSON access logs and throttling; `GET /` and
 * `ANY /{proxy+}` routed to one Lambda.
 *
 * With `private`, the endpoint type is PRIVATE and the policy also denies `execute-api:Invoke`
 * on `execute-api:/*` to everyone whose request did not come through one of the given VPC
 * endpoints (`StringNotEquals aws:SourceVpce`), the example of
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html:
 * without that Deny, the Allow alone lets the trusted principals in through any VPC endpoint of
 * any account, so the API would be private in name only.
 *
 * @example
 * ```ts
 * const api = new IamRestApi(this, 'Api', { handler: hello.function, trustedAccounts: ['111111111111'] });
 * api.methodArn('GET', '/'); // what a caller's role must be allowed to invoke
 * new IamRestApi(this, 'PrivateApi', { handler, private: { vpcEndpointIds: ['vpce-0123456789abcdef0'] } });
 * ```
 */
export class IamRestApi extends Construct {
  public readonly api: RestApi;
  public readonly stageName: string;

  public constructor(scope: Construct, id: string, props: IamRestApiProps) {
    super(scope, id);
    const vpcEndpointIds = props.private?.vpcEndpointIds;
    if (vpcEndpointIds) {
      const malformed = vpcEndpointIds.filter((vpce) => !Token.isUnresolved(vpce) && !VPC_ENDPOINT_ID.test(vpce));
      if (vpcEndpointIds.length === 0 || malformed.length > 0) {
        throw new Error(
          `IamRestApi ${id}: \`private.vpcEndpointIds\` must be one or more VPC endpoint ids like vpce-0123456789abcdef0, got ${JSON.stringify(vpcEndpointIds)}.`,
        );
      }
    }
    this.stageName = props.stageName ?? 'prod';
    const invoke = `execute-api:/${this.stageName}/*`;
    const principals: IPrincipal[] = [...new Set([Stack.of(this).account, ...(props.trustedAccounts ?? [])])].map(
      (account) => new AccountPrincipal(account),
    );
    for (const arn of props.trustedRoleArns ?? []) principals.push(new ArnPrincipal(arn));
    const statements = [
      new PolicyStatement({ sid: 'TrustedCallers', principals, actions: ['execute-api:Invoke'], resources: [invoke] }),
    ];
    if (props.trustedOrganizationId) {
      statements.push(
        new PolicyStatement({
          sid: 'TrustedOrganization',
          principals: [new AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: [invoke],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': props.trustedOrganizationId } },
        }),
      );
    }
    if (vpcEndpointIds) {
      statements.push(
        new PolicyStatement({
          sid: 'OnlyThroughVpcEndpoints',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*'],
          conditions: {
            StringNotEquals: { 'aws:SourceVpce': vpcEndpointIds.length === 1 ? vpcEndpointIds[0] : vpcEndpointIds },
          },
        }),
      );
    }
    const policy = new PolicyDocument({ statements });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: props.restApiName,
      description: 'IAM-authorized REST API (iam-m2m)',
      ...(vpcEndpointIds
        ? { endpointConfiguration: { types: [EndpointType.PRIVATE] } }
        : { endpointTypes: [EndpointType.REGIONAL] }),
      policy,
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: this.stageName,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.OFF,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 50,
      },
    });
    // A changed resource policy takes effect only with a new deployment of the stage.
    if (vpcEndpointIds) this.api.latestDeployment?.addToLogicalId({ policy });
    const integration = new LambdaIntegration(props.handler, { allowTestInvoke: false });
    this.api.root.addMethod('GET', integration);
    // A plain resource, not addProxy(): addProxy() would also put ANY on `/`.
    this.api.root.addResource('{proxy+}').addMethod('ANY', integration);

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-APIG2',
        reason:
          'Lambda proxy integration: the function validates its own input; API Gateway models would duplicate it.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-APIG3',
        reason:
          'Callers are SigV4-signed principals of trusted accounts (IAM auth + resource policy); add WAF where the API is exposed to untrusted networks.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-APIG6',
        reason:
          'JSON access logs are on; execution logging needs an account-wide API Gateway CloudWatch role this app should not own.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-COG4',
        reason:
          'Machine-to-machine calls authorize with AWS_IAM (SigV4), not Cognito user pools: that is the point of the pattern.',
      },
    );
  }

  /** The stage URL, ending in `/`. */
  public get url(): string {
    return this.api.url;
  }

  /** The API id. */
  public get restApiId(): string {
    return this.api.restApiId;
  }

  /**
   * The execute-api ARN of one method, what a caller's identity policy must allow.
   * @example `api.methodArn('GET', '/')` → `arn:aws:execute-api:<region>:<account>:<id>/prod/GET/`
   */
  public methodArn(method: string, path: string): string {
    return this.api.arnForExecuteApi(method, path, this.stageName);
  }
}
