import type { CloudAssemblyModel, FunctionModel } from '../../assembly/model.js';
import type { VpcEndpointModel, VpcModel } from '../../assembly/network.js';
import type { ThroughEndpoint } from '../../iam/context-keys.js';
import type { NamedPolicy } from '../../iam/policy.js';

// Interface VPC endpoints: their policies, the address their callers come from, and which host
// names reach one from a function in its VPC (AWS PrivateLink, "Access an AWS service using an
// interface VPC endpoint"). What a request through one carries is iam/context-keys.ts's.

/** The endpoint's policy for the evaluator; undefined for the default policy, which allows everything. */
export const endpointPolicy = (endpoint: VpcEndpointModel): NamedPolicy | undefined =>
  endpoint.policy && {
    name: `${endpoint.stackName}/${endpoint.logicalId} endpoint policy`,
    document: endpoint.policy,
  };

/** A request through `endpoint`, from the address its VPC's callers come from here. */
export const throughEndpoint = (
  model: Pick<CloudAssemblyModel, 'vpcs'>,
  endpoint: VpcEndpointModel,
): ThroughEndpoint => ({
  endpoint,
  vpcSourceIp: vpcAddress(model.vpcs.find((vpc) => vpc.vpcId === endpoint.vpcId)),
});

/** A stable private address in a VPC (its network address plus 100, or less in a small one): where its callers come from here. */
export function vpcAddress(vpc: Pick<VpcModel, 'cidr'> | undefined): string {
  const [network = '10.0.0.0', bits = '16'] = (vpc?.cidr ?? '10.0.0.0/16').split('/');
  const [a = 10, b = 0, c = 0, d = 0] = network.split('.').map(Number);
  const size = 2 ** (32 - Math.min(32, Math.max(16, Number(bits) || 16)));
  const value = (((a << 24) | (b << 16) | (c << 8) | d) >>> 0) + Math.min(100, size - 2);
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The host names that reach an endpoint from its VPC, as one pattern: its own DNS names
 * (`vpce-<id>-<suffix>[-<zone>].<service>.<region>.vpce.amazonaws.com`), for execute-api the
 * Route 53 alias `<api id>-<vpce id>.execute-api.<region>.amazonaws.com`, and with private DNS
 * the service's own names in the region (`<api id>.execute-api.<region>.amazonaws.com`,
 * `sts.<region>.amazonaws.com`), which then resolve to the endpoint in that VPC
 * (API Gateway: "Invoke a private API"; PrivateLink: "DNS hostnames").
 */
export function endpointHosts(endpoint: VpcEndpointModel, associated: readonly string[] = []): string {
  const region = escaped(endpoint.region);
  const service = escaped(endpoint.service);
  const forms = [`${escaped(endpoint.id)}-[a-z0-9]+(?:-[a-z0-9-]+)?\\.${service}\\.${region}\\.vpce\\.amazonaws\\.com`];
  // The alias exists only for the APIs associated with the endpoint (`EndpointConfiguration.VpcEndpointIds`).
  if (endpoint.service === 'execute-api' && associated.length > 0)
    forms.push(
      `(?:${associated.map(escaped).join('|')})-${escaped(endpoint.id)}\\.execute-api\\.${region}\\.amazonaws\\.com`,
    );
  if (endpoint.privateDns)
    forms.push(
      endpoint.service === 'execute-api'
        ? `(?:[a-z0-9]+\\.)?execute-api\\.${region}\\.amazonaws\\.com`
        : `${service}\\.${region}\\.amazonaws\\.com`,
    );
  return `^(?:${forms.join('|')})\\.?$`;
}

/** What a function in a VPC reaches, for its runner: the endpoints of its VPC by host, and whether anything else is out there. */
export interface RunnerNetwork {
  /** Host patterns (lowercase, {@link endpointHosts}) and the local origin that answers as that endpoint. */
  endpoints: { hosts: string; origin: string }[];
  /** Its subnets route to the internet (a NAT gateway): other hosts go where they would. */
  internet: boolean;
  /** Services its VPC reaches through an endpoint by their public names (private DNS, or a gateway endpoint). */
  services: string[];
  /** The function and where it is, for the line that says a connection failed. */
  describe: string;
}

/**
 * The network of a function in a VPC (undefined for one outside any): the interface endpoints of
 * its VPC, each answered at its own local origin, and whether its subnets reach the internet.
 */
export function runnerNetwork(
  fn: FunctionModel,
  model: Pick<CloudAssemblyModel, 'vpcEndpoints' | 'apis'>,
  originOf: (endpoint: VpcEndpointModel) => string | undefined,
): RunnerNetwork | undefined {
  const network = fn.network;
  if (!network) return undefined;
  const reachable = model.vpcEndpoints.filter((endpoint) => endpoint.vpcId === network.vpcId);
  const associated = (endpoint: VpcEndpointModel) =>
    model.apis.filter((api) => api.vpcEndpointIds?.includes(endpoint.id)).map((api) => api.restApiId);
  const services = reachable.map((endpoint) => endpoint.service);
  return {
    endpoints: reachable.flatMap((endpoint) => {
      const origin = endpoint.type === 'Interface' ? originOf(endpoint) : undefined;
      return origin ? [{ hosts: endpointHosts(endpoint, associated(endpoint)), origin }] : [];
    }),
    internet: network.internet ?? true,
    services: reachable
      .filter((endpoint) => endpoint.type === 'Gateway' || endpoint.privateDns)
      .map((endpoint) => endpoint.service),
    describe: `${fn.name} (in ${network.vpcId ?? 'subnets not in the app'}, whose subnets have no route to a NAT gateway${
      services.length > 0 ? `; its VPC's endpoints: ${services.join(', ')}` : ', and no VPC endpoint'
    })`,
  };
}
