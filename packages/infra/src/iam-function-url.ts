import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnPermission, FunctionUrl, FunctionUrlAuthType, type IFunction, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Props of {@link IamFunctionUrl}. */
export interface IamFunctionUrlProps {
  /** The function the URL invokes (its unqualified ARN, `$LATEST`). */
  handler: IFunction;
  /**
   * Accounts whose principals may call the URL. Each gets two statements in the function's
   * resource-based policy (`lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` via the URL);
   * its callers still need the identity statements of {@link IamFunctionUrl.callerStatements}.
   * The function's own account needs none: an identity policy suffices there.
   * @default none
   */
  trustedAccounts?: string[];
  /**
   * Role ARNs of other accounts that may call the URL, two statements each as for
   * `trustedAccounts`. Lambda refuses a principal that does not exist yet: trust the account
   * instead when the role is deployed after this construct.
   * @default none
   */
  trustedRoleArns?: string[];
  /** Buffered or streamed responses. @default InvokeMode.BUFFERED */
  invokeMode?: InvokeMode;
}

/**
 * A Lambda function URL with `AuthType: AWS_IAM`. Since October 2025 a new function URL
 * needs both `lambda:InvokeFunctionUrl` (condition `lambda:FunctionUrlAuthType: AWS_IAM`) and
 * `lambda:InvokeFunction` (condition `lambda:InvokedViaFunctionUrl: true`), in the caller's
 * identity policy and, from another account, in the function's resource-based policy too.
 *
 * @example
 * ```ts
 * const url = new IamFunctionUrl(this, 'Url', { handler: fn, trustedAccounts: ['111111111111'] });
 * url.grantInvokeUrl(sameAccountRole);
 * // in the caller's account:
 * for (const s of IamFunctionUrl.callerStatements(functionArn)) callerRole.addToPrincipalPolicy(s);
 * ```
 */
export class IamFunctionUrl extends Construct {
  /**
   * The identity statements a caller needs, on `functionArn` only: `lambda:InvokeFunctionUrl`
   * for AWS_IAM URLs and `lambda:InvokeFunction` through a function URL only.
   *
   * @example
   * ```ts
   * IamFunctionUrl.callerStatements('arn:aws:lambda:eu-west-1:222222222222:function:hello');
   * ```
   */
  public static callerStatements(functionArn: string): PolicyStatement[] {
    return [
      new PolicyStatement({
        actions: ['lambda:InvokeFunctionUrl'],
        resources: [functionArn],
        conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': FunctionUrlAuthType.AWS_IAM } },
      }),
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [functionArn],
        conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      }),
    ];
  }

  public readonly functionUrl: FunctionUrl;
  public readonly function: IFunction;

  public constructor(scope: Construct, id: string, props: IamFunctionUrlProps) {
    super(scope, id);
    this.function = props.handler;
    this.functionUrl = new FunctionUrl(this, 'Url', {
      function: props.handler,
      authType: FunctionUrlAuthType.AWS_IAM,
      invokeMode: props.invokeMode ?? InvokeMode.BUFFERED,
    });
    const principals = [...new Set([...(props.trustedAccounts ?? []), ...(props.trustedRoleArns ?? [])])];
    principals.forEach((principal, index) => {
      // One statement per action and principal, as Lambda's AddPermission writes them.
      new CfnPermission(this, `InvokeFunctionUrl${index}`, {
        action: 'lambda:InvokeFunctionUrl',
        functionName: props.handler.functionArn,
        principal,
        functionUrlAuthType: FunctionUrlAuthType.AWS_IAM,
      });
      new CfnPermission(this, `InvokeFunctionViaUrl${index}`, {
        action: 'lambda:InvokeFunction',
        functionName: props.handler.functionArn,
        principal,
        invokedViaFunctionUrl: true,
      });
    });
  }

  /** The URL, `https://<url-id>.lambda-url.<region>.on.aws/`. */
  public get url(): string {
    return this.functionUrl.url;
  }

  /**
   * Lets a principal of this account call the URL: the two {@link callerStatements} in its
   * identity policy.
   *
   * @example
   * ```ts
   * url.grantInvokeUrl(requestor.role);
   * ```
   */
  public grantInvokeUrl(grantee: IGrantable): void {
    for (const statement of IamFunctionUrl.callerStatements(this.function.functionArn)) {
      grantee.grantPrincipal.addToPrincipalPolicy(statement);
    }
  }
}
