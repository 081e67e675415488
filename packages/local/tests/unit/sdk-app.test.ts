// The sdk fixture app served over HTTP: NodejsFunction leaves the SDK out of its bundles, and the
// functions find it as on Lambda, where the runtime provides it.
import { cpSync, mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FunctionModel } from '../../src/assembly/model.js';
import { importedRuntimePackages, runtimeModuleWarnings } from '../../src/lambda/runtime-modules.js';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { clientFor, principal } from '../helpers/stack.js';

describe('the sdk fixture app: NodejsFunction leaves @aws-sdk/* out of the bundle, the runtime provides it', () => {
  const appDir = fileURLToPath(new URL('../fixtures/apps/sdk/', import.meta.url));
  let assembly: string;
  let stack: LocalStack;
  let state: LocalState;
  const warnings: string[] = [];

  beforeAll(async () => {
    // Prepare: the assembly where `cdk synth` leaves it, in the app's folder, whose installed packages
    // (packages/local's, as for its aws-cdk-lib) hold @aws-sdk/client-sts.
    mkdirSync(join(appDir, 'cdk.out'), { recursive: true });
    assembly = mkdtempSync(join(appDir, 'cdk.out', 'run-'));
    cpSync(inject('fixtures').sdk, assembly, { recursive: true });
    stack = await LocalStack.start({
      assemblyDir: assembly,
      functionOutput: 'ignore',
      // Inside the copy, removed with it (the default is beside it, in the app's folder).
      seedFile: join(assembly, '.iam-m2m-local', 'seed'),
      warn: (line) => warnings.push(line),
    });
    state = stack.state();
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(assembly, { recursive: true, force: true });
    // The app's cdk.out once no run uses it (another run at the same time keeps it).
    try {
      rmdirSync(join(appDir, 'cdk.out'));
    } catch {}
  });

  /** The Invoke API's answer over HTTP, signed by the account's operator. */
  async function invoke(name: string) {
    const fn = state.functions.find((candidate) => candidate.name === name);
    const response = await clientFor(state, 'operator', 'lambda').post(
      `${state.lambdaEndpoint}/2015-03-31/functions/${fn?.functionName}/invocations`,
      { json: {} },
    );
    return {
      status: response.status,
      error: response.headers.get('x-amz-function-error'),
      body: await response.json(),
    };
  }

  it.each(['Caller', 'CallerEsm'])(
    '%s calls STS with the SDK the runtime provides and gets its own identity',
    async (name) => {
      // Act
      const answer = await invoke(name);

      // Assess: the bundle imports the SDK, the answer is the local STS's.
      const fn = stack.model.functions.find((candidate) => candidate.name === name) as FunctionModel;
      expect(importedRuntimePackages(fn)).toEqual(['@aws-sdk/client-sts']);
      expect(answer).toEqual({
        status: 200,
        error: null,
        body: { arn: principal(state, name).arn, account: '111111111111' },
      });
      expect(runtimeModuleWarnings([fn])).toEqual([]);
      expect(warnings.filter((line) => line.includes('which the Lambda runtime provides'))).toEqual([]);
    },
  );

  it('a package neither the bundle nor the runtime has fails as on AWS, though the app has it installed', async () => {
    // Act
    const [cjs, esm] = await Promise.all([invoke('Unprovided'), invoke('UnprovidedEsm')]);

    // Assess: CommonJS as Runtime.ImportModuleError, an ES module as Node's own error (aws-samples/s3-to-lambda-patterns#40).
    expect(cjs).toMatchObject({
      status: 200,
      error: 'Unhandled',
      body: {
        errorType: 'Runtime.ImportModuleError',
        errorMessage: expect.stringMatching(/^Error: Cannot find module 'aws4'\nRequire stack:\n- .*index\.js/),
      },
    });
    expect(esm).toMatchObject({
      status: 200,
      error: 'Unhandled',
      body: {
        errorType: 'Error',
        errorMessage: expect.stringMatching(/^Cannot find package 'aws4' imported from .*index\.mjs$/),
      },
    });
  });

  it('served away from its app, the SDK this package carries stands in: no warning, the same answer', async () => {
    // Prepare: the assembly the global setup synthesized, in a temporary folder no app holds.
    const away = await LocalStack.start({
      assemblyDir: inject('fixtures').sdk,
      functionOutput: 'ignore',
      warn: () => {},
    });
    try {
      // Act
      const warned = runtimeModuleWarnings(away.model.functions);
      const outcome = await away.runtime('CallerEsm')?.invoke({});

      // Assess
      expect(warned).toEqual([]);
      expect(outcome).toMatchObject({ ok: true, result: { account: '111111111111' } });
    } finally {
      await away.close();
    }
  });
});
