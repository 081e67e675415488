// Function URLs and HTTP APIs with AWS_IAM, and the local STS, on a fixture app of two accounts
// (tests/fixtures/apps/targets): what AWS answers each caller, the local stack must answer too.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createIamClient } from '@iam-m2m/middleware';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { awsError, clientFor, principal, startStack } from '../helpers/stack.js';

const API_ACCOUNT = '111111111111';
const CALLER_ROLE_ARN = `arn:aws:iam::${API_ACCOUNT}:role/targets-api-caller`;
/** Function URLs' denial body today (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html; the text as users' logs show it). */
const URL_FORBIDDEN =
  'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html';

let stack: LocalStack;
let state: LocalState;
beforeAll(async () => {
  ({ stack, state } = await startStack(inject('fixtures').targets));
});
afterAll(() => stack?.close());

const urlOf = (name: string) => {
  const found = state.functionUrls.find((url) => url.name === name);
  if (!found) throw new Error(`no function URL of ${name}`);
  return found.url;
};
const httpApi = () => state.httpApis[0]?.url ?? '';
const operatorOf = (account: string) =>
  state.principals.find((p) => p.accountId === account && p.name.startsWith('operator'))?.name ?? '';
const sts = (who: string) =>
  new STSClient({ region: state.region, endpoint: stack.origin, credentials: principal(state, who) });

describe('the state file', () => {
  it('lists the function URLs and the HTTP API with local URLs', () => {
    expect(state.functionUrls.map((url) => url.name).sort()).toEqual(['Echo', 'UrlOnly']);
    expect(state.functionUrls[0]?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/lambda-url\/[a-z0-9]{32}\/$/);
    expect(state.httpApis).toEqual([
      {
        apiId: expect.stringMatching(/^[a-z0-9]{10}$/),
        accountId: API_ACCOUNT,
        stage: '$default',
        url: expect.stringMatching(/\/httpapis\/[a-z0-9]{10}\/$/),
      },
    ]);
  });
});

describe('function URL (AWS_IAM, SigV4 service lambda)', () => {
  it('lets the caller of the trusted account in, with its identity in requestContext.authorizer.iam', async () => {
    const response = await clientFor(state, 'Caller', 'lambda').get(urlOf('Echo'));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      caller: 'arn:aws:sts::222222222222:assumed-role/targets-caller/Caller',
      callerAccount: '222222222222',
      routeKey: '$default',
      rawPath: '/',
    });
  });

  it('carries a signed POST with a unicode body and a repeated query key intact (payload 2.0 joins the values)', async () => {
    const response = await clientFor(state, 'Caller', 'lambda').request({
      method: 'POST',
      url: `${urlOf('Echo')}päth/x?tag=a&tag=b%20c`,
      json: { greeting: 'héllo ☃' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      method: 'POST',
      rawPath: '/p%C3%A4th/x',
      rawQueryString: 'tag=a&tag=b%20c',
      query: { tag: 'a,b c' },
      body: '{"greeting":"héllo ☃"}',
    });
  });

  it.each([['the outsider (its own policy allows, the function trusts no one of its account)', 'outsider']])(
    'refuses %s with 403 AccessDeniedException',
    async (_label, who) => {
      const response = await clientFor(state, who, 'lambda').get(urlOf('Echo'));
      expect(await awsError(response)).toEqual({ status: 403, type: 'AccessDeniedException', message: URL_FORBIDDEN });
    },
  );

  it('refuses an unsigned call the same way', async () => {
    expect(await awsError(await fetch(urlOf('Echo')))).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      message: URL_FORBIDDEN,
    });
  });

  it('refuses a function whose policy grants only lambda:InvokeFunctionUrl (both actions needed since October 2025)', async () => {
    const response = await clientFor(state, 'Caller', 'lambda').get(urlOf('UrlOnly'));
    expect(await awsError(response)).toEqual({ status: 403, type: 'AccessDeniedException', message: URL_FORBIDDEN });
  });

  it('lets a principal of the function’s own account in on its identity policy alone', async () => {
    const response = await clientFor(state, operatorOf(API_ACCOUNT), 'lambda').get(urlOf('UrlOnly'));
    expect(response.status).toBe(200);
  });

  it('refuses a signature for another service', async () => {
    const response = await clientFor(state, 'Caller', 'execute-api').get(urlOf('Echo'));
    expect(response.status).toBe(403);
  });

  it('answers on its AWS host name too: curl --aws-sigv4 signs for <url id>.lambda-url.<region>.on.aws', async () => {
    const local = new URL(urlOf('Echo'));
    const host = `${local.pathname.split('/')[2]}.lambda-url.us-east-1.on.aws`;
    const who = principal(state, 'Caller');
    // Asynchronously: the stack serves from this very process.
    const result = await promisify(execFile)(
      'curl',
      [
        '-sS',
        '--max-time',
        '20',
        '--aws-sigv4',
        'aws:amz:us-east-1:lambda',
        '--user',
        `${who.accessKeyId}:${who.secretAccessKey}`,
        '-H',
        `x-amz-security-token: ${who.sessionToken}`,
        '--connect-to',
        `${host}:80:127.0.0.1:${local.port}`,
        `http://${host}/hosted?via=curl`,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(result.stdout)).toMatchObject({
      callerAccount: '222222222222',
      rawPath: '/hosted',
      query: { via: 'curl' },
    });
  });
});

describe('HTTP API (AWS_IAM routes, no resource policy)', () => {
  it('lets a principal of its own account in on its identity policy, routing ANY /{proxy+} with payload 2.0', async () => {
    const response = await clientFor(state, operatorOf(API_ACCOUNT)).request({
      method: 'POST',
      url: `${httpApi()}items/ünï?k=1&k=2`,
      json: { text: 'naïve ☃' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('apigw-requestid')).toBeTruthy();
    expect(await response.json()).toMatchObject({
      caller: 'arn:aws:sts::111111111111:assumed-role/operator/operator',
      routeKey: 'ANY /{proxy+}',
      method: 'POST',
      rawPath: '/items/%C3%BCn%C3%AF',
      query: { k: '1,2' },
      body: '{"text":"naïve ☃"}',
    });
  });

  it('refuses a caller of another account even when its identity policy would allow: there is no resource policy to trust it', async () => {
    expect(await awsError(await clientFor(state, 'outsider').get(httpApi()))).toEqual({
      status: 403,
      type: null,
      message: 'Forbidden',
    });
  });

  it('refuses an unsigned call with 403 Forbidden (not REST’s Missing Authentication Token)', async () => {
    expect(await awsError(await fetch(httpApi()))).toEqual({ status: 403, type: null, message: 'Forbidden' });
  });

  it('answers 404 Not Found for a route it does not have', async () => {
    const response = await clientFor(state, operatorOf(API_ACCOUNT)).request({ method: 'DELETE', url: httpApi() });
    expect(await awsError(response)).toEqual({ status: 404, type: null, message: 'Not Found' });
  });

  it('lets the other account in through a role of the API’s account, assumed with the local STS', async () => {
    const assumed = await sts('Caller').send(
      new AssumeRoleCommand({ RoleArn: CALLER_ROLE_ARN, RoleSessionName: 'cross-account' }),
    );
    expect(assumed.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${API_ACCOUNT}:assumed-role/targets-api-caller/cross-account`,
    );
    const credentials = assumed.Credentials;
    const response = await createIamClient({
      credentials: {
        accessKeyId: credentials?.AccessKeyId ?? '',
        secretAccessKey: credentials?.SecretAccessKey ?? '',
        sessionToken: credentials?.SessionToken,
      },
      region: state.region,
      maxAttempts: 1,
    }).get(httpApi());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      caller: `arn:aws:sts::${API_ACCOUNT}:assumed-role/targets-api-caller/cross-account`,
      routeKey: 'GET /',
    });
  });

  it('the middleware’s assumeRole option does the same through AWS_ENDPOINT_URL_STS', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_STS;
    process.env.AWS_ENDPOINT_URL_STS = stack.origin;
    try {
      const response = await createIamClient({
        credentials: principal(state, 'Caller'),
        region: state.region,
        maxAttempts: 1,
        assumeRole: { roleArn: CALLER_ROLE_ARN, sessionName: 'middleware' },
      }).get(httpApi());
      expect(response.status).toBe(200);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
      else process.env.AWS_ENDPOINT_URL_STS = saved;
    }
  });
});

describe('STS (the query API, signed with the service sts)', () => {
  it('GetCallerIdentity names the signer', async () => {
    const identity = await sts('Caller').send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({
      Account: '222222222222',
      Arn: 'arn:aws:sts::222222222222:assumed-role/targets-caller/Caller',
    });
  });

  it('refuses AssumeRole to a caller the trust policy does not name, in STS’s words', async () => {
    const refused = sts('outsider').send(new AssumeRoleCommand({ RoleArn: CALLER_ROLE_ARN, RoleSessionName: 'nope' }));
    await expect(refused).rejects.toMatchObject({
      name: 'AccessDenied',
      message: `User: arn:aws:sts::999999999999:assumed-role/outsider/outsider is not authorized to perform: sts:AssumeRole on resource: ${CALLER_ROLE_ARN}`,
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('refuses a principal of the role’s own account that the trust policy does not name, whatever its identity policy allows', async () => {
    // The operator of the API's account may do anything there, but a role's trust policy must name its caller:
    // it is the one resource policy an identity policy cannot stand in for (IAM "Cross account resource access").
    const refused = sts(operatorOf(API_ACCOUNT)).send(
      new AssumeRoleCommand({ RoleArn: CALLER_ROLE_ARN, RoleSessionName: 'same-account' }),
    );
    await expect(refused).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('refuses a role that does not exist in the same words as a denial', async () => {
    const missing = `arn:aws:iam::${API_ACCOUNT}:role/no-such-role`;
    await expect(
      sts('Caller').send(new AssumeRoleCommand({ RoleArn: missing, RoleSessionName: 'x1' })),
    ).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringContaining(`on resource: ${missing}`) });
  });

  it('refuses more than an hour when a role session assumes a role (role chaining)', async () => {
    await expect(
      sts('Caller').send(
        new AssumeRoleCommand({ RoleArn: CALLER_ROLE_ARN, RoleSessionName: 'long', DurationSeconds: 7200 }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('issued sessions are not principals of the state file, and expire', async () => {
    const assumed = await sts('Caller').send(
      new AssumeRoleCommand({ RoleArn: CALLER_ROLE_ARN, RoleSessionName: 'short', DurationSeconds: 900 }),
    );
    expect(stack.state().principals.map((p) => p.arn)).not.toContain(assumed.AssumedRoleUser?.Arn);
    const expiresIn = (assumed.Credentials?.Expiration?.getTime() ?? 0) - Date.now();
    expect(expiresIn).toBeGreaterThan(890_000);
    expect(expiresIn).toBeLessThanOrEqual(900_000);
  });

  it('refuses a wrong signature with SignatureDoesNotMatch', async () => {
    const who = principal(state, 'Caller');
    const client = new STSClient({
      region: state.region,
      endpoint: stack.origin,
      credentials: { ...who, secretAccessKey: `${who.secretAccessKey.slice(0, -2)}xx` },
    });
    await expect(client.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
  });
});
