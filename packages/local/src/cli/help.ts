import type { CommandSpec, OptionSpec } from './options.js';

/** Lines are wrapped at this width, as most terminals are at least this wide. */
const WIDTH = 100;
/** Options and commands are listed in a column this wide at most (longer ones push their text to the next line). */
const LABEL_WIDTH = 24;

/** `--state <file>`, `-h, --help`. */
const label = (name: string, option: OptionSpec) =>
  option.type === 'string' ? `--${name} ${option.value ?? '<value>'}` : `--${name}`;

/** `(default: cdk.out)`, `(default: 0, any free port)`, `(default: off)`; a gloss that says the default again is left out. */
function defaultText(option: OptionSpec): string {
  const value = option.type === 'boolean' ? 'off' : option.default;
  if (value === undefined) return `(default: ${option.defaultHelp})`;
  return `(default: ${value}${option.defaultHelp && option.defaultHelp !== value ? `, ${option.defaultHelp}` : ''})`;
}

/** Words of `text` in lines of at most `width` characters (a longer word keeps a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** Two columns: each label, then its text wrapped beside it (or below it, when the label is long). */
function table(rows: [string, string][]): string[] {
  const column = Math.min(LABEL_WIDTH, Math.max(...rows.map(([name]) => name.length)) + 2);
  const indent = ' '.repeat(2 + column);
  return rows.flatMap(([name, text]) => {
    const [first = '', ...rest] = wrap(text, WIDTH - indent.length);
    const head = name.length + 2 <= column ? [`  ${name.padEnd(column)}${first}`] : [`  ${name}`, `${indent}${first}`];
    return [...head, ...rest.map((line) => `${indent}${line}`)];
  });
}

/**
 * A command's help, written from the same table its arguments are read with: the usage line,
 * what it does, every option with its default, and examples.
 */
export function commandHelp(command: CommandSpec): string {
  const rows: [string, string][] = Object.entries(command.options).map(([name, option]) => [
    label(name, option),
    `${option.help} ${defaultText(option)}`,
  ]);
  rows.push(['-h, --help', 'print this help']);
  return [
    `Usage: iam-m2m-local ${command.name} ${command.usage}`,
    '',
    ...wrap(`${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}. ${command.description}`, WIDTH),
    '',
    'Options:',
    ...table(rows),
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
    '',
  ].join('\n');
}

/** The CLI's own help: its commands, its options, examples. */
export function cliHelp(commands: CommandSpec[]): string {
  return [
    'Usage: iam-m2m-local <command> [options]',
    '',
    ...wrap(
      "A local, faithful stand-in for AWS IAM-authorized calls (SigV4, IAM, API Gateway, Lambda, STS), driven by any CDK app's cloud assembly. No Docker, no AWS account.",
      WIDTH,
    ),
    '',
    'Commands:',
    ...table(commands.map((command) => [command.name, command.summary])),
    '',
    'Options:',
    ...table([
      ['-h, --help', "print this help (`iam-m2m-local <command> --help` prints a command's options and examples)"],
      ['--version', "print this package's version"],
    ]),
    '',
    'Examples:',
    '  iam-m2m-local serve --app . --watch',
    '  iam-m2m-local access --app . --json',
    '  iam-m2m-local serve --help',
    '',
  ].join('\n');
}
