import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';

/** A program a recorded process of the app's command launched, as the recorder noted it. */
export interface Launch {
  /** The program (a shell's command line when `shell`). */
  file: string;
  args: string[];
  /** Run by a shell: `file` and `args` are its command line. */
  shell?: boolean;
  cwd: string;
  /** Whether its environment keeps the recorder (a Node child then notes what it reads itself). */
  recorded: boolean;
}

/** Shell words that run nothing and read no file. */
const BUILTINS = new Set([':', 'cd', 'echo', 'exit', 'export', 'popd', 'printf', 'pushd', 'set', 'true', 'unset']);
/** Words that run the rest of the command as it is (`env` with assignments only). */
const PREFIXES = new Set(['command', 'env', 'exec']);
/** The shells whose `-c` command line is read here. */
const SHELLS = /^(?:sh|bash|dash|zsh)$/;
/** The one argument of a program asked for its version: it reads none of the app. */
const VERSION_ARGS = new Set(['--version', '-v', '-V', 'version']);

/**
 * The simple commands of a shell command line, each as its words (quotes removed), split at
 * `&&`, `||`, `;`, `|`, `&` and line breaks; output redirections dropped. Undefined when the line
 * has what is not read here: command substitution, subshells, input redirection, here-documents.
 */
export function shellSteps(line: string): string[][] | undefined {
  const steps: string[][] = [[]];
  let word: string | undefined;
  const end = () => {
    if (word !== undefined) steps.at(-1)?.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (char === "'" || char === '"') {
      const close = line.indexOf(char, i + 1);
      if (close < 0 || (char === '"' && /[$`\\]/.test(line.slice(i + 1, close)))) return undefined;
      word = (word ?? '') + line.slice(i + 1, close);
      i = close;
    } else if (char === '\\' && i + 1 < line.length) word = (word ?? '') + line[++i];
    else if (/[$`(){}<]/.test(char) && !(char === '$' && /[A-Za-z_{]/.test(line[i + 1] ?? ''))) return undefined;
    else if (char === '&' && word?.endsWith('>'))
      word += char; // `2>&1`
    else if (/[&|;\n]/.test(char)) {
      end();
      if (line[i + 1] === char) i++;
      steps.push([]);
    } else if (/\s/.test(char)) end();
    else word = (word ?? '') + char;
  }
  end();
  return steps.map(withoutRedirections).filter((step) => step.length > 0);
}

/** A step's words less its output redirections (`> out.log`, `2>&1`, `>>log`). */
function withoutRedirections(words: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (/^\d*>>?$/.test(word)) i++;
    else if (!/^\d*>/.test(word)) kept.push(word);
  }
  return kept;
}

/**
 * Why what a shell command line runs is not all recorded, or undefined when each of its steps is
 * a Node program that records itself (or a builtin that reads nothing).
 */
export function lineUnseen(line: string, cwd: string): string | undefined {
  const steps = shellSteps(line);
  if (!steps) return `\`${line}\` (a shell line not read here)`;
  for (const words of steps) {
    const why = stepUnseen(words, cwd);
    if (why) return why;
  }
  return undefined;
}

/** Why one simple command is not recorded, if it is not. */
function stepUnseen(words: string[], cwd: string): string | undefined {
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i] as string;
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(word);
    if (assignment?.[1] === 'NODE_OPTIONS') return `\`${words.join(' ')}\` (its own NODE_OPTIONS)`;
    if (assignment) continue;
    if (PREFIXES.has(word) && !(words[i + 1] ?? '').startsWith('-')) continue;
    break;
  }
  const [program, ...args] = words.slice(i);
  if (program === undefined || BUILTINS.has(program)) return undefined;
  return launchUnseen({ file: program, args, cwd, recorded: true });
}

/**
 * Why what a launched program reads is not recorded, or undefined when it is: a Node program
 * whose environment keeps the recorder, a shell line made only of such, esbuild's bundlings (the
 * recorder notes their inputs) and its service (tsx's transforms, given their code), a version
 * probe (`esbuild --version`).
 */
export function launchUnseen(launch: Launch): string | undefined {
  const { file, args, cwd } = launch;
  if (launch.shell) return lineUnseen([file, ...args].join(' '), cwd);
  const script = SHELLS.test(basename(file)) ? args.indexOf('-c') : -1;
  if (script >= 0 && args[script + 1] !== undefined) return lineUnseen(args[script + 1] as string, cwd);
  if (args.length === 1 && VERSION_ARGS.has(args[0] as string)) return undefined;
  const shown = `\`${[basename(file), ...args].join(' ').slice(0, 120)}\``;
  if (basename(file).startsWith('esbuild') || file.includes('esbuild')) {
    const bundling = args.includes('--bundle') && args.some((arg) => arg.startsWith('--outfile='));
    if (bundling || args.some((arg) => arg.startsWith('--service='))) return undefined;
  }
  if (!isNodeProgram(file, cwd)) return `${shown} (not Node: what it reads is not recorded)`;
  return launch.recorded ? undefined : `${shown} (its own NODE_OPTIONS)`;
}

/** Where a command name is found: a path as given, else `node_modules/.bin` from `cwd` up, then PATH. */
function located(file: string, cwd: string): string | undefined {
  if (file.includes('/')) return resolve(cwd, file);
  const folders: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    folders.push(join(dir, 'node_modules', '.bin'));
    if (dir === dirname(dir)) break;
  }
  folders.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  return folders.map((folder) => join(folder, file)).find((path) => existsSync(path));
}

/**
 * Whether a program is Node: `node` itself, or a script Node runs (a `#!… node` line, or a package
 * manager's shell shim that execs node, as pnpm writes `node_modules/.bin`).
 */
function isNodeProgram(file: string, cwd: string): boolean {
  const path = located(file, cwd);
  if (/^node(?:js)?(?:\.exe)?$/.test(basename(path ?? file)) || path === process.execPath) return true;
  if (!path) return false;
  const head = fileHead(path);
  if (!head.startsWith('#!')) return false;
  if (/\bnode\b/.test(head.split('\n')[0] as string)) return true;
  return /\bexec\s+(?:node|"\$basedir\/node")\s/.test(head);
}

/** A file's first 64 KiB as text (a pnpm shim's NODE_PATH line is long), empty when it cannot be read. */
function fileHead(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(65_536);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
