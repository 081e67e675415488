// Explaining decisions (issue "Why was I denied?"): the evaluator's reason lines, the records
// the server writes, the access matrix deciding as the server does, and the least-privilege report.
import { App, Stack } from 'aws-cdk-lib';
import { AuthorizationType, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AccountPrincipal, PolicyDocument as CdkPolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AccessMatrix, accessOf } from '../../src/access.js';
import type { DecisionRecord } from '../../src/iam/decisions.js';
import { evaluateAccess } from '../../src/iam/evaluate.js';
import type { Principal } from '../../src/iam/match.js';
import type { NamedPolicy, PolicyDocument, PolicyStatement as Statement } from '../../src/iam/policy.js';
import { policyReport } from '../../src/iam/policy-report.js';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { awsError, clientFor, principal } from '../helpers/stack.js';

const API = '222222222222';
const CALLER = '111111111111';
const METHOD_ARN = `arn:aws:execute-api:us-east-1:${API}:abc123defg/prod/GET/items`;
const who = (accountId: string): Principal => ({
  arn: `arn:aws:sts::${accountId}:assumed-role/requestor-role/requestor`,
  accountId,
  entityArn: `arn:aws:iam::${accountId}:role/requestor-role`,
});
const allowIdentity: NamedPolicy = {
  name: 'CallerStack/RequestorPolicy',
  document: {
    Statement: [{ Sid: 'InvokeItems', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: METHOD_ARN }],
  },
};
const apiPolicy = (statement: Record<string, unknown>): PolicyDocument => ({
  Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: METHOD_ARN, ...statement }] as never,
});

/** The API trusts the caller's account. */
const ALLOW_PARTNER: Statement = {
  Sid: 'AllowPartner',
  Effect: 'Allow',
  Principal: { AWS: CALLER },
  Action: 'execute-api:Invoke',
  Resource: METHOD_ARN,
};

/**
 * The cases of the issue, each with the reason line a user reads. AWS's rules
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html):
 * explicit deny wins; one account: identity OR resource policy; across accounts: both.
 */
const CASES: {
  name: string;
  caller: Principal;
  identity: NamedPolicy[];
  resource?: PolicyDocument;
  context?: Record<string, string>;
  allowed: boolean;
  reason: string | RegExp;
}[] = [
  {
    name: 'same account, a resource policy allows and no identity policy does (AWS: OR)',
    caller: who(API),
    identity: [],
    resource: apiPolicy({ Sid: 'AllowTeam', Principal: { AWS: 'arn:aws:iam::222222222222:role/requestor-role' } }),
    allowed: true,
    reason: 'allowed by ApiStack/Api policy statement "AllowTeam"',
  },
  {
    name: 'across accounts, identity policy only',
    caller: who(CALLER),
    identity: [allowIdentity],
    resource: apiPolicy({ Sid: 'AllowPartner', Principal: { AWS: '333333333333' } }),
    allowed: false,
    reason:
      'across accounts both must allow: no resource-based policy allows it (ApiStack/Api policy statement "AllowPartner" names account 333333333333; the caller is arn:aws:sts::111111111111:assumed-role/requestor-role/requestor)',
  },
  {
    name: 'across accounts, resource policy only',
    caller: who(CALLER),
    identity: [],
    resource: apiPolicy({ Sid: 'AllowPartner', Principal: { AWS: CALLER } }),
    allowed: false,
    reason: 'across accounts both must allow: no identity-based policy allows it',
  },
  {
    name: 'an explicit Deny in the resource policy, its Sid named',
    caller: who(CALLER),
    identity: [allowIdentity],
    resource: {
      Statement: [
        ALLOW_PARTNER,
        { Sid: 'NoItems', Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', Resource: METHOD_ARN },
      ],
    },
    allowed: false,
    reason: 'explicit deny in a resource-based policy (ApiStack/Api policy statement "NoItems")',
  },
  {
    name: 'NotPrincipal: a Deny for everyone but the listed principal',
    caller: who(CALLER),
    identity: [allowIdentity],
    resource: {
      Statement: [
        ALLOW_PARTNER,
        {
          Sid: 'OnlyTheBatchRole',
          Effect: 'Deny',
          NotPrincipal: { AWS: [CALLER, `arn:aws:iam::${CALLER}:role/batch`] },
          Action: 'execute-api:Invoke',
          Resource: METHOD_ARN,
        },
      ],
    },
    allowed: false,
    reason: 'explicit deny in a resource-based policy (ApiStack/Api policy statement "OnlyTheBatchRole")',
  },
  {
    name: 'a condition that fails names the key and the value seen',
    caller: who(CALLER),
    identity: [allowIdentity],
    resource: apiPolicy({
      Sid: 'FromTheVpc',
      Principal: { AWS: CALLER },
      Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
    }),
    context: { 'aws:SourceIp': '127.0.0.1' },
    allowed: false,
    reason:
      'across accounts both must allow: no resource-based policy allows it (ApiStack/Api policy statement "FromTheVpc" condition IpAddress aws:SourceIp "10.0.0.0/8" fails: the request has "127.0.0.1")',
  },
  {
    name: 'a grant that comes from a managed policy names it',
    caller: who(API),
    identity: [
      {
        name: 'arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess (v1)',
        document: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['execute-api:Invoke', 'execute-api:ManageConnections'],
              Resource: 'arn:aws:execute-api:*:*:*',
            },
          ],
        },
      },
    ],
    allowed: true,
    reason: 'allowed by arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess (v1) statement #0',
  },
  {
    name: 'same account, a resource policy naming only the account defers to identity policies, which say nothing',
    caller: who(API),
    identity: [],
    resource: apiPolicy({ Sid: 'TrustedCallers', Principal: { AWS: `arn:aws:iam::${API}:root` } }),
    allowed: false,
    reason:
      'no identity-based policy allows it; the resource-based policy (ApiStack/Api policy statement "TrustedCallers") names only the caller\'s account, which leaves it to identity-based policies',
  },
  {
    name: 'same account, no policy at all',
    caller: who(API),
    identity: [
      {
        name: 'ApiStack/LogsOnly',
        document: { Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }] },
      },
    ],
    allowed: false,
    reason: 'no identity-based policy allows it',
  },
];

describe('the reason line of each decision', () => {
  it.each(CASES)('$name', (testCase) => {
    const decision = evaluateAccess(
      {
        principal: testCase.caller,
        action: 'execute-api:Invoke',
        resource: METHOD_ARN,
        resourceAccountId: API,
        context: testCase.context,
      },
      {
        identityPolicies: testCase.identity,
        resourcePolicy: testCase.resource,
        resourcePolicyName: 'ApiStack/Api policy',
      },
    );
    expect(decision.allowed).toBe(testCase.allowed);
    expect(decision.reason).toEqual(testCase.reason);
  });

  it('lists every policy consulted with its verdict and deciding statement, and the context keys the policies use', () => {
    const decision = evaluateAccess(
      {
        principal: who(CALLER),
        action: 'execute-api:Invoke',
        resource: METHOD_ARN,
        resourceAccountId: API,
        context: { 'aws:SourceIp': '127.0.0.1' },
      },
      {
        identityPolicies: [allowIdentity],
        resourcePolicy: apiPolicy({
          Sid: 'FromTheVpc',
          Principal: { AWS: CALLER },
          Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
        }),
        resourcePolicyName: 'ApiStack/Api policy',
      },
    );
    expect(decision.policies).toEqual([
      { kind: 'identity', source: 'CallerStack/RequestorPolicy', verdict: 'allow', statement: 'InvokeItems' },
      {
        kind: 'resource',
        source: 'ApiStack/Api policy',
        verdict: 'silent',
        statement: 'FromTheVpc',
        miss: 'condition IpAddress aws:SourceIp "10.0.0.0/8" fails: the request has "127.0.0.1"',
      },
    ]);
    expect(decision.keys).toEqual({ 'aws:SourceIp': '127.0.0.1' });
  });
});

describe('decisions of the running server', () => {
  let stack: LocalStack;
  let state: LocalState;
  const records: DecisionRecord[] = [];
  beforeAll(async () => {
    stack = await LocalStack.start({
      assemblyDir: inject('oneAccount'),
      functionOutput: 'ignore',
      decisions: (r) => records.push(r),
    });
    state = stack.state();
  });
  afterAll(() => stack?.close());

  it('a denial is recorded with the policy to change, while the HTTP answer stays exactly AWS’s', async () => {
    records.length = 0;
    const response = await clientFor(state, 'outsider').get(state.apis[0]?.url ?? '');
    const answer = await awsError(response);
    expect(answer).toMatchObject({ status: 403, type: 'AccessDeniedException' });
    expect(answer.message).toMatch(
      /^User: arn:aws:sts::999999999999:assumed-role\/outsider\/outsider is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:\*{8}0000:[a-z0-9]{10}\/prod\/GET\/$/,
    );
    expect(records).toEqual([
      expect.objectContaining({
        allowed: false,
        kind: 'rest',
        principal: 'outsider',
        caller: 'arn:aws:sts::999999999999:assumed-role/outsider/outsider',
        action: 'execute-api:Invoke',
        endpoint: 'GET /prod/',
        reason: expect.stringMatching(
          /^across accounts both must allow: no resource-based policy allows it \(IamM2m\/Api[A-Z0-9]+ policy statement "TrustedCallers" names account 000000000000; the caller is arn:aws:sts::999999999999/,
        ),
        policies: [
          { kind: 'identity', source: 'outsider', verdict: 'allow', statement: '0' },
          expect.objectContaining({ kind: 'resource', verdict: 'silent', statement: 'TrustedCallers' }),
        ],
      }),
    ]);
  });

  it('no record holds a secret: no secret key, session token, signature or Authorization', async () => {
    records.length = 0;
    await clientFor(state, 'requestor').get(state.apis[0]?.url ?? '');
    await clientFor(state, 'outsider').get(state.apis[0]?.url ?? '');
    const text = JSON.stringify(records);
    expect(records).toHaveLength(2);
    for (const p of state.principals) {
      expect(text).not.toContain(p.secretAccessKey);
      expect(text).not.toContain(p.sessionToken);
      expect(text).not.toContain(p.accessKeyId);
    }
    expect(text).not.toMatch(/Signature=|AWS4-HMAC-SHA256|authorization/i);
  });

  it('the policy report of the requestor’s run (what pnpm start prints) is its exact grants, nothing broader', async () => {
    records.length = 0;
    const outcome = await stack.runtime('requestor')?.invoke({});
    expect(outcome?.ok).toBe(true);
    const hello = state.functions.find((fn) => fn.name === 'hello-world');
    const helloArn = `arn:aws:lambda:us-east-1:000000000000:function:${hello?.functionName}`;
    const rest = state.apis[0]?.restApiId;
    const http = state.httpApis[0]?.apiId;
    expect(policyReport(records, stack.identities.all())).toEqual([
      {
        principal: 'requestor',
        caller: principal(state, 'requestor').arn,
        needed: [
          {
            action: 'execute-api:Invoke',
            resources: [
              `arn:aws:execute-api:us-east-1:000000000000:${http}/$default/GET/`,
              `arn:aws:execute-api:us-east-1:000000000000:${rest}/prod/GET/`,
            ],
          },
          { action: 'lambda:InvokeFunctionUrl', resources: [helloArn] },
          { action: 'lambda:InvokeFunction', resources: [helloArn] },
        ],
        unused: [],
      },
    ]);
  });

  it('a grant broader than the calls made is reported as unused beyond them', () => {
    // The operator's `*` grant, as if it were a role of the app (the report leaves synthetic callers out).
    const asAppRoles = stack.identities.all().map((identity) => ({ ...identity, synthetic: false }));
    const reports = policyReport(
      [
        {
          time: '',
          allowed: true,
          kind: 'rest',
          principal: 'operator',
          caller: principal(state, 'operator').arn,
          action: 'execute-api:Invoke',
          resource: 'arn:aws:execute-api:us-east-1:000000000000:abc/prod/GET/',
          endpoint: 'GET /prod/',
          reason: '',
          policies: [],
          context: {},
        },
      ],
      asAppRoles,
    );
    expect(reports[0]?.unused).toEqual([
      {
        source: 'operator',
        statement: '0',
        action: 'execute-api:Invoke',
        granted: ['*'],
        used: ['arn:aws:execute-api:us-east-1:000000000000:abc/prod/GET/'],
      },
    ]);
  });
});

describe('the policy report leaves out callers no stack defines', () => {
  it('an operator’s or the outsider’s allowed calls are not reported: they have no policy of the app to tighten', async () => {
    const seen: DecisionRecord[] = [];
    const local = await LocalStack.start({
      assemblyDir: inject('oneAccount'),
      functionOutput: 'ignore',
      warn: () => {},
      decisions: (record) => seen.push(record),
    });
    try {
      const state = local.state();
      expect((await clientFor(state, 'operator').get(state.apis[0]?.url ?? '')).status).toBe(200);
      expect(seen.some((record) => record.allowed && record.principal === 'operator')).toBe(true);
      expect(policyReport(seen, local.identities.all())).toEqual([]);
    } finally {
      await local.close();
    }
  });
});

/** Whether a real signed call as `principal` to the cell's endpoint is let through (not a 403). */
async function serverLetsThrough(
  stack: LocalStack,
  state: LocalState,
  cell: AccessMatrix['cells'][number],
): Promise<boolean> {
  const [method = 'GET', ...rest] = cell.endpoint.split(' ');
  const target = rest.join(' ');
  let response: Response;
  if (cell.kind === 'invoke') {
    const fn = state.functions.find((f) => f.name === target.replace(/^Invoke /, '') || f.name === rest[0]);
    // By ARN: a bare name would be looked up in the caller's own account.
    const arn = `arn:aws:lambda:${state.region}:${fn?.accountId}:function:${fn?.functionName}`;
    response = await clientFor(state, cell.principal, 'lambda').post(
      `${state.lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(arn)}/invocations`,
      { json: {}, headers: { 'x-amz-invocation-type': 'DryRun' } },
    );
  } else if (cell.kind === 'functionUrl') {
    const url = state.functionUrls.find((u) => u.name === rest[0]);
    response = await clientFor(state, cell.principal, 'lambda').get(url?.url ?? '');
  } else {
    response = await clientFor(state, cell.principal).request({ method, url: `${stack.origin}${target}` });
  }
  await response.arrayBuffer();
  return response.status !== 403;
}

describe.each<[string, () => string]>([
  ['this repo’s app, one account', () => inject('oneAccount')],
  ['this repo’s app, two accounts', () => inject('twoAccounts')],
  ...(['classic', 'proxy', 'exports', 'stages', 'abac', 'targets'] as const).map((app): [string, () => string] => [
    `the ${app} fixture app`,
    () => inject('fixtures')[app],
  ]),
])('the access matrix of %s', (_name, assembly) => {
  let stack: LocalStack;
  let state: LocalState;
  let matrix: AccessMatrix;
  beforeAll(async () => {
    stack = await LocalStack.start({ assemblyDir: assembly(), functionOutput: 'ignore' });
    state = stack.state();
    matrix = accessOf(assembly());
  });
  afterAll(() => stack?.close());

  it('predicts, for every cell, what a real signed request to the running server gets', async () => {
    expect(matrix.cells.length).toBeGreaterThan(10);
    const mismatches: string[] = [];
    for (const cell of matrix.cells) {
      const through = await serverLetsThrough(stack, state, cell);
      if (through !== cell.allowed)
        mismatches.push(`${cell.principal} ${cell.endpoint}: matrix ${cell.allowed}, server ${through}`);
    }
    expect(mismatches).toEqual([]);
    // Pinned: who may call what in this app (a change of policy or of the evaluator shows here).
    expect(
      matrix.cells.map((cell) => `${cell.allowed ? 'ALLOW' : 'DENY '} ${cell.principal} ${cell.endpoint}`),
    ).toMatchSnapshot();
  });
});

describe('accessOf in a CDK unit test', () => {
  it('answers from an in-memory app.synth(): who may call the API and who may not', () => {
    // The context the CDK CLI gives apps, so constructs keep their ids as names (else: logical ids without their hash).
    const app = new App({ context: { 'aws:cdk:enable-path-metadata': true } });
    const stack = new Stack(app, 'Orders', { env: { account: API, region: 'eu-west-1' } });
    const handler = new LambdaFunction(stack, 'Handler', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "ok" });'),
    });
    const api = new RestApi(stack, 'Api', {
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      policy: new CdkPolicyDocument({
        statements: [
          new PolicyStatement({
            principals: [new AccountPrincipal(API)],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
          }),
        ],
      }),
    });
    api.root.addResource('orders').addMethod('GET', new LambdaIntegration(handler));
    const reader = new Role(stack, 'Reader', { assumedBy: new AccountPrincipal(API) });
    reader.addToPolicy(
      new PolicyStatement({
        actions: ['execute-api:Invoke'],
        resources: [api.arnForExecuteApi('GET', '/orders', 'prod')],
      }),
    );

    const access = accessOf(app.synth());

    expect(access.can('Reader', 'GET', '/prod/orders')).toBe(true);
    expect(access.can('Handler', 'GET', '/prod/orders')).toBe(false);
    expect(access.can('outsider', 'GET', '/prod/orders')).toBe(false);
    expect(access.explain('outsider', 'GET', '/prod/orders').reason).toMatch(
      /^across accounts both must allow: no resource-based policy allows it \(Orders\/Api[A-Z0-9]+ policy statement #0 names account 222222222222/,
    );
  });
});
