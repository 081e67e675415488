import { IamClientConfigError } from './errors.js';

/** Where and how a request is signed: the SigV4 scope and payload mode for one URL. */
export interface SigningScope {
  /** SigV4 service name, e.g. `execute-api`. */
  service: string;
  /** AWS region, e.g. `eu-west-1`. */
  region: string;
  /**
   * Sign `UNSIGNED-PAYLOAD` instead of the body's hash (VPC Lattice wants this). Never true
   * for `execute-api` or `lambda`: both verify the body's hash.
   */
  unsignedPayload: boolean;
  /**
   * The `host` to sign when it is not the URL's: the API's own host while the request goes
   * to CloudFront or a proxy that forwards it with that `Host`. @default the URL's host
   */
  host?: string | undefined;
}

/** What the caller configured, used where the URL does not tell. */
export interface ScopeDefaults {
  service?: string | undefined;
  region?: string | undefined;
  unsignedPayload?: boolean | undefined;
}

/** What one call asks for: it wins over what the URL tells. */
export interface ScopeOverrides {
  /** SigV4 service of this call, e.g. `lambda`. */
  service?: string | undefined;
  /** Region of this call, e.g. `eu-west-1`. */
  region?: string | undefined;
  /** Host to sign instead of the URL's (`host[:port]`); service and region are then inferred from it. */
  signingHost?: string | undefined;
}

interface HostRule {
  pattern: RegExp;
  service: string;
  unsignedPayload: boolean;
}

// Each pattern captures the region. Private REST APIs use `<api>-<vpce>.execute-api…`
// or `<vpce>.execute-api.<region>.vpce.amazonaws.com`.
const HOST_RULES: readonly HostRule[] = [
  {
    pattern: /\.execute-api\.([a-z0-9-]+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/,
    service: 'execute-api',
    unsignedPayload: false,
  },
  { pattern: /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/, service: 'lambda', unsignedPayload: false },
  { pattern: /\.vpc-lattice-svcs\.([a-z0-9-]+)\.on\.aws$/, service: 'vpc-lattice-svcs', unsignedPayload: true },
];

/**
 * Services that verify the body's SHA-256 and refuse a signature over `UNSIGNED-PAYLOAD`
 * (403 `InvalidSignatureException`), with why, for the error that names the option.
 */
const PAYLOAD_SIGNED: Readonly<Record<string, string>> = {
  // No AWS page states it for API Gateway; signers report the mismatch it answers:
  // https://github.com/aws/aws-sdk-js-v3/issues/308, https://github.com/apache/opendal-reqsign/issues/346.
  'execute-api':
    "API Gateway verifies the body's SHA-256 and answers 403 InvalidSignatureException to a signature over UNSIGNED-PAYLOAD",
  // "Lambda doesn't support unsigned payloads."
  // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html
  lambda: "Lambda (function URLs and the Invoke API) doesn't support unsigned payloads",
};

/** The URL's origin, and the host signed instead, for messages. */
const whereOf = (url: URL, host: string | undefined): string =>
  host === undefined ? url.origin : `${url.origin} signed as ${host}`;

function checked(url: URL, scope: SigningScope): SigningScope {
  const why = scope.unsignedPayload ? PAYLOAD_SIGNED[scope.service] : undefined;
  if (why) {
    throw new IamClientConfigError(
      `\`unsignedPayload: true\` cannot sign for ${scope.service} (${whereOf(url, scope.host)}): ${why}. Remove the option; only services such as S3 and VPC Lattice accept an unsigned payload.`,
    );
  }
  return scope;
}

// Lower-case letters, digits and dashes: what AWS region and service names are made of.
const SCOPE_PART = /^[a-z0-9-]{1,64}$/;
// A DNS name or IPv4 address, an optional port; no scheme, path or user info.
const HOST = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::\d{1,5})?$/i;

function checkedPart(value: string | undefined, name: string, example: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !SCOPE_PART.test(value)) {
    throw new IamClientConfigError(
      `\`${name}\` must be lower-case letters, digits and dashes like ${example}, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function checkedHost(value: string): string {
  if (typeof value !== 'string' || !HOST.test(value)) {
    // Not echoed: whatever was passed by mistake stays out of logs.
    const what =
      typeof value !== 'string'
        ? `got ${typeof value}`
        : value.includes('://')
          ? 'not a URL: leave out the scheme'
          : /[/?#@]/.test(value)
            ? 'without a path, query or user info'
            : 'got characters a host name cannot have';
    throw new IamClientConfigError(
      `\`signingHost\` must be a host name with an optional port, like abc123.execute-api.eu-west-1.amazonaws.com; ${what}.`,
    );
  }
  return value.toLowerCase();
}

/**
 * Checks one call's scope options: service and region are lower-case names, `signingHost` a
 * host with an optional port (lower-cased, as SigV4 signs it).
 *
 * @throws {IamClientConfigError} naming the option and what was expected.
 *
 * @example
 * ```ts
 * checkScopeOverrides({ signingHost: 'ABC.execute-api.eu-west-1.amazonaws.com' }).host; // 'abc.execute-api.eu-west-1.amazonaws.com'
 * ```
 */
export function checkScopeOverrides(overrides: ScopeOverrides): {
  service: string | undefined;
  region: string | undefined;
  host: string | undefined;
} {
  return {
    service: checkedPart(overrides.service, 'service', 'execute-api'),
    region: checkedPart(overrides.region, 'region', 'eu-west-1'),
    host: overrides.signingHost === undefined ? undefined : checkedHost(overrides.signingHost),
  };
}

/**
 * Infers the SigV4 service and region of a URL.
 *
 * AWS hostnames decide (`*.execute-api.<region>.amazonaws.com` → `execute-api`,
 * `*.lambda-url.<region>.on.aws` → `lambda`, `*.vpc-lattice-svcs.<region>.on.aws` →
 * `vpc-lattice-svcs` with an unsigned payload). Any other host (a custom domain,
 * a local endpoint) takes `defaults`, then `AWS_REGION` / `AWS_DEFAULT_REGION`,
 * and the service `execute-api`. `overrides` (one call's) win over both; with a
 * `signingHost`, that host is signed and read instead of the URL's.
 *
 * @throws {IamClientConfigError} when no region can be found, when an override is malformed,
 * or when `unsignedPayload` is asked for `execute-api` or `lambda`, which refuse it.
 *
 * @example
 * ```ts
 * resolveSigningScope(new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/'));
 * // → { service: 'execute-api', region: 'eu-west-1', unsignedPayload: false }
 * resolveSigningScope(new URL('https://d111.cloudfront.net/prod/'), {}, {
 *   signingHost: 'abc123.execute-api.eu-west-1.amazonaws.com',
 * });
 * // → { service: 'execute-api', region: 'eu-west-1', unsignedPayload: false, host: 'abc123.execute-api.eu-west-1.amazonaws.com' }
 * ```
 */
export function resolveSigningScope(url: URL, defaults: ScopeDefaults = {}, overrides?: ScopeOverrides): SigningScope {
  const { service, region, host } = checkScopeOverrides(overrides ?? {});
  const hostname = host === undefined ? url.hostname.toLowerCase() : host.replace(/:\d+$/, '');
  for (const rule of HOST_RULES) {
    const ruleRegion = rule.pattern.exec(hostname)?.[1];
    if (ruleRegion) {
      return checked(url, {
        service: service ?? rule.service,
        region: region ?? ruleRegion,
        unsignedPayload: defaults.unsignedPayload ?? rule.unsignedPayload,
        host,
      });
    }
  }
  const fallbackRegion = region || defaults.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (!fallbackRegion) {
    throw new IamClientConfigError(
      `Cannot tell the AWS region for ${whereOf(url, host)}: it is not an AWS hostname; pass the \`region\` option or set AWS_REGION.`,
    );
  }
  return checked(url, {
    service: service || defaults.service || 'execute-api',
    region: fallbackRegion,
    unsignedPayload: defaults.unsignedPayload ?? false,
    host,
  });
}
