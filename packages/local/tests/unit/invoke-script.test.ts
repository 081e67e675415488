import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createIamClient } from '@iam-m2m/middleware';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { motoPresent, startMoto } from '../../../middleware/tests/helpers/moto.js';
import type { LocalStack } from '../../src/stack.js';
import { awsEnvironment, principal, startStack } from '../helpers/stack.js';

const run = promisify(execFile);
describe.skipIf(!motoPresent)(
  motoPresent
    ? 'pnpm --filter infra run invoke -- requestor (CloudFormation outputs from moto_server, Lambda from the local stack: AWS itself cannot run here)'
    : 'the invoke script: SKIPPED, moto_server is not installed',
  () => {
    let moto: { url: string; stop: () => void };
    let stack: LocalStack;

    beforeAll(async () => {
      moto = await startMoto();
      ({ stack } = await startStack(inject('oneAccount')));
    }, 30_000);
    afterAll(async () => {
      moto?.stop();
      await stack?.close();
    });

    it('finds the function from the stack outputs and prints its payload', async () => {
      // Prepare: a deployed IamM2m stack, as far as CloudFormation's outputs go.
      const state = stack.state();
      const operator = principal(state, 'operator');
      const requestor = state.functions.find((f) => f.name === 'requestor');
      const template = {
        Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
        Outputs: { RequestorFunctionName: { Value: requestor?.functionName } },
      };
      const cloudFormation = createIamClient({
        credentials: operator,
        region: state.region,
        service: 'cloudformation',
      });
      const created = await cloudFormation.post(moto.url, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          Action: 'CreateStack',
          Version: '2010-05-15',
          StackName: 'IamM2m',
          TemplateBody: JSON.stringify(template),
        }).toString(),
      });
      expect(created.status).toBe(200);

      // Act
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/invoke.ts', 'requestor'], {
        cwd: fileURLToPath(new URL('../../../infra', import.meta.url)),
        env: {
          ...awsEnvironment(operator, state.region),
          AWS_ENDPOINT_URL_CLOUDFORMATION: moto.url,
          AWS_ENDPOINT_URL_STS: moto.url,
          AWS_ENDPOINT_URL_LAMBDA: state.lambdaEndpoint,
        },
      });

      // Assess
      expect(JSON.parse(stdout)).toMatchObject({
        without: { message: 'Missing Authentication Token' },
        with: { hello: 'world', caller: { userArn: principal(state, 'requestor').arn } },
      });
    });
  },
);
