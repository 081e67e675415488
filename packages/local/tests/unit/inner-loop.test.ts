// The inner loop (issue "A fast inner loop"): a synth cache that is never stale, and runs in one
// checkout that never share an output folder.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { appInputs, cachedSynth } from '../../src/cli/synth.js';
import { LocalStack } from '../../src/stack.js';
import { clientFor } from '../helpers/stack.js';

const cdkLib = createRequire(import.meta.url).resolve('aws-cdk-lib');
const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** A small CDK app of its own folder: a REST API (AWS_IAM) in front of an inline function whose code is handler.js. */
function tinyApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-m2m-tiny-app-'));
  writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'node app.cjs', watch: { include: ['**'] } }));
  writeFileSync(join(dir, 'handler.js'), 'exports.handler = async () => ({ statusCode: 200, body: "v1" });\n');
  writeFileSync(
    join(dir, 'app.cjs'),
    `const { readFileSync } = require('node:fs');
const cdk = require(${JSON.stringify(cdkLib)});
const app = new cdk.App();
const stack = new cdk.Stack(app, 'Tiny');
const fn = new cdk.aws_lambda.Function(stack, 'Handler', {
  runtime: cdk.aws_lambda.Runtime.NODEJS_20_X,
  handler: 'index.handler',
  code: cdk.aws_lambda.Code.fromInline(readFileSync(__dirname + '/handler.js', 'utf8')),
});
const api = new cdk.aws_apigateway.RestApi(stack, 'Api', { defaultMethodOptions: { authorizationType: cdk.aws_apigateway.AuthorizationType.IAM } });
api.root.addMethod('GET', new cdk.aws_apigateway.LambdaIntegration(fn));
app.synth();
`,
  );
  return dir;
}

describe('the synth cache', () => {
  const dir = tinyApp();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reuses the assembly of unchanged inputs, and synthesizes again after any source change', async () => {
    expect(appInputs(dir).map((file) => file.slice(dir.length + 1))).toEqual(
      expect.arrayContaining(['app.cjs', 'cdk.json', 'handler.js']),
    );
    const first = await cachedSynth({ dir });
    expect(first.cached).toBe(false);
    expect(existsSync(join(first.assemblyDir, 'manifest.json'))).toBe(true);

    const second = await cachedSynth({ dir });
    expect(second).toMatchObject({ cached: true, assemblyDir: first.assemblyDir });

    writeFileSync(join(dir, 'handler.js'), 'exports.handler = async () => ({ statusCode: 200, body: "v2" });\n');
    const third = await cachedSynth({ dir });
    expect(third.cached).toBe(false);
    expect(third.assemblyDir).not.toBe(first.assemblyDir);

    // What the new assembly serves is the new code.
    const stack = await LocalStack.start({ assemblyDir: third.assemblyDir, functionOutput: 'ignore' });
    try {
      const state = stack.state();
      const response = await clientFor(state, 'operator').get(state.apis[0]?.url ?? '');
      expect(await response.text()).toBe('v2');
    } finally {
      await stack.close();
    }
  });

  it('a different context is a different synth', async () => {
    const plain = await cachedSynth({ dir });
    const other = await cachedSynth({ dir, context: { stage: 'other' } });
    expect(other.assemblyDir).not.toBe(plain.assemblyDir);
  });

  it('a failing app is one line naming its own error, and leaves no half-written folder behind', async () => {
    writeFileSync(join(dir, 'app.cjs'), 'throw new Error("the app is broken");\n');
    await expect(cachedSynth({ dir })).rejects.toThrow(/^the CDK app failed \(exit 1\): .*the app is broken/);
  });
});

describe('two start runs at the same time in one checkout', () => {
  it('both print their seed line (one account and two accounts)', async () => {
    const run = (accounts: string) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'start', '--accounts', accounts], {
        cwd: fileURLToPath(new URL('../../', import.meta.url)),
        maxBuffer: 32 * 1024 * 1024,
      });
    const [one, two] = await Promise.all([run('one'), run('two')]);
    for (const { stdout } of [one, two]) {
      const last = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
      expect(last).toMatchObject({ without: { message: 'Missing Authentication Token' }, with: { hello: 'world' } });
    }
    expect(JSON.parse(two.stdout.trim().split('\n').at(-1) ?? '').httpApi.caller.accountId).toBe('222222222222');
  }, 240_000);
});
