/**
 * The local stack against AWS, one row per behaviour: what AWS answers (with the public source
 * it was checked against) and the request that shows it, over real HTTP to a local stack.
 * SigV4 rows (UNSIGNED-PAYLOAD, the wrong-signature message, a Bearer token) are in
 * conformance-sigv4.test.ts.
 *
 * The stack serves this repo's app with one function added to the template, `Probe` (inline
 * code, nodejs24.x, 256 MB, 1 s timeout, a version and an alias `live`), which is the
 * integration of `ANY /{proxy+}` (500 ms integration timeout): it echoes its event's
 * `requestContext` and its environment, answers `/big/<bytes>`, sleeps on `/sleep/<ms>`.
 * The API's resource policy gets statements that only the condition keys and operators under
 * test can decide.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeBinaryFor } from '../../src/lambda/node-binary.js';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { clientFor, editedAssembly, principal } from '../helpers/stack.js';

const ORG = 'o-conformance01';

const PROBE = `
const KEYS = ['AWS_EXECUTION_ENV', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', '_X_AMZN_TRACE_ID'];
exports.handler = async (event, context) => {
  const path = event.path || '';
  const sleep = Number(event.sleepMs || (path.startsWith('/sleep/') ? path.slice(7) : 0));
  if (sleep) await new Promise((resolve) => setTimeout(resolve, sleep));
  const bytes = Number(event.bytes || (path.startsWith('/big/') ? path.slice(5) : 0));
  const answer = {
    env: Object.fromEntries(KEYS.map((key) => [key, process.env[key]])),
    node: process.versions.node,
    awsRequestId: context.awsRequestId,
    functionVersion: context.functionVersion,
    requestContext: event.requestContext || null,
    big: bytes ? 'x'.repeat(bytes) : undefined,
  };
  return event.requestContext ? { statusCode: 200, body: JSON.stringify(answer) } : answer;
};`;

const execute = (path: string) => ({ 'Fn::Sub': `execute-api:/prod/${path}` });

/** This repo's app, with the probe and the policy statements the rows need. */
function conformanceAssembly(): string {
  return editedAssembly(inject('oneAccount'), 'IamM2m', (template) => {
    const resources = template.Resources;
    const [helloRole] = Object.keys(resources).filter(
      (id) => id.startsWith('HelloWorldRole') && !id.includes('Policy'),
    );
    const [apiId] = Object.keys(resources).filter((id) => resources[id]?.Type === 'AWS::ApiGateway::RestApi');
    const [requestorRole] = Object.keys(resources).filter((id) => /^RequestorRole[0-9A-F]{8}$/.test(id));
    resources.Probe = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        MemorySize: 256,
        Timeout: 1,
        Role: { 'Fn::GetAtt': [helloRole, 'Arn'] },
        Code: { ZipFile: PROBE },
      },
    };
    resources.ProbeVersion = { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Probe' } } };
    resources.ProbeAlias = {
      Type: 'AWS::Lambda::Alias',
      Properties: {
        FunctionName: { Ref: 'Probe' },
        FunctionVersion: { 'Fn::GetAtt': ['ProbeVersion', 'Version'] },
        Name: 'live',
      },
    };
    // hello-world's role may invoke the probe itself, not its versions or aliases.
    resources.ProbeInvokers = {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'InvokeProbe',
        Roles: [{ Ref: helloRole }],
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': ['Probe', 'Arn'] } },
          ],
        },
      },
    };
    resources.ProbePermission = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['Probe', 'Arn'] },
        Principal: 'apigateway.amazonaws.com',
        SourceArn: { 'Fn::Sub': `arn:aws:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${apiId}}/*/*/*` },
      },
    };
    for (const resource of Object.values(resources)) {
      if (resource.Type === 'AWS::ApiGateway::Method' && resource.Properties.HttpMethod === 'GET')
        resource.Properties.ApiKeyRequired = true;
      if (resource.Type === 'AWS::ApiGateway::Method' && resource.Properties.HttpMethod === 'ANY') {
        resource.Properties.Integration = {
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          TimeoutInMillis: 500,
          Uri: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JS template
            'Fn::Sub': 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Probe.Arn}/invocations',
          },
        };
      }
    }
    const policy = resources[apiId ?? '']?.Properties.Policy as { Statement: unknown[] };
    const deny = (path: string, extra: Record<string, unknown>) => ({
      Effect: 'Deny',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: execute(path),
      ...extra,
    });
    const allowHello = (path: string, condition: Record<string, unknown>) => ({
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::GetAtt': [helloRole, 'Arn'] } },
      Action: 'execute-api:Invoke',
      Resource: execute(path),
      Condition: condition,
    });
    policy.Statement.push(
      deny('*', { Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      deny('*', { Condition: { StringLike: { 'aws:UserAgent': '*blocked-agent*' } } }),
      deny('*', { Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': ORG } } }),
      deny('*', { Condition: { DateGreaterThan: { 'aws:CurrentTime': '2099-01-01T00:00:00Z' } } }),
      deny('GET/date-denied', { Condition: { DateGreaterThan: { 'aws:CurrentTime': '2000-01-01T00:00:00Z' } } }),
      // hello-world's role has no execute-api grant of its own: these allows alone decide, by their keys.
      allowHello('GET/secure-only', { Bool: { 'aws:SecureTransport': 'true' } }),
      allowHello('GET/epoch-allowed', { NumericGreaterThan: { 'aws:EpochTime': '946684800' } }),
      deny('GET/any-value', { Condition: { 'ForAnyValue:StringLike': { 'aws:userid': ['AROA*:operator'] } } }),
      deny('GET/referer', { Condition: { StringEquals: { 'aws:Referer': 'https://blocked.example/' } } }),
      {
        Effect: 'Deny',
        NotPrincipal: {
          AWS: [
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JS template
            { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' },
            { 'Fn::GetAtt': [requestorRole, 'Arn'] },
          ],
        },
        Action: 'execute-api:Invoke',
        Resource: execute('GET/not-principal'),
      },
    );
  });
}

interface Observed {
  status: number;
  type: string | null;
  text: string;
  headers: Headers;
}

const observe = async (response: Response): Promise<Observed> => ({
  status: response.status,
  type: response.headers.get('x-amzn-errortype'),
  text: await response.text(),
  headers: response.headers,
});

let stack: LocalStack;
let state: LocalState;
let api = '';
let probe: LocalState['functions'][number];
const warnings: string[] = [];

beforeAll(async () => {
  stack = await LocalStack.start({
    assemblyDir: conformanceAssembly(),
    functionOutput: 'ignore',
    organizationId: ORG,
    warn: (line) => warnings.push(line),
  });
  state = stack.state();
  api = state.apis[0]?.url ?? '';
  probe = state.functions.find((fn) => fn.name === 'Probe') as LocalState['functions'][number];
});
afterAll(() => stack?.close());

const signed = (
  who: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
) =>
  clientFor(state, who)
    .request({ url: `${api}${path}`, method: init.method ?? 'GET', headers: init.headers, body: init.body })
    .then(observe);

const invoke = (who: string, name: string, payload: unknown, headers: Record<string, string> = {}, raw?: Buffer) =>
  clientFor(state, who, 'lambda')
    .request({
      url: `${state.lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
      method: 'POST',
      headers,
      body: raw ?? Buffer.from(JSON.stringify(payload)),
    })
    .then(observe);

const json = (observed: Observed) => JSON.parse(observed.text) as Record<string, unknown>;

interface Row {
  behaviour: string;
  source: string;
  run: () => Promise<void>;
}

const rows: Row[] = [
  // ——— Limits ———
  {
    behaviour: 'REST: a body over 10 MB → 413, plain text, no error type',
    source: 'https://github.com/koki-develop/lgtm-generator/issues/10',
    run: async () => {
      const answer = await observe(
        await fetch(`${api}echo`, { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1) }),
      );
      expect(answer).toMatchObject({ status: 413, type: null, text: 'HTTP content length exceeded 10485760 bytes.' });
    },
  },
  {
    behaviour: 'REST: request line and headers over 10,240 bytes → 431, plain text',
    source:
      'https://ntsblog.homedev.com.au/index.php/2021/03/09/aws-api-gateway-http-header-is-larger-than-10240-bytes/',
    run: async () => {
      const answer = await observe(await fetch(`${api}echo`, { headers: { 'x-big': 'y'.repeat(10_300) } }));
      expect(answer).toMatchObject({ status: 431, type: null, text: 'HTTP header is larger than 10240 bytes.' });
    },
  },
  {
    behaviour: 'REST: a method ARN over 1,600 characters (IAM authorization) → 414',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
    run: async () => {
      const answer = await signed('operator', `${'a'.repeat(1600)}`);
      expect(answer.status).toBe(414);
    },
  },
  {
    behaviour: 'REST: a Lambda proxy event over 6 MB → 413 {"message": "Request Too Long"}',
    source: 'https://github.com/koki-develop/lgtm-generator/issues/10',
    run: async () => {
      const answer = await signed('operator', 'echo', { method: 'POST', body: Buffer.alloc(6 * 1024 * 1024, 'a') });
      expect(answer).toMatchObject({
        status: 413,
        type: 'BadRequestException',
        text: '{"message": "Request Too Long"}',
      });
    },
  },
  {
    behaviour: 'REST: a Lambda proxy response over 6 MB → 502 {"message": "Internal server error"}',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html',
    run: async () => {
      const answer = await signed('operator', 'big/6300000');
      expect(answer).toMatchObject({
        status: 502,
        type: 'InternalServerErrorException',
        text: '{"message": "Internal server error"}',
      });
    },
  },
  {
    behaviour: 'REST: past the integration timeout (TimeoutInMillis) → 504 {"message": "Endpoint request timed out"}',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html',
    run: async () => {
      const answer = await signed('operator', 'sleep/800');
      expect(answer).toMatchObject({ status: 504, text: '{"message": "Endpoint request timed out"}' });
    },
  },
  {
    behaviour: 'Invoke: a synchronous payload over 6 MB → 413 RequestEntityTooLargeException',
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html',
    run: async () => {
      const answer = await invoke(
        'operator',
        probe.functionName,
        undefined,
        {},
        Buffer.alloc(6 * 1024 * 1024 + 1, ' '),
      );
      expect(answer.status).toBe(413);
      expect(answer.type).toBe('RequestEntityTooLargeException');
      expect(json(answer)).toEqual({
        Type: 'User',
        Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      });
    },
  },
  {
    behaviour: 'Invoke: an Event payload over 1 MB → 413, "… byte payload is too large for the Event invocation type"',
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html',
    run: async () => {
      const body = Buffer.alloc(1024 * 1024 + 10, ' ');
      const answer = await invoke(
        'operator',
        probe.functionName,
        undefined,
        { 'X-Amz-Invocation-Type': 'Event' },
        body,
      );
      expect(answer).toMatchObject({ status: 413, type: 'RequestEntityTooLargeException' });
      expect(json(answer).Message).toBe(
        `${body.length} byte payload is too large for the Event invocation type (limit 1048576 bytes)`,
      );
    },
  },
  {
    behaviour: 'Invoke: a response over 6 MB → 200, X-Amz-Function-Error: Unhandled, Function.ResponseSizeTooLarge',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    run: async () => {
      const answer = await invoke('operator', probe.functionName, { bytes: 6_300_000 });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-amz-function-error')).toBe('Unhandled');
      expect(json(answer)).toEqual({
        errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
        errorType: 'Function.ResponseSizeTooLarge',
      });
    },
  },
  {
    behaviour:
      'REST: a method that requires an API key answers 403 Forbidden after authorization (keys are not reproduced: it fails closed)',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html',
    run: async () => {
      const answer = await signed('operator', '');
      expect(answer).toMatchObject({ status: 403, type: 'ForbiddenException', text: '{"message":"Forbidden"}' });
      expect(warnings).toContainEqual(
        expect.stringMatching(/: API keys are not reproduced locally; the method answers 403 Forbidden/),
      );
    },
  },
  // ——— Error bodies ———
  {
    behaviour: 'REST: AccessDenied says "Message" and masks the API account but its last four digits',
    source:
      'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html',
    run: async () => {
      const answer = await signed('outsider', '');
      const { restApiId, accountId } = state.apis[0] ?? { restApiId: '', accountId: '' };
      expect(answer.type).toBe('AccessDeniedException');
      expect(json(answer)).toEqual({
        // The organization condition of this API denies the outsider explicitly.
        Message: `User: ${principal(state, 'outsider').arn} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********${accountId.slice(-4)}:${restApiId}/prod/GET/ with an explicit deny`,
      });
    },
  },
  {
    behaviour: 'Invoke: an unknown function → 404 {"Type":"User","Message":"Function not found: <arn>:$LATEST"}',
    // The body's keys; `:$LATEST` as AWS answered test_invoke_exceptions in LocalStack's recording of 2025-11-24
    // (tests/aws/services/lambda_/test_lambda.snapshot.json).
    source: 'https://github.com/aarondfrancis/sidecar/issues/23',
    run: async () => {
      const answer = await invoke('operator', 'nope', {});
      expect(answer).toMatchObject({ status: 404, type: 'ResourceNotFoundException' });
      expect(json(answer)).toEqual({
        Type: 'User',
        Message: `Function not found: arn:aws:lambda:us-east-1:${probe.accountId}:function:nope:$LATEST`,
      });
    },
  },
  {
    behaviour: 'Invoke: AccessDenied "… because no identity-based policy allows the lambda:InvokeFunction action"',
    source: 'https://github.com/slackapi/bolt-python/issues/632',
    run: async () => {
      const answer = await invoke('requestor', probe.functionName, {});
      expect(answer).toMatchObject({ status: 403, type: 'AccessDeniedException' });
      expect(json(answer)).toEqual({
        Message: `User: ${principal(state, 'requestor').arn} is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:${probe.accountId}:function:${probe.functionName} because no identity-based policy allows the lambda:InvokeFunction action`,
      });
    },
  },
  // ——— Invoke API: qualifiers and logs ———
  {
    behaviour: 'Invoke: an alias of the assembly runs its version (X-Amz-Executed-Version)',
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html',
    run: async () => {
      const answer = await invoke('operator', `${probe.functionName}:live`, {});
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-amz-executed-version')).toBe('1');
      expect(json(answer).functionVersion).toBe('1');
    },
  },
  {
    behaviour: 'Invoke: a grant on the function ARN does not cover its aliases (Invoke acts on the ARN called)',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html',
    run: async () => {
      expect((await invoke('hello-world', probe.functionName, {})).status).toBe(200);
      const alias = await invoke('hello-world', `${probe.functionName}:live`, {});
      expect(alias).toMatchObject({ status: 403, type: 'AccessDeniedException' });
      expect(json(alias).Message).toContain(
        `on resource: arn:aws:lambda:us-east-1:${probe.accountId}:function:${probe.functionName}:live because`,
      );
    },
  },
  {
    behaviour: 'Invoke: an unknown qualifier → 404 "Function not found: <arn>:<qualifier>"',
    source: 'https://github.com/alexcasalboni/aws-lambda-power-tuning/issues/93',
    run: async () => {
      const answer = await invoke('operator', `${probe.functionName}:nope`, {});
      expect(answer).toMatchObject({ status: 404, type: 'ResourceNotFoundException' });
      expect(json(answer).Message).toBe(
        `Function not found: arn:aws:lambda:us-east-1:${probe.accountId}:function:${probe.functionName}:nope`,
      );
      // A name an object has by birth (constructor, toString) is no qualifier either.
      expect((await invoke('operator', `${probe.functionName}:constructor`, {})).status).toBe(404);
    },
  },
  {
    behaviour: 'Invoke: X-Amz-Log-Type: Tail → X-Amz-Log-Result, base64 of the log (START, END, REPORT)',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html',
    run: async () => {
      const answer = await invoke('operator', probe.functionName, {}, { 'X-Amz-Log-Type': 'Tail' });
      const log = Buffer.from(answer.headers.get('x-amz-log-result') ?? '', 'base64').toString('utf8');
      const id = answer.headers.get('x-amzn-requestid');
      expect(log).toMatch(new RegExp(`^START RequestId: ${id} Version: \\$LATEST\\n`));
      expect(log).toContain(`\nEND RequestId: ${id}\nREPORT RequestId: ${id}\tDuration: `);
      expect(log).toMatch(/\tMemory Size: 256 MB\t/);
    },
  },
  // ——— Lambda environment ———
  {
    behaviour: 'Lambda: the runtime environment variables Lambda defines',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html',
    run: async () => {
      const { env } = json(await invoke('operator', probe.functionName, {})) as { env: Record<string, string> };
      expect(env).toEqual({
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_FUNCTION_NAME: probe.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${probe.functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/),
        _X_AMZN_TRACE_ID: expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/),
      });
    },
  },
  {
    behaviour: 'Lambda: past its timeout a function is stopped, "Task timed out after 1.00 seconds"',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html',
    run: async () => {
      const answer = await invoke('operator', probe.functionName, { sleepMs: 1500 });
      expect(answer.headers.get('x-amz-function-error')).toBe('Unhandled');
      expect(json(answer)).toEqual({
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${answer.headers.get('x-amzn-requestid')} Error: Task timed out after 1.00 seconds`,
      });
    },
  },
  {
    behaviour:
      "Lambda: a function runs on its runtime's Node.js major where that binary is at hand, else one warning naming both",
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html',
    run: async () => {
      const { node } = json(await invoke('operator', probe.functionName, {})) as { node: string };
      if (nodeBinaryFor('nodejs24.x').exact) expect(node.split('.')[0]).toBe('24');
      else {
        expect(node).toBe(process.versions.node);
        expect(warnings).toContainEqual(
          expect.stringMatching(
            new RegExp(
              `^functions of runtime nodejs24\\.x \\(.*Probe.*\\) run on Node\\.js ${process.versions.node} here, not 24`,
            ),
          ),
        );
      }
    },
  },
  // ——— Policies ———
  {
    behaviour: 'Policies: aws:SecureTransport is true, aws:EpochTime and aws:CurrentTime compare (Numeric*, Date*)',
    source:
      'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-aws-condition-keys.html',
    run: async () => {
      expect((await signed('operator', 'echo')).status).toBe(200);
      expect((await signed('hello-world', 'secure-only')).status).toBe(200);
      expect((await signed('hello-world', 'epoch-allowed')).status).toBe(200);
      expect((await signed('hello-world', 'echo')).status).toBe(403);
      expect(await signed('operator', 'date-denied')).toMatchObject({ status: 403, type: 'AccessDeniedException' });
    },
  },
  {
    behaviour: 'Policies: aws:UserAgent, aws:Referer and aws:userid (ForAnyValue:StringLike) evaluate',
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html',
    run: async () => {
      expect((await signed('operator', 'echo', { headers: { 'user-agent': 'blocked-agent/1.0' } })).status).toBe(403);
      expect((await signed('operator', 'referer', { headers: { referer: 'https://blocked.example/' } })).status).toBe(
        403,
      );
      expect((await signed('operator', 'referer')).status).toBe(200);
      expect((await signed('operator', 'any-value')).status).toBe(403);
    },
  },
  {
    behaviour: 'Policies: aws:PrincipalOrgID comes from the configured organization; the outsider is not in it',
    source:
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid',
    run: async () => {
      const answer = json(await signed('operator', 'event')) as {
        requestContext: { identity: { principalOrgId: string } };
      };
      expect(answer.requestContext.identity.principalOrgId).toBe(ORG);
      expect(json(await signed('outsider', 'event')).Message).toMatch(/ with an explicit deny$/);
    },
  },
  {
    behaviour: 'Policies: NotPrincipal names exact ARNs; a role ARN does not cover its sessions',
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html',
    run: async () => {
      // The requestor's role ARN and account are listed, its session is not: the Deny applies.
      const answer = await signed('requestor', 'not-principal');
      expect(answer).toMatchObject({ status: 403, type: 'AccessDeniedException' });
      expect(json(answer).Message).toMatch(/ with an explicit deny$/);
    },
  },
  // ——— Event fidelity ———
  {
    behaviour:
      'Event: requestTime, requestTimeEpoch, resourceId, domainName, apiId as API Gateway writes them; its own Lambda request id',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html',
    run: async () => {
      const before = Date.now();
      const answer = await signed('operator', 'event');
      const { requestContext, awsRequestId } = json(answer) as {
        requestContext: Record<string, unknown>;
        awsRequestId: string;
      };
      const { restApiId } = state.apis[0] ?? { restApiId: '' };
      expect(requestContext).toMatchObject({
        requestTime: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        requestTimeEpoch: expect.any(Number),
        resourceId: expect.stringMatching(/^[a-z0-9]{6}$/),
        resourcePath: '/{proxy+}',
        domainName: `${restApiId}.execute-api.us-east-1.amazonaws.com`,
        domainPrefix: restApiId,
        apiId: restApiId,
        extendedRequestId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/),
        requestId: answer.headers.get('x-amzn-requestid'),
      });
      expect(requestContext.requestTimeEpoch as number).toBeGreaterThanOrEqual(before - 1000);
      expect(awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(awsRequestId).not.toBe(requestContext.requestId);
    },
  },
];

describe('the local stack answers as AWS does', () => {
  it.each(rows.map((row) => [row.behaviour, row.source, row] as const))('%s (%s)', async (_behaviour, _source, row) => {
    await row.run();
  });
});

describe('Powertools sees cold starts as on Lambda (AWS_LAMBDA_INITIALIZATION_TYPE=on-demand)', () => {
  it('"cold_start": true on an execution environment\'s first invocation, false after (https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/)', async () => {
    // Prepare: a fresh stack, so hello-world has no execution environment yet.
    const fresh = await LocalStack.start({
      assemblyDir: inject('oneAccount'),
      functionOutput: 'ignore',
      warn: () => {},
    });
    try {
      const hello = fresh.runtime('hello-world');
      const event = { resource: '/', path: '/', httpMethod: 'GET', requestContext: { identity: {} } };

      // Act
      const first = await hello?.invoke(event);
      const second = await hello?.invoke(event);

      // Assess
      expect(first?.log).toContain('"cold_start":true');
      expect(second?.log).toContain('"cold_start":false');
    } finally {
      await fresh.close();
    }
  });
});
