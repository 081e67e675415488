import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contextArgs, infraDir } from './cdk.js';

/**
 * The app's context as the CDK CLI assembles it, so scripts and app read the same values:
 * `cdk.json`'s `context`, then `cdk.context.json`, then `-c key=value` arguments (last wins).
 */
export function appContext(args: string[], dir = infraDir): Record<string, unknown> {
  const json = (file: string) =>
    existsSync(join(dir, file)) ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>) : {};
  return {
    ...((json('cdk.json').context as Record<string, unknown> | undefined) ?? {}),
    ...json('cdk.context.json'),
    ...contextArgs(args),
  };
}
