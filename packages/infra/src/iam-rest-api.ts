import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
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
}

/**
 * A REST API whose every method uses AWS_IAM authorization, with a resource policy that
 * allows `execute-api:Invoke` on its stage to the trusted accounts, roles and organization
 * only; stage with X-Ray tracing, JSON access logs and throttling; `GET /` and
 * `ANY /{proxy+}` routed to one Lambda.
 *
 * @example
 * ```ts
 * const api = new IamRestApi(this, 'Api', { handler: hello.function, trustedAccounts: ['111111111111'] });
 * api.methodArn('GET', '/'); // what a caller's role must be allowed to invoke
 * ```
 */
export class IamRestApi extends Construct {
  public readonly api: RestApi;
  public readonly stageName: string;

  public constructor(scope: Construct, id: string, props: IamRestApiProps) {
    super(scope, id);
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
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: props.restApiName,
      description: 'IAM-authorized REST API (iam-m2m)',
      endpointTypes: [EndpointType.REGIONAL],
      policy: new PolicyDocument({ statements }),
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
