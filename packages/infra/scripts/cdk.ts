import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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

/** The value of a CLI option given as `--name value`, `--name=value` or `-n value`; the last one wins. */
export function optionValue(args: string[], name: string, alias?: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === `--${name}` || (alias !== undefined && arg === `-${alias}`)) value = args[++i];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  }
  return value;
}

/**
 * The cloud assembly a CDK command with these arguments works on, as an absolute path: `--app`
 * when it names a folder (an assembly already synthesized), else `--output`, else cdk.json's
 * `cdk.out`. Files a script writes beside an assembly go there, never into another one.
 */
export function assemblyDir(args: string[], dir = infraDir): string {
  const app = optionValue(args, 'app', 'a');
  if (app !== undefined && statSync(resolve(dir, app), { throwIfNoEntry: false })?.isDirectory()) {
    return resolve(dir, app);
  }
  return resolve(dir, optionValue(args, 'output', 'o') ?? 'cdk.out');
}

/** This script's arguments, without the `--` that `pnpm run <script> -- …` passes through. */
export function userArgs(): string[] {
  return process.argv.slice(2).filter((arg) => arg !== '--');
}
