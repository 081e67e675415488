import { endpointContext, type ThroughEndpoint } from '../services/vpc-endpoint/endpoint.js';
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
