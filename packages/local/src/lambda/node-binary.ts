import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Node.js a function runs on, and whether its major is the one its runtime names. */
export interface NodeBinary {
  path: string;
  /** The major the runtime names (`nodejs22.x` → `22`). */
  major: string;
  exact: boolean;
}

/** Where `iam-m2m-local` looks for a Node.js of a major: `<cache>/iam-m2m/node-v<major>/bin/node`. */
export function nodeCacheDir(major: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'iam-m2m', `node-v${major}`);
}

/** How a user gets a Node.js of `major` where the stack looks for it (the registry's node binaries). */
export const installHint = (major: string): string =>
  `npm install -g --prefix ${nodeCacheDir(major).replace(homedir(), '~')} node-${process.platform}-${process.arch}@${major}`;

/**
 * The Node.js binary for a function's runtime, as Lambda runs `nodejs22.x` on Node.js 22:
 * this process's own Node when the majors agree, else `IAM_M2M_NODE_<major>` (a path), else
 * one installed in {@link nodeCacheDir}; otherwise this process's Node, `exact: false`.
 *
 * @example
 * ```ts
 * const node = nodeBinaryFor('nodejs24.x'); // { path: '/…/node-v24/bin/node', major: '24', exact: true }
 * ```
 */
export function nodeBinaryFor(runtime: string, env: NodeJS.ProcessEnv = process.env): NodeBinary {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1] ?? '';
  if (process.versions.node.split('.')[0] === major) return { path: process.execPath, major, exact: true };
  const candidates = [env[`IAM_M2M_NODE_${major}`], join(nodeCacheDir(major, env), 'bin', 'node')];
  const found = candidates.find((candidate): candidate is string => candidate !== undefined && existsSync(candidate));
  return found ? { path: found, major, exact: true } : { path: process.execPath, major, exact: false };
}
