// A function reaches AWS hosts only through the local stack (DESIGN.md): whatever the stage, path
// or region, a call from a function to an AWS host the stack serves is answered by the stack as
// AWS answers it, by `fetch` (undici) and by `node:https` (the AWS SDK's request handler) alike,
// with the Host and path the function signed. Over real HTTP, from functions of this repo's app
// with a probe added: `HostsCaller` (nodejs24.x) and `HostsCaller20` (nodejs20.x), inline code
// that signs with SigV4 itself (the local verifier is written apart from it) and uses the SDK
// the Lambda runtime provides for STS.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { editedAssembly, principal } from '../helpers/stack.js';

const PROBE = `
const https = require('node:https');
const { createHash, createHmac } = require('node:crypto');
const { GetCallerIdentityCommand, STSClient } = require('@aws-sdk/client-sts');

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

/** SigV4 headers for a call with its role's credentials; the host is signed, fetch and https send it from the URL. */
function signed(method, url, service, region, body = '') {
  const { host, pathname } = new URL(url);
  const time = new Date().toISOString().replace(/[-:]|[.][0-9]{3}/g, '');
  const scope = [time.slice(0, 8), region, service, 'aws4_request'];
  const headers = { host, 'x-amz-date': time, 'x-amz-security-token': process.env.AWS_SESSION_TOKEN };
  const names = Object.keys(headers);
  const canonical = [method, pathname, '', ...names.map((name) => name + ':' + headers[name]), '', names.join(';'), sha256(body)];
  const key = scope.reduce((key, part) => hmac(key, part), 'AWS4' + process.env.AWS_SECRET_ACCESS_KEY);
  const toSign = ['AWS4-HMAC-SHA256', time, scope.join('/'), sha256(canonical.join('\\n'))].join('\\n');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const credential = process.env.AWS_ACCESS_KEY_ID + '/' + scope.join('/');
  delete headers.host;
  return { ...headers, authorization: 'AWS4-HMAC-SHA256 Credential=' + credential + ', SignedHeaders=' + names.join(';') + ', Signature=' + signature };
}

async function viaFetch(url, init) {
  try {
    const response = await fetch(url, init);
    return { status: response.status, type: response.headers.get('x-amzn-errortype'), body: await response.text() };
  } catch (error) {
    return { error: String(error.cause?.code ?? error.name) };
  }
}

function viaHttps(url, options = {}, body = '') {
  return new Promise((resolve) => {
    const request = https.request(url, options, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, type: response.headers['x-amzn-errortype'] ?? null, body: text }));
    });
    request.on('error', (error) => resolve({ error: String(error.code ?? error.name) }));
    request.end(body);
  });
}

async function callerOf(client) {
  try {
    return { arn: (await client.send(new GetCallerIdentityCommand({}))).Arn };
  } catch (error) {
    return { error: error.name };
  }
}

exports.handler = async ({ api, region, urlId, invoked, elsewhere }) => {
  if (elsewhere) return { s3: await viaFetch(elsewhere, { signal: AbortSignal.timeout(5000) }) };
  const stage = (name) => 'https://' + api + '.execute-api.' + region + '.amazonaws.com/' + name + '/';
  const functionUrl = 'https://' + urlId + '.lambda-url.' + region + '.on.aws/';
  const invoke = (where) => 'https://lambda.' + where + '.amazonaws.com/2015-03-31/functions/' + invoked + '/invocations';
  const post = (where) => ({ method: 'POST', headers: { ...signed('POST', invoke(where), 'lambda', where, '{}'), 'content-type': 'application/json' } });
  return {
    wrongStage: await viaFetch(stage('dev')),
    wrongStageSigned: await viaFetch(stage('dev'), { headers: signed('GET', stage('dev'), 'execute-api', region) }),
    otherRegion: await viaFetch('https://' + api + '.execute-api.eu-west-1.amazonaws.com/prod/'),
    unknownApi: await viaFetch('https://zzzzzzzzzz.execute-api.' + region + '.amazonaws.com/prod/'),
    stage: await viaFetch(stage('prod'), { headers: signed('GET', stage('prod'), 'execute-api', region) }),
    stageByHttps: await viaHttps(stage('prod'), { headers: signed('GET', stage('prod'), 'execute-api', region) }),
    functionUrl: await viaFetch(functionUrl),
    functionUrlSigned: await viaFetch(functionUrl, { headers: signed('GET', functionUrl, 'lambda', region) }),
    stsGlobal: await callerOf(new STSClient({ region: 'us-east-1', endpoint: 'https://sts.amazonaws.com' })),
    stsRegional: await callerOf(new STSClient({ region })),
    stsOtherRegion: await callerOf(new STSClient({ region: 'eu-west-1' })),
    lambdaByFetch: await viaFetch(invoke(region), { ...post(region), body: '{}' }),
    lambdaByHttps: await viaHttps(invoke(region), post(region), '{}'),
    lambdaOtherRegion: await viaHttps(invoke('eu-west-1'), post('eu-west-1'), '{}'),
    lambdaUnknownOperation: await viaFetch('https://lambda.' + region + '.amazonaws.com/2015-03-31/functions/' + invoked),
  };
};`;

/** This repo's app with the probe twice (Node.js 24 and 20) and a role that may call every API and function. */
function probedAssembly(): string {
  return editedAssembly(inject('oneAccount'), 'IamM2m', (template) => {
    const resources = template.Resources;
    resources.HostsCallerRole = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: 'CallEverything',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['execute-api:Invoke', 'lambda:InvokeFunction', 'lambda:InvokeFunctionUrl'],
                  Resource: '*',
                },
              ],
            },
          },
        ],
      },
    };
    for (const [id, runtime] of [
      ['HostsCaller', 'nodejs24.x'],
      ['HostsCaller20', 'nodejs20.x'],
    ])
      resources[id as string] = {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Runtime: runtime,
          Handler: 'index.handler',
          Timeout: 30,
          Role: { 'Fn::GetAtt': ['HostsCallerRole', 'Arn'] },
          Code: { ZipFile: PROBE },
        },
      };
  });
}

interface Answer {
  status?: number;
  type?: string | null;
  body?: string;
  error?: string;
}

let stack: LocalStack;
let state: LocalState;
beforeAll(async () => {
  stack = await LocalStack.start({ assemblyDir: probedAssembly(), functionOutput: 'ignore', warn: () => {} });
  state = stack.state();
});
afterAll(() => stack?.close());

/** What the probe of that name got from each host. */
async function probe(name: string, event: Record<string, string> = {}): Promise<Record<string, Answer>> {
  const api = stack.model.apis[0];
  const url = stack.model.functionUrls[0];
  const invoked = stack.model.functions.find((fn) => fn.name === 'hello-world')?.functionName;
  const outcome = await stack
    .runtime(name)
    ?.invoke({ api: api?.restApiId, region: api?.region, urlId: url?.urlId, invoked, ...event });
  if (!outcome?.ok) throw new Error(`${name} failed: ${JSON.stringify(outcome)}`);
  return outcome.result as Record<string, Answer>;
}

const FORBIDDEN = { status: 403, type: 'ForbiddenException', body: '{"message":"Forbidden"}' };
const MISSING_TOKEN = {
  status: 403,
  type: 'MissingAuthenticationTokenException',
  body: '{"message":"Missing Authentication Token"}',
};

describe.each(['HostsCaller', 'HostsCaller20'])('%s calls AWS hosts and the local stack answers', (name) => {
  let answers: Record<string, Answer>;
  beforeAll(async () => {
    answers = await probe(name);
  });

  it('API Gateway: a stage the API does not have → 403 Missing Authentication Token, signed or not (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html)', () => {
    expect(answers.wrongStage).toEqual(MISSING_TOKEN);
    expect(answers.wrongStageSigned).toEqual(MISSING_TOKEN);
  });

  it('API Gateway: the API at another region’s host, or an id no API has → 403 ForbiddenException (https://repost.aws/knowledge-center/api-gateway-disable-endpoint)', () => {
    expect(answers.otherRegion).toEqual(FORBIDDEN);
    expect(answers.unknownApi).toEqual(FORBIDDEN);
  });

  it('API Gateway: the right stage, signed for its AWS host, by fetch and by node:https → 200 from hello-world', () => {
    for (const answer of [answers.stage, answers.stageByHttps]) {
      expect(answer?.status).toBe(200);
      expect(JSON.parse(answer?.body ?? '{}')).toMatchObject({
        hello: 'world',
        caller: { userArn: principal(state, name).arn },
      });
    }
  });

  it('function URL host: unsigned → 403 AccessDeniedException, signed (service lambda) → 200', () => {
    expect(answers.functionUrl).toMatchObject({ status: 403, type: 'AccessDeniedException' });
    expect(answers.functionUrlSigned?.status).toBe(200);
  });

  it('STS by its global host and by regional ones, with the SDK the runtime provides → its own identity (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html)', () => {
    const own = { arn: principal(state, name).arn };
    expect([answers.stsGlobal, answers.stsRegional, answers.stsOtherRegion]).toEqual([own, own, own]);
  });

  it('Lambda API host: Invoke by fetch and by node:https → 200; another region → 404 Function not found; no operation → 404', () => {
    const helloWorld = stack.model.functions.find((fn) => fn.name === 'hello-world');
    expect(answers.lambdaByFetch).toMatchObject({ status: 200, type: null });
    expect(answers.lambdaByHttps).toMatchObject({ status: 200, type: null });
    expect(answers.lambdaOtherRegion).toMatchObject({ status: 404, type: 'ResourceNotFoundException' });
    // Looked for in the host's region, where the function is not.
    expect(JSON.parse(answers.lambdaOtherRegion?.body ?? '{}').Message).toMatch(
      new RegExp(
        `^Function not found: arn:aws:lambda:eu-west-1:${helloWorld?.accountId}:function:${helloWorld?.functionName}`,
      ),
    );
    expect(answers.lambdaUnknownOperation).toMatchObject({ status: 404, type: 'UnknownOperationException' });
  });

  it('never leaves for the internet: no answer is a network error', () => {
    expect(Object.entries(answers).filter(([, answer]) => answer.error !== undefined)).toEqual([]);
  });
});

describe('a host of a service the stack does not serve', () => {
  it('keeps Node’s behaviour: S3 is not answered by the local stack (offline: ENOTFOUND)', async () => {
    // Act
    const { s3 } = await probe('HostsCaller', { elsewhere: 'https://s3.us-east-1.amazonaws.com/' });

    // Assess: a network error offline, S3's own answer online; never one of the stack's AWS errors.
    expect(s3).not.toMatchObject({ type: expect.any(String) });
    expect(s3?.error ?? s3?.status).toBeDefined();
  });
});
