// The AWS host names the local stack answers, and what each is for: routing dispatches by them,
// and an integration whose URL names one is answered by the stack.

/**
 * The AWS host names the local stack answers, in every region and in every form AWS gives them
 * (the SDKs' endpoint rules; AWS General Reference "AWS Lambda endpoints and quotas"; IAM "AWS STS
 * dual-stack endpoint support"; API Gateway "Invoke a private API"), each with or without the
 * final dot of a fully qualified name:
 * - STS: `sts.amazonaws.com`, `sts[-fips].<region>.amazonaws.com`, dual-stack `sts[-fips].<region>.api.aws`
 *   (and `sts-fips.amazonaws.com`, which AWS does not have: never sent out, answered as the global endpoint);
 * - the Lambda API: `lambda[-fips].<region>.amazonaws.com`, dual-stack `lambda[-fips].<region>.api.aws`;
 * - API Gateway: `<api id>.execute-api.<region>.amazonaws.com`, and every other name under
 *   `execute-api[-fips].<region>.` (`amazonaws.com`, `api.aws`, `vpce.amazonaws.com`): a private
 *   API's `<api id>-vpce-<vpce id>.…` and VPC endpoint names, the management API's `execute-api.<region>.…`;
 * - function URLs: `<url id>.lambda-url.<region>.on.aws`, and any other name under `lambda-url.<region>.on.aws`.
 *
 * runner.mjs's `AWS_HOST` names the same set (a function's connections to these hosts come
 * here); aws-hosts.test.ts checks that both agree on a table of hosts.
 */
const AWS_HOST =
  /^(?:(?<stsGlobal>sts(?:-fips)?\.amazonaws\.com)|(?<service>sts|lambda)(?:-fips)?\.(?<serviceRegion>[a-z0-9-]+)\.(?:amazonaws\.com|api\.aws)|(?:(?<apiPrefix>.+)\.)?execute-api(?<apiFips>-fips)?\.(?<apiRegion>[a-z0-9-]+)\.(?<apiDomain>vpce\.amazonaws\.com|amazonaws\.com|api\.aws)|(?:(?<urlPrefix>.+)\.)?lambda-url\.(?<urlRegion>[a-z0-9-]+)\.on\.aws)\.?$/;
/** An API's own host label: its id (`abc123defg`), or a private API's `<api id>-vpce-<vpce id>`. */
const API_LABEL = /^(?<id>[a-z0-9]+)(?<vpce>-vpce-[a-z0-9]+)?$/;
/** A function URL's host label: its id. */
const URL_LABEL = /^[a-z0-9]+$/;
/** The region that signs for STS's global endpoint, `sts.amazonaws.com` (IAM: "Managing AWS STS in an AWS Region"). */
const STS_GLOBAL_REGION = 'us-east-1';
/** What an AWS host name (the stack's own or not) is for: undefined when the stack does not answer it. */
export interface AwsHost {
  service: 'sts' | 'lambda' | 'execute-api' | 'lambda-url';
  /** The API's or function URL's id its host names. */
  id: string | undefined;
  /** The region its host names (`sts.amazonaws.com`: us-east-1, which signs for it). */
  region: string;
  /** Why AWS has nothing to serve at that host from outside a VPC (a private API's, a VPC endpoint's, another form's). */
  refusal: string | undefined;
  /** The VPC endpoint a private API's Route 53 alias names (`<api id>-vpce-<id>.execute-api.…`). */
  vpce?: string | undefined;
}

/**
 * The AWS host a Host header names, in any case, with or without its port and final dot;
 * undefined for a host that is not one of the AWS hosts the stack answers.
 *
 * @example
 * ```ts
 * awsHostOf('sts.us-west-2.api.aws'); // { service: 'sts', region: 'us-west-2', … }
 * awsHostOf('abc123defg.execute-api.eu-west-1.amazonaws.com.:443'); // { service: 'execute-api', id: 'abc123defg', … }
 * awsHostOf('s3.amazonaws.com'); // undefined
 * ```
 */
export function awsHostOf(hostHeader: string): AwsHost | undefined {
  const host = hostHeader.toLowerCase().replace(/:\d*$/, '');
  const groups = AWS_HOST.exec(host)?.groups;
  if (!groups) return undefined;
  if (groups.stsGlobal) return { service: 'sts', id: undefined, region: STS_GLOBAL_REGION, refusal: undefined };
  if (groups.service && groups.serviceRegion)
    return {
      service: groups.service as 'sts' | 'lambda',
      id: undefined,
      region: groups.serviceRegion,
      refusal: undefined,
    };
  if (groups.urlRegion) {
    const id = groups.urlPrefix !== undefined && URL_LABEL.test(groups.urlPrefix) ? groups.urlPrefix : undefined;
    const refusal = id
      ? undefined
      : `no function URL at ${host} (a function URL's host is <url id>.lambda-url.<region>.on.aws)`;
    return { service: 'lambda-url', id, region: groups.urlRegion, refusal };
  }
  const region = groups.apiRegion ?? '';
  const label = API_LABEL.exec(groups.apiPrefix ?? '')?.groups;
  const ownHost = groups.apiDomain === 'amazonaws.com' && !groups.apiFips && label !== undefined;
  const id = ownHost ? label.id : undefined;
  if (ownHost && !label.vpce) return { service: 'execute-api', id, region, refusal: undefined };
  // A private API is invoked from a VPC, through a VPC endpoint: from outside one, AWS has nothing there.
  const refusal =
    ownHost || groups.apiDomain === 'vpce.amazonaws.com'
      ? `${host} is a VPC endpoint's host, reached from outside its VPC (state file: vpcEndpoints[].url is the way through one)`
      : `no API at ${host} (an API's host is <api id>.execute-api.<region>.amazonaws.com)`;
  return { service: 'execute-api', id, region, refusal, vpce: label?.vpce?.slice(1) };
}
