import { RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  type IConnectable,
  InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  type IVpc,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { type IPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Props of {@link ExecuteApiEndpoint}. */
export interface ExecuteApiEndpointProps {
  /**
   * The VPC of the endpoint. @default a new VPC in two Availability Zones with isolated subnets
   * only (no NAT gateway, no internet gateway) and flow logs
   */
  vpc?: IVpc;
  /** The endpoint's subnets. @default a new VPC's isolated subnets; a given VPC's private subnets, else its isolated ones */
  subnets?: SubnetSelection;
  /** Retention of a new VPC's flow logs. @default one month */
  flowLogRetention?: RetentionDays;
}

/**
 * An interface VPC endpoint for execute-api with private DNS, the one way into a private REST
 * API (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-create.html):
 * in the VPC, `{api-id}.execute-api.{region}.amazonaws.com` resolves to it. Closed until told
 * otherwise: its security group lets in only what {@link allowFrom} names (HTTPS), and
 * {@link allowInvoke} writes its policy, statement by statement.
 *
 * With private DNS on, every execute-api host name resolves to the endpoint inside the VPC, so
 * the VPC reaches no public (regional or edge) API nor HTTP API any more
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html).
 *
 * @example
 * ```ts
 * const endpoint = new ExecuteApiEndpoint(this, 'Network');
 * endpoint.allowFrom(caller.function);
 * endpoint.allowInvoke(caller.role, ['arn:aws:execute-api:eu-west-1:222222222222:a1b2c3d4e5/prod/GET/']);
 * new IamRestApi(this, 'Api', { handler, private: { vpcEndpointIds: [endpoint.vpcEndpointId] } });
 * ```
 */
export class ExecuteApiEndpoint extends Construct {
  public readonly vpc: IVpc;
  /** The subnets of the endpoint, where callers in the VPC go too. */
  public readonly subnets: SubnetSelection;
  public readonly endpoint: InterfaceVpcEndpoint;

  public constructor(scope: Construct, id: string, props: ExecuteApiEndpointProps = {}) {
    super(scope, id);
    this.subnets = props.subnets ?? (props.vpc ? {} : { subnetType: SubnetType.PRIVATE_ISOLATED });
    this.vpc =
      props.vpc ??
      new Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [{ name: 'Isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
        // Nothing uses the default security group; emptying it would take a custom resource (a Lambda).
        restrictDefaultSecurityGroup: false,
        flowLogs: {
          FlowLog: {
            destination: FlowLogDestination.toCloudWatchLogs(
              new LogGroup(this, 'FlowLogs', {
                retention: props.flowLogRetention ?? RetentionDays.ONE_MONTH,
                removalPolicy: RemovalPolicy.DESTROY,
              }),
            ),
          },
        },
      });
    const securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'execute-api interface endpoint: HTTPS from the callers allowed in, nothing out',
      allowAllOutbound: false,
    });
    this.endpoint = new InterfaceVpcEndpoint(this, 'Endpoint', {
      vpc: this.vpc,
      service: InterfaceVpcEndpointAwsService.APIGATEWAY,
      privateDnsEnabled: true,
      subnets: this.subnets,
      securityGroups: [securityGroup],
      open: false,
    });
  }

  /** The endpoint's id, `vpce-…`: what a private API's resource policy names. */
  public get vpcEndpointId(): string {
    return this.endpoint.vpcEndpointId;
  }

  /**
   * Lets a caller in the VPC connect to the endpoint on 443 (ingress here, egress on the caller's
   * security groups).
   *
   * @example
   * ```ts
   * endpoint.allowFrom(requestor.function);
   * ```
   */
  public allowFrom(caller: IConnectable): void {
    this.endpoint.connections.allowDefaultPortFrom(caller, 'HTTPS to the execute-api endpoint');
  }

  /**
   * Adds a statement to the endpoint policy: `execute-api:Invoke` on `resources` for `principal`
   * only. Requests through the endpoint that no statement allows (unsigned ones included) are
   * denied before the API sees them.
   *
   * @example
   * ```ts
   * endpoint.allowInvoke(requestor.role, [api.methodArn('GET', '/')]);
   * ```
   */
  public allowInvoke(principal: IPrincipal, resources: string[]): void {
    this.endpoint.addToPolicy(
      new PolicyStatement({ principals: [principal], actions: ['execute-api:Invoke'], resources }),
    );
  }
}
