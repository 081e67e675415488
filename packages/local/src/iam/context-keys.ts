import type { VpcEndpointModel } from '../assembly/network.js';
import type { RequestContext } from './conditions.js';

/** What a server knows of a request that IAM turns into global condition keys. */
export interface RequestFacts {
  now: Date;
  sourceIp: string;
  headers: ReadonlyArray<readonly [string, string]>;
  region: string;
  /** The VPC endpoint it came through: `aws:SourceVpce`, `aws:SourceVpc`, `aws:VpcSourceIp`, and no `aws:SourceIp`. @default none */
  via?: ThroughEndpoint | undefined;
}

/**
 * The global condition keys of a request received over HTTPS by an AWS endpoint:
 * `aws:CurrentTime`, `aws:EpochTime`, `aws:SourceIp`, `aws:SecureTransport` (always `true`:
 * AWS endpoints are HTTPS only), `aws:UserAgent`, `aws:Referer`, `aws:RequestedRegion`.
 * Keys of the caller (`aws:PrincipalArn`, `aws:userid`…) come from {@link principalContext}.
 *
 * @example
 * ```ts
 * const context = requestContext({ now: new Date(), sourceIp: '127.0.0.1', headers, region: 'us-east-1' });
 * ```
 */
export function requestContext(facts: RequestFacts): RequestContext {
  const header = (name: string) => facts.headers.find(([candidate]) => candidate.toLowerCase() === name)?.[1];
  return {
    'aws:currenttime': facts.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:epochtime': String(Math.floor(facts.now.getTime() / 1000)),
    'aws:sourceip': facts.sourceIp,
    'aws:securetransport': 'true',
    'aws:useragent': header('user-agent'),
    'aws:referer': header('referer'),
    'aws:requestedregion': facts.region,
    ...(facts.via ? endpointContext(facts.via) : {}),
  };
}

/** The endpoint a request came through, and the address it came from in that VPC. */
export interface ThroughEndpoint {
  endpoint: VpcEndpointModel;
  /** The caller's private address in the endpoint's VPC (`aws:VpcSourceIp`). */
  vpcSourceIp: string;
}

/**
 * The condition keys of a request through a VPC endpoint: `aws:SourceVpce`, `aws:SourceVpc`,
 * `aws:VpcSourceIp`, and no `aws:SourceIp`, which AWS leaves out of such requests
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip).
 */
export function endpointContext(via: ThroughEndpoint): RequestContext {
  return {
    'aws:sourceip': undefined,
    'aws:sourcevpce': via.endpoint.id,
    'aws:sourcevpc': via.endpoint.vpcId,
    'aws:vpcsourceip': via.vpcSourceIp,
  };
}
