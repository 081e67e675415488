import type { PolicyDocument } from '../iam/policy.js';
import { stableId } from './ids.js';
import { type ResolutionScope, resolve } from './intrinsics.js';

// The networks of an app as far as they change an answer: which VPC a function is in, whether its
// subnets reach the internet, and the interface VPC endpoints it reaches AWS services through.

/** A VPC of the app (`AWS::EC2::VPC`). */
export interface VpcModel {
  stackName: string;
  logicalId: string;
  /** `vpc-` and 17 hexadecimal digits. */
  vpcId: string;
  accountId: string;
  region: string;
  /** Its `CidrBlock`, e.g. `10.0.0.0/16`. */
  cidr: string;
}

/** A VPC endpoint (`AWS::EC2::VPCEndpoint`): an interface endpoint, or a gateway endpoint (S3, DynamoDB). */
export interface VpcEndpointModel {
  /** `Interface` (its own DNS names, a policy evaluated by the service) or `Gateway` (routes only). */
  type: 'Interface' | 'Gateway';
  stackName: string;
  logicalId: string;
  /** `vpce-` and 17 hexadecimal digits. */
  id: string;
  vpcId: string;
  accountId: string;
  region: string;
  /** The service as its host names it: `execute-api`, `sts`, `lambda`… (the last label of `ServiceName`). */
  service: string;
  /** `com.amazonaws.<region>.<service>`. */
  serviceName: string;
  /** `PrivateDnsEnabled`: in its VPC, the service's own host names resolve to it. */
  privateDns: boolean;
  /** Its `PolicyDocument`; undefined: the default policy, which allows everything. */
  policy?: PolicyDocument | undefined;
  /** Its regional DNS name: `vpce-<id>-<8 characters>.<service>.<region>.vpce.amazonaws.com`. */
  dnsName: string;
}

/** Where a function's network interfaces are (`VpcConfig`), and what that lets it reach. */
export interface FunctionNetwork {
  /** Undefined when its subnets are not in the app (imported by id). */
  vpcId: string | undefined;
  subnetIds: string[];
  /**
   * Every subnet of it has a default route to a NAT gateway (or a NAT instance, a transit
   * gateway): it reaches the internet. An internet gateway alone does not give a function a
   * public address. Undefined when its subnets are not in the app.
   */
  internet: boolean | undefined;
}

/** What the network readers collect, linked once every stack is read. */
export interface NetworkParts {
  vpcs: VpcModel[];
  endpoints: VpcEndpointModel[];
  /** Subnet id → its VPC. */
  subnets: Map<string, string>;
  /** Subnet id → its route table. */
  associations: Map<string, string>;
  /** Route tables with a default route to a NAT (what gives a function in the subnet the internet). */
  natRouteTables: Set<string>;
}

/** What the readers need of the stack being read (the assembly reader's stack input has it). */
interface NetworkStack {
  scope: ResolutionScope;
  attempt: <T>(what: string, run: () => T) => T | undefined;
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

const HEX = '0123456789abcdef';
/** `<prefix>-` and 17 hexadecimal digits, derived from account, stack and logical id: the same on every start. */
const ec2Id = (prefix: string, stack: NetworkStack, logicalId: string) =>
  `${prefix}-${stableId(`${prefix}/${stack.scope.accountId}/${stack.scope.stackName}/${logicalId}`, 17, HEX)}`;

/** The service of an endpoint's `ServiceName`: `com.amazonaws.us-east-1.execute-api` → `execute-api`. */
export const endpointService = (serviceName: string) => serviceName.split('.').at(-1) ?? serviceName;

/** `Ref` and `Fn::GetAtt` of the EC2 types templates reference. */
export const NETWORK_NAMERS: Record<
  string,
  (
    logicalId: string,
    resource: Resource,
    stack: NetworkStack,
  ) => { ref: string; attributes?: Record<string, string | string[]> }
> = {
  'AWS::EC2::VPC': (logicalId, resource, stack) => {
    const vpcId = ec2Id('vpc', stack, logicalId);
    // IPAM-allocated VPCs have none, and one the stack cannot resolve only sets aws:VpcSourceIp: the usual range stands for it.
    let cidr: unknown = '10.0.0.0/16';
    try {
      cidr = resolve(resource.Properties?.CidrBlock ?? cidr, stack.scope);
    } catch {}
    return {
      ref: vpcId,
      attributes: {
        VpcId: vpcId,
        CidrBlock: String(cidr),
        CidrBlockAssociations: [],
        Ipv6CidrBlocks: [],
        DefaultSecurityGroup: ec2Id('sg', stack, `${logicalId}/default`),
        DefaultNetworkAcl: ec2Id('acl', stack, `${logicalId}/default`),
      },
    };
  },
  'AWS::EC2::Subnet': (logicalId, _resource, stack) => {
    const subnetId = ec2Id('subnet', stack, logicalId);
    return {
      ref: subnetId,
      attributes: { SubnetId: subnetId, NetworkAclAssociationId: ec2Id('aclassoc', stack, logicalId) },
    };
  },
  'AWS::EC2::RouteTable': (logicalId, _resource, stack) => {
    const id = ec2Id('rtb', stack, logicalId);
    return { ref: id, attributes: { RouteTableId: id } };
  },
  'AWS::EC2::InternetGateway': (logicalId, _resource, stack) => {
    const id = ec2Id('igw', stack, logicalId);
    return { ref: id, attributes: { InternetGatewayId: id } };
  },
  'AWS::EC2::NatGateway': (logicalId, _resource, stack) => {
    const id = ec2Id('nat', stack, logicalId);
    return { ref: id, attributes: { NatGatewayId: id } };
  },
  'AWS::EC2::SecurityGroup': (logicalId, _resource, stack) => {
    const id = ec2Id('sg', stack, logicalId);
    return { ref: id, attributes: { GroupId: id } };
  },
  'AWS::EC2::VPCEndpoint': (logicalId, resource, stack) => {
    const id = ec2Id('vpce', stack, logicalId);
    const serviceName = stack.attempt(`${logicalId}.ServiceName`, () =>
      String(resolve(resource.Properties?.ServiceName, stack.scope)),
    );
    const service = endpointService(serviceName ?? '');
    const suffix = `${service}.${stack.scope.region}.vpce.amazonaws.com`;
    const zone = stableId(`zone/${id}`, 13, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
    // The regional name, then one per Availability Zone (DnsEntries as EC2 lists them: `<hosted zone>:<name>`).
    const regional = `${id}-${stableId(`dns/${id}`, 8)}`;
    return {
      ref: id,
      attributes: {
        Id: id,
        DnsEntries: [`${zone}:${regional}.${suffix}`, `${zone}:${regional}-${stack.scope.region}a.${suffix}`],
        NetworkInterfaceIds: [ec2Id('eni', stack, logicalId)],
        CreationTimestamp: '1970-01-01T00:00:00.000Z',
      },
    };
  },
};

/** The regional DNS name of an endpoint, from the attributes its namer gave. */
const regionalName = (attributes: Map<string, string | string[]>, logicalId: string) =>
  String((attributes.get(`${logicalId}.DnsEntries`) as string[] | undefined)?.[0] ?? '').replace(/^[^:]*:/, '');

/** Reads the EC2 types that change an answer into `parts`. */
export const NETWORK_READERS: Record<
  string,
  (logicalId: string, resource: Resource, stack: NetworkStack, parts: NetworkParts) => void
> = {
  'AWS::EC2::VPC': (logicalId, _resource, { scope }, parts) => {
    parts.vpcs.push({
      stackName: scope.stackName,
      logicalId,
      vpcId: scope.refs.get(logicalId) ?? '',
      accountId: scope.accountId,
      region: scope.region,
      cidr: String(scope.attributes.get(`${logicalId}.CidrBlock`)),
    });
  },
  'AWS::EC2::Subnet': (logicalId, resource, stack, parts) => {
    const vpcId = stack.attempt(`${logicalId}.VpcId`, () => String(resolve(resource.Properties?.VpcId, stack.scope)));
    if (vpcId) parts.subnets.set(stack.scope.refs.get(logicalId) ?? logicalId, vpcId);
  },
  'AWS::EC2::SubnetRouteTableAssociation': (logicalId, resource, stack, parts) => {
    const props = stack.attempt(`${logicalId}`, () => resolve(resource.Properties, stack.scope)) as
      | { SubnetId?: unknown; RouteTableId?: unknown }
      | undefined;
    if (props) parts.associations.set(String(props.SubnetId), String(props.RouteTableId));
  },
  'AWS::EC2::Route': (logicalId, resource, stack, parts) => {
    const props = (resource.Properties ?? {}) as Record<string, unknown>;
    if (props.DestinationCidrBlock !== '0.0.0.0/0') return;
    // A NAT gateway, a NAT instance or a transit gateway carries a private address out; an internet gateway does not.
    if (!['NatGatewayId', 'InstanceId', 'NetworkInterfaceId', 'TransitGatewayId'].some((key) => key in props)) return;
    const table = stack.attempt(`${logicalId}.RouteTableId`, () => String(resolve(props.RouteTableId, stack.scope)));
    if (table) parts.natRouteTables.add(table);
  },
  'AWS::EC2::VPCEndpoint': (logicalId, resource, stack, parts) => {
    const { scope } = stack;
    const props = resource.Properties ?? {};
    const type = String(props.VpcEndpointType ?? 'Gateway') === 'Interface' ? 'Interface' : 'Gateway';
    const resolved = stack.attempt(`${logicalId}`, () =>
      resolve(
        {
          VpcId: props.VpcId,
          ServiceName: props.ServiceName,
          PrivateDnsEnabled: props.PrivateDnsEnabled,
          PolicyDocument: props.PolicyDocument,
        },
        scope,
      ),
    ) as { VpcId?: unknown; ServiceName?: unknown; PrivateDnsEnabled?: unknown; PolicyDocument?: unknown } | undefined;
    if (!resolved) return;
    const serviceName = String(resolved.ServiceName);
    const policy =
      typeof resolved.PolicyDocument === 'string' ? JSON.parse(resolved.PolicyDocument) : resolved.PolicyDocument;
    parts.endpoints.push({
      type,
      stackName: scope.stackName,
      logicalId,
      id: scope.refs.get(logicalId) ?? '',
      vpcId: String(resolved.VpcId),
      accountId: scope.accountId,
      region: scope.region,
      service: endpointService(serviceName),
      serviceName,
      // CloudFormation's default for an interface endpoint is false (EC2's console turns it on).
      privateDns: resolved.PrivateDnsEnabled === true || resolved.PrivateDnsEnabled === 'true',
      policy: policy as PolicyDocument | undefined,
      dnsName: regionalName(scope.attributes, logicalId),
    });
  },
};

/** The subnet ids of a function's `VpcConfig`, resolved; undefined when it has none. */
export function functionSubnets(props: Record<string, unknown>, stack: NetworkStack, logicalId: string) {
  const config = props.VpcConfig as { SubnetIds?: unknown } | undefined;
  if (config?.SubnetIds === undefined) return undefined;
  const ids = stack.attempt(`${logicalId}.VpcConfig.SubnetIds`, () => resolve(config.SubnetIds, stack.scope));
  // No subnets is no VPC for Lambda (how a function leaves one).
  return Array.isArray(ids) && ids.length > 0 ? ids.map(String) : undefined;
}

/** Where each function's subnets are and whether they reach the internet; one warning per function whose subnets are not in the app. */
export function linkNetwork(
  parts: NetworkParts,
  functions: { fn: { stackName: string; logicalId: string; network?: FunctionNetwork | undefined } }[],
  warnings: string[],
): void {
  for (const { fn } of functions) {
    const network = fn.network;
    if (!network) continue;
    const vpcs = new Set(network.subnetIds.map((subnet) => parts.subnets.get(subnet)));
    if (vpcs.has(undefined) || vpcs.size !== 1) {
      warnings.push(
        `${fn.stackName} ${fn.logicalId}: its subnets (${network.subnetIds.join(', ')}) are not in the app: served as if they reached the internet, with no VPC endpoint`,
      );
      continue;
    }
    network.vpcId = [...vpcs][0];
    network.internet = network.subnetIds.every((subnet) =>
      parts.natRouteTables.has(parts.associations.get(subnet) ?? ''),
    );
  }
}
