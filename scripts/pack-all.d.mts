// Types of pack-all.mjs, for the tests that pack through it (TypeScript reads this beside the .mjs).

/** The repository's root folder. */
export const repoRoot: string;

/** The packages `pack:all` packs, in install order; `dev`: a tool, installed with `npm install -D`. */
export const PUBLISHED: { name: string; dir: string; dev: boolean }[];

/** A packed package: its name, whether it is a dev tool, its tarball's absolute path. */
export interface Pack {
  name: string;
  dev: boolean;
  tarball: string;
}

/** Packs one workspace package with `pnpm pack` into `outDir` (one pack of a package at a time); the tarball's path. */
export function packPackage(packageDir: string, outDir: string): string;

/** Packs every published package into `outDir`, in install order. */
export function packAll(outDir: string): Pack[];

/** The npm commands that install the packs in a project of one's own. */
export function installLines(packs: Pack[]): string[];

/** `--out <dir>` of a command line, resolved, or `undefined`; a bad argument ends the process with one line. */
export function outOption(args: string[], defaultHelp: string): string | undefined;
