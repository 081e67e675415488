import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { findCredentialSource } from './aws-credentials.js';

/** Why credentials were refused, in words a user acts on. */
const REFUSALS: Record<string, string> = {
  ExpiredToken: 'have expired (aws sso login, or fresh keys)',
  ExpiredTokenException: 'have expired (aws sso login, or fresh keys)',
  InvalidClientTokenId: 'are not valid: the access key id is unknown to AWS',
  SignatureDoesNotMatch: 'are not valid: the secret access key does not match the key id',
  UnrecognizedClientException: 'are not valid: the security token is not recognised',
  AccessDenied: 'may not call sts:GetCallerIdentity',
};

/**
 * Who the credentials are (STS GetCallerIdentity), checked before any synth: refused or
 * expired credentials end the command with one line naming where they came from.
 */
export async function callerAccount(command: string, region?: string): Promise<string | undefined> {
  try {
    // CDK falls back to us-east-1 when nothing names a region; so does this check.
    const sts = new STSClient({
      region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    });
    const { Account } = await sts.send(new GetCallerIdentityCommand({}));
    return Account;
  } catch (error) {
    const { name, message } = error as Error;
    const source = findCredentialSource() ?? 'the environment';
    const why = REFUSALS[name];
    if (why) {
      process.stderr.write(`${command}: the AWS credentials from ${source} ${why}.\n`);
      process.exit(1);
    }
    // Not a refusal (an MFA prompt, a proxy, no network to STS): let the CDK CLI try as it would.
    process.stderr.write(`${command}: could not ask STS who the credentials are (${name}: ${message}); going on.\n`);
    return undefined;
  }
}
