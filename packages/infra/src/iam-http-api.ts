import { Arn, ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AccountPrincipal,
  CompositePrincipal,
  type IGrantable,
  type IPrincipal,
  PolicyStatement,
  PrincipalWithConditions,
  Role,
} from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** One route of an HTTP API, as a grant names it. */
export interface HttpRouteGrant {
  /** HTTP method, or `ANY`. */
  method: string;
  /** Request path, starting with `/`, e.g. `/` or `/orders/42`. */
  path: string;
}

/** Props of {@link IamHttpApi}. */
export interface IamHttpApiProps {
  /** The Lambda behind `GET /` and `ANY /{proxy+}` (payload format 2.0). */
  handler: IFunction;
  /**
   * Role ARNs of other accounts that may assume the caller role. Its trust policy allows each
   * role's account on condition that `aws:PrincipalArn` is one of these ARNs: exact roles, and a
   * trust policy IAM accepts before those roles exist.
   * @default none
   */
  trustedRoleArns?: string[];
  /** Accounts any of whose principals may assume the caller role (prefer `trustedRoleArns`). @default none */
  trustedAccounts?: string[];
  /** The routes the caller role may invoke, exactly. @default GET / */
  callerRoutes?: HttpRouteGrant[];
  /** Physical name of the caller role. @default generated */
  callerRoleName?: string;
  /** Steady-state requests per second of the `$default` stage. @default 100 */
  throttlingRateLimit?: number;
  /** Burst of the `$default` stage. @default 50 */
  throttlingBurstLimit?: number;
  /** Retention of the JSON access logs. @default one month */
  accessLogRetention?: RetentionDays;
  /** Name of the HTTP API. @default `<stack name>-<construct id>` */
  apiName?: string;
}

/** The stage HTTP APIs serve at the root of their URL. */
export const DEFAULT_STAGE = '$default';

// HTTP APIs have their own $context variables (no resourcePath); these fill a JSON line each.
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    caller: '$context.identity.caller',
    userArn: '$context.identity.userArn',
    requestTime: '$context.requestTime',
    httpMethod: '$context.httpMethod',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    error: '$context.error.message',
    integrationError: '$context.integrationErrorMessage',
  }),
);

const ROLE_ARN = /^arn:[^:]+:iam::(\d{12}):role\/[\w+=,.@/-]+$/;

/**
 * An API Gateway HTTP API whose every route uses AWS_IAM: `GET /` and `ANY /{proxy+}` to one
 * Lambda (payload 2.0), `$default` stage (auto deploy) with JSON access logs and throttling.
 * HTTP APIs have no resource policy: a caller in another account assumes the caller role this
 * construct creates in the API's account, which may invoke exactly `callerRoutes`.
 *
 * @example
 * ```ts
 * const api = new IamHttpApi(this, 'HttpApi', {
 *   handler: fn,
 *   trustedRoleArns: ['arn:aws:iam::111111111111:role/requestor'],
 * });
 * api.grantInvoke(sameAccountRole, 'GET', '/');
 * api.callerRole?.roleArn; // what the other account's role assumes (sts:AssumeRole)
 * ```
 */
export class IamHttpApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  /** The role callers of other accounts assume; undefined when none is trusted. */
  public readonly callerRole: Role | undefined;

  public constructor(scope: Construct, id: string, props: IamHttpApiProps) {
    super(scope, id);
    const integration = new HttpLambdaIntegration('Integration', props.handler);
    this.api = new HttpApi(this, 'Api', {
      apiName: props.apiName ?? `${Stack.of(this).stackName}-${id}`,
      description: 'IAM-authorized HTTP API (iam-m2m)',
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    this.api.addRoutes({ path: '/', methods: [HttpMethod.GET], integration });
    this.api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: DEFAULT_STAGE,
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit ?? 100, burstLimit: props.throttlingBurstLimit ?? 50 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    this.callerRole = this.createCallerRole(id, props);
  }

  /** The `$default` stage's URL, `https://<api-id>.execute-api.<region>.amazonaws.com/`. */
  public get url(): string {
    return this.stage.url;
  }

  /** The API id. */
  public get httpApiId(): string {
    return this.api.apiId;
  }

  /**
   * The execute-api ARN of one route on the `$default` stage, what a caller's identity policy
   * must allow (`ANY` becomes `*`).
   * @example `api.routeArn('GET', '/')` → `arn:aws:execute-api:<region>:<account>:<id>/$default/GET/`
   */
  public routeArn(method: string, path: string): string {
    if (!path.startsWith('/'))
      throw new Error(`IamHttpApi: a route path must start with "/", got ${JSON.stringify(path)}.`);
    return this.api.arnForExecuteApi(method.toUpperCase(), path, DEFAULT_STAGE);
  }

  /**
   * Lets a principal of this account invoke exactly one route: `execute-api:Invoke` on
   * {@link routeArn} in its identity policy.
   *
   * @example
   * ```ts
   * api.grantInvoke(requestor.role, 'GET', '/');
   * ```
   */
  public grantInvoke(grantee: IGrantable, method = 'GET', path = '/'): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['execute-api:Invoke'], resources: [this.routeArn(method, path)] }),
    );
  }

  private createCallerRole(id: string, props: IamHttpApiProps): Role | undefined {
    const roleArns = [...new Set(props.trustedRoleArns ?? [])];
    const accounts = [...new Set(props.trustedAccounts ?? [])];
    if (roleArns.length === 0 && accounts.length === 0) return undefined;
    const accountsOf = (list: string[]): IPrincipal => {
      const principals = list.map((account) => new AccountPrincipal(account));
      return principals.length === 1 ? (principals[0] as IPrincipal) : new CompositePrincipal(...principals);
    };
    const roleAccounts = [...new Set(roleArns.map((arn) => accountOfRole(id, arn)))];
    const role = new Role(this, 'CallerRole', {
      roleName: props.callerRoleName,
      description: 'Assumed by callers in other accounts to invoke the IAM-authorized HTTP API (iam-m2m)',
      assumedBy:
        roleArns.length > 0
          ? new PrincipalWithConditions(accountsOf(roleAccounts), { ArnEquals: { 'aws:PrincipalArn': roleArns } })
          : accountsOf(accounts),
    });
    if (roleArns.length > 0 && accounts.length > 0) {
      role.assumeRolePolicy?.addStatements(
        new PolicyStatement({ actions: ['sts:AssumeRole'], principals: [accountsOf(accounts)] }),
      );
    }
    for (const route of props.callerRoutes ?? [{ method: 'GET', path: '/' }]) {
      this.grantInvoke(role, route.method, route.path);
    }
    return role;
  }
}

/** The account of an IAM role ARN; a token ARN (a parameter, an attribute) is split at deploy time. */
function accountOfRole(id: string, arn: string): string {
  const account = ROLE_ARN.exec(arn)?.[1];
  if (account) return account;
  if (Token.isUnresolved(arn)) return Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME).account ?? '';
  throw new Error(
    `IamHttpApi ${id}: trustedRoleArns must be IAM role ARNs like arn:aws:iam::111111111111:role/name, got ${JSON.stringify(arn)}.`,
  );
}
