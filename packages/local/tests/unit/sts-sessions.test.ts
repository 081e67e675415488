// STS sessions over real HTTP (issue #26): AssumeRole with session policies, session tags and a
// source identity, then the session's credentials against the REST API and the Invoke API, on a
// scratch copy of the classic fixture app with roles added. Each row cites the AWS page it comes from.
import { AssumeRoleCommand, type AssumeRoleCommandInput, STSClient } from '@aws-sdk/client-sts';
import { createIamClient } from '@iam-m2m/middleware';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DecisionRecord } from '../../src/iam/decisions.js';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { editedAssembly, inlineFunction, maskedAccount, principal, startStack } from '../helpers/stack.js';

const ACCOUNT = '000000000000';
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const OPERATOR = roleArn('operator');
const S3_ONLY = `arn:aws:iam::${ACCOUNT}:policy/s3-only`;

const SESSION_POLICIES = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session';
const EVALUATION = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html';
const SESSION_TAGS = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html';
const CHAINING = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_role-chaining';
const SOURCE_IDENTITY =
  'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html';
const ASSUME_ROLE = 'https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html';
const ACCESS_DENIED = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html';
const PRINCIPAL_ANONYMOUS =
  'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous';

type Statement = Record<string, unknown>;
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

const allow = (action: string | string[], resource: string, condition?: Statement): Statement => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  ...(condition ? { Condition: condition } : {}),
});
const trust = (...statements: Statement[]) => ({ Version: '2012-10-17', Statement: statements });
const trusting = (who: string | string[], action: string | string[], condition?: Statement): Statement => ({
  Effect: 'Allow',
  Principal: { AWS: who },
  Action: action,
  ...(condition ? { Condition: condition } : {}),
});
const role = (name: string, trustPolicy: unknown, statements: Statement[], tags: Record<string, string> = {}) => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    RoleName: name,
    AssumeRolePolicyDocument: trustPolicy,
    ...(statements.length > 0
      ? { Policies: [{ PolicyName: 'permissions', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] }
      : {}),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  },
});

const ROOT = 'arn:aws:execute-api:*:*:*/prod/GET/';
const ITEMS = 'arn:aws:execute-api:*:*:*/prod/GET/items';
const TEAM_BLUE = { StringEquals: { 'aws:PrincipalTag/team': 'blue' } };
const ALICE = { StringEquals: { 'aws:SourceIdentity': 'alice' } };

/** The roles of the truth tables, a customer managed policy, and public doors for anonymous callers. */
function withSessionRoles(template: Template): void {
  const resources = template.Resources;
  const keyOf = (type: string, has = '') =>
    Object.keys(resources).find((key) => resources[key]?.Type === type && key.startsWith(has)) ?? '';
  const api = keyOf('AWS::ApiGateway::RestApi');
  const backendRole = keyOf('AWS::IAM::Role', 'BackendServiceRole');
  const rootGet = Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::ApiGateway::Method' && JSON.stringify(r.Properties.ResourceId).includes('RootResourceId'),
  )?.[1] as Template['Resources'][string];
  Object.assign(resources, {
    // Trusts only sts:AssumeRole: no tags, no source identity.
    SessionRole: role(
      'session-role',
      trust(trusting(OPERATOR, 'sts:AssumeRole')),
      [
        allow('execute-api:Invoke', ROOT),
        allow('execute-api:Invoke', ITEMS, TEAM_BLUE),
        allow('lambda:InvokeFunction', '*'),
      ],
      { team: 'red' },
    ),
    TaggedRole: role(
      'tagged-role',
      trust(
        trusting(OPERATOR, 'sts:AssumeRole'),
        trusting(OPERATOR, 'sts:TagSession', {
          StringEqualsIfExists: { 'aws:RequestTag/team': ['blue', 'red'] },
          'ForAllValues:StringEqualsIgnoreCase': { 'aws:TagKeys': ['team', 'project'] },
        }),
        trusting(OPERATOR, 'sts:SetSourceIdentity', { StringLike: { 'sts:SourceIdentity': 'a*' } }),
      ),
      [
        allow('execute-api:Invoke', ITEMS, TEAM_BLUE),
        allow('lambda:InvokeFunction', '*', ALICE),
        allow(['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], roleArn('*')),
      ],
      { team: 'red' },
    ),
    ChainedRole: role(
      'chained-role',
      trust(trusting(roleArn('tagged-role'), ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'])),
      [
        allow('execute-api:Invoke', ITEMS, TEAM_BLUE),
        allow('execute-api:Invoke', ROOT, { StringEquals: { 'aws:PrincipalTag/project': 'x' } }),
        allow('lambda:InvokeFunction', '*', ALICE),
      ],
    ),
    // No permissions of its own: the API's policy names it (GET /) and one of its sessions (GET /items).
    PlainRole: role('plain-role', trust(trusting([OPERATOR, roleArn('tagged-role')], 'sts:AssumeRole')), []),
    S3Only: {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        ManagedPolicyName: 's3-only',
        PolicyDocument: { Version: '2012-10-17', Statement: [allow('s3:GetObject', '*')] },
      },
    },
    PublicResource: {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { ParentId: { 'Fn::GetAtt': [api, 'RootResourceId'] }, PathPart: 'public', RestApiId: { Ref: api } },
    },
    PublicGet: {
      Type: 'AWS::ApiGateway::Method',
      Properties: { ...rootGet.Properties, AuthorizationType: 'NONE', ResourceId: { Ref: 'PublicResource' } },
    },
    // API Gateway may invoke Backend for GET /public too.
    PublicApiPermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [keyOf('AWS::Lambda::Function', 'Backend'), 'Arn'] },
        Principal: 'apigateway.amazonaws.com',
      },
    },
    PublicFn: inlineFunction("exports.handler = async () => ({ statusCode: 200, body: 'public' });", backendRole, {
      Runtime: 'nodejs20.x',
    }),
    PublicFnUrl: {
      Type: 'AWS::Lambda::Url',
      Properties: { TargetFunctionArn: { 'Fn::GetAtt': ['PublicFn', 'Arn'] }, AuthType: 'NONE' },
    },
    PublicUrlPermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: { 'Fn::GetAtt': ['PublicFn', 'Arn'] },
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
      },
    },
    PublicInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['PublicFn', 'Arn'] },
        Principal: '*',
        InvokedViaFunctionUrl: true,
      },
    },
  });
  const policy = resources[api]?.Properties.Policy as { Statement: Statement[] };
  policy.Statement.push(
    { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*/GET/public' },
    {
      Effect: 'Allow',
      Principal: { AWS: roleArn('plain-role') },
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*/GET/',
    },
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/plain-role/named` },
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*/GET/items',
    },
  );
}

let stack: LocalStack;
let state: LocalState;
const records: DecisionRecord[] = [];
beforeAll(async () => {
  const assembly = editedAssembly(inject('fixtures').classic, 'ClassicStack', withSessionRoles);
  ({ stack, state } = await startStack(assembly, { warn: () => {}, decisions: (record) => records.push(record) }));
});
afterAll(() => stack?.close());

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}
const operator = (): Credentials => principal(state, 'operator');
const sts = (credentials: Credentials) =>
  new STSClient({ region: state.region, endpoint: stack.origin, credentials, maxAttempts: 1 });

/** AssumeRole through the AWS SDK; the session's credentials and what STS answered besides. */
async function assume(
  input: Omit<AssumeRoleCommandInput, 'RoleSessionName'> & { RoleSessionName?: string },
  as = operator(),
) {
  const answer = await sts(as).send(new AssumeRoleCommand({ RoleSessionName: 'session', ...input }));
  const credentials = {
    accessKeyId: answer.Credentials?.AccessKeyId ?? '',
    secretAccessKey: answer.Credentials?.SecretAccessKey ?? '',
    sessionToken: answer.Credentials?.SessionToken ?? '',
  };
  return { credentials, answer };
}

/** An STS refusal as the SDK reports it: code, status, message. */
const refusal = (call: Promise<unknown>) =>
  call.then(
    () => ({ code: 'accepted', status: 200, message: '' }),
    (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({
      code: error.name,
      status: error.$metadata?.httpStatusCode,
      message: error.message,
    }),
  );

/** A form-encoded AssumeRole signed by hand: for values the SDK would not send as they are (`DurationSeconds=1e3`). */
async function rawAssumeRole(parameters: Record<string, string>, as = operator()) {
  const body = new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', ...parameters }).toString();
  const response = await createIamClient({
    credentials: as,
    region: state.region,
    service: 'sts',
    maxAttempts: 1,
  }).request({
    method: 'POST',
    url: `${stack.origin}/`,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: Buffer.from(body),
  });
  const text = await response.text();
  return { status: response.status, code: /<Code>(.*?)<\/Code>/.exec(text)?.[1] ?? 'accepted' };
}

const apiUrl = () => state.apis[0]?.url ?? '';
/** GET on the REST API (AWS_IAM) as a session: status and message. */
async function rest(credentials: Credentials, path: '' | 'items') {
  const response = await createIamClient({ credentials, region: state.region, maxAttempts: 1 }).get(
    `${apiUrl()}${path}`,
  );
  const text = await response.text();
  return {
    status: response.status,
    message: response.status === 200 ? '' : (JSON.parse(text) as { Message: string }).Message,
  };
}
/** The Lambda Invoke API on Backend as a session: status and message. */
async function invoke(credentials: Credentials) {
  const name = state.functions.find((fn) => fn.name === 'Backend')?.functionName ?? '';
  const response = await createIamClient({
    credentials,
    region: state.region,
    service: 'lambda',
    maxAttempts: 1,
  }).request({
    method: 'POST',
    url: `${state.lambdaEndpoint}/2015-03-31/functions/${name}/invocations`,
    body: Buffer.from('{}'),
  });
  const text = await response.text();
  return {
    status: response.status,
    message: response.status === 200 ? '' : (JSON.parse(text) as { Message: string }).Message,
  };
}
const sessionArn = (roleName: string, session: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${session}`;
const methodArn = (path: string) =>
  `arn:aws:execute-api:${state.region}:${maskedAccount(ACCOUNT)}:${state.apis[0]?.restApiId}/prod/GET/${path}`;
const functionArn = () =>
  `arn:aws:lambda:${state.region}:${ACCOUNT}:function:${state.functions.find((fn) => fn.name === 'Backend')?.functionName}`;

describe(`session policies intersect everything the session does (${SESSION_POLICIES})`, () => {
  const only = (...actions: string[]) => JSON.stringify({ Version: '2012-10-17', Statement: [allow(actions, '*')] });
  const denyAll = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
  });
  const invokeDenied = (suffix: string) =>
    `User: ${sessionArn('session-role', 'session')} is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn()}${suffix}`;
  const noSessionAllow = ' because no session policy allows the lambda:InvokeFunction action';
  it.each<[string, Partial<AssumeRoleCommandInput>, number, number, (() => string) | undefined]>([
    ['no session policy: the role’s own permissions', {}, 200, 200, undefined],
    [
      'Policy denying everything: an explicit deny everywhere',
      { Policy: denyAll },
      403,
      403,
      () => invokeDenied(' with an explicit deny in a session policy'),
    ],
    [
      'Policy allowing only execute-api: the API answers, Invoke does not',
      { Policy: only('execute-api:Invoke') },
      200,
      403,
      () => invokeDenied(noSessionAllow),
    ],
    [
      'PolicyArns naming a customer managed S3-only policy',
      { PolicyArns: [{ arn: S3_ONLY }] },
      403,
      403,
      () => invokeDenied(noSessionAllow),
    ],
    [
      'PolicyArns naming an AWS managed policy of another service (CloudWatchLogsFullAccess)',
      { PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/CloudWatchLogsFullAccess' }] },
      403,
      403,
      undefined,
    ],
    [
      'PolicyArns naming AmazonAPIGatewayInvokeFullAccess',
      { PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess' }] },
      200,
      403,
      undefined,
    ],
    [
      'Policy and PolicyArns together: any of them allows, within the role’s permissions',
      { Policy: only('lambda:InvokeFunction'), PolicyArns: [{ arn: S3_ONLY }] },
      403,
      200,
      undefined,
    ],
  ])('%s', async (_name, input, restStatus, invokeStatus, invokeMessage) => {
    // Act
    const { credentials, answer } = await assume({ RoleArn: roleArn('session-role'), ...input });
    const [api, lambda] = [await rest(credentials, ''), await invoke(credentials)];

    // Assess
    expect({ api: api.status, lambda: lambda.status }).toEqual({ api: restStatus, lambda: invokeStatus });
    // API Gateway's denial names an explicit deny only (DESIGN: REST API errors for AWS_IAM methods).
    if (restStatus === 403)
      expect(api.message).toBe(
        `User: ${sessionArn('session-role', 'session')} is not authorized to perform: execute-api:Invoke on resource: ${methodArn('')}${input.Policy === denyAll ? ' with an explicit deny' : ''}`,
      );
    if (invokeMessage) expect(lambda.message).toBe(invokeMessage());
    expect(answer.PackedPolicySize === undefined).toBe(input.Policy === undefined && input.PolicyArns === undefined);
  });

  it('a session policy cannot grant more than the role: GET /items still needs the role’s condition', async () => {
    const { credentials } = await assume({ RoleArn: roleArn('session-role'), Policy: only('*') });
    expect((await rest(credentials, 'items')).status).toBe(403);
  });
});

describe(`resource-based policies: naming the session ARN is not capped, naming the role ARN is (${EVALUATION})`, () => {
  const s3 = JSON.stringify({ Version: '2012-10-17', Statement: [allow('s3:GetObject', '*')] });
  it.each<[string, number, number, string, string | undefined]>([
    ['session "named", no session policy', 200, 200, 'named', undefined],
    ['session "named" with an S3-only session policy', 403, 200, 'named', s3],
    ['session "other", no session policy', 200, 403, 'other', undefined],
  ])(
    '%s → GET / (names the role ARN) %i, GET /items (names the session ARN) %i',
    async (_name, root, items, session, policy) => {
      // Act
      const { credentials } = await assume({
        RoleArn: roleArn('plain-role'),
        RoleSessionName: session,
        Policy: policy,
      });

      // Assess
      expect({ root: (await rest(credentials, '')).status, items: (await rest(credentials, 'items')).status }).toEqual({
        root,
        items,
      });
    },
  );
});

describe(`session tags need sts:TagSession, a source identity sts:SetSourceIdentity (${SESSION_TAGS}, ${SOURCE_IDENTITY})`, () => {
  const denied = (action: string, role: string) =>
    `User: ${principal(state, 'operator').arn} is not authorized to perform: ${action} on resource: ${roleArn(role)}`;

  it.each<[string, Partial<AssumeRoleCommandInput>, string, string]>([
    [
      'Tags on a role whose trust policy allows only sts:AssumeRole',
      { Tags: [{ Key: 'team', Value: 'blue' }] },
      'session-role',
      'sts:TagSession',
    ],
    [
      'SourceIdentity on a role whose trust policy allows only sts:AssumeRole',
      { SourceIdentity: 'alice' },
      'session-role',
      'sts:SetSourceIdentity',
    ],
    [
      'a tag value the trust policy’s aws:RequestTag condition refuses',
      { Tags: [{ Key: 'team', Value: 'green' }] },
      'tagged-role',
      'sts:TagSession',
    ],
    [
      'a tag key outside the trust policy’s aws:TagKeys',
      { Tags: [{ Key: 'cost', Value: '1' }] },
      'tagged-role',
      'sts:TagSession',
    ],
    [
      'a source identity the trust policy’s sts:SourceIdentity condition refuses',
      { SourceIdentity: 'bob' },
      'tagged-role',
      'sts:SetSourceIdentity',
    ],
  ])('%s → 403 AccessDenied in IAM’s words', async (_name, input, role, action) => {
    // Act
    const outcome = await refusal(assume({ RoleArn: roleArn(role), ...input }));

    // Assess
    expect(outcome).toEqual({ code: 'AccessDenied', status: 403, message: denied(action, role) });
    expect(records.at(-1)).toMatchObject({ kind: 'sts', action, allowed: false, resource: roleArn(role) });
  });

  it.each<[string, Partial<AssumeRoleCommandInput>, number]>([
    ['no tags: the role’s tag team=red → 403', {}, 403],
    ['Tags team=blue override the role’s team=red → 200', { Tags: [{ Key: 'team', Value: 'blue' }] }, 200],
    ['Tags TEAM=blue override it whatever the case → 200', { Tags: [{ Key: 'TEAM', Value: 'blue' }] }, 200],
  ])('%s (aws:PrincipalTag/team in a condition of GET /items)', async (_name, input, status) => {
    const { credentials } = await assume({ RoleArn: roleArn('tagged-role'), ...input });
    expect((await rest(credentials, 'items')).status).toBe(status);
  });

  it('SourceIdentity becomes aws:SourceIdentity of everything the session does, and is in the answer', async () => {
    // Act
    const withSource = await assume({ RoleArn: roleArn('tagged-role'), SourceIdentity: 'alice' });
    const without = await assume({ RoleArn: roleArn('tagged-role') });

    // Assess
    expect(withSource.answer.SourceIdentity).toBe('alice');
    expect((await invoke(withSource.credentials)).status).toBe(200);
    expect((await invoke(without.credentials)).status).toBe(403);
    expect(records.filter((record) => record.action === 'sts:SetSourceIdentity').at(-1)).toMatchObject({
      allowed: true,
    });
  });
});

describe(`role chaining carries transitive tags and the source identity (${CHAINING}, ${SOURCE_IDENTITY})`, () => {
  let first: Credentials;
  beforeAll(async () => {
    ({ credentials: first } = await assume({
      RoleArn: roleArn('tagged-role'),
      RoleSessionName: 'first',
      Tags: [
        { Key: 'team', Value: 'blue' },
        { Key: 'project', Value: 'x' },
      ],
      TransitiveTagKeys: ['team'],
      SourceIdentity: 'alice',
    }));
  });

  it('the chained session has the transitive tag, not the other one, and the source identity', async () => {
    // Act
    const { credentials, answer } = await assume(
      { RoleArn: roleArn('chained-role'), RoleSessionName: 'second' },
      first,
    );

    // Assess
    expect(answer.SourceIdentity).toBe('alice');
    expect((await rest(credentials, 'items')).status).toBe(200); // aws:PrincipalTag/team = blue, inherited
    expect((await rest(credentials, '')).status).toBe(403); // aws:PrincipalTag/project was not transitive
    expect((await invoke(credentials)).status).toBe(200); // aws:SourceIdentity = alice, carried
  });

  it.each<[string, Partial<AssumeRoleCommandInput>, string]>([
    // The message as AWS answered it (LocalStack's recorded parity test tests/aws/services/sts, 2025-04-10).
    [
      'a tag whose key the calling session passes on, whatever its case',
      { Tags: [{ Key: 'TEAM', Value: 'red' }] },
      'InvalidParameterValue',
    ],
    ['another source identity: it "cannot be changed"', { SourceIdentity: 'amy' }, 'InvalidParameterValue'],
  ])('refuses %s', async (_name, input, code) => {
    const outcome = await refusal(assume({ RoleArn: roleArn('chained-role'), ...input }, first));
    expect(outcome).toMatchObject({ code, status: 400 });
  });

  it('the carried transitive tags need sts:TagSession in the next role’s trust policy (then the source identity sts:SetSourceIdentity)', async () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_role-chaining
    const outcome = await refusal(assume({ RoleArn: roleArn('plain-role') }, first));
    expect(outcome).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: `User: ${sessionArn('tagged-role', 'first')} is not authorized to perform: sts:TagSession on resource: ${roleArn('plain-role')}`,
    });
    expect(records.filter((record) => record.action.startsWith('sts:')).slice(-2)).toMatchObject([
      { action: 'sts:AssumeRole', allowed: true },
      { action: 'sts:TagSession', allowed: false },
    ]);
  });

  it.each<[string, string, string]>([
    ['a session policy without sts:AssumeRole denies the chained AssumeRole', 'execute-api:Invoke', 'AccessDenied'],
    ['a session policy allowing sts:AssumeRole lets it through', 'sts:AssumeRole', 'accepted'],
  ])(`%s (${SESSION_POLICIES})`, async (_name, action, code) => {
    // Prepare
    const { credentials } = await assume({
      RoleArn: roleArn('tagged-role'),
      RoleSessionName: 'limited',
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [allow(action, '*')] }),
    });

    // Act
    const outcome = await refusal(assume({ RoleArn: roleArn('chained-role') }, credentials));

    // Assess
    expect(outcome.code).toBe(code);
  });
});

describe(`parameters are checked with STS’s codes (${ASSUME_ROLE})`, () => {
  const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  const bigPolicy = JSON.stringify({
    Version: '2012-10-17',
    Statement: Array.from({ length: 15 }, (_, i) => allow(`s3:GetObject${i}`, `arn:aws:s3:::bucket-${i}/*`)),
  });
  it.each<[string, Partial<AssumeRoleCommandInput>, string, RegExp]>([
    ['a Policy that is not JSON', { Policy: 'not json' }, 'MalformedPolicyDocumentException', /./],
    [
      'a Policy with a Principal',
      { Policy: JSON.stringify({ Statement: [{ ...allow('*', '*'), Principal: '*' }] }) },
      'MalformedPolicyDocumentException',
      /principal/,
    ],
    [
      'a Policy of 2,049 characters',
      { Policy: `{"Statement":[]}${' '.repeat(2033)}` },
      'ValidationError',
      /at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048/,
    ],
    [
      'a Policy too large once packed',
      { Policy: bigPolicy },
      'PackedPolicyTooLargeException',
      /^Packed policy consumes \d+% of allotted space$/,
    ],
    [
      'DurationSeconds 899',
      { DurationSeconds: 899 },
      'ValidationError',
      /Member must have value greater than or equal to 900/,
    ],
    [
      'DurationSeconds 43201',
      { DurationSeconds: 43_201 },
      'ValidationError',
      /Member must have value less than or equal to 43200/,
    ],
    [
      'DurationSeconds 7200 in role chaining',
      { DurationSeconds: 7200 },
      'ValidationError',
      /1 hour session limit for roles assumed by role chaining/,
    ],
    [
      'RoleSessionName of one character',
      { RoleSessionName: 'a' },
      'ValidationError',
      /'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2/,
    ],
    [
      'RoleSessionName of 65 characters',
      { RoleSessionName: 's'.repeat(65) },
      'ValidationError',
      /Member must have length less than or equal to 64/,
    ],
    [
      'RoleSessionName with a colon',
      { RoleSessionName: 'a:b' },
      'ValidationError',
      /Member must satisfy regular expression pattern: \[\\w\+=,\.@-\]\*/,
    ],
    [
      '51 tags',
      { Tags: tags(51) },
      'ValidationError',
      /at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50/,
    ],
    [
      'a tag key of 129 characters',
      { Tags: [{ Key: 'k'.repeat(129), Value: 'v' }] },
      'ValidationError',
      /at 'tags.1.member.key' failed/,
    ],
    [
      'a tag value of 257 characters',
      { Tags: [{ Key: 'k', Value: 'v'.repeat(257) }] },
      'ValidationError',
      /at 'tags.1.member.value' failed/,
    ],
    [
      'two tag keys alike but for case',
      {
        Tags: [
          { Key: 'team', Value: 'a' },
          { Key: 'Team', Value: 'b' },
        ],
      },
      'InvalidParameterValue',
      /^Duplicate tag keys found\. Please note that Tag keys are case insensitive\.$/,
    ],
    [
      'a transitive key that is not a tag',
      { Tags: [{ Key: 'team', Value: 'a' }], TransitiveTagKeys: ['project'] },
      'InvalidParameterValue',
      /^The specified transitive tag key must be included in the requested tags\.$/,
    ],
    [
      'a SourceIdentity starting with aws:',
      { SourceIdentity: 'aws:me' },
      'ValidationError',
      /at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    ],
    ['a SourceIdentity of one character', { SourceIdentity: 'a' }, 'ValidationError', /at 'sourceIdentity' failed/],
    [
      '11 PolicyArns',
      { PolicyArns: Array.from({ length: 11 }, () => ({ arn: S3_ONLY })) },
      'ValidationError',
      /at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10/,
    ],
    [
      'a PolicyArns policy that does not exist',
      { PolicyArns: [{ arn: `arn:aws:iam::${ACCOUNT}:policy/nope` }] },
      'InvalidParameterValue',
      /does not exist/,
    ],
    [
      'an AWS managed policy the local stack has no text of (a typo on AWS, or one to pass inline here)',
      { PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAcess' }] },
      'InvalidParameterValue',
      /does not exist or is not attachable/,
    ],
    [
      'a customer managed policy of another account',
      { PolicyArns: [{ arn: 'arn:aws:iam::111111111111:policy/s3-only' }] },
      'InvalidParameterValue',
      /does not exist/,
    ],
  ])('%s → 400', async (_name, input, code, message) => {
    const outcome = await refusal(assume({ RoleArn: roleArn('tagged-role'), ...input }));
    expect(outcome).toMatchObject({ code, status: 400 });
    expect(outcome.message).toMatch(message);
  });

  it('on the wire the codes are STS’s own (the SDK adds Exception to the names it models)', async () => {
    const base = { RoleArn: roleArn('tagged-role'), RoleSessionName: 's1' };
    expect(await rawAssumeRole({ ...base, Policy: 'not json' })).toEqual({
      status: 400,
      code: 'MalformedPolicyDocument',
    });
    expect(await rawAssumeRole({ ...base, Policy: JSON.stringify({ Statement: [allow('*', '*')] }) })).toEqual({
      status: 200,
      code: 'accepted',
    });
  });

  it('DurationSeconds=1e3 is not an integer: 400 ValidationError (the SDK would send 1000)', async () => {
    expect(
      await rawAssumeRole({ RoleArn: roleArn('tagged-role'), RoleSessionName: 's1', DurationSeconds: '1e3' }),
    ).toEqual({
      status: 400,
      code: 'ValidationError',
    });
    expect(
      await rawAssumeRole({ RoleArn: roleArn('tagged-role'), RoleSessionName: 's1', DurationSeconds: '1000' }),
    ).toEqual({
      status: 200,
      code: 'accepted',
    });
  });

  it('no secret in any error or decision record', async () => {
    const { credentials } = await assume({ RoleArn: roleArn('tagged-role') });
    const outcome = await refusal(assume({ RoleArn: roleArn('plain-role'), Policy: 'not json' }, credentials));
    const written = JSON.stringify([outcome, records]);
    expect(written).not.toContain(credentials.secretAccessKey);
    expect(written).not.toContain(credentials.sessionToken);
  });
});

describe(`decision records match the answer for every principal kind (${PRINCIPAL_ANONYMOUS}, ${ACCESS_DENIED})`, () => {
  it('an unsigned call to a NONE method allowed by a Principal "*" resource policy: 200, recorded allowed', async () => {
    const response = await fetch(`${apiUrl()}public`);
    expect(response.status).toBe(200);
    expect(records.filter((record) => record.endpoint === 'GET /prod/public').at(-1)).toMatchObject({
      principal: 'anonymous',
      allowed: true,
    });
  });

  it('an unsigned call to a function URL with AuthType NONE and a public permission: 200, both actions recorded allowed', async () => {
    const url = state.functionUrls.find((candidate) => candidate.name === 'PublicFn')?.url ?? '';
    const response = await fetch(url);
    expect({ status: response.status, body: await response.text() }).toEqual({ status: 200, body: 'public' });
    expect(
      records
        .filter((record) => record.kind === 'functionUrl' && record.principal === 'anonymous')
        .map((record) => [record.action, record.allowed]),
    ).toEqual([
      ['lambda:InvokeFunctionUrl', true],
      ['lambda:InvokeFunction', true],
    ]);
  });

  it('a role session: the record says what the answer says, allowed or denied', async () => {
    const { credentials } = await assume({ RoleArn: roleArn('session-role'), RoleSessionName: 'recorded' });
    for (const [path, status] of [
      ['', 200],
      ['items', 403],
    ] as const) {
      expect((await rest(credentials, path)).status).toBe(status);
      const record = records.filter((r) => r.caller === sessionArn('session-role', 'recorded')).at(-1);
      expect(record).toMatchObject({
        allowed: status === 200,
        resource: expect.stringMatching(new RegExp(`/prod/GET/${path}$`)),
      });
    }
  });
});
