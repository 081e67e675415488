import { afterEach, describe, expect, inject, it } from 'vitest';
import { LocalStack } from '../../src/stack.js';
import { awsError, clientFor, editedAssembly, maskedAccount, principal, startStack } from '../helpers/stack.js';

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('two accounts: API in 222222222222, requestor in 111111111111', () => {
  it('the requestor calls across accounts: both its identity policy and the resource policy allow', async () => {
    // Prepare
    const started = await startStack(inject('twoAccounts'));
    stack = started.stack;

    // Act
    const outcome = await stack.runtime('requestor')?.invoke({});

    // Assess
    expect(started.state.apis[0]?.accountId).toBe('222222222222');
    expect(outcome).toEqual({
      log: expect.stringMatching(/^START RequestId: /),
      ok: true,
      result: {
        without: { message: 'Missing Authentication Token' },
        with: {
          hello: 'world',
          caller: { accountId: '111111111111', userArn: principal(started.state, 'requestor').arn },
        },
        // The function URL trusts the requestor's account; its own policy names hello-world exactly.
        functionUrl: {
          hello: 'world',
          caller: { accountId: '111111111111', userArn: principal(started.state, 'requestor').arn },
        },
        // The HTTP API has no resource policy: the requestor assumed a role of the API's account (local STS).
        httpApi: {
          hello: 'world',
          caller: {
            accountId: '222222222222',
            userArn: expect.stringMatching(
              /^arn:aws:sts::222222222222:assumed-role\/IamM2mApi-HttpApiCallerRole[A-Z0-9]+-[A-Z0-9]{12}\/iam-m2m-/,
            ),
          },
        },
      },
    });
  });

  it('the operator of the requestor account is allowed *:* by its own policy, and may call the API (its account is trusted)', async () => {
    // Prepare
    const started = await startStack(inject('twoAccounts'));
    stack = started.stack;

    // Act
    const response = await clientFor(started.state, 'operator').get(started.url);

    // Assess
    expect(response.status).toBe(200);
  });

  it('removing the requestor account from the resource policy makes the call fail as on AWS', async () => {
    // Prepare: the API stack's resource policy trusts only its own account.
    const assembly = editedAssembly(inject('twoAccounts'), 'IamM2mApi', (template) => {
      for (const resource of Object.values(template.Resources)) {
        if (resource.Type !== 'AWS::ApiGateway::RestApi') continue;
        const policy = resource.Properties.Policy as { Statement: { Principal: { AWS: unknown[] } }[] };
        for (const statement of policy.Statement) {
          statement.Principal.AWS = statement.Principal.AWS.filter((p) => !JSON.stringify(p).includes('111111111111'));
        }
      }
    });
    const started = await startStack(assembly);
    stack = started.stack;

    // Act
    const response = await clientFor(started.state, 'requestor').get(started.url);
    const outcome = await stack.runtime('requestor')?.invoke({});

    // Assess
    const api = started.state.apis[0];
    expect(await awsError(response)).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      message: `User: ${principal(started.state, 'requestor').arn} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:${maskedAccount('222222222222')}:${api?.restApiId}/prod/GET/`,
    });
    expect(outcome).toMatchObject({
      ok: true,
      // API Gateway's IAM denials say `Message`, capital M, as the requestor shows them.
      result: { with: { Message: expect.stringContaining('is not authorized') } },
    });
  });
});

describe('a function invoked by name from the wrong account', () => {
  it('answers 404 ResourceNotFoundException as AWS does (a name resolves in the caller’s account), and stderr says where the function is', async () => {
    // Prepare
    const records: { reason: string; allowed: boolean }[] = [];
    stack = await LocalStack.start({
      assemblyDir: inject('twoAccounts'),
      functionOutput: 'ignore',
      warn: () => {},
      decisions: (record) => records.push(record),
    });
    const state = stack.state();
    const helloWorld = state.functions.find((fn) => fn.name === 'hello-world');

    // Act: `operator` is of the requestor's account (111111111111); hello-world lives in 222222222222.
    const response = await clientFor(state, 'operator', 'lambda').request({
      method: 'POST',
      url: `${state.lambdaEndpoint}/2015-03-31/functions/${helloWorld?.functionName}/invocations`,
      body: '{}',
    });

    // Assess (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: a name without an ARN is the caller's account's)
    expect(await awsError(response)).toEqual({
      status: 404,
      type: 'ResourceNotFoundException',
      // `:$LATEST` for an unqualified name: LocalStack's recording of test_invoke_exceptions (AWS, 2025-11-24).
      message: `Function not found: arn:aws:lambda:us-east-1:111111111111:function:${helloWorld?.functionName}:$LATEST`,
    });
    expect(records.at(-1)).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('(account 222222222222): call it by that ARN, or as a principal of that account'),
    });
  });
});
