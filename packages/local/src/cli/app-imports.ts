import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realPath } from './file-state.js';

/** What esbuild's JavaScript API is used for here: the app's own module graph. */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ metafile?: { inputs: Record<string, unknown> } }>;
}

/** The app's scripts: every word of `cdk.json`'s `app` command that is a script file. */
function appScripts(appDir: string): string[] {
  const { app } = JSON.parse(readFileSync(join(appDir, 'cdk.json'), 'utf8')) as { app?: string };
  return (app ?? '')
    .split(/\s+/)
    .map((word) => word.replace(/^['"]|['"]$/g, ''))
    .filter((word) => /\.[cm]?[jt]sx?$/.test(word) && existsSync(resolve(appDir, word)));
}

/** esbuild as the app resolves it (NodejsFunction bundles with it), else as this package does. */
function loadEsbuild(appDir: string): Esbuild | undefined {
  for (const from of [join(appDir, 'package.json'), fileURLToPath(import.meta.url)]) {
    try {
      return createRequire(from)('esbuild') as Esbuild;
    } catch {
      // next
    }
  }
  return undefined;
}

const SKIP = Symbol('resolving');

/**
 * The files the CDK app imports (its own and its workspace's; not installed packages), read by
 * esbuild from the app's entry without running it.
 *
 * @returns the files, or why they are unknown.
 */
export async function appImports(appDir: string): Promise<Set<string> | string> {
  const scripts = appScripts(appDir);
  if (scripts.length === 0) return "cdk.json's app command names no script file whose imports could be read";
  const esbuild = loadEsbuild(appDir);
  if (!esbuild) return 'esbuild cannot be loaded from the app';
  try {
    const result = await esbuild.build({
      entryPoints: scripts.map((script) => resolve(appDir, script)),
      absWorkingDir: appDir,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      outdir: join(appDir, '.iam-m2m-local', 'app-graph'),
      logLevel: 'silent',
      plugins: [
        {
          name: 'installed-packages-external',
          setup(build: {
            onResolve(
              options: { filter: RegExp },
              callback: (args: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>,
            ): void;
            resolve(path: string, options: Record<string, unknown>): Promise<Record<string, unknown>>;
          }) {
            // Any import that ends in node_modules (by name, or by path as some apps require
            // aws-cdk-lib): the lock file stands for installed packages, never read one by one.
            build.onResolve({ filter: /.*/ }, async (args) => {
              if (args.pluginData === SKIP || args.kind === 'entry-point') return undefined;
              const found = await build.resolve(args.path as string, {
                kind: args.kind,
                importer: args.importer,
                resolveDir: args.resolveDir,
                pluginData: SKIP,
              });
              const path = found.path as string;
              if ((found.errors as unknown[]).length > 0 || found.external || path.includes(`${sep}node_modules${sep}`))
                return { path: args.path, external: true };
              return found;
            });
          },
        },
      ],
    });
    return new Set(Object.keys(result.metafile?.inputs ?? {}).map((input) => realPath(resolve(appDir, input))));
  } catch (error) {
    return `the app's imports cannot be read: ${(error as Error).message.split('\n')[0]}`;
  }
}
