// The README's shell examples, run as written (jq, curl --aws-sigv4, the AWS CLI) against a
// served fixture app, from a folder holding its default state file: the docs cannot drift from
// what the stack answers.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalStack } from '../../src/stack.js';

const run = promisify(execFile);
const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The first `sh` block after the paragraph that starts with `lead`. */
function exampleAfter(lead: string): string {
  const start = readme.indexOf(`\n${lead}`);
  if (start < 0) throw new Error(`the README has no paragraph starting ${JSON.stringify(lead)}`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!block?.[1]) throw new Error(`no sh block after ${JSON.stringify(lead)}`);
  return block[1];
}

const has = (command: string, args: string[], output = '') =>
  spawnSync(command, args, { encoding: 'utf8' }).stdout?.includes(output) ?? false;
const tools = { jq: has('jq', ['--version']), curlSigV4: has('curl', ['--help', 'all'], '--aws-sigv4') };
const awsCli = spawnSync('aws', ['--version']).status === 0;

let stack: LocalStack;
let cwd: string;
beforeAll(async () => {
  stack = await LocalStack.start({ assemblyDir: inject('fixtures').classic, functionOutput: 'ignore', warn: () => {} });
  cwd = mkdtempSync(join(tmpdir(), 'iam-m2m-readme-'));
  mkdirSync(join(cwd, '.iam-m2m-local'));
  stack.writeState(join(cwd, '.iam-m2m-local', 'state.json'));
});
afterAll(() => stack?.close());

const bash = (script: string) =>
  run('bash', ['-euo', 'pipefail', '-c', script], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH } });

describe('packages/local/README.md examples, as written', () => {
  it.skipIf(!tools.jq || !tools.curlSigV4)(
    tools.jq && tools.curlSigV4
      ? '"Call the API as a function’s role would": curl --aws-sigv4 gets the function’s answer'
      : '"Call the API…": SKIPPED, needs jq and curl with --aws-sigv4',
    async () => {
      const { stdout } = await bash(
        `${exampleAfter('Call the API as a function').trimEnd()} -s -o /dev/null -w '%{http_code}'`,
      );
      expect(stdout).toBe('200');
    },
  );

  it.skipIf(!tools.jq || !awsCli)(
    tools.jq && awsCli
      ? '"Invoke a function through the Lambda Invoke API": the AWS CLI gets StatusCode 200'
      : '"Invoke a function…": SKIPPED, needs jq and the AWS CLI',
    async () => {
      const { stdout } = await bash(exampleAfter('Invoke a function through the Lambda Invoke API'));
      expect(JSON.parse(stdout)).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    },
  );
});
