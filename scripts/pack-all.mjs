#!/usr/bin/env node
// `pnpm pack:all [--out <dir>]`: packs the three publishable packages as `pnpm publish` would
// (prepack builds dist; publishConfig applied; workspace: specifiers replaced) into one folder,
// default dist/packages, and prints the npm install lines that install them in another project.
// Until the packages are on the registry, this is how a project of one's own gets them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The packages `pack:all` packs, in install order; `dev`: a tool, installed with `npm install -D`. */
export const PUBLISHED = [
  { name: '@iam-m2m/middleware', dir: 'packages/middleware', dev: false },
  { name: '@iam-m2m/infra', dir: 'packages/infra', dev: false },
  { name: '@iam-m2m/local', dir: 'packages/local', dev: true },
];

/** How long a pack waits for another one of the same package (its build rewrites dist) to finish. */
const LOCK_WAIT_MS = 300_000;

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

/**
 * Runs `work` while holding the pack lock of one package: two packs of a package at once (two
 * test files, a test and `pack:all`) would rebuild dist under each other's tar. A lock whose
 * owner has ended is taken over.
 */
function withPackLock(packageDir, work) {
  const lock = join(packageDir, 'node_modules', '.cache', 'iam-m2m-pack.lock');
  mkdirSync(dirname(lock), { recursive: true });
  for (const start = Date.now(); ; sleep(100)) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let owner = 0;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // the owner is between mkdir and writing its pid, or just released the lock
      }
      if (owner > 0 && !isAlive(owner)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - start > LOCK_WAIT_MS)
        throw new Error(`pack: ${lock} has been held by process ${owner} for ${LOCK_WAIT_MS / 1000} s`);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Packs one workspace package with `pnpm pack` into `outDir`: what `pnpm publish` would upload.
 * @returns the tarball's absolute path
 * @example packPackage(join(repoRoot, 'packages/middleware'), '/tmp/packs') // → '/tmp/packs/iam-m2m-middleware-0.1.0.tgz'
 */
export function packPackage(packageDir, outDir) {
  mkdirSync(outDir, { recursive: true });
  const stdout = withPackLock(packageDir, () => {
    try {
      return execFileSync('pnpm', ['pack', '--json', '--pack-destination', resolve(outDir)], {
        cwd: packageDir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      throw new Error(`pnpm pack failed in ${packageDir}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  });
  // prepack's output comes first on stdout, then the JSON.
  const { filename } = JSON.parse(stdout.slice(stdout.search(/^\{$/m)));
  return resolve(outDir, filename);
}

/**
 * Packs every published package into `outDir`.
 * @returns `{ name, dev, tarball }` per package, in install order
 * @example packAll('/tmp/packs').map((pack) => pack.tarball)
 */
export function packAll(outDir) {
  return PUBLISHED.map(({ name, dir, dev }) => ({ name, dev, tarball: packPackage(join(repoRoot, dir), outDir) }));
}

/**
 * The npm commands that install the packed packages in a project of one's own: the libraries
 * as dependencies, the local stack as a devDependency.
 * @example installLines(packAll('/tmp/packs')) // → ['npm install /tmp/packs/…middleware….tgz /tmp/packs/…infra….tgz', 'npm install -D …']
 */
export function installLines(packs) {
  const quote = (path) => (/^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`);
  const line = (flags, list) => ['npm install', ...flags, ...list.map((pack) => quote(pack.tarball))].join(' ');
  return [
    line(
      [],
      packs.filter((pack) => !pack.dev),
    ),
    line(
      ['-D'],
      packs.filter((pack) => pack.dev),
    ),
  ];
}

/**
 * `--out <dir>` of a command line, resolved (pnpm passes a `--` before the script's own arguments
 * on); `undefined` when it names none.
 */
export function outOption(args, defaultHelp) {
  try {
    const { values } = parseArgs({
      args: args[0] === '--' ? args.slice(1) : args,
      options: { out: { type: 'string' } },
    });
    return values.out === undefined ? undefined : resolve(values.out);
  } catch (error) {
    console.error(`${error.message}; expected: [--out <dir>] (default ${defaultHelp})`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = outOption(process.argv.slice(2), 'dist/packages') ?? join(repoRoot, 'dist', 'packages');
  const packs = packAll(outDir);
  console.log(`Packed into ${outDir}:`);
  for (const pack of packs) console.log(`  ${pack.name}  ${pack.tarball.slice(outDir.length + 1)}`);
  console.log('\nIn your project (the libraries, then the local stack as a dev tool):\n');
  for (const line of installLines(packs)) console.log(line);
}
