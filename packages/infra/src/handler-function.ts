import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Construct } from 'constructs';
import { BundledFunction, type BundledFunctionProps } from './bundled-function.js';

/** The Lambdas of `@iam-m2m/handlers`, by entry file name. */
export type HandlerName = 'hello-world' | 'requestor';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('pnpm-workspace.yaml not found: run the CDK app from the iam-m2m repository.');
    dir = parent;
  }
  return dir;
}

/** The repository root: esbuild's project root and where `pnpm-lock.yaml` lives. */
export const repoRoot = findRepoRoot();

/** The entry file of a handler: infra knows the handlers only as files to bundle. */
export const handlerEntry = (name: HandlerName): string =>
  resolve(repoRoot, 'packages', 'handlers', 'src', `${name}.ts`);

/** Props of {@link HandlerFunction}: those of {@link BundledFunction}, the entry named by handler. */
export interface HandlerFunctionProps
  extends Omit<BundledFunctionProps, 'entry' | 'name' | 'handler' | 'projectRoot' | 'depsLockFilePath'> {
  /** Which handler of `@iam-m2m/handlers` to bundle. */
  handler: HandlerName;
}

/**
 * A {@link BundledFunction} of `@iam-m2m/handlers` in this repository: the workspace root is
 * esbuild's project root and `pnpm-lock.yaml` its lock file; the inner function's id is the
 * handler's name (`hello-world`, `requestor`).
 *
 * @example
 * ```ts
 * const hello = new HandlerFunction(this, 'HelloWorld', { handler: 'hello-world' });
 * ```
 */
export class HandlerFunction extends BundledFunction {
  public constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    const { handler, ...rest } = props;
    super(scope, id, {
      ...rest,
      entry: handlerEntry(handler),
      name: handler,
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'pnpm-lock.yaml'),
    });
  }
}
