// What `-c private=true` must have created, checked against moto's APIs by the rehearsal.
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';

/** The keys moto needs to know the account; what `AssumeRole` gave. */
export interface MotoCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** moto's address, Region and the credentials of one account. */
export interface MotoAccount {
  region: string;
  endpoint: string;
  credentials: MotoCredentials;
}

/** Where the private layout was deployed, as the rehearsal knows it. */
export interface PrivateLayout extends MotoAccount {
  account: string;
  requestorFunctionName: string;
  restApiId: string;
  vpcEndpointId: string;
}

/**
 * A request to moto, its answer as text. moto checks no signature: the Authorization header only
 * names the access key, from which moto knows the account, and the service.
 */
async function motoRequest(moto: MotoAccount, service: string, path: string, init: RequestInit): Promise<string> {
  const { credentials, region } = moto;
  const response = await fetch(`${moto.endpoint}${path}`, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string> | undefined),
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=unsigned`,
      ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
    },
  });
  return response.text();
}

/**
 * One action of moto's EC2 Query API, its XML answer as text: this package has no EC2 client
 * (the workspace's lock file is not this package's to grow).
 */
const ec2 = (moto: MotoAccount, action: string, parameters: Record<string, string>): Promise<string> =>
  motoRequest(moto, 'ec2', '/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ Action: action, Version: '2016-11-15', ...parameters }),
  });

/** Every value of `<tag>…</tag>` in an XML answer. */
const valuesOf = (xml: string, tag: string): string[] =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((match) => match[1] ?? '');

/**
 * Deletes, with the EC2 API, what moto's CloudFormation creates but never deletes (it has no
 * delete for AWS::EC2::VPCEndpoint, RouteTable nor SubnetRouteTableAssociation), so that
 * `cdk destroy` can then delete the rest, the VPC last: the endpoint, then the VPC's route
 * tables but its main one, each after its subnet associations.
 */
export async function deleteWhatMotoKeeps(moto: MotoAccount, vpcEndpointId: string): Promise<void> {
  const endpointXml = await ec2(moto, 'DescribeVpcEndpoints', { 'VpcEndpointId.1': vpcEndpointId });
  const [vpcId = ''] = valuesOf(endpointXml, 'vpcId');
  await ec2(moto, 'DeleteVpcEndpoints', { 'VpcEndpointId.1': vpcEndpointId });
  const tables = await ec2(moto, 'DescribeRouteTables', { 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': vpcId });
  const tableXml = /<associationSet(?:\/>|>(.*?)<\/associationSet>)\s*<routeTableId>(rtb-[0-9a-f]+)<\/routeTableId>/gs;
  for (const [, associations = '', routeTableId = ''] of tables.matchAll(tableXml)) {
    if (associations.includes('<main>true</main>')) continue;
    for (const associationId of valuesOf(associations, 'routeTableAssociationId'))
      await ec2(moto, 'DisassociateRouteTable', { AssociationId: associationId });
    await ec2(moto, 'DeleteRouteTable', { RouteTableId: routeTableId });
  }
}

/**
 * The private layout's checks, one line per problem: the REST API is PRIVATE; the requestor runs
 * in the endpoint's subnets with `IAM_API` only and may invoke exactly the API's `GET /`; the
 * endpoint is execute-api's with private DNS and a policy naming only the requestor's role; its
 * VPC has flow logs and neither a NAT gateway nor an internet gateway.
 */
export async function checkPrivate(layout: PrivateLayout): Promise<string[]> {
  const problems: string[] = [];
  const { region, account, restApiId, vpcEndpointId } = layout;
  const config = { region, endpoint: layout.endpoint, credentials: layout.credentials };
  if (!/^vpce-[0-9a-f]{8,17}$/.test(vpcEndpointId))
    return [`output RequestorVpcEndpointId is ${JSON.stringify(vpcEndpointId)}, not a VPC endpoint id`];

  // moto keeps CloudFormation's EndpointConfiguration as given (`Types`, which the SDK does not read).
  const api = JSON.parse(await motoRequest(layout, 'apigateway', `/restapis/${restApiId}`, {})) as {
    endpointConfiguration?: { types?: string[]; Types?: string[] };
  };
  const types = api.endpointConfiguration?.types ?? api.endpointConfiguration?.Types;
  if (JSON.stringify(types) !== '["PRIVATE"]')
    problems.push(`REST API ${restApiId}: endpoint types ${JSON.stringify(types)}, expected PRIVATE`);

  const { Configuration: fn } = await new LambdaClient(config).send(
    new GetFunctionCommand({ FunctionName: layout.requestorFunctionName }),
  );
  const variables = fn?.Environment?.Variables ?? {};
  for (const absent of ['IAM_FUNCTION_URL', 'IAM_HTTP_API', 'IAM_HTTP_API_ROLE'])
    if (variables[absent] !== undefined)
      problems.push(`requestor: ${absent} is set; private mode calls the REST API only`);
  const subnets = fn?.VpcConfig?.SubnetIds ?? [];
  if (subnets.length !== 2 || (fn?.VpcConfig?.SecurityGroupIds ?? []).length !== 1)
    problems.push(`requestor: VpcConfig ${JSON.stringify(fn?.VpcConfig)}, expected two subnets and one security group`);
  const roleName = fn?.Role?.split('/').at(-1) ?? '';
  const iam = new IAMClient(config);
  const { PolicyNames } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  const policies = await Promise.all(
    (PolicyNames ?? []).map((PolicyName) => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }))),
  );
  const identity = policies.map((p) => decodeURIComponent(p.PolicyDocument ?? '')).join('\n');
  const method = `arn:aws:execute-api:${region}:${account}:${restApiId}/prod/GET/`;
  if (!identity.includes(`"${method}"`)) problems.push(`requestor's role names no exact ${method}`);
  if (!identity.includes('ec2:CreateNetworkInterface'))
    problems.push("requestor's role may not create its network interfaces");

  const endpointXml = await ec2(layout, 'DescribeVpcEndpoints', { 'VpcEndpointId.1': vpcEndpointId });
  const [vpcId = ''] = valuesOf(endpointXml, 'vpcId');
  const [serviceName] = valuesOf(endpointXml, 'serviceName');
  if (serviceName !== `com.amazonaws.${region}.execute-api`)
    problems.push(`endpoint ${vpcEndpointId}: service ${serviceName}, expected com.amazonaws.${region}.execute-api`);
  if (valuesOf(endpointXml, 'privateDnsEnabled')[0] !== 'true')
    problems.push(`endpoint ${vpcEndpointId}: private DNS is off`);
  const endpointSubnets = valuesOf(/<subnetIdSet>(.*?)<\/subnetIdSet>/s.exec(endpointXml)?.[1] ?? '', 'item');
  if (JSON.stringify(endpointSubnets.sort()) !== JSON.stringify([...subnets].sort()))
    problems.push(
      `endpoint ${vpcEndpointId}: subnets ${endpointSubnets.join(', ')}, the requestor's ${subnets.join(', ')}`,
    );
  // moto keeps the policy as it was given; one principal, the requestor's role, on GET / of prod.
  const [policy = ''] = valuesOf(endpointXml, 'policyDocument');
  const principals = [...policy.matchAll(/arn:aws:iam::\d{12}:[^'"]+/g)].map((m) => m[0]);
  if (JSON.stringify(principals) !== JSON.stringify([fn?.Role]))
    problems.push(`endpoint ${vpcEndpointId}: policy principals ${principals.join(', ')}, expected only ${fn?.Role}`);
  if (!policy.includes(`arn:aws:execute-api:${region}:${account}:*/prod/GET/`))
    problems.push(`endpoint ${vpcEndpointId}: policy allows no GET / of prod in ${account}`);

  const filter = (name: string, value: string) => ({ 'Filter.1.Name': name, 'Filter.1.Value.1': value });
  const nat = valuesOf(await ec2(layout, 'DescribeNatGateways', filter('vpc-id', vpcId)), 'natGatewayId');
  const igw = valuesOf(
    await ec2(layout, 'DescribeInternetGateways', filter('attachment.vpc-id', vpcId)),
    'internetGatewayId',
  );
  if (nat.length + igw.length > 0) problems.push(`VPC ${vpcId}: ${[...nat, ...igw].join(', ')}, expected no way out`);
  if (valuesOf(await ec2(layout, 'DescribeFlowLogs', filter('resource-id', vpcId)), 'flowLogId').length !== 1)
    problems.push(`VPC ${vpcId}: no flow log`);
  return problems;
}
