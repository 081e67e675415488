// Preloaded (NODE_OPTIONS=--require) into a CDK app that iam-m2m-local synthesizes. It notes each
// esbuild bundling that aws-cdk-lib's NodejsFunction runs (a `spawnSync` of esbuild with
// `--bundle` and `--outfile`), so `serve --watch` can run that one command again when only a
// function's code changed, instead of a full synth. What the app produces is unchanged: the one
// addition to esbuild's arguments is a metafile (the bundle's input files) written outside the
// asset. Records go to `$CDK_OUTDIR/.iam-m2m-local/bundles.jsonl`, one JSON line per bundling.
'use strict';
const childProcess = require('node:child_process');
const { createHash } = require('node:crypto');
const { appendFileSync, mkdirSync, readFileSync } = require('node:fs');
const { basename, dirname, join, relative, resolve } = require('node:path');

const outDir = process.env.CDK_OUTDIR;
if (outDir && process.env.IAM_M2M_LOCAL_RECORD_BUNDLING === '1') {
  const recordDir = join(outDir, '.iam-m2m-local');
  const original = childProcess.spawnSync;
  let count = 0;
  childProcess.spawnSync = function spawnSync(...call) {
    const [command, args, options] = call;
    const list = Array.isArray(args) ? args : [];
    const outfile = list.find((arg) => typeof arg === 'string' && arg.startsWith('--outfile='));
    const esbuild = [command, ...list].some((arg) => typeof arg === 'string' && arg.includes('esbuild'));
    if (!outfile || !esbuild || !list.includes('--bundle')) return original.apply(this, call);
    const cwd = resolve(options?.cwd ?? process.cwd());
    const own = list.find((arg) => typeof arg === 'string' && arg.startsWith('--metafile='));
    mkdirSync(recordDir, { recursive: true });
    const metafile = own
      ? resolve(cwd, own.slice('--metafile='.length))
      : join(recordDir, `bundle-${process.pid}-${count++}.meta.json`);
    const result = original.call(this, command, own ? list : [...list, `--metafile=${metafile}`], options);
    if (result.status !== 0) return result;
    try {
      const output = resolve(cwd, outfile.slice('--outfile='.length));
      const env = {};
      for (const [key, value] of Object.entries(options?.env ?? {}))
        if (process.env[key] !== value && typeof value === 'string') env[key] = value;
      const record = {
        command,
        args: list,
        cwd,
        env,
        outputDir: dirname(outfile.slice('--outfile='.length)),
        outfile: basename(output),
        // Where the metafile is once the synth is done: in the asset (the app asked for one) or
        // among these records. The folders of a synth in progress are renamed afterwards.
        metafile: own ? relative(dirname(output), metafile) : basename(metafile),
        metafileIn: own ? 'asset' : 'records',
        sha256: createHash('sha256').update(readFileSync(output)).digest('hex'),
      };
      appendFileSync(join(recordDir, 'bundles.jsonl'), `${JSON.stringify(record)}\n`, { mode: 0o600 });
    } catch {
      // A record that cannot be written only costs the fast path: the bundling itself succeeded.
    }
    return result;
  };
}
