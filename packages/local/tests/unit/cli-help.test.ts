// The CLI's help and its answers to mistakes (issue #27): `--help` for the CLI and each command,
// written from the option tables the commands read their arguments with; one line for a mistake.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACCESS } from '../../src/cli/access.js';
import type { CommandSpec } from '../../src/cli/options.js';
import { SERVE } from '../../src/cli/serve.js';
import { START } from '../../src/cli/start.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
/** The package's folder, where `tsx` resolves, whatever folder the test run started in. */
const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const COMMANDS: CommandSpec[] = [SERVE, START, ACCESS];

/** Runs `iam-m2m-local <args>` as a user does; its exit code and what it printed. */
function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: packageRoot }, (error, stdout, stderr) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? -1 : 0, stdout, stderr }),
    );
  });
}

/** Help text with its wrapping undone: one space between words. */
const unwrapped = (text: string) => text.replace(/\s+/g, ' ');

describe('iam-m2m-local --help', () => {
  it('prints the usage, every command with its summary, and examples on stdout; exit 0 (--help, -h, help)', async () => {
    // Act
    const runs = await Promise.all([run('--help'), run('-h'), run('help')]);

    // Assess
    for (const { code, stdout, stderr } of runs) {
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout.split('\n')[0]).toBe('Usage: iam-m2m-local <command> [options]');
      for (const command of COMMANDS) expect(unwrapped(stdout)).toContain(`${command.name} ${command.summary}`);
      expect(stdout).toMatch(/^Examples:\n {2}iam-m2m-local serve /m);
    }
    expect(runs[1]?.stdout).toBe(runs[0]?.stdout);
  });

  it('without a command, prints the usage on stderr and exits 1', async () => {
    // Act
    const { code, stdout, stderr } = await run();

    // Assess
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr.split('\n')[0]).toBe('Usage: iam-m2m-local <command> [options]');
  });
});

describe.each(COMMANDS.map((command) => [command.name, command] as const))(
  'iam-m2m-local %s --help',
  (name, command) => {
    it('prints its usage line, every option of its table with its default, and an example; exit 0', async () => {
      // Act
      const [long, short, viaHelp] = await Promise.all([run(name, '--help'), run(name, '-h'), run('help', name)]);

      // Assess
      expect({ code: long.code, stderr: long.stderr }).toEqual({ code: 0, stderr: '' });
      const lines = long.stdout.split('\n');
      expect(lines[0]).toBe(`Usage: iam-m2m-local ${name} ${command.usage}`);
      const text = unwrapped(long.stdout);
      for (const [option, spec] of Object.entries(command.options)) {
        const value = spec.type === 'string' ? ` ${spec.value}` : '';
        const fallback = spec.type === 'string' ? (spec.default ?? spec.defaultHelp) : 'off';
        expect(text).toContain(`--${option}${value} ${spec.help} (default: ${fallback}`);
      }
      expect(text).toContain('-h, --help print this help');
      expect(lines).toContain(`  ${command.examples[0]}`);
      // The same help, however it is asked for; `--help` wins over any other argument.
      expect(short).toEqual(long);
      expect(viaHelp).toEqual(long);
      expect(await run(name, '--no-such-option', '--help')).toEqual(long);
    });
  },
);

describe('the help reads as written: no default said twice, no sentence or phrase cut off', () => {
  /** A phrase that stops on a word that cannot end one (`prints a command's`, `the`, `of`). */
  const DANGLING = /(?:\b(?:a|an|the|of|to|for|with|and|or|its|their)|'s)$/i;

  /** Each row's text of the help's tables (options, commands), its default left out. */
  const tableTexts = (help: string) =>
    help
      .split('\n\n')
      .filter((block) => /^(?:Options|Commands):\n/.test(block))
      .flatMap((block) =>
        block
          .split('\n')
          .slice(1)
          .join('\n')
          .split(/\n(?= {2}\S)/),
      )
      .map((row) => unwrapped(row).trim())
      .map((row) => row.replace(/ \(default: (?:[^()]|\([^()]*\))*\)$/, ''));

  it.each([[[]], [['serve']], [['start']], [['access']]])('%j --help', async (command: string[]) => {
    // Act
    const { stdout } = await run(...command, '--help');

    // Assess
    for (const [, value, gloss] of unwrapped(stdout).matchAll(/\(default: ([^,()]+), ([^()]+)\)/g))
      expect(gloss).not.toBe(value);
    // The paragraph after the usage line is sentences: it ends with a full stop.
    expect(unwrapped(stdout.split('\n\n')[1] ?? '')).toMatch(/\.$/);
    const texts = tableTexts(stdout);
    expect(texts.length).toBeGreaterThan(2);
    for (const text of texts) expect(text).not.toMatch(DANGLING);
  });
});

describe('start outside this repository (an installed package)', () => {
  it("says in one line that start runs this repository's demo, and to serve your own app with serve --app; exit 1", async () => {
    // Prepare: the package as npm installs it (beside its dependencies), with no packages/infra around it.
    const root = mkdtempSync(join(tmpdir(), 'iam-m2m-installed-'));
    const installed = join(root, 'node_modules', '@iam-m2m', 'local');
    cpSync(join(packageRoot, 'src'), join(installed, 'src'), { recursive: true });
    cpSync(join(packageRoot, 'package.json'), join(installed, 'package.json'));
    symlinkSync(join(packageRoot, 'node_modules'), join(installed, 'node_modules'));
    mkdirSync(join(root, 'node_modules', '@iam-m2m', 'infra'));
    try {
      // Act
      const result = await new Promise<{ code: unknown; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', join(installed, 'src', 'cli.ts'), 'start'],
          { cwd: packageRoot },
          (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }),
        ),
      );

      // Assess
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr:
          "iam-m2m-local: start runs this repository's demo app (packages/infra), which an installed package does not have; for your own app: iam-m2m-local serve --app .\n",
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a mistake is one line: the input, what was expected, where the help is; exit 1', () => {
  it.each([
    [
      ['serve', '--sate', 'state.json'],
      'unknown option --sate for serve (did you mean --state?); see iam-m2m-local serve --help',
    ],
    [['access', '--jsn'], 'unknown option --jsn for access (did you mean --json?); see iam-m2m-local access --help'],
    [
      ['access', '--verbose'],
      'unknown option --verbose for access: expected --app, --assembly, --parameters, --parameters-file, --default-assembly, --account, --json, --decisions, --html or --help; see iam-m2m-local access --help',
    ],
    [
      ['start', '--port', '1'],
      'unknown option --port for start: expected --accounts, --private, --console or --help; see iam-m2m-local start --help',
    ],
    [['serve', '--port'], '--port needs a value (--port <P>); see iam-m2m-local serve --help'],
    [['serve', '--watch=yes'], '--watch takes no value, got "yes"; see iam-m2m-local serve --help'],
    [
      ['access', 'cdk.out'],
      'unexpected argument "cdk.out": access takes options only; see iam-m2m-local access --help',
    ],
    [
      ['srve'],
      'unknown command "srve" (did you mean serve?): expected serve, start or access; see iam-m2m-local --help',
    ],
    [
      ['--hlep'],
      'unknown option --hlep (did you mean --help?): expected a command (serve, start or access), --help or --version; see iam-m2m-local --help',
    ],
  ])('%j', async (args, line) => {
    // Act
    const { code, stdout, stderr } = await run(...args);

    // Assess
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `iam-m2m-local: ${line}\n` });
  });
});
