import { MissingAssemblyError } from '../assembly/manifest.js';
import { AssemblyError } from '../assembly/model.js';

/** Ends the command with one line on stderr and exit 1. */
export function fail(message: string): never {
  process.stderr.write(`iam-m2m-local: ${message}\n`);
  process.exit(1);
}

/**
 * Ends the command for an error it can explain: an assembly's problems one line each, a
 * missing assembly in one line; anything else is a bug and keeps its stack trace.
 */
export function failFor(error: unknown): never {
  if (error instanceof AssemblyError) {
    for (const problem of error.problems) process.stderr.write(`iam-m2m-local: ${problem}\n`);
    process.exit(1);
  }
  if (error instanceof MissingAssemblyError) fail(error.message);
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'EADDRINUSE') fail(`the port is in use (${message}): choose another, or --port 0 for any free one`);
  if (code?.startsWith('ERR_PARSE_ARGS_')) fail(message);
  throw error;
}
