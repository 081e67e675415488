#!/usr/bin/env node
// iam-m2m-local <command> [options]: serve, start, access; `iam-m2m-local --help` lists them,
// `iam-m2m-local <command> --help` lists a command's options.
import { readFileSync } from 'node:fs';
import { ACCESS, access } from './cli/access.js';
import { cliHelp } from './cli/help.js';
import { type CommandSpec, closest, HELP_FLAGS, oneOf, usageError } from './cli/options.js';
import { SERVE, serve } from './cli/serve.js';
import { START, start } from './cli/start.js';

const COMMANDS: [CommandSpec, (args: string[]) => Promise<void>][] = [
  [SERVE, serve],
  [START, start],
  [ACCESS, access],
];
const specs = COMMANDS.map(([spec]) => spec);
const names = specs.map((spec) => spec.name);

// A package manager passes its own `--` separator on: it is no argument of ours.
const [command = '', ...rest] = process.argv.slice(2).filter((arg) => arg !== '--');
const found = COMMANDS.find(([spec]) => spec.name === command);
if (found) await found[1](rest);
else if (command === 'help' && rest[0] !== undefined) await helpFor(rest[0]);
else if (command === '' || command === 'help' || HELP_FLAGS.includes(command)) {
  // Asked for: stdout, exit 0. No command at all is a mistake (as git and npm have it): stderr, exit 1.
  process[command === '' ? 'stderr' : 'stdout'].write(cliHelp(specs));
  process.exitCode = command === '' ? 1 : 0;
} else if (command === '--version') {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  process.stdout.write(`${version}\n`);
} else {
  const near = closest(command, [...names, ...HELP_FLAGS, '--version']);
  const guess = near ? ` (did you mean ${near}?)` : '';
  usageError(
    command.startsWith('-')
      ? `unknown option ${command}${guess}: expected a command (${oneOf(names)}), --help or --version`
      : `unknown command ${JSON.stringify(command)}${guess}: expected ${oneOf(names)}`,
  );
}

/** `iam-m2m-local help <command>`: the command's own `--help`. */
async function helpFor(name: string): Promise<never> {
  const spec = COMMANDS.find(([candidate]) => candidate.name === name);
  if (!spec) usageError(`no command ${JSON.stringify(name)} to help with: expected ${oneOf(names)}`);
  await spec[1](['--help']);
  process.exit(0);
}
