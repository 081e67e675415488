// Preloaded (NODE_OPTIONS=--require) into a CDK app that iam-m2m-local synthesizes, so that
// `serve --watch` can tell a change only function code reads from one the app itself reads:
// - each esbuild bundling that aws-cdk-lib's NodejsFunction runs (a `spawnSync` of esbuild with
//   `--bundle` and `--outfile`) is noted with its command and the hashes of the files it read,
//   to run that one command again when only those files changed. The one addition to esbuild's
//   arguments is a metafile (the bundle's inputs), written outside the asset;
// - the files and folders the app's own process reads through `fs` (asset folders it copies or
//   fingerprints, files it reads) are noted, since a change to those can change the template.
// - what each process may depend on, for the synth cache (synth-deps.ts): every path it reads,
//   opens for reading, copies, stats or lists, whoever calls, and every path it writes (its own
//   caches and outputs, never inputs); which process wrote the assembly's manifest (the app),
//   which processes descend from which, and which run a bundling (their inputs are recorded above);
// - every program each process launches (child_process, process.execve), with the environment
//   saying whether it is recorded in turn: what a program that is not Node reads (a native `tsc`)
//   is seen by nobody, so the synth cache keys on every input of the app instead (app-command.ts).
// What the app produces is unchanged. Records go to `$CDK_OUTDIR/.iam-m2m-local/`:
// `bundles.jsonl` (one JSON line per bundling) and `app-reads.jsonl` (one line per process).
'use strict';
const childProcess = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const { basename, dirname, join, relative, resolve, sep } = require('node:path');
const { fileURLToPath } = require('node:url');

const outDir = process.env.CDK_OUTDIR;
if (outDir && process.env.IAM_M2M_LOCAL_RECORD_BUNDLING === '1') {
  const recordDir = join(outDir, '.iam-m2m-local');
  const { appendFileSync, mkdirSync, readFileSync, statSync } = fs;
  // The recorded processes from the first to this one: a child's line names its ancestors.
  const chain = [...(process.env.IAM_M2M_LOCAL_RECORDED_PIDS ?? '').split(',').filter(Boolean), String(process.pid)];
  process.env.IAM_M2M_LOCAL_RECORDED_PIDS = chain.join(',');
  const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const ours = (path) => path.startsWith(resolve(outDir) + sep) || path.includes(`${sep}node_modules${sep}`);

  // Bundlings.
  const spawnSync = childProcess.spawnSync;
  let count = 0;
  childProcess.spawnSync = function recordedSpawnSync(...call) {
    const [command, args, options] = call;
    const list = Array.isArray(args) ? args : [];
    const outfile = list.find((arg) => typeof arg === 'string' && arg.startsWith('--outfile='));
    const esbuild = [command, ...list].some((arg) => typeof arg === 'string' && arg.includes('esbuild'));
    if (!outfile || !esbuild || !list.includes('--bundle')) return spawnSync.apply(this, call);
    const cwd = resolve(options?.cwd ?? process.cwd());
    const own = list.find((arg) => typeof arg === 'string' && arg.startsWith('--metafile='));
    mkdirSync(recordDir, { recursive: true, mode: 0o700 });
    const metafile = own
      ? resolve(cwd, own.slice('--metafile='.length))
      : join(recordDir, `bundle-${process.pid}-${count++}.meta.json`);
    const started = Date.now();
    // Its processes say they run a bundling: what they read is the bundle's inputs, recorded here.
    const marked = { ...options, env: { ...(options?.env ?? process.env), IAM_M2M_LOCAL_IN_BUNDLING: '1' } };
    const result = spawnSync.call(this, command, own ? list : [...list, `--metafile=${metafile}`], marked);
    if (result.status !== 0) return result;
    try {
      const output = resolve(cwd, outfile.slice('--outfile='.length));
      const env = {};
      for (const [key, value] of Object.entries(options?.env ?? {}))
        if (process.env[key] !== value && typeof value === 'string') env[key] = value;
      // The bundle's own files (not installed packages: the lock file covers those) and their
      // contents, so a cached synth can tell that one of them changed since.
      const inputs = {};
      for (const input of Object.keys(JSON.parse(readFileSync(metafile, 'utf8')).inputs)) {
        const path = resolve(cwd, input);
        if (path.includes(`${sep}node_modules${sep}`)) continue;
        // A file saved while esbuild ran may hold other code than the bundle: never a match.
        inputs[path] = statSync(path).mtimeMs > started ? 'saved during the build' : sha256(path);
      }
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
        sha256: sha256(output),
        inputs,
      };
      appendFileSync(join(recordDir, 'bundles.jsonl'), `${JSON.stringify(record)}\n`, { mode: 0o600 });
    } catch {
      // A record that cannot be written only costs the fast path: the bundling itself succeeded.
    }
    return result;
  };

  // What the app's own process reads through fs and may put in the template or an asset: the
  // files it reads, the folders its own code lists (not aws-cdk-lib's: it lists and fingerprints
  // a NodejsFunction's whole project to key its bundling, which puts nothing of it in the
  // template), and the files and trees it copies into the assembly (`Code.fromAsset` folders).
  const reads = { files: new Set(), folders: new Set(), trees: new Set() };
  const absolute = (path) =>
    typeof path === 'string' || path instanceof URL
      ? resolve(path instanceof URL ? fileURLToPath(path) : path)
      : undefined;
  const inAssembly = (path) => absolute(path)?.startsWith(resolve(outDir) + sep);
  const note = (kind, path) => {
    const found = absolute(path);
    if (found && !ours(found)) reads[kind].add(found);
  };
  /** Whether the code calling fs is the app's own (not a package's, this recorder's excepted). */
  const calledByApp = () => {
    const { prepareStackTrace, stackTraceLimit } = Error;
    try {
      Error.prepareStackTrace = (_error, sites) => sites;
      Error.stackTraceLimit = 6;
      const sites = new Error().stack;
      const caller = (Array.isArray(sites) ? sites : [])
        .map((site) => site.getFileName?.() ?? '')
        .find((file) => file && file !== __filename && !file.startsWith('node:'));
      return caller !== undefined && !caller.includes(`${sep}node_modules${sep}`);
    } finally {
      Error.prepareStackTrace = prepareStackTrace;
      Error.stackTraceLimit = stackTraceLimit;
    }
  };
  const wrap = (name, notice, target = fs) => {
    const original = target[name];
    if (typeof original !== 'function') return;
    const recorded = function recordedFs(...call) {
      try {
        notice(...call);
      } catch {
        // Noting a read must never fail it.
      }
      return original.apply(this, call);
    };
    // util.promisify's own versions (fs.exists has one) stay.
    for (const symbol of Object.getOwnPropertySymbols(original)) recorded[symbol] = original[symbol];
    target[name] = recorded;
  };
  wrap('readFileSync', (path) => note('files', path));
  wrap('copyFileSync', (from, to) => inAssembly(to) && note('files', from));
  wrap('cpSync', (from, to) => inAssembly(to) && note('trees', from));
  wrap('readdirSync', (path) => calledByApp() && note('folders', path));
  wrap('opendirSync', (path) => calledByApp() && note('folders', path));

  // For the synth cache: everything, whoever calls (aws-cdk-lib's fingerprints of asset folders
  // among them: it lists them, stats and opens their files).
  const seen = { read: new Set(), listed: new Set(), probed: new Set(), written: new Set() };
  const manifestFile = join(resolve(outDir), 'manifest.json');
  let manifest = false;
  const saw = (kind) => (path) => {
    const found = absolute(path);
    if (found === manifestFile) manifest = true;
    if (found && !ours(found)) seen[kind].add(found);
  };
  const readOnly = (flags) =>
    flags === undefined ||
    flags === null ||
    flags === 'r' ||
    flags === 'rs' ||
    (typeof flags === 'number' && (flags & 3) === 0);
  const opened = (path, flags) => saw(readOnly(flags) ? 'read' : 'written')(path);
  const copied = (from, to) => {
    saw('read')(from);
    saw('written')(to);
  };
  const renamed = (from, to) => {
    saw('written')(from);
    saw('written')(to);
  };
  const kinds = {
    read: ['readFile', 'readlink'],
    listed: ['readdir', 'opendir'],
    probed: ['stat', 'lstat', 'access', 'exists'],
    written: ['writeFile', 'appendFile', 'rm', 'unlink', 'mkdir'],
  };
  for (const [target, suffix] of [
    [fs, 'Sync'],
    [fs, ''],
    [fs.promises, ''],
  ]) {
    for (const [kind, names] of Object.entries(kinds)) for (const name of names) wrap(name + suffix, saw(kind), target);
    wrap(`open${suffix}`, opened, target);
    wrap(`copyFile${suffix}`, copied, target);
    wrap(`rename${suffix}`, renamed, target);
  }

  // The programs this process launches: a child that is Node with this recorder notes its own
  // reads; any other (a native binary, a shell's commands) is judged from its command line.
  const launched = [];
  const launch = (file, args, options, shell) => {
    if (typeof file !== 'string') return;
    const env = options?.env ?? process.env;
    launched.push({
      file,
      args: Array.isArray(args) ? args.filter((arg) => typeof arg === 'string') : [],
      shell: shell || Boolean(options?.shell),
      cwd: resolve(typeof options?.cwd === 'string' ? options.cwd : process.cwd()),
      recorded: (env.NODE_OPTIONS ?? '').includes(__filename),
    });
  };
  // (file, args?, options?) as spawn, spawnSync, execFile, execFileSync and fork take them.
  const fileCall = (file, args, options) =>
    Array.isArray(args) ? launch(file, args, options) : launch(file, [], args);
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync']) wrap(name, fileCall, childProcess);
  wrap(
    'fork',
    (module, args, options) =>
      fileCall(process.execPath, [module, ...(Array.isArray(args) ? args : [])], Array.isArray(args) ? options : args),
    childProcess,
  );
  for (const name of ['exec', 'execSync'])
    wrap(name, (command, options) => launch(command, [], options, true), childProcess);
  syncBuiltinESMExports();

  // Every process of the app's command notes its own (npx and the like, then the app itself).
  const writeLine = () => {
    try {
      mkdirSync(recordDir, { recursive: true, mode: 0o700 });
      const sorted = (sets) => Object.fromEntries(Object.entries(sets).map(([kind, set]) => [kind, [...set].sort()]));
      const line = {
        ...sorted(reads),
        pid: String(process.pid),
        chain,
        manifest,
        bundling: process.env.IAM_M2M_LOCAL_IN_BUNDLING === '1',
        ...sorted(seen),
        launched,
      };
      appendFileSync(join(recordDir, 'app-reads.jsonl'), `${JSON.stringify(line)}\n`, { mode: 0o600 });
    } catch {
      // Without it, every change takes a synth.
    }
  };
  process.on('exit', writeLine);
  // process.execve (Node 22.15 on) replaces this process without an exit: TypeScript 7's `tsc`
  // launcher runs its native compiler so. The line is written first, the program in it.
  if (typeof process.execve === 'function') {
    const execve = process.execve;
    process.execve = function recordedExecve(file, args, env) {
      launch(file, Array.isArray(args) ? args.slice(1) : [], { env: env ?? process.env });
      writeLine();
      return execve.call(this, file, args, env);
    };
  }
}
