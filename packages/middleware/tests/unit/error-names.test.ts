// Lambda reports a thrown error's `name` as its `errorType`. A minifier renames classes (`Et`
// instead of `IamRequestError`) unless told to keep names, so each error class names itself.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/index.js';

const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** Throws each error class of the package, catches it and prints what a log or Lambda would show. */
const ENTRY = `
import { IamClientConfigError, IamClientError, IamNetworkError, IamRequestError, IamTimeoutError } from ${JSON.stringify(index)};

const makers = [
  () => new IamClientError('base'),
  () => new IamClientConfigError('config'),
  () => new IamRequestError({ method: 'GET', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/', status: 403 }),
  () => new IamTimeoutError('late', 10),
  () => new IamNetworkError('refused', 3, new Error('ECONNREFUSED')),
];
const seen = [];
for (const make of makers) {
  try {
    throw make();
  } catch (error) {
    seen.push({
      name: error.name,
      constructor: error.constructor.name,
      stack: error.stack.split('\\n')[0],
      caught: error instanceof IamClientError,
    });
  }
}
console.log(JSON.stringify(seen));
`;

const EXPECTED = [
  { name: 'IamClientError', message: 'base' },
  { name: 'IamClientConfigError', message: 'config' },
  { name: 'IamRequestError', message: 'GET https://abc123.execute-api.eu-west-1.amazonaws.com/prod/ answered 403' },
  { name: 'IamTimeoutError', message: 'late' },
  { name: 'IamNetworkError', message: 'refused' },
].map(({ name, message }) => ({ name, constructor: name, stack: `${name}: ${message}`, caught: true }));

describe('error names in minified bundles', () => {
  it('exports the five error classes the bundles check', () => {
    expect(Object.keys(errors).filter((key) => key.endsWith('Error'))).toEqual(
      expect.arrayContaining(EXPECTED.map((e) => e.name)),
    );
    expect(Object.keys(errors).filter((key) => key.endsWith('Error'))).toHaveLength(EXPECTED.length);
  });

  it.each<[string, BuildOptions]>([
    // What BundledFunction builds, without the keepNames it also sets: the names must not depend on it.
    ['ESM, minified, no keepNames', { format: 'esm', outfile: 'index.mjs' }],
    // NodejsFunction's defaults with minify.
    ['CommonJS, minified, no keepNames', { format: 'cjs', outfile: 'index.cjs' }],
    // A bundler targeting an older runtime lowers the static blocks that name the classes.
    ['ES2020 (static blocks lowered), minified, no keepNames', { format: 'esm', target: 'es2020', outfile: 'old.mjs' }],
  ])('%s: error.name, constructor.name and the stack keep each class name', async (_title, options) => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-error-names-'));
    writeFileSync(join(dir, 'entry.mjs'), ENTRY);
    const outfile = join(dir, String(options.outfile));

    // Act
    await build({
      entryPoints: [join(dir, 'entry.mjs')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      minify: true,
      keepNames: false,
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      logLevel: 'silent',
      ...options,
      outfile,
    });
    const output = execFileSync(process.execPath, [outfile], { encoding: 'utf8', env: { PATH: process.env.PATH } });

    // Assess: the minifier did rename the classes, and the names survived it.
    expect(readFileSync(outfile, 'utf8')).not.toMatch(/class IamRequestError\b/);
    expect(JSON.parse(output)).toEqual(EXPECTED);
  });
});
