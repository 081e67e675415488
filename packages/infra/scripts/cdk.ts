import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The infra package folder, where cdk.json is. */
export const infraDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const cdkBin = createRequire(import.meta.url).resolve('aws-cdk/bin/cdk');

/** Runs the CDK CLI in the infra folder, output to the terminal; exits on failure. */
export function cdk(args: string[]): void {
  const result = spawnSync(process.execPath, [cdkBin, ...args], { cwd: infraDir, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** `-c key=value` / `--context key=value` pairs from the command line. */
export function contextArgs(args: string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const pair =
      arg === '-c' || arg === '--context' ? args[++i] : arg?.startsWith('--context=') ? arg.slice(10) : undefined;
    const eq = pair?.indexOf('=') ?? -1;
    if (pair && eq > 0) context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return context;
}

/** This script's arguments, without the `--` that `pnpm run <script> -- …` passes through. */
export function userArgs(): string[] {
  return process.argv.slice(2).filter((arg) => arg !== '--');
}
