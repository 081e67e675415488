import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSignedFetcher } from 'aws-sigv4-fetch';
import aws4 from 'aws4';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { awsEnvironment, awsError, clientFor, maskedAccount, principal, startStack } from '../helpers/stack.js';

// Async only: a synchronous child would block the event loop this process serves on.
const run = promisify(execFile);

let stack: LocalStack;
let state: LocalState;
let url: string;

beforeAll(async () => {
  ({ stack, state, url } = await startStack(inject('oneAccount')));
});
afterAll(() => stack.close());

describe('API Gateway REST with AWS_IAM, one account', () => {
  it('the requestor, signed by the middleware, gets hello world and is named as the caller', async () => {
    // Act
    const body = await clientFor(state, 'requestor').json<{ hello: string; caller: unknown }>({ url });

    // Assess
    const requestor = principal(state, 'requestor');
    expect(body).toEqual({ hello: 'world', caller: { accountId: requestor.accountId, userArn: requestor.arn } });
  });

  it.each([
    ['no signature', '', 'GET'],
    ['an unknown route', 'nope/../', 'GET'],
    ['an unknown stage', '../dev/', 'GET'],
  ])('%s → 403 Missing Authentication Token', async (_label, suffix, method) => {
    // Act
    const response = await fetch(new URL(suffix, url), { method });

    // Assess
    expect(await awsError(response)).toEqual({
      status: 403,
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('an identity allowed by its own policy, in an account the API does not trust, is denied', async () => {
    // Act
    const response = await clientFor(state, 'outsider').get(url);

    // Assess
    const api = state.apis[0];
    expect(await awsError(response)).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      message: `User: ${principal(state, 'outsider').arn} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:${maskedAccount(api?.accountId ?? '')}:${api?.restApiId}/prod/GET/`,
    });
  });

  it("the requestor's grant is exactly GET /: a POST to the echo route is denied, as the middleware reports it", async () => {
    // Act
    const call = clientFor(state, 'requestor').json({ method: 'POST', url: new URL('echo', url), json: {} });

    // Assess
    await expect(call).rejects.toMatchObject({
      name: 'IamRequestError',
      status: 403,
      errorType: 'AccessDeniedException',
      serviceMessage: expect.stringMatching(
        /^User: .+ is not authorized to perform: execute-api:Invoke on resource: .+\/prod\/POST\/echo$/,
      ),
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('path, multi-value query and a unicode body survive signing end to end', async () => {
    // Act: the operator of the same account may invoke anything.
    const echoed = await clientFor(state, 'operator').json<Record<string, unknown>>({
      method: 'POST',
      url: new URL('echo/with space/ünï?x=1&x=2&plus=a+b', url),
      query: { ключ: 'значение' },
      json: { greeting: 'héllo 👋' },
    });

    // Assess: REST APIs pass the path still percent-encoded.
    expect(echoed).toMatchObject({
      method: 'POST',
      path: '/echo/with%20space/%C3%BCn%C3%AF',
      query: { x: ['1', '2'], plus: ['a+b'], ключ: ['значение'] },
      body: { greeting: 'héllo 👋' },
      caller: { accountId: principal(state, 'operator').accountId },
    });
  });

  it('a third-party signer (aws4) is accepted', async () => {
    // Prepare
    const operator = principal(state, 'operator');
    const target = new URL('echo/third-party?a=1', url);
    const signed = aws4.sign(
      {
        host: target.host,
        path: `${target.pathname}${target.search}`,
        method: 'GET',
        service: 'execute-api',
        region: state.region,
      },
      operator,
    );

    // Act
    const response = await fetch(target, { headers: signed.headers as Record<string, string> });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ path: '/echo/third-party', query: { a: ['1'] } });
  });

  it('another third-party signer (aws-sigv4-fetch) is accepted, body and query included', async () => {
    // Prepare
    const operator = principal(state, 'operator');
    const signedFetch = createSignedFetcher({ service: 'execute-api', region: state.region, credentials: operator });

    // Act
    const response = await signedFetch(new URL('echo/sigv4-fetch?x=1&x=2', url), {
      method: 'POST',
      body: JSON.stringify({ from: 'aws-sigv4-fetch', text: 'ünï' }),
      headers: { 'content-type': 'application/json' },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      path: '/echo/sigv4-fetch',
      query: { x: ['1', '2'] },
      body: { from: 'aws-sigv4-fetch', text: 'ünï' },
    });
  });

  const curlHasSigV4 =
    spawnSync('curl', ['--help', 'all'], { encoding: 'utf8' }).stdout?.includes('--aws-sigv4') ?? false;
  it.skipIf(!curlHasSigV4)(
    curlHasSigV4 ? 'curl --aws-sigv4 is accepted' : 'curl --aws-sigv4: SKIPPED, curl without --aws-sigv4',
    async () => {
      // Prepare
      const operator = principal(state, 'operator');

      // Act
      const { stdout: output } = await run(
        'curl',
        [
          '-s',
          '--aws-sigv4',
          `aws:amz:${state.region}:execute-api`,
          '--user',
          `${operator.accessKeyId}:${operator.secretAccessKey}`,
          '-H',
          `x-amz-security-token: ${operator.sessionToken}`,
          new URL('echo/curl', url).href,
        ],
        { encoding: 'utf8' },
      );

      // Assess
      expect(JSON.parse(output)).toMatchObject({ hello: 'world', path: '/echo/curl' });
    },
  );

  it('the Lambda Invoke API runs the requestor for a caller allowed lambda:InvokeFunction', async () => {
    // Prepare
    const requestor = state.functions.find((f) => f.name === 'requestor');

    // Act
    const payload = await clientFor(state, 'operator', 'lambda').json<Record<string, unknown>>({
      method: 'POST',
      url: `${state.lambdaEndpoint}/2015-03-31/functions/${requestor?.functionName}/invocations`,
      json: {},
    });

    // Assess
    // One account: the requestor's own role signs for all three targets (the HTTP API on its identity policy alone).
    const caller = { hello: 'world', caller: { userArn: principal(state, 'requestor').arn } };
    expect(payload).toMatchObject({
      without: { message: 'Missing Authentication Token' },
      with: caller,
      functionUrl: caller,
      httpApi: caller,
    });
  });

  it('the Lambda Invoke API refuses a caller without lambda:InvokeFunction', async () => {
    // Prepare
    const requestor = state.functions.find((f) => f.name === 'requestor');

    // Act
    const response = await clientFor(state, 'requestor', 'lambda').post(
      `${state.lambdaEndpoint}/2015-03-31/functions/${requestor?.functionName}/invocations`,
      { json: {} },
    );

    // Assess
    expect(await awsError(response)).toMatchObject({ status: 403, type: 'AccessDeniedException' });
  });

  const awsCli = spawnSync('aws', ['--version']).status === 0;
  it.skipIf(!awsCli)(
    awsCli
      ? 'aws lambda invoke --endpoint-url works (AWS CLI, botocore signer)'
      : 'aws lambda invoke: SKIPPED, no AWS CLI',
    async () => {
      // Prepare
      const operator = principal(state, 'operator');
      const requestor = state.functions.find((f) => f.name === 'requestor');
      const out = join(mkdtempSync(join(tmpdir(), 'iam-m2m-cli-')), 'payload.json');

      // Act
      const { stdout: status } = await run(
        'aws',
        [
          'lambda',
          'invoke',
          '--endpoint-url',
          state.lambdaEndpoint,
          '--function-name',
          String(requestor?.functionName),
          out,
        ],
        {
          encoding: 'utf8',
          env: awsEnvironment(operator, state.region),
        },
      );

      // Assess
      expect(JSON.parse(status)).toMatchObject({ StatusCode: 200 });
      expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ with: { hello: 'world' } });
    },
  );
});
