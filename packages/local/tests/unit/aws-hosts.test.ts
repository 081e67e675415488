// A function reaches AWS hosts only through the local stack (DESIGN.md): whatever the stage, path
// or region, a call from a function to an AWS host the stack serves is answered by the stack as
// AWS answers it, by `fetch` (undici) and by `node:https` (the AWS SDK's request handler) alike,
// with the Host and path the function signed. Over real HTTP, from functions of this repo's app
// with a probe added: `HostsCaller` (nodejs24.x) and `HostsCaller20` (nodejs20.x), inline code
// that signs with SigV4 itself (the local verifier is written apart from it) and uses the SDK
// the Lambda runtime provides for STS. Every form of those hosts (dual-stack, FIPS, a private
// API's, a final dot) is answered by the stack, and runner.mjs and aws-hosts.ts agree on which.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AwsHost, awsHostOf } from '../../src/aws-hosts.js';
import type { DecisionRecord } from '../../src/iam/decisions.js';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { editedAssembly, inlineFunction, principal } from '../helpers/stack.js';

const PROBE = `
const https = require('node:https');
const { createHash, createHmac } = require('node:crypto');
const { GetCallerIdentityCommand, STSClient } = require('@aws-sdk/client-sts');

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

/** SigV4 headers for a call with its role's credentials; the host is signed, fetch and https send it from the URL. */
function signed(method, url, service, region, body = '') {
  const { host, pathname } = new URL(url);
  // The canonical path encodes each segment of the wire path once more, as the SDK's signer does.
  const path = pathname.split('/').map(encodeURIComponent).join('/');
  const time = new Date().toISOString().replace(/[-:]|[.][0-9]{3}/g, '');
  const scope = [time.slice(0, 8), region, service, 'aws4_request'];
  const headers = { host, 'x-amz-date': time, 'x-amz-security-token': process.env.AWS_SESSION_TOKEN };
  const names = Object.keys(headers);
  const canonical = [method, path, '', ...names.map((name) => name + ':' + headers[name]), '', names.join(';'), sha256(body)];
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

/** One call by fetch and the same by node:https, signed when it names a service. */
async function both({ url, method = 'GET', service, region, body }) {
  const init = () => {
    const headers = service ? signed(method, url, service, region, body ?? '') : {};
    if (body !== undefined) headers['content-type'] = service === 'sts' ? 'application/x-www-form-urlencoded' : 'application/json';
    return { method, headers };
  };
  return { fetch: await viaFetch(url, { ...init(), body }), https: await viaHttps(url, init(), body ?? '') };
}

exports.handler = async ({ api, region, urlId, invoked, elsewhere, calls }) => {
  if (elsewhere) return { s3: await viaFetch(elsewhere, { signal: AbortSignal.timeout(5000) }) };
  if (calls) {
    const answers = {};
    for (const [name, call] of Object.entries(calls)) answers[name] = await both(call);
    return answers;
  }
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
    stsDualStack: await callerOf(new STSClient({ region, useDualstackEndpoint: true })),
    stsFips: await callerOf(new STSClient({ region, useFipsEndpoint: true })),
    stsFipsDualStack: await callerOf(new STSClient({ region, useFipsEndpoint: true, useDualstackEndpoint: true })),
    stsGlobalFinalDot: await callerOf(new STSClient({ region: 'us-east-1', endpoint: 'https://sts.amazonaws.com.' })),
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
      resources[id as string] = inlineFunction(PROBE, 'HostsCallerRole', { Runtime: runtime, Timeout: 30 });
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
/** Lines the stack said at start and while serving (a function's refused connection). */
const notices: string[] = [];
const records: DecisionRecord[] = [];
beforeAll(async () => {
  stack = await LocalStack.start({
    assemblyDir: probedAssembly(),
    functionOutput: 'ignore',
    warn: (line) => notices.push(line),
    decisions: (record) => records.push(record),
  });
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

  it('STS by the SDK with dual-stack and FIPS endpoints (sts[-fips].<region>.api.aws, sts-fips.<region>.amazonaws.com) and by a final dot → its own identity (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_dual-stack_endpoint_support.html)', () => {
    const own = { arn: principal(state, name).arn };
    expect([answers.stsDualStack, answers.stsFips, answers.stsFipsDualStack, answers.stsGlobalFinalDot]).toEqual([
      own,
      own,
      own,
      own,
    ]);
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
  it('is never sent out: S3 is refused at once (ECONNREFUSED), with one line naming the function and the host', async () => {
    // Act
    const { s3 } = await probe('HostsCaller', { elsewhere: 'https://s3.us-east-1.amazonaws.com/' });

    // Assess: the function's credentials are the stack's own; no call of theirs leaves the machine.
    expect(s3).toEqual({ error: 'ECONNREFUSED' });
    expect(notices.filter((line) => line.includes('s3.us-east-1.amazonaws.com'))).toEqual([
      expect.stringMatching(/ called s3\.us-east-1\.amazonaws\.com, which the local stack does not serve/),
    ]);
  });
});

/** An answer the probe got by fetch and by node:https. */
interface Both {
  fetch: Answer;
  https: Answer;
}

const VPCE = 'vpce-0123456789abcdef0';
/** What a form is answered: STS's GetCallerIdentity, an invocation of hello-world, the API's 200, or that answer. */
type Expected = 'caller' | 'invoked' | 'hello' | Answer;
/** The forms called, named (known before the stack starts, for the tests' names). */
const FORM_NAMES = [
  'stsDualStack',
  'stsFips',
  'stsFipsDualStack',
  'stsGlobalFips',
  'stsGlobalFinalDot',
  'stsRegionalFinalDot',
  'lambdaDualStack',
  'lambdaFips',
  'lambdaFipsDualStack',
  'lambdaFinalDot',
  'lambdaUndecodableName',
  'apiFinalDot',
  'privateApi',
  'privateApiFinalDot',
  'vpcEndpoint',
  'apiDualStack',
  'apiFips',
  'apiFipsDualStack',
  'apiManagement',
  'apiManagementFips',
  'apiSubdomain',
  'functionUrlFinalDot',
  'functionUrlSubdomain',
  'functionUrlWithoutId',
] as const;
const STS_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';

/**
 * Each other form of the hosts the stack serves, called from a function, and what AWS answers
 * there: the service itself (STS's and Lambda's dual-stack and FIPS hosts: AWS General Reference,
 * "AWS Lambda endpoints and quotas"; IAM, "Dual-stack endpoint support"), or, where AWS has no
 * API of the app, API Gateway's 403 (a private API's host from outside a VPC: API Gateway,
 * "Invoke a private API"), or a function URL's.
 */
function hostForms(): Record<(typeof FORM_NAMES)[number], { call: Record<string, string>; expected: Expected }> {
  const api = stack.model.apis[0];
  const region = api?.region ?? '';
  const apiId = api?.restApiId ?? '';
  const urlId = stack.model.functionUrls[0]?.urlId ?? '';
  const invoked = stack.model.functions.find((fn) => fn.name === 'hello-world')?.functionName ?? '';
  const sts = (host: string, signing = region) => ({
    call: { url: `https://${host}/`, method: 'POST', service: 'sts', region: signing, body: STS_BODY },
    expected: 'caller' as const,
  });
  const invoke = (host: string, name = invoked) => ({
    call: {
      url: `https://${host}/2015-03-31/functions/${name}/invocations`,
      method: 'POST',
      service: 'lambda',
      region,
      body: '{}',
    },
    expected: 'invoked' as const,
  });
  const forbidden = (host: string) => ({ call: { url: `https://${host}/prod/` }, expected: FORBIDDEN });
  const urlDenied = (host: string) => ({
    call: { url: `https://${host}/`, service: 'lambda', region },
    expected: { status: 403, type: 'AccessDeniedException' },
  });
  return {
    stsDualStack: sts(`sts.${region}.api.aws`),
    stsFips: sts(`sts-fips.${region}.amazonaws.com`),
    stsFipsDualStack: sts(`sts-fips.${region}.api.aws`),
    stsGlobalFips: sts('sts-fips.amazonaws.com', 'us-east-1'),
    stsGlobalFinalDot: sts('sts.amazonaws.com.', 'us-east-1'),
    stsRegionalFinalDot: sts(`sts.${region}.amazonaws.com.`),
    lambdaDualStack: invoke(`lambda.${region}.api.aws`),
    lambdaFips: invoke(`lambda-fips.${region}.amazonaws.com`),
    lambdaFipsDualStack: invoke(`lambda-fips.${region}.api.aws`),
    lambdaFinalDot: invoke(`lambda.${region}.amazonaws.com.`),
    lambdaUndecodableName: {
      ...invoke(`lambda.${region}.amazonaws.com`, `${invoked}%ZZ`),
      expected: { status: 400, type: 'ValidationException' },
    },
    apiFinalDot: {
      call: {
        url: `https://${apiId}.execute-api.${region}.amazonaws.com./prod/`,
        service: 'execute-api',
        region,
      },
      expected: 'hello',
    },
    privateApi: forbidden(`${apiId}-${VPCE}.execute-api.${region}.amazonaws.com`),
    privateApiFinalDot: forbidden(`${apiId}-${VPCE}.execute-api.${region}.amazonaws.com.`),
    vpcEndpoint: forbidden(`${VPCE}-abcdefgh.execute-api.${region}.vpce.amazonaws.com`),
    apiDualStack: forbidden(`${apiId}.execute-api.${region}.api.aws`),
    apiFips: forbidden(`${apiId}.execute-api-fips.${region}.amazonaws.com`),
    apiFipsDualStack: forbidden(`${apiId}.execute-api-fips.${region}.api.aws`),
    apiManagement: forbidden(`execute-api.${region}.amazonaws.com`),
    apiManagementFips: forbidden(`execute-api-fips.${region}.api.aws`),
    apiSubdomain: forbidden(`x.${apiId}.execute-api.${region}.amazonaws.com`),
    functionUrlFinalDot: {
      call: { url: `https://${urlId}.lambda-url.${region}.on.aws./`, service: 'lambda', region },
      expected: { status: 200 },
    },
    functionUrlSubdomain: urlDenied(`x.${urlId}.lambda-url.${region}.on.aws`),
    functionUrlWithoutId: urlDenied(`lambda-url.${region}.on.aws`),
  };
}

describe.each(['HostsCaller', 'HostsCaller20'])(
  '%s calls every form of those hosts, by fetch and by node:https',
  (name) => {
    let forms: Record<string, { call: Record<string, string>; expected: Expected }>;
    let answers: Record<string, Both>;
    beforeAll(async () => {
      forms = hostForms();
      answers = (await probe(name, {
        calls: Object.fromEntries(Object.entries(forms).map(([form, { call }]) => [form, call])),
      } as never)) as unknown as Record<string, Both>;
    });

    it.each(FORM_NAMES)('%s → answered by the stack as AWS answers it', (form) => {
      const expected = forms[form]?.expected;
      expect(expected).toBeDefined();
      for (const answer of [answers[form]?.fetch, answers[form]?.https]) {
        expect(answer?.error).toBeUndefined();
        if (expected === 'caller') {
          expect(answer?.status).toBe(200);
          expect(answer?.body).toContain(`<Arn>${principal(state, name).arn}</Arn>`);
        } else if (expected === 'invoked') expect(answer).toMatchObject({ status: 200, type: null });
        else if (expected === 'hello') {
          expect(answer?.status).toBe(200);
          expect(JSON.parse(answer?.body ?? '{}')).toMatchObject({ hello: 'world' });
        } else expect(answer).toMatchObject(expected as Answer);
      }
    });

    it('never leaves for the internet: no answer is a network error (never ENOTFOUND)', () => {
      const failed = Object.entries(answers).flatMap(([form, { fetch, https }]) =>
        [fetch, https].filter((answer) => answer.error !== undefined).map((answer) => `${form}: ${answer.error}`),
      );
      expect(failed).toEqual([]);
      expect(Object.keys(answers).sort()).toEqual(Object.keys(forms).sort());
    });
  },
);

/** runner.mjs's `AWS_HOST`, read from its source: the runner runs in the function's process and is not imported here. */
function runnerHosts(): RegExp {
  const source = readFileSync(new URL('../../src/lambda/runner.mjs', import.meta.url), 'utf8');
  const literal = /^const AWS_HOST =\s*\/(.+)\/([a-z]*);$/m.exec(source);
  if (!literal?.[1]) throw new Error('runner.mjs has no AWS_HOST regular expression literal');
  return new RegExp(literal[1], literal[2]);
}

const URL_ID = 'abcdefghijklmnopqrstuvwxyz012345';
const served = (service: AwsHost['service'], region: string, id?: string) => ({ service, region, id, refused: false });
const refused = (service: AwsHost['service'], region: string, id?: string) => ({ service, region, id, refused: true });

/** Hosts, and what aws-hosts.ts makes of each (undefined: not an AWS host the stack answers). */
const HOSTS: [string, ReturnType<typeof served> | undefined][] = [
  ['sts.amazonaws.com', served('sts', 'us-east-1')],
  ['sts.amazonaws.com.', served('sts', 'us-east-1')],
  ['STS.AmazonAWS.com', served('sts', 'us-east-1')],
  ['sts-fips.amazonaws.com', served('sts', 'us-east-1')],
  ['sts.eu-west-1.amazonaws.com', served('sts', 'eu-west-1')],
  ['sts.eu-west-1.api.aws', served('sts', 'eu-west-1')],
  ['sts-fips.us-east-2.amazonaws.com', served('sts', 'us-east-2')],
  ['sts-fips.us-east-2.api.aws.', served('sts', 'us-east-2')],
  ['lambda.us-east-1.amazonaws.com', served('lambda', 'us-east-1')],
  ['lambda.ap-southeast-2.api.aws', served('lambda', 'ap-southeast-2')],
  ['lambda-fips.us-west-2.amazonaws.com', served('lambda', 'us-west-2')],
  ['lambda-fips.us-gov-west-1.api.aws.', served('lambda', 'us-gov-west-1')],
  ['abc123defg.execute-api.us-east-1.amazonaws.com', served('execute-api', 'us-east-1', 'abc123defg')],
  ['abc123defg.execute-api.us-east-1.amazonaws.com.', served('execute-api', 'us-east-1', 'abc123defg')],
  [`abc123defg-${VPCE}.execute-api.us-east-1.amazonaws.com`, refused('execute-api', 'us-east-1', 'abc123defg')],
  [`${VPCE}-abcdefgh.execute-api.us-east-1.vpce.amazonaws.com`, refused('execute-api', 'us-east-1')],
  ['abc123defg.execute-api.us-east-1.api.aws', refused('execute-api', 'us-east-1')],
  ['abc123defg.execute-api-fips.us-east-1.amazonaws.com', refused('execute-api', 'us-east-1')],
  ['abc123defg.execute-api-fips.us-east-1.api.aws', refused('execute-api', 'us-east-1')],
  ['execute-api.us-east-1.amazonaws.com', refused('execute-api', 'us-east-1')],
  ['execute-api-fips.us-gov-west-1.api.aws', refused('execute-api', 'us-gov-west-1')],
  ['x.abc123defg.execute-api.us-east-1.amazonaws.com', refused('execute-api', 'us-east-1')],
  ['a_b.execute-api.us-east-1.amazonaws.com', refused('execute-api', 'us-east-1')],
  [`${URL_ID}.lambda-url.us-east-1.on.aws`, served('lambda-url', 'us-east-1', URL_ID)],
  [`${URL_ID}.lambda-url.eu-central-1.on.aws.`, served('lambda-url', 'eu-central-1', URL_ID)],
  [`x.${URL_ID}.lambda-url.us-east-1.on.aws`, refused('lambda-url', 'us-east-1')],
  ['lambda-url.us-east-1.on.aws', refused('lambda-url', 'us-east-1')],
  ['s3.us-east-1.amazonaws.com', undefined],
  ['iam.amazonaws.com', undefined],
  ['lambda.amazonaws.com', undefined],
  ['sts.api.aws', undefined],
  ['evil-sts.amazonaws.com', undefined],
  ['sts.amazonaws.com.evil.example', undefined],
  ['lambda.us-east-1.amazonaws.com.evil.example', undefined],
  ['abc123defg.execute-api.us-east-1.amazonaws.com.evil.example', undefined],
  [`${URL_ID}.lambda-url.us-east-1.on.aws.evil.example`, undefined],
  ['execute-api.example.com', undefined],
  ['example.com', undefined],
  ['localhost', undefined],
  ['127.0.0.1', undefined],
];

describe('runner.mjs and routing.ts agree on the AWS hosts the stack answers', () => {
  const runner = runnerHosts();

  it.each(HOSTS)('%s', (host, expected) => {
    // Act
    const routed = awsHostOf(host);

    // Assess: the runner connects here exactly the hosts routing answers, and routing reads each as expected.
    expect(runner.test(host.toLowerCase())).toBe(expected !== undefined);
    expect(
      routed && {
        service: routed.service,
        region: routed.region,
        id: routed.id,
        refused: routed.refusal !== undefined,
      },
    ).toEqual(expected);
  });

  it('routing reads a Host header with its port as without', () => {
    expect(awsHostOf('sts.amazonaws.com:443')).toEqual(awsHostOf('sts.amazonaws.com'));
    expect(awsHostOf('LAMBDA.us-east-1.api.aws.:443')).toEqual(awsHostOf('lambda.us-east-1.api.aws'));
  });
});

/** An unsigned request sent to the stack as from a host of AWS. */
function sendAs(host: string, method: string, path: string): Promise<{ status: number; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(path, state.lambdaEndpoint), { method, headers: { host } }, (response) => {
      response.resume().on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: response.headers['x-amzn-errortype'] as string | undefined,
        }),
      );
    });
    request.on('error', reject).end('{}');
  });
}

describe('a function name that does not percent-decode, on the Lambda API', () => {
  it('unsigned: refused as any unsigned Invoke (never API Gateway’s BadRequestException), and the refusal is recorded', async () => {
    // Arrange
    const region = stack.model.apis[0]?.region ?? '';
    const path = '/2015-03-31/functions/no-such%ZZ/invocations';

    // Act
    const byHost = await sendAs(`lambda.${region}.amazonaws.com`, 'POST', path);
    const local = await sendAs('localhost', 'POST', path);

    // Assess
    for (const answer of [byHost, local]) {
      expect(answer.status).toBe(403);
      expect(answer.type).not.toBe('BadRequestException');
    }
    expect(records.filter((record) => record.endpoint === 'Invoke no-such%ZZ' && !record.allowed)).toHaveLength(2);
  });

  it('signed, from a function: 400 ValidationException on the name, as Lambda validates it, and recorded', async () => {
    // Arrange
    const before = records.length;

    // Act
    const answers = (await probe('HostsCaller', {
      calls: { bad: hostForms().lambdaUndecodableName.call },
    } as never)) as unknown as Record<string, Both>;

    // Assess
    for (const answer of [answers.bad?.fetch, answers.bad?.https]) {
      expect(answer).toMatchObject({ status: 400, type: 'ValidationException' });
      expect(JSON.parse(answer?.body ?? '{}').message).toMatch(
        /^1 validation error detected: Value '.*%ZZ' at 'functionName'/,
      );
    }
    const refusals = records.slice(before).filter((record) => record.endpoint.endsWith('%ZZ') && !record.allowed);
    expect(refusals).toHaveLength(2);
    expect(refusals[0]?.reason).toMatch(/answered 400 ValidationException/);
  });
});
