// Builds dist/: the declarations with tsc, the code as one ES module with esbuild, the few
// @smithy/signature-v4 and @smithy/core functions it uses taken from their ES builds and
// tree-shaken in. A user's bundler then finds no @smithy import to resolve, so the package
// costs the same whatever its main fields (esbuild's defaults for Node take smithy's CommonJS
// builds, ≈ 130 KB more). @aws-sdk/client-sts (optional, imported on demand) stays external.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(here, 'package.json'));
const versionOf = (name) => {
  const entry = require.resolve(name);
  const root = entry.slice(0, entry.lastIndexOf(`${name}/`) + name.length + 1);
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
};
const signatureV4 = versionOf('@smithy/signature-v4');

rmSync(join(here, 'dist'), { recursive: true, force: true });
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly'],
  {
    cwd: here,
    stdio: 'inherit',
  },
);
await build({
  entryPoints: [join(here, 'src/index.ts')],
  outfile: join(here, 'dist/index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*', '@middy/core'],
  sourcemap: true,
  legalComments: 'inline',
  banner: {
    js: `// @iam-m2m/middleware. Bundles parts of @smithy/signature-v4 ${signatureV4} and @smithy/core (Apache-2.0, https://github.com/smithy-lang/smithy-typescript).`,
  },
  logLevel: 'warning',
});
