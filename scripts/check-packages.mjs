#!/usr/bin/env node
// `pnpm check:packages [--out <dir>]` (CI): packs the three publishable packages as `pack:all`
// does, runs `npm publish --dry-run` on each tarball (what a release uploads: pnpm's pack, with
// publishConfig applied and workspace: specifiers replaced) and checks what is inside. One line
// per package; every problem on its own line, and exit 1.
//
// Release with `pnpm publish -r` (or `npm publish` of these tarballs), never `npm publish` in a
// package folder: npm applies neither publishConfig's exports and bin nor pnpm's workspace:
// replacement, so it would upload exports pointing at src/, which the package does not ship.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outOption, PUBLISHED, packAll, repoRoot } from './pack-all.mjs';

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
/** What a package may ship: its manifest, README, license texts, and built code with its types and maps. */
const SHIPPABLE =
  /^(package\.json|README\.md|(LICENSE|LICENCE|NOTICE)(\.\w+)?|dist\/[\w./-]+\.(js|mjs|cjs|d\.ts|d\.mts|js\.map))$/;
/** License and attribution texts in a folder: the repository's go in every package, a package's own in it. */
const licenseFiles = (dir) => readdirSync(dir).filter((name) => /^(LICENSE|LICENCE|NOTICE)(\.\w+)?$/.test(name));
const LICENSE_FILES = licenseFiles(repoRoot);

/** `npm publish --dry-run` of a tarball: its JSON report, and npm's errors and warnings (but "not logged in"). */
function publishDryRun(tarball) {
  // Offline: a dry run needs nothing of the registry (online, it only asks who is logged in). Without
  // the npm_* variables `pnpm run` sets, which npm would warn about as unknown config.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const run = spawnSync('npm', ['publish', '--dry-run', '--offline', '--json', tarball], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env,
  });
  const complaints = [
    ...new Set(
      `${run.stderr ?? ''}`
        .split('\n')
        .filter((line) => /^npm (warn|error)/i.test(line) && !/requires you to be logged in/.test(line)),
    ),
  ].map((line) => `npm publish --dry-run: ${line}`);
  if (run.status !== 0) return { problems: [`npm publish --dry-run exited ${run.status}`, ...complaints] };
  return { report: Object.values(JSON.parse(run.stdout))[0], problems: complaints };
}

/** What is wrong with one packed package, by the rules of a release. */
function checkPackage({ name, dir, dev }, manifest, files, read) {
  const problems = [];
  const has = (path) => files.includes(path.replace(/^\.\//, ''));
  if (manifest.name !== name) problems.push(`its package.json names ${manifest.name}`);
  if (manifest.private) problems.push('it is private');
  if (manifest.publishConfig?.access !== 'public')
    problems.push('publishConfig.access is not "public": a scoped package is published restricted (402) without it');
  if (!manifest.license) problems.push('no license field');
  for (const field of DEPENDENCY_FIELDS)
    for (const [dependency, spec] of Object.entries(manifest[field] ?? {}))
      if (/^(workspace|link|file):/.test(String(spec)))
        problems.push(`${field}.${dependency} is ${spec}: a registry cannot resolve it`);
  for (const file of files.filter((path) => !SHIPPABLE.test(path)))
    problems.push(`ships ${file}: neither built code, its types, README nor license`);
  for (const file of ['package.json', 'README.md', ...LICENSE_FILES, ...licenseFiles(join(repoRoot, dir))])
    if (!has(file)) problems.push(`does not ship ${file}`);
  // Every entry point the manifest names is in the tarball.
  const targets = [];
  const collect = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') for (const inner of Object.values(value)) collect(inner);
  };
  collect(manifest.exports);
  collect(manifest.bin);
  for (const field of ['main', 'module', 'types', 'typings']) collect(manifest[field]);
  if (!manifest.exports) problems.push('no exports');
  for (const target of targets) if (!has(target)) problems.push(`names ${target}, which it does not ship`);
  if (!targets.some((target) => /\.d\.m?ts$/.test(target))) problems.push('names no type declarations');
  if (dev && !manifest.bin?.['iam-m2m-local']) problems.push('has no iam-m2m-local bin');
  for (const bin of Object.values(manifest.bin ?? {}))
    if (has(bin) && !read(`package/${bin.replace(/^\.\//, '')}`).startsWith('#!/usr/bin/env node'))
      problems.push(`its bin ${bin} does not start with #!/usr/bin/env node`);
  // Built code whose source is gone (a renamed or deleted file) stays in dist until it is cleaned.
  for (const file of files.filter((path) => /^dist\/.+\.(js|mjs|cjs|d\.ts)$/.test(path))) {
    const stem = file.replace(/^dist\//, 'src/').replace(/(\.d)?\.(js|mjs|cjs|ts)$/, '');
    const sources = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'].map((ext) => join(repoRoot, dir, `${stem}${ext}`));
    if (!sources.some(existsSync)) problems.push(`ships ${file}, built from a source that is gone (clean dist)`);
  }
  return problems;
}

const outDir = outOption(process.argv.slice(2), 'a temporary folder, removed');
const packsDir = outDir || mkdtempSync(join(tmpdir(), 'iam-m2m-check-packages-'));
const started = Date.now();
let failed = false;
try {
  const packs = packAll(packsDir);
  for (const [index, pack] of packs.entries()) {
    const spec = PUBLISHED[index];
    const read = (path) => execFileSync('tar', ['-xzOf', pack.tarball, path], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const manifest = JSON.parse(read('package/package.json'));
    const { report, problems: npmProblems } = publishDryRun(pack.tarball);
    const files = (report?.files ?? []).map((file) => file.path).filter((path) => path !== '' && !path.endsWith('/'));
    const problems = [...npmProblems, ...checkPackage(spec, manifest, files, read)];
    const size = report ? `${files.length} files, ${(report.size / 1024).toFixed(1)} KB packed` : 'no report';
    console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${pack.name}@${manifest.version}: ${size}`);
    for (const problem of problems) console.log(`     ${pack.name}: ${problem}`);
    failed ||= problems.length > 0;
  }
} finally {
  if (!outDir) rmSync(packsDir, { recursive: true, force: true });
}
console.log(
  `${failed ? 'Some packages cannot be published as they are' : 'Every package publishes (npm publish --dry-run)'}; ${((Date.now() - started) / 1000).toFixed(1)} s.` +
    (LICENSE_FILES.length === 0 ? ' The repository has no LICENSE file, so none is packed.' : ''),
);
process.exit(failed ? 1 : 0);
