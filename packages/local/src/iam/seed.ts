import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Where a project keeps its seed: `.iam-m2m-local/seed` beside its `cdk.out` (gitignore that folder). */
export const defaultSeedFile = (assemblyDir: string): string =>
  join(dirname(resolve(assemblyDir)), '.iam-m2m-local', 'seed');

/**
 * The project's secret seed, from which every principal's credentials are derived, so they
 * stay the same across starts: read from `file`, or made (random, readable by its owner
 * only) when there is none or when `fresh`.
 *
 * @example
 * ```ts
 * const seed = projectSeed(defaultSeedFile('cdk.out'));
 * ```
 */
export function projectSeed(file: string, fresh = false): Buffer {
  if (!fresh) {
    try {
      const seed = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
      if (seed.length === 32) {
        chmodSync(file, 0o600);
        return seed;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const seed = randomBytes(32);
  const text = `${seed.toString('hex')}\n`;
  if (fresh || existsSync(file)) {
    // A new seed, or one replacing a file that holds no seed: written whole, then renamed.
    // A new file of our own, owner-only, renamed over the old seed.
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
    return seed;
  }
  try {
    // Two stacks starting at once: the first seed written wins, and both use it.
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return projectSeed(file);
  }
  return seed;
}
