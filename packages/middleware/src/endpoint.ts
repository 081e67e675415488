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
}

/** What the caller configured, used where the URL does not tell. */
export interface ScopeDefaults {
  service?: string | undefined;
  region?: string | undefined;
  unsignedPayload?: boolean | undefined;
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

function checked(url: URL, scope: SigningScope): SigningScope {
  const why = scope.unsignedPayload ? PAYLOAD_SIGNED[scope.service] : undefined;
  if (why) {
    throw new IamClientConfigError(
      `\`unsignedPayload: true\` cannot sign for ${scope.service} (${url.origin}): ${why}. Remove the option; only services such as S3 and VPC Lattice accept an unsigned payload.`,
    );
  }
  return scope;
}

/**
 * Infers the SigV4 service and region of a URL.
 *
 * AWS hostnames decide (`*.execute-api.<region>.amazonaws.com` → `execute-api`,
 * `*.lambda-url.<region>.on.aws` → `lambda`, `*.vpc-lattice-svcs.<region>.on.aws` →
 * `vpc-lattice-svcs` with an unsigned payload). Any other host (a custom domain,
 * a local endpoint) takes `defaults`, then `AWS_REGION` / `AWS_DEFAULT_REGION`,
 * and the service `execute-api`.
 *
 * @throws {IamClientConfigError} when no region can be found, or when `unsignedPayload`
 * is asked for `execute-api` or `lambda`, which refuse it.
 *
 * @example
 * ```ts
 * resolveSigningScope(new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/'));
 * // → { service: 'execute-api', region: 'eu-west-1', unsignedPayload: false }
 * ```
 */
export function resolveSigningScope(url: URL, defaults: ScopeDefaults = {}): SigningScope {
  const host = url.hostname.toLowerCase();
  for (const rule of HOST_RULES) {
    const region = rule.pattern.exec(host)?.[1];
    if (region) {
      return checked(url, {
        service: rule.service,
        region,
        unsignedPayload: defaults.unsignedPayload ?? rule.unsignedPayload,
      });
    }
  }
  const region = defaults.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new IamClientConfigError(
      `Cannot tell the AWS region for ${url.origin}: it is not an AWS hostname; pass the \`region\` option or set AWS_REGION.`,
    );
  }
  return checked(url, {
    service: defaults.service || 'execute-api',
    region,
    unsignedPayload: defaults.unsignedPayload ?? false,
  });
}
