import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ANY_STACK } from '../assembly/model.js';
import { fail } from './fail.js';
import type { StringListOption, StringOption } from './options.js';
import { synthesizeApp } from './synth.js';

/** `--app`, `--assembly`, `--parameters` and `--parameters-file`: what serve and access read the same way. */
export const APP_OPTIONS = {
  app: {
    type: 'string',
    multiple: true,
    value: '<dir>',
    help: "a CDK app's folder (with cdk.json): synthesized as `cdk synth` would (its unchanged synth reused); repeat it for several apps served together in one account space",
    defaultHelp: 'none',
  },
  assembly: {
    type: 'string',
    multiple: true,
    value: '<dir>',
    help: 'a cloud assembly (cdk.out); repeat it for several',
    defaultHelp: '--default-assembly, unless --app is given',
  },
  parameters: {
    type: 'string',
    multiple: true,
    value: '<Stack>:<Key>=<Value>',
    help: 'a stack parameter, as `cdk deploy --parameters` takes it (<Key>=<Value>: every stack that has it); repeat it for more',
    defaultHelp: "each parameter's Default",
  },
  'parameters-file': {
    type: 'string',
    value: '<file>',
    help: 'stack parameters as JSON: {"<Stack>": {"<Key>": "<Value>"}} (--parameters win over it)',
    defaultHelp: 'none',
  },
} satisfies Record<string, StringListOption | { type: 'string'; value: string; help: string; defaultHelp: string }>;

/** `--default-assembly`: what a command reads without `--app` and `--assembly`. */
export const DEFAULT_ASSEMBLY_OPTION = {
  'default-assembly': {
    type: 'string',
    value: '<dir>',
    help: 'the assembly read when neither --app nor --assembly is given (what a package script sets); without a manifest.json there, the app of the cdk.json beside it is synthesized instead, as --app would',
    default: 'cdk.out',
  },
} satisfies Record<string, StringOption>;

/**
 * The app beside the default assembly when that assembly is missing (a fresh clone after
 * `pnpm start`, which synthesizes into its cache; a `cdk init` app never synthesized), if any.
 */
export function appForMissingAssembly(assemblyDir: string): string | undefined {
  const beside = dirname(resolve(assemblyDir));
  return !existsSync(join(resolve(assemblyDir), 'manifest.json')) && existsSync(join(beside, 'cdk.json'))
    ? beside
    : undefined;
}

/** What a command's app options give: every assembly to read, the app folders among them, the parameters. */
export interface AppInputs {
  /** Every assembly, the apps' synths first, in the order given. */
  assemblies: string[];
  /** The app folders (`--app`), in the order given; `assemblies[i]` is `appDirs[i]`'s synth. */
  appDirs: string[];
  parameters: Record<string, Record<string, string>>;
}

/** `Stack:Key=Value`, or `Key=Value` for every stack that has the parameter (as cdk deploy takes both). */
const PARAMETER = /^(?:([A-Za-z][A-Za-z0-9-]*):)?([A-Za-z0-9]+)=(.*)$/s;

/**
 * Reads `--app` (synthesized, each with one line), `--assembly`, `--parameters` and
 * `--parameters-file`; a malformed one ends the command with one line naming it.
 *
 * @param ignore the command's own outputs: never an input of a synth.
 */
export async function appInputs(
  values: {
    app?: string[];
    assembly?: string[];
    parameters?: string[];
    'parameters-file'?: string;
    'default-assembly'?: string;
  },
  ignore: string[] = [],
): Promise<AppInputs> {
  const parameters = parametersOf(values.parameters ?? [], values['parameters-file']);
  const given = (values.assembly ?? []).map((dir) => resolve(dir));
  const fallback = resolve(values['default-assembly'] ?? 'cdk.out');
  const none = given.length === 0 && (values.app ?? []).length === 0;
  const beside = none ? appForMissingAssembly(fallback) : undefined;
  const appDirs = (values.app ?? (beside ? [beside] : [])).map((dir) => resolve(dir));
  const synthesized: string[] = [];
  for (const dir of appDirs) synthesized.push((await synthesizeApp(dir, ignore)).assemblyDir);
  const assemblies = [...synthesized, ...(none && !beside ? [fallback] : given)];
  return { assemblies, appDirs, parameters };
}

/** `Stack:Key=Value` arguments over the file's `{"Stack": {"Key": "Value"}}`. */
export function parametersOf(args: string[], file: string | undefined): Record<string, Record<string, string>> {
  const parameters: Record<string, Record<string, string>> = file ? parametersFile(file) : {};
  for (const arg of args) {
    const match = PARAMETER.exec(arg);
    if (!match)
      fail(
        `--parameters must be <Stack>:<Key>=<Value> or <Key>=<Value>, as cdk deploy takes it (e.g. Producer:ConsumerVpceId=vpce-0123456789abcdef0), got ${JSON.stringify(arg)}`,
      );
    const [, stack = ANY_STACK, key = '', value = ''] = match;
    parameters[stack] = { ...parameters[stack], [key]: value };
  }
  return parameters;
}

function parametersFile(file: string): Record<string, Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return fail(`--parameters-file ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  const expected = `must be JSON of the form {"<Stack>": {"<Key>": "<Value>"}}`;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    fail(`--parameters-file ${file} ${expected}`);
  const parameters: Record<string, Record<string, string>> = {};
  for (const [stack, values] of Object.entries(parsed)) {
    if (values === null || typeof values !== 'object' || Array.isArray(values))
      fail(`--parameters-file ${file}: "${stack}" ${expected}, got ${JSON.stringify(values)}`);
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      if (!['string', 'number', 'boolean'].includes(typeof value))
        fail(`--parameters-file ${file}: ${stack}.${key} must be a string, got ${JSON.stringify(value)}`);
      parameters[stack] = { ...parameters[stack], [key]: String(value) };
    }
  }
  return parameters;
}
