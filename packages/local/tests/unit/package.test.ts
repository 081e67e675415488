// @iam-m2m/local as a user installs it: the packed tarball in a fresh project, its bin and its
// programmatic API on a fixture app; and stopping cleanly, whoever started the server.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { packPackage } from '../../../../scripts/pack-all.mjs';
import type { LocalState } from '../../src/stack.js';
import { clientFor } from '../helpers/stack.js';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const hasProc = existsSync('/proc/self/stat');

/** Every process below `pid` (Linux /proc), the deepest last. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      // `pid (comm) state ppid …`: comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended meanwhile
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await new Promise((r) => setTimeout(r, 100))) {
    const value = check();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts a serving command, waits for its state file; returns the child, the state, and its stderr so far. */
async function startServing(command: string, args: string[], cwd: string, stateFile: string) {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const state = await waitFor(`the state file (stderr: ${stderr})`, () =>
    existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState) : undefined,
  );
  return { child, state, stderr: () => stderr };
}

/** Signals `child` and checks that it and every process it started are gone. */
async function stopsCleanly(child: ChildProcess, signal: NodeJS.Signals, processes: number[]) {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  await exited;
  const survivors = await waitFor(
    'every process to end',
    () => {
      const left = processes.filter(alive);
      return left.length === 0 ? left : undefined;
    },
    10_000,
  ).catch(() => processes.filter(alive));
  for (const pid of survivors) process.kill(pid, 'SIGKILL');
  return survivors;
}

describe('the packed @iam-m2m/local installed into a fresh project', () => {
  let project = '';

  beforeAll(() => {
    // Prepare: `pnpm pack` (its prepack builds dist; `pnpm pack:all`'s packer, one pack of a package at a
    // time across test files), then an offline install: the package has no dependencies.
    const tarball = packPackage(packageRoot, mkdtempSync(join(tmpdir(), 'iam-m2m-pack-')));
    project = mkdtempSync(join(tmpdir(), 'iam-m2m-user-project-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], {
      cwd: project,
      stdio: 'pipe',
    });
  }, 180_000);

  it.runIf(hasProc)(
    'its bin serves a fixture app; SIGTERM ends the server and every function process',
    async () => {
      // Prepare
      const stateFile = join(project, 'state.json');
      const bin = join(project, 'node_modules', '.bin', 'iam-m2m-local');
      const serving = await startServing(
        bin,
        ['serve', '--assembly', inject('fixtures').classic, '--port', '0', '--state', stateFile],
        project,
        stateFile,
      );

      // Act: a signed call runs the requestor-facing function in its own process.
      const response = await clientFor(serving.state, 'Requestor').get(`${serving.state.apis[0]?.url}items`);
      const processes = [serving.child.pid ?? 0, ...descendants(serving.child.pid ?? 0)];
      const survivors = await stopsCleanly(serving.child, 'SIGTERM', processes);

      // Assess
      expect(response.status).toBe(200);
      expect(processes.length).toBeGreaterThan(1);
      expect(survivors).toEqual([]);
      expect(serving.stderr()).toContain('iam-m2m-local: serving http://127.0.0.1:');
    },
    120_000,
  );

  it('its programmatic API starts from an assembly, gives the state, and stops', () => {
    // Prepare: what a vitest globalSetup of the user's would do (see the README).
    const script = join(project, 'setup.mjs');
    writeFileSync(
      script,
      [
        "import { LocalStack } from '@iam-m2m/local';",
        `const stack = await LocalStack.start({ assemblyDir: ${JSON.stringify(inject('fixtures').proxy)}, functionOutput: 'ignore' });`,
        'const { apis, functions } = stack.state();',
        'await stack.close();',
        'console.log(JSON.stringify({ apis: apis.length, functions: functions.map((fn) => fn.name) }));',
      ].join('\n'),
    );

    // Act
    const output = execFileSync(process.execPath, [script], { cwd: project, encoding: 'utf8' });

    // Assess
    expect(JSON.parse(output)).toEqual({ apis: 1, functions: ['Caller', 'Proxy'] });
  });
});

describe('stopping `pnpm --filter local run serve` (pnpm and a shell between the user and the server)', () => {
  it.runIf(hasProc)(
    'SIGTERM to the pnpm command leaves no process running',
    async () => {
      // Prepare
      const stateFile = join(mkdtempSync(join(tmpdir(), 'iam-m2m-state-')), 'state.json');
      const serving = await startServing(
        'pnpm',
        [
          '--filter',
          '@iam-m2m/local',
          'run',
          'serve',
          '--',
          '--assembly',
          inject('fixtures').classic,
          '--port',
          '0',
          '--state',
          stateFile,
        ],
        repoRoot,
        stateFile,
      );
      await clientFor(serving.state, 'Requestor').get(`${serving.state.apis[0]?.url}items`);
      const processes = [serving.child.pid ?? 0, ...descendants(serving.child.pid ?? 0)];

      // Act
      const survivors = await stopsCleanly(serving.child, 'SIGTERM', processes);

      // Assess
      expect(processes.length).toBeGreaterThan(3);
      expect(survivors).toEqual([]);
    },
    120_000,
  );
});
