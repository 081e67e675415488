import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the AWS SDK and CLI would find credentials, without asking the network:
 * environment keys, a profile, web identity, container credentials, or shared files.
 * Returns the source's name, or undefined when there is none. (Instance metadata is not
 * probed: that would need the network; set AWS_PROFILE or keys on such hosts.)
 */
export function findCredentialSource(env: NodeJS.ProcessEnv = process.env, home = homedir()): string | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return 'AWS_ACCESS_KEY_ID';
  if (env.AWS_PROFILE) return `profile ${env.AWS_PROFILE}`;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) return 'AWS_WEB_IDENTITY_TOKEN_FILE';
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    return 'container credentials';
  }
  const files = [
    env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'),
    env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'),
  ];
  return files.find((file) => existsSync(file));
}

/** Stops the script with one clear line when no credentials can be found. */
export function requireCredentials(command: string): void {
  if (findCredentialSource()) return;
  process.stderr.write(
    `${command} needs AWS credentials and found none: set AWS_PROFILE (after aws configure or aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.\n`,
  );
  process.exit(1);
}
