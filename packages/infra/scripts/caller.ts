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
export async function callerAccount(command: string): Promise<string> {
  try {
    const { Account } = await new STSClient({}).send(new GetCallerIdentityCommand({}));
    return Account ?? '';
  } catch (error) {
    const { name, message } = error as Error;
    const source = findCredentialSource() ?? 'the environment';
    const why = REFUSALS[name] ?? `were refused (${name}: ${message})`;
    process.stderr.write(`${command}: the AWS credentials from ${source} ${why}.\n`);
    process.exit(1);
  }
}
