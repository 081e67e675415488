import type { AssumeRoleCommandInput, AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { IamClientConfigError, IamClientError } from './errors.js';

/** AWS credentials: access key id, secret key, optional session token and expiration. */
export type Credentials = AwsCredentialIdentity;

/** A function that returns credentials, such as those of `@aws-sdk/credential-providers`. */
export type CredentialsProvider = AwsCredentialIdentityProvider;

/** Options for signing as another role, assumed through STS. */
export interface AssumeRoleOptions {
  /** ARN of the role to assume, e.g. `arn:aws:iam::111122223333:role/api-caller`. */
  roleArn: string;
  /** External id the role's trust policy requires. @default no external id */
  externalId?: string;
  /** Session name, shown in the target's CloudTrail and `userArn`. @default `iam-m2m-<function name>` */
  sessionName?: string;
  /** Lifetime of the assumed credentials in seconds (900–43200). @default 3600 */
  durationSeconds?: number;
}

/** Refresh memoized credentials this long before they expire. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * Credentials from the Lambda environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`), read on every call so rotated values are picked up and nothing
 * is read at import time.
 *
 * @example
 * ```ts
 * const credentials = await fromLambdaEnvironment()();
 * ```
 */
export function fromLambdaEnvironment(): CredentialsProvider {
  return async function lambdaEnvironmentCredentials() {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new IamClientConfigError(
        'No AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (the Lambda runtime sets them); pass the `credentials` option outside Lambda.',
      );
    }
    const sessionToken = process.env.AWS_SESSION_TOKEN;
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  };
}

function checkCredentials(value: unknown, source: string): Credentials {
  const credentials = value as Partial<Credentials> | undefined;
  if (
    typeof credentials?.accessKeyId !== 'string' ||
    credentials.accessKeyId === '' ||
    typeof credentials.secretAccessKey !== 'string' ||
    credentials.secretAccessKey === ''
  ) {
    throw new IamClientConfigError(`${source} must give non-empty string \`accessKeyId\` and \`secretAccessKey\`.`);
  }
  return credentials as Credentials;
}

function isFresh(credentials: Credentials, marginMs: number): boolean {
  return credentials.expiration === undefined || credentials.expiration.getTime() - Date.now() > marginMs;
}

/**
 * Wraps a provider so it is called once and again only ~5 minutes before the credentials
 * expire. Concurrent callers share one refresh. If a refresh fails while the current
 * credentials are still valid, those are used and the next call tries again.
 *
 * @example
 * ```ts
 * const provider = memoizeCredentials(fromTemporaryCredentials({ params: { RoleArn } }));
 * ```
 */
export function memoizeCredentials(
  provider: CredentialsProvider,
  refreshBeforeMs = REFRESH_BEFORE_EXPIRY_MS,
): CredentialsProvider {
  let current: Credentials | undefined;
  let refreshing: Promise<Credentials> | undefined;
  const refresh = async (): Promise<Credentials> => {
    try {
      current = checkCredentials(await provider(), 'The `credentials` provider');
      return current;
    } catch (error) {
      if (current && isFresh(current, 0)) return current;
      throw error;
    } finally {
      refreshing = undefined;
    }
  };
  return function memoizedCredentials() {
    if (current && isFresh(current, refreshBeforeMs)) return Promise.resolve(current);
    refreshing ??= refresh();
    return refreshing;
  };
}

/**
 * Turns the `credentials` option into a provider: static credentials are checked once,
 * providers are memoized, and no option means the Lambda environment.
 */
export function resolveCredentialsOption(option: Credentials | CredentialsProvider | undefined): CredentialsProvider {
  if (option === undefined) return fromLambdaEnvironment();
  if (typeof option === 'function') return memoizeCredentials(option);
  const credentials = checkCredentials(option, 'The `credentials` option');
  return () => Promise.resolve(credentials);
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

function defaultSessionName(): string {
  const name = `iam-m2m-${process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'client'}`;
  return name.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * Credentials of another role, assumed with STS using `base` credentials, memoized and
 * refreshed before expiry. `@aws-sdk/client-sts` is imported on first use only, so
 * bundles that never assume a role do not load it (the Lambda Node.js runtime ships it).
 *
 * @example
 * ```ts
 * const provider = fromAssumeRole({ roleArn: 'arn:aws:iam::111122223333:role/api-caller' }, fromLambdaEnvironment());
 * ```
 */
export function fromAssumeRole(options: AssumeRoleOptions, base: CredentialsProvider): CredentialsProvider {
  if (typeof options.roleArn !== 'string' || !ROLE_ARN.test(options.roleArn)) {
    throw new IamClientConfigError(
      `\`assumeRole.roleArn\` must be an IAM role ARN like arn:aws:iam::111122223333:role/name, got ${JSON.stringify(String(options.roleArn))}.`,
    );
  }
  const sessionName = options.sessionName ?? defaultSessionName();
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw new IamClientConfigError('`assumeRole.sessionName` must be 2–64 characters of letters, digits and +=,.@_-.');
  }
  let send: ((input: AssumeRoleCommandInput) => Promise<AssumeRoleCommandOutput>) | undefined;
  const assume = async (): Promise<Credentials> => {
    if (!send) {
      const sts = await import('@aws-sdk/client-sts').catch((cause: unknown) => {
        throw new IamClientConfigError(
          '`assumeRole` needs the package @aws-sdk/client-sts: add it to your dependencies (the Lambda Node.js runtime includes it).',
          { cause },
        );
      });
      const client = new sts.STSClient({
        region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        credentials: base,
      });
      send = (input) => client.send(new sts.AssumeRoleCommand(input));
    }
    const output = await send({
      RoleArn: options.roleArn,
      RoleSessionName: sessionName,
      ExternalId: options.externalId,
      DurationSeconds: options.durationSeconds,
    });
    const issued = output.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey) {
      throw new IamClientError(`STS AssumeRole for ${options.roleArn} returned no credentials.`);
    }
    return {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
      expiration: issued.Expiration,
    };
  };
  return memoizeCredentials(assume);
}
