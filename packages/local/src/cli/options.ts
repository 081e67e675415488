import { type ParseArgsConfig, parseArgs } from 'node:util';
import { commandHelp } from './help.js';

/** What the help says of an option. */
interface OptionHelp {
  /** What it does, in a phrase. */
  help: string;
  /** Its value's placeholder (`<file>`). @default `<value>` */
  value?: string;
}

/** A string option: parseArgs's own fields, its help, and its default (a value, or what happens without it). */
export type StringOption = OptionHelp & { type: 'string'; multiple?: false } & (
    | { default: string; defaultHelp?: string }
    | { default?: undefined; defaultHelp: string }
  );

/** A string option that may be given more than once (`--app a --app b`): a list, empty unless given. */
export type StringListOption = OptionHelp & {
  type: 'string';
  multiple: true;
  default?: undefined;
  defaultHelp: string;
};

/** A flag: off unless given (`defaultHelp` says what off means, where it helps). */
export type BooleanOption = OptionHelp & { type: 'boolean'; default?: false; defaultHelp?: string };

/** One option of a command, as parseArgs reads it and as its help shows it. */
export type OptionSpec = StringOption | StringListOption | BooleanOption;

/** A command's options: the one table parseArgs reads and the help is written from. */
export type OptionsSpec = Record<string, OptionSpec>;

/** A command of the CLI: its usage, its options and examples. */
export interface CommandSpec<O extends OptionsSpec = OptionsSpec> {
  name: string;
  /** One line for the command list (lowercase, no period). */
  summary: string;
  /** What follows `iam-m2m-local <name>` in the usage line. */
  usage: string;
  /** What it does, in a few sentences. */
  description: string;
  options: O;
  /** Whole command lines, `iam-m2m-local` first. */
  examples: string[];
}

/** The values of a command's options, typed from its table. */
export type OptionValues<O extends OptionsSpec> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>['values'];

/** `--help` and `-h`: every command takes them. */
export const HELP_FLAGS = ['--help', '-h'];

/**
 * Reads a command's arguments from its options table. `--help` (or `-h`) anywhere prints the
 * command's help on stdout and exits 0; anything the table does not allow ends the command with
 * one line naming the input, what was expected, and where the help is (exit 1).
 *
 * @example
 * ```ts
 * const values = parseCommandArgs(ACCESS, ['--app', '.', '--json']);
 * ```
 */
export function parseCommandArgs<O extends OptionsSpec>(command: CommandSpec<O>, args: string[]): OptionValues<O> {
  if (args.some((arg) => HELP_FLAGS.includes(arg))) {
    process.stdout.write(commandHelp(command));
    process.exit(0);
  }
  const problem = argsProblem(command, args);
  if (problem) usageError(problem, command.name);
  const config = { args, options: command.options, strict: true, allowPositionals: false } as const;
  try {
    return parseArgs(config satisfies ParseArgsConfig).values as OptionValues<O>;
  } catch (error) {
    return usageError((error as Error).message, command.name);
  }
}

/** The first argument the command's table does not allow, said in one phrase; undefined when all are fine. */
function argsProblem(command: CommandSpec, args: string[]): string | undefined {
  const { tokens } = parseArgs({ args, options: command.options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional')
      return `unexpected argument ${JSON.stringify(token.value)}: ${command.name} takes options only`;
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(command.options, token.name) ? command.options[token.name] : undefined;
    if (!option) return unknownOption(token.rawName, command);
    const form = `${token.rawName} ${option.value ?? '<value>'}`;
    if (option.type === 'boolean' && token.value !== undefined)
      return `${token.rawName} takes no value, got ${JSON.stringify(token.value)}`;
    if (option.type === 'string' && token.value === undefined) return `${token.rawName} needs a value (${form})`;
    // A value that starts with a dash is most likely the next option: `--state=-x` says it is not.
    if (option.type === 'string' && !token.inlineValue && token.value?.startsWith('-'))
      return `${token.rawName} needs a value (${form}), got the option ${token.value}`;
  }
  return undefined;
}

/** `unknown option --sate for serve (did you mean --state?)`, or the options it takes. */
function unknownOption(rawName: string, command: CommandSpec): string {
  const names = Object.keys(command.options).map((name) => `--${name}`);
  const near = closest(rawName, [...names, ...HELP_FLAGS]);
  return near
    ? `unknown option ${rawName} for ${command.name} (did you mean ${near}?)`
    : `unknown option ${rawName} for ${command.name}: expected ${oneOf([...names, '--help'])}`;
}

/** `a, b or c`. */
export const oneOf = (words: string[]) =>
  words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : (words[0] ?? '');

/** Ends the command: the problem, and where the help is, on one line; exit 1. */
export function usageError(problem: string, command?: string): never {
  const help = command ? `iam-m2m-local ${command} --help` : 'iam-m2m-local --help';
  process.stderr.write(`iam-m2m-local: ${problem}; see ${help}\n`);
  process.exit(1);
}

/** The candidate a mistyped word most likely meant (at most two edits away, and fewer than half its letters), if any. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance <= 2 && distance * 2 < candidate.length && (!best || distance < best.distance))
      best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
