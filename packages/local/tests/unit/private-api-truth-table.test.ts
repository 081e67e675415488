// Private REST APIs (endpointType PRIVATE) reached through an execute-api interface VPC endpoint:
// truth tables over `authorizeRestRequest` and `privateOnlyThroughEndpoints`, one row per case,
// each row's verdict taken from the AWS page named in its describe block. The API lives in
// account B (222222222222); a caller is a role session in B (same account) or in A
// (111111111111, cross account). Rows are never bent to the implementation: a failing row is a
// disagreement with AWS to report.
import { describe, expect, it } from 'vitest';
import type { FunctionModel, MethodModel, RestApiModel } from '../../src/assembly/model.js';
import type { VpcEndpointModel } from '../../src/assembly/network.js';
import { AwsError } from '../../src/aws-error.js';
import type { ThroughEndpoint } from '../../src/iam/context-keys.js';
import { type Identity, roleSession } from '../../src/iam/identities.js';
import type { NamedPolicy, PolicyDocument, PolicyStatement } from '../../src/iam/policy.js';
import { authorizeInvoke } from '../../src/services/lambda-api/invoke-api.js';
import {
  authorizeRestRequest,
  privateOnlyThroughEndpoints,
  routeRestRequest,
} from '../../src/services/rest-api/handler.js';
import { vpcAddress } from '../../src/services/vpc-endpoint/endpoint.js';

/** API Gateway, "How API Gateway resource policies affect authorization workflow" (Tables A and B). */
const AUTHORIZATION_FLOW =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html';
/** API Gateway, "Use VPC endpoint policies for private APIs": the endpoint policy is evaluated first. */
const ENDPOINT_POLICIES =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-vpc-endpoint-policies.html';
/** PrivateLink, "Control access to VPC endpoints using endpoint policies": the default policy allows all. */
const PRIVATELINK_POLICIES = 'https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html';
/** API Gateway resource policy example "Allow private API traffic based on source VPC or VPC endpoint". */
const SOURCE_VPC_EXAMPLE =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html#apigateway-resource-policies-source-vpc-example';
/** IAM global condition keys: aws:SourceVpce, aws:SourceVpc, aws:VpcSourceIp present only through an endpoint; aws:SourceIp absent. */
const CONDITION_KEYS = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html';
/** IAM condition operators: a missing key makes a condition false, a negated one (`Not…`) true; `…IfExists` true. */
const CONDITION_OPERATORS =
  'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html';
/** KC "How do I troubleshoot HTTP 403 errors from API Gateway?": the AccessDeniedException messages. */
const TROUBLESHOOT_403 = 'https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden';
/** KC "Why do I get an HTTP 403 error when I connect to my API Gateway APIs from a VPC?". */
const VPC_CONNECTIONS = 'https://repost.aws/knowledge-center/api-gateway-vpc-connections';
/** API Gateway, "Private REST APIs in API Gateway": only callable from within a VPC, through an endpoint. */
const PRIVATE_APIS = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-apis.html';

const REGION = 'us-east-1';
const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const API_ID = 'a1b2c3d4e5';
const API_ARN = `arn:aws:execute-api:${REGION}:${B}:${API_ID}`;
/** AWS masks the API's account in a denial: `********2222`. */
const MASKED_API_ARN = `arn:aws:execute-api:${REGION}:********${B.slice(-4)}:${API_ID}`;

const VPC_X = { vpcId: 'vpc-0123456789abcdef0', cidr: '10.0.0.0/16' };
const VPC_Y = { vpcId: 'vpc-0fedcba9876543210', cidr: '10.1.0.0/16' };
/** Endpoint X, the one the resource policies name, in VPC X; endpoint Y in another VPC. */
const ENDPOINT_X_ID = 'vpce-0a1b2c3d4e5f60718';
const ENDPOINT_Y_ID = 'vpce-0f9e8d7c6b5a40312';

const METHODS: MethodModel[] = [
  {
    httpMethod: 'GET',
    resourceId: 'root00',
    resourcePath: '/',
    authorizationType: 'AWS_IAM',
    timeoutMs: 29_000,
    apiKeyRequired: false,
  },
  {
    httpMethod: 'GET',
    resourceId: 'pub001',
    resourcePath: '/public',
    authorizationType: 'NONE',
    timeoutMs: 29_000,
    apiKeyRequired: false,
  },
];

/** A fresh API model per row: its expanded policy is remembered per model object. */
const privateApi = (
  policy: PolicyDocument | undefined,
  endpointType: RestApiModel['endpointType'] = 'PRIVATE',
): RestApiModel => ({
  stackName: 'Producer',
  logicalId: 'PrivateApi',
  restApiId: API_ID,
  accountId: B,
  region: REGION,
  stageName: 'prod',
  policy,
  methods: METHODS,
  endpointType,
});

/** An execute-api interface endpoint, in the caller's account, with its policy (undefined: the default). */
function endpoint(which: 'X' | 'Y', accountId: string, policy: PolicyDocument | undefined): ThroughEndpoint {
  const vpc = which === 'X' ? VPC_X : VPC_Y;
  const id = which === 'X' ? ENDPOINT_X_ID : ENDPOINT_Y_ID;
  const model: VpcEndpointModel = {
    type: 'Interface',
    stackName: 'Consumer',
    logicalId: `ExecuteApiEndpoint${which}`,
    id,
    vpcId: vpc.vpcId,
    accountId,
    region: REGION,
    service: 'execute-api',
    serviceName: `com.amazonaws.${REGION}.execute-api`,
    privateDns: true,
    policy,
    dnsName: `${id}-abcdefgh.execute-api.${REGION}.vpce.amazonaws.com`,
  };
  return { endpoint: model, vpcSourceIp: vpcAddress(vpc) };
}

const roleArn = (accountId: string, name = 'api-caller') => `arn:aws:iam::${accountId}:role/${name}`;

/** The identity policy that allows Invoke on every method of the API. */
const INVOKE_THE_API: NamedPolicy = {
  name: 'Caller/InvokeApi',
  document: { Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${API_ARN}/*` }] },
};

/** A session of role `api-caller` in `accountId`, a new object per row. */
const callerIn = (accountId: string, identityPolicy: boolean): Identity =>
  roleSession(
    'api-caller',
    {
      accountId,
      roleName: 'api-caller',
      arn: roleArn(accountId),
      roleId: `AROA${accountId}EXAMPLE`,
      policies: identityPolicy ? [INVOKE_THE_API] : [],
    },
    'caller',
  );

const allow = (principal: PolicyStatement['Principal'], extra: Partial<PolicyStatement> = {}): PolicyStatement =>
  ({
    Effect: 'Allow',
    Principal: principal,
    Action: 'execute-api:Invoke',
    Resource: 'execute-api:/*',
    ...extra,
  }) as PolicyStatement;
const deny = (condition: PolicyStatement['Condition']): PolicyStatement =>
  ({
    Effect: 'Deny',
    Principal: '*',
    Action: 'execute-api:Invoke',
    Resource: 'execute-api:/*',
    Condition: condition,
  }) as PolicyStatement;
const denyUnlessEndpointX = deny({ StringNotEquals: { 'aws:SourceVpce': ENDPOINT_X_ID } });
const policy = (...statements: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });

type Verdict = 'allowed' | 'denied' | 'denied with an explicit deny';

/** The 403 API Gateway answers an IAM denial with (KC 403 table; `{"Message": …}` per the resource policy page). */
const accessDenied = (who: string, path: string, explicit: boolean) => ({
  status: 403,
  type: 'AccessDeniedException',
  message: `User: ${who} is not authorized to perform: execute-api:Invoke on resource: ${MASKED_API_ARN}/prod/GET/${path}${explicit ? ' with an explicit deny' : ''}`,
});

/** What `authorizeRestRequest` answered: undefined when it allowed, else the AwsError's parts. */
function answer(api: RestApiModel, path: '/' | '/public', caller: Identity | undefined, via?: ThroughEndpoint) {
  const routed = routeRestRequest(api, 'GET', `/prod${path}`);
  try {
    authorizeRestRequest(api, routed, 'GET', caller, {
      now: new Date('2026-01-01T00:00:00Z'),
      sourceIp: '127.0.0.1',
      headers: [],
      region: REGION,
      via,
    });
    return undefined;
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    return { status: error.status, type: error.type, message: error.message, body: JSON.parse(error.body) };
  }
}

/** Asserts a row's verdict and, for a denial, its 403 and its message, in `{"Message": …}`. */
function expectVerdict(got: ReturnType<typeof answer>, verdict: Verdict, who: string, path: string) {
  if (verdict === 'allowed') {
    expect(got).toBeUndefined();
    return;
  }
  const expected = accessDenied(who, path, verdict === 'denied with an explicit deny');
  expect(got).toEqual({ ...expected, body: { Message: expected.message } });
}

// ---------------------------------------------------------------------------------------------
// 1. Endpoint policy × resource policy × identity policy
// ---------------------------------------------------------------------------------------------

type EndpointCase = 'default (none)' | 'the caller role' | 'only another role' | "'*' on the API" | 'explicit Deny';
type ResourceCase =
  | 'A root + Deny unless SourceVpce X'
  | 'A root only'
  | "'*' + Deny unless SourceVpce X"
  | 'C root only';
type IdentityCase = 'allows Invoke' | 'none';

/** The endpoint policy of a case, for a caller of `accountId`. */
function endpointPolicyOf(which: EndpointCase, accountId: string): PolicyDocument | undefined {
  const invoke = (principal: PolicyStatement['Principal'], resource: string): PolicyStatement => ({
    Effect: 'Allow',
    Principal: principal,
    Action: 'execute-api:Invoke',
    Resource: resource,
  });
  switch (which) {
    case 'default (none)':
      return undefined;
    case 'the caller role':
      return policy(invoke({ AWS: roleArn(accountId) }, '*'));
    case 'only another role':
      return policy(invoke({ AWS: roleArn(accountId, 'someone-else') }, '*'));
    case "'*' on the API":
      // As the cross-account sample's consumer endpoint policy, and example 1 of ENDPOINT_POLICIES.
      return policy(invoke('*', `${API_ARN}/*`));
    case 'explicit Deny':
      return policy(
        { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
        { Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', Resource: `${API_ARN}/*` },
      );
  }
}

function resourcePolicyOf(which: ResourceCase): PolicyDocument {
  switch (which) {
    case 'A root + Deny unless SourceVpce X':
      return policy(allow({ AWS: `arn:aws:iam::${A}:root` }), denyUnlessEndpointX);
    case 'A root only':
      return policy(allow({ AWS: `arn:aws:iam::${A}:root` }));
    case "'*' + Deny unless SourceVpce X":
      return policy(allow('*'), denyUnlessEndpointX);
    case 'C root only':
      return policy(allow({ AWS: `arn:aws:iam::${C}:root` }));
  }
}

interface PolicyRow {
  caller: 'B (same account)' | 'A (cross account)';
  endpoint: EndpointCase;
  resource: ResourceCase;
  identity: IdentityCase;
  verdict: Verdict;
}

const SAME: PolicyRow['caller'] = 'B (same account)';
const CROSS: PolicyRow['caller'] = 'A (cross account)';
const ALLOWED: Verdict = 'allowed';
const DENIED: Verdict = 'denied';
const EXPLICIT: Verdict = 'denied with an explicit deny';

const row = (
  caller: PolicyRow['caller'],
  endpoint: EndpointCase,
  resource: ResourceCase,
  identity: IdentityCase,
  verdict: Verdict,
): PolicyRow => ({ caller, endpoint, resource, identity, verdict });

// Same account (AUTHORIZATION_FLOW, Table A): no Deny anywhere, the endpoint policy allows the
// caller, and the identity policy OR the resource policy allows. A resource policy naming
// account A's root names nobody in B: there the identity policy decides.
// Cross account (Table B): the identity policy AND the resource policy must allow; naming the
// caller's account root in the resource policy grants to that account's identities.
// The endpoint policy comes first (ENDPOINT_POLICIES): it must allow, and its Deny denies.
const POLICY_ROWS: PolicyRow[] = [
  row(SAME, 'default (none)', 'A root + Deny unless SourceVpce X', 'allows Invoke', ALLOWED),
  row(SAME, 'default (none)', 'A root + Deny unless SourceVpce X', 'none', DENIED),
  row(SAME, 'default (none)', 'A root only', 'allows Invoke', ALLOWED),
  row(SAME, 'default (none)', 'A root only', 'none', DENIED),
  row(SAME, 'default (none)', "'*' + Deny unless SourceVpce X", 'allows Invoke', ALLOWED),
  row(SAME, 'default (none)', "'*' + Deny unless SourceVpce X", 'none', ALLOWED),
  row(SAME, 'default (none)', 'C root only', 'allows Invoke', ALLOWED),
  row(SAME, 'default (none)', 'C root only', 'none', DENIED),
  row(SAME, 'the caller role', 'A root + Deny unless SourceVpce X', 'allows Invoke', ALLOWED),
  row(SAME, 'the caller role', 'A root + Deny unless SourceVpce X', 'none', DENIED),
  row(SAME, 'the caller role', 'A root only', 'allows Invoke', ALLOWED),
  row(SAME, 'the caller role', 'A root only', 'none', DENIED),
  row(SAME, 'the caller role', "'*' + Deny unless SourceVpce X", 'allows Invoke', ALLOWED),
  row(SAME, 'the caller role', "'*' + Deny unless SourceVpce X", 'none', ALLOWED),
  row(SAME, 'the caller role', 'C root only', 'allows Invoke', ALLOWED),
  row(SAME, 'the caller role', 'C root only', 'none', DENIED),
  row(SAME, 'only another role', 'A root + Deny unless SourceVpce X', 'allows Invoke', DENIED),
  row(SAME, 'only another role', 'A root + Deny unless SourceVpce X', 'none', DENIED),
  row(SAME, 'only another role', 'A root only', 'allows Invoke', DENIED),
  row(SAME, 'only another role', 'A root only', 'none', DENIED),
  row(SAME, 'only another role', "'*' + Deny unless SourceVpce X", 'allows Invoke', DENIED),
  row(SAME, 'only another role', "'*' + Deny unless SourceVpce X", 'none', DENIED),
  row(SAME, 'only another role', 'C root only', 'allows Invoke', DENIED),
  row(SAME, 'only another role', 'C root only', 'none', DENIED),
  row(SAME, "'*' on the API", 'A root + Deny unless SourceVpce X', 'allows Invoke', ALLOWED),
  row(SAME, "'*' on the API", 'A root + Deny unless SourceVpce X', 'none', DENIED),
  row(SAME, "'*' on the API", 'A root only', 'allows Invoke', ALLOWED),
  row(SAME, "'*' on the API", 'A root only', 'none', DENIED),
  row(SAME, "'*' on the API", "'*' + Deny unless SourceVpce X", 'allows Invoke', ALLOWED),
  row(SAME, "'*' on the API", "'*' + Deny unless SourceVpce X", 'none', ALLOWED),
  row(SAME, "'*' on the API", 'C root only', 'allows Invoke', ALLOWED),
  row(SAME, "'*' on the API", 'C root only', 'none', DENIED),
  row(SAME, 'explicit Deny', 'A root + Deny unless SourceVpce X', 'allows Invoke', EXPLICIT),
  row(SAME, 'explicit Deny', 'A root + Deny unless SourceVpce X', 'none', EXPLICIT),
  row(SAME, 'explicit Deny', 'A root only', 'allows Invoke', EXPLICIT),
  row(SAME, 'explicit Deny', 'A root only', 'none', EXPLICIT),
  row(SAME, 'explicit Deny', "'*' + Deny unless SourceVpce X", 'allows Invoke', EXPLICIT),
  row(SAME, 'explicit Deny', "'*' + Deny unless SourceVpce X", 'none', EXPLICIT),
  row(SAME, 'explicit Deny', 'C root only', 'allows Invoke', EXPLICIT),
  row(SAME, 'explicit Deny', 'C root only', 'none', EXPLICIT),
  row(CROSS, 'default (none)', 'A root + Deny unless SourceVpce X', 'allows Invoke', ALLOWED),
  row(CROSS, 'default (none)', 'A root + Deny unless SourceVpce X', 'none', DENIED),
  row(CROSS, 'default (none)', 'A root only', 'allows Invoke', ALLOWED),
  row(CROSS, 'default (none)', 'A root only', 'none', DENIED),
  row(CROSS, 'default (none)', "'*' + Deny unless SourceVpce X", 'allows Invoke', ALLOWED),
  row(CROSS, 'default (none)', "'*' + Deny unless SourceVpce X", 'none', DENIED),
  row(CROSS, 'default (none)', 'C root only', 'allows Invoke', DENIED),
  row(CROSS, 'default (none)', 'C root only', 'none', DENIED),
  row(CROSS, 'the caller role', 'A root + Deny unless SourceVpce X', 'allows Invoke', ALLOWED),
  row(CROSS, 'the caller role', 'A root + Deny unless SourceVpce X', 'none', DENIED),
  row(CROSS, 'the caller role', 'A root only', 'allows Invoke', ALLOWED),
  row(CROSS, 'the caller role', 'A root only', 'none', DENIED),
  row(CROSS, 'the caller role', "'*' + Deny unless SourceVpce X", 'allows Invoke', ALLOWED),
  row(CROSS, 'the caller role', "'*' + Deny unless SourceVpce X", 'none', DENIED),
  row(CROSS, 'the caller role', 'C root only', 'allows Invoke', DENIED),
  row(CROSS, 'the caller role', 'C root only', 'none', DENIED),
  row(CROSS, 'only another role', 'A root + Deny unless SourceVpce X', 'allows Invoke', DENIED),
  row(CROSS, 'only another role', 'A root + Deny unless SourceVpce X', 'none', DENIED),
  row(CROSS, 'only another role', 'A root only', 'allows Invoke', DENIED),
  row(CROSS, 'only another role', 'A root only', 'none', DENIED),
  row(CROSS, 'only another role', "'*' + Deny unless SourceVpce X", 'allows Invoke', DENIED),
  row(CROSS, 'only another role', "'*' + Deny unless SourceVpce X", 'none', DENIED),
  row(CROSS, 'only another role', 'C root only', 'allows Invoke', DENIED),
  row(CROSS, 'only another role', 'C root only', 'none', DENIED),
  row(CROSS, "'*' on the API", 'A root + Deny unless SourceVpce X', 'allows Invoke', ALLOWED),
  row(CROSS, "'*' on the API", 'A root + Deny unless SourceVpce X', 'none', DENIED),
  row(CROSS, "'*' on the API", 'A root only', 'allows Invoke', ALLOWED),
  row(CROSS, "'*' on the API", 'A root only', 'none', DENIED),
  row(CROSS, "'*' on the API", "'*' + Deny unless SourceVpce X", 'allows Invoke', ALLOWED),
  row(CROSS, "'*' on the API", "'*' + Deny unless SourceVpce X", 'none', DENIED),
  row(CROSS, "'*' on the API", 'C root only', 'allows Invoke', DENIED),
  row(CROSS, "'*' on the API", 'C root only', 'none', DENIED),
  row(CROSS, 'explicit Deny', 'A root + Deny unless SourceVpce X', 'allows Invoke', EXPLICIT),
  row(CROSS, 'explicit Deny', 'A root + Deny unless SourceVpce X', 'none', EXPLICIT),
  row(CROSS, 'explicit Deny', 'A root only', 'allows Invoke', EXPLICIT),
  row(CROSS, 'explicit Deny', 'A root only', 'none', EXPLICIT),
  row(CROSS, 'explicit Deny', "'*' + Deny unless SourceVpce X", 'allows Invoke', EXPLICIT),
  row(CROSS, 'explicit Deny', "'*' + Deny unless SourceVpce X", 'none', EXPLICIT),
  row(CROSS, 'explicit Deny', 'C root only', 'allows Invoke', EXPLICIT),
  row(CROSS, 'explicit Deny', 'C root only', 'none', EXPLICIT),
];

describe(`a private API, GET / (AWS_IAM) through endpoint X: endpoint × resource × identity policy (${AUTHORIZATION_FLOW}; ${ENDPOINT_POLICIES}; ${PRIVATELINK_POLICIES}; messages: ${TROUBLESHOOT_403})`, () => {
  it('the table covers every combination once', () => {
    const keys = new Set(POLICY_ROWS.map((r) => [r.caller, r.endpoint, r.resource, r.identity].join('|')));
    expect(keys.size).toBe(POLICY_ROWS.length);
    expect(POLICY_ROWS).toHaveLength(2 * 5 * 4 * 2);
  });

  it.each(POLICY_ROWS)(
    'caller $caller, endpoint policy $endpoint, resource policy $resource, identity policy $identity → $verdict',
    ({ caller, endpoint: endpointCase, resource, identity, verdict }) => {
      // Prepare
      const accountId = caller === SAME ? B : A;
      const who = callerIn(accountId, identity === 'allows Invoke');
      const api = privateApi(resourcePolicyOf(resource));
      const via = endpoint('X', accountId, endpointPolicyOf(endpointCase, accountId));

      // Act
      const got = answer(api, '/', who, via);

      // Assess
      expectVerdict(got, verdict, who.principal.arn, '');
    },
  );
});

// ---------------------------------------------------------------------------------------------
// 2. The condition keys of a request through an endpoint
// ---------------------------------------------------------------------------------------------

interface KeyRow {
  behaviour: string;
  source: string;
  resource: PolicyDocument;
  /** Through endpoint X (VPC X), endpoint Y (VPC Y), or no endpoint (then a REGIONAL copy of the API). */
  via: 'X' | 'Y' | 'none';
  verdict: Verdict;
}

// The caller is a role session of B with no identity policy, on GET / (AWS_IAM), through an
// endpoint with the default policy: the resource policy alone decides (same account, Table A).
const KEY_ROWS: KeyRow[] = [
  {
    behaviour: 'Allow * + Deny StringNotEquals aws:SourceVpce X, through X',
    source: SOURCE_VPC_EXAMPLE,
    resource: policy(allow('*'), denyUnlessEndpointX),
    via: 'X',
    verdict: ALLOWED,
  },
  {
    behaviour: 'Allow * + Deny StringNotEquals aws:SourceVpce X, through Y of another VPC',
    source: SOURCE_VPC_EXAMPLE,
    resource: policy(allow('*'), denyUnlessEndpointX),
    via: 'Y',
    verdict: EXPLICIT,
  },
  {
    behaviour: 'Allow * + Deny StringNotEquals aws:SourceVpc (VPC X), through X',
    source: SOURCE_VPC_EXAMPLE,
    resource: policy(allow('*'), deny({ StringNotEquals: { 'aws:SourceVpc': VPC_X.vpcId } })),
    via: 'X',
    verdict: ALLOWED,
  },
  {
    behaviour: 'Allow * + Deny StringNotEquals aws:SourceVpc (VPC X), through Y of VPC Y',
    source: SOURCE_VPC_EXAMPLE,
    resource: policy(allow('*'), deny({ StringNotEquals: { 'aws:SourceVpc': VPC_X.vpcId } })),
    via: 'Y',
    verdict: EXPLICIT,
  },
  {
    behaviour: 'Allow * if StringEquals aws:SourceVpc (VPC X), through X',
    source: `${CONDITION_KEYS}#condition-keys-sourcevpc`,
    resource: policy(allow('*', { Condition: { StringEquals: { 'aws:SourceVpc': VPC_X.vpcId } } })),
    via: 'X',
    verdict: ALLOWED,
  },
  {
    behaviour: 'Allow * if StringEquals aws:SourceVpc (VPC X), through Y of VPC Y: no allow',
    source: `${CONDITION_KEYS}#condition-keys-sourcevpc`,
    resource: policy(allow('*', { Condition: { StringEquals: { 'aws:SourceVpc': VPC_X.vpcId } } })),
    via: 'Y',
    verdict: DENIED,
  },
  {
    behaviour: 'Allow * if aws:SourceVpce is not Null: present through X',
    source: `${CONDITION_KEYS}#condition-keys-sourcevpce`,
    resource: policy(allow('*', { Condition: { Null: { 'aws:SourceVpce': 'false' } } })),
    via: 'X',
    verdict: ALLOWED,
  },
  {
    behaviour: 'Allow * if aws:SourceVpce is not Null: absent without an endpoint (REGIONAL copy)',
    source: `${CONDITION_KEYS}#condition-keys-sourcevpce`,
    resource: policy(allow('*', { Condition: { Null: { 'aws:SourceVpce': 'false' } } })),
    via: 'none',
    verdict: DENIED,
  },
  {
    behaviour: 'Allow * if IpAddress aws:SourceIp 127.0.0.1/32, through X: the key is absent, the condition false',
    source: `${CONDITION_KEYS}#condition-keys-sourceip; ${CONDITION_OPERATORS}`,
    resource: policy(allow('*', { Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.1/32' } } })),
    via: 'X',
    verdict: DENIED,
  },
  {
    behaviour: 'Allow * if IpAddress aws:SourceIp 127.0.0.1/32, from 127.0.0.1 without an endpoint (REGIONAL copy)',
    source: `${CONDITION_KEYS}#condition-keys-sourceip`,
    resource: policy(allow('*', { Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.1/32' } } })),
    via: 'none',
    verdict: ALLOWED,
  },
  {
    behaviour: 'Allow * if IpAddressIfExists aws:SourceIp 203.0.113.0/24, through X: …IfExists on an absent key holds',
    source: `${CONDITION_OPERATORS}#Conditions_IfExists`,
    resource: policy(allow('*', { Condition: { IpAddressIfExists: { 'aws:SourceIp': '203.0.113.0/24' } } })),
    via: 'X',
    verdict: ALLOWED,
  },
  {
    behaviour:
      'Allow * + Deny NotIpAddress aws:SourceIp 127.0.0.1/32, through X: a negated operator on an absent key holds, the Deny applies',
    source: `${CONDITION_OPERATORS} ("If the policy condition requires that the key is not matched … and the right key is not present, the condition is true")`,
    resource: policy(allow('*'), deny({ NotIpAddress: { 'aws:SourceIp': '127.0.0.1/32' } })),
    via: 'X',
    verdict: EXPLICIT,
  },
  {
    behaviour:
      'Allow * + Deny NotIpAddress aws:SourceIp 127.0.0.1/32, from 127.0.0.1 without an endpoint (REGIONAL copy)',
    source: `${CONDITION_KEYS}#condition-keys-sourceip`,
    resource: policy(allow('*'), deny({ NotIpAddress: { 'aws:SourceIp': '127.0.0.1/32' } })),
    via: 'none',
    verdict: ALLOWED,
  },
  {
    behaviour: 'Allow * if IpAddress aws:VpcSourceIp (VPC X CIDR), through X: present, the caller’s VPC address',
    source: `${CONDITION_KEYS}#condition-keys-vpcsourceip`,
    resource: policy(allow('*', { Condition: { IpAddress: { 'aws:VpcSourceIp': VPC_X.cidr } } })),
    via: 'X',
    verdict: ALLOWED,
  },
  {
    behaviour: 'Allow * if IpAddress aws:VpcSourceIp (VPC X CIDR), through Y from VPC Y’s CIDR: no allow',
    source: `${CONDITION_KEYS}#condition-keys-vpcsourceip`,
    resource: policy(allow('*', { Condition: { IpAddress: { 'aws:VpcSourceIp': VPC_X.cidr } } })),
    via: 'Y',
    verdict: DENIED,
  },
  {
    behaviour:
      'Allow * if IpAddress aws:VpcSourceIp (VPC X CIDR), without an endpoint (REGIONAL copy): the key is absent',
    source: `${CONDITION_KEYS}#condition-keys-vpcsourceip`,
    resource: policy(allow('*', { Condition: { IpAddress: { 'aws:VpcSourceIp': VPC_X.cidr } } })),
    via: 'none',
    verdict: DENIED,
  },
  {
    behaviour: 'Allow * + Deny NotIpAddress aws:VpcSourceIp (VPC X CIDR), through Y from VPC Y’s CIDR',
    source: `${CONDITION_KEYS}#condition-keys-vpcsourceip`,
    resource: policy(allow('*'), deny({ NotIpAddress: { 'aws:VpcSourceIp': VPC_X.cidr } })),
    via: 'Y',
    verdict: EXPLICIT,
  },
];

describe(`condition keys through an execute-api endpoint: aws:SourceVpce, aws:SourceVpc, aws:VpcSourceIp present, aws:SourceIp absent (${CONDITION_KEYS}; ${CONDITION_OPERATORS})`, () => {
  it.each(KEY_ROWS.map((r) => [r.behaviour, r.source, r] as const))('%s → (%s)', (_behaviour, _source, r) => {
    // Prepare
    const who = callerIn(B, false);
    const api = privateApi(r.resource, r.via === 'none' ? 'REGIONAL' : 'PRIVATE');
    const via = r.via === 'none' ? undefined : endpoint(r.via, B, undefined);

    // Act
    const got = answer(api, '/', who, via);

    // Assess
    expectVerdict(got, r.verdict, who.principal.arn, '');
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Anonymous and signed callers of the NONE method through an endpoint policy
// ---------------------------------------------------------------------------------------------

interface CallerRow {
  behaviour: string;
  /** Unsigned (undefined), or a signed role session of B with no identity policy. */
  signed: boolean;
  endpoint: PolicyDocument | undefined;
  resource: PolicyDocument;
  via: 'X' | 'Y';
  verdict: Verdict;
}

const ANYONE_ON_THE_API = endpointPolicyOf("'*' on the API", B);
const ONLY_THE_CALLER_ROLE = endpointPolicyOf('the caller role', B);
const ONLY_ANOTHER_ROLE = endpointPolicyOf('only another role', B);
const ENDPOINT_DENY = endpointPolicyOf('explicit Deny', B);
const ANYONE_THROUGH_X = policy(allow('*'), denyUnlessEndpointX);

// ENDPOINT_POLICIES: no Authorization header → "The invoker is evaluated as an anonymous user";
// a valid SigV4 signature → "the authenticated IAM identity from the signature". An anonymous
// caller is allowed only by a policy naming '*' (AUTHORIZATION_FLOW: the resource policy must
// explicitly allow); the denial names it `User: anonymous` (TROUBLESHOOT_403).
const CALLER_ROWS: CallerRow[] = [
  {
    behaviour: "anonymous; endpoint Principal '*' on the API; resource Allow * + Deny unless SourceVpce X",
    signed: false,
    endpoint: ANYONE_ON_THE_API,
    resource: ANYONE_THROUGH_X,
    via: 'X',
    verdict: ALLOWED,
  },
  {
    behaviour: 'anonymous; default endpoint policy; resource Allow * + Deny unless SourceVpce X',
    signed: false,
    endpoint: undefined,
    resource: ANYONE_THROUGH_X,
    via: 'X',
    verdict: ALLOWED,
  },
  {
    behaviour: "anonymous; endpoint Principal '*' on the API; resource allows only account A root",
    signed: false,
    endpoint: ANYONE_ON_THE_API,
    resource: resourcePolicyOf('A root + Deny unless SourceVpce X'),
    via: 'X',
    verdict: DENIED,
  },
  {
    behaviour: "anonymous; endpoint Principal '*' on the API; resource Allow * + Deny unless SourceVpce X, through Y",
    signed: false,
    endpoint: ANYONE_ON_THE_API,
    resource: ANYONE_THROUGH_X,
    via: 'Y',
    verdict: EXPLICIT,
  },
  {
    behaviour: 'anonymous; endpoint policy names a role; resource Allow * + Deny unless SourceVpce X',
    signed: false,
    endpoint: ONLY_THE_CALLER_ROLE,
    resource: ANYONE_THROUGH_X,
    via: 'X',
    verdict: DENIED,
  },
  {
    behaviour: 'anonymous; endpoint policy with an explicit Deny; resource Allow * + Deny unless SourceVpce X',
    signed: false,
    endpoint: ENDPOINT_DENY,
    resource: ANYONE_THROUGH_X,
    via: 'X',
    verdict: EXPLICIT,
  },
  {
    behaviour: 'signed by that role; endpoint policy names it; resource Allow * + Deny unless SourceVpce X',
    signed: true,
    endpoint: ONLY_THE_CALLER_ROLE,
    resource: ANYONE_THROUGH_X,
    via: 'X',
    verdict: ALLOWED,
  },
  {
    behaviour: 'signed by a role the endpoint policy does not name; resource Allow * + Deny unless SourceVpce X',
    signed: true,
    endpoint: ONLY_ANOTHER_ROLE,
    resource: ANYONE_THROUGH_X,
    via: 'X',
    verdict: DENIED,
  },
];

describe(`the NONE method GET /public through an endpoint policy: anonymous vs signed (${ENDPOINT_POLICIES}; ${AUTHORIZATION_FLOW}; ${TROUBLESHOOT_403})`, () => {
  it.each(CALLER_ROWS.map((r) => [r.behaviour, r.verdict, r] as const))('%s → %s', (_behaviour, _verdict, r) => {
    // Prepare
    const who = r.signed ? callerIn(B, false) : undefined;
    const api = privateApi(r.resource);
    const via = endpoint(r.via, B, r.endpoint);

    // Act
    const got = answer(api, '/public', who, via);

    // Assess
    expectVerdict(got, r.verdict, who?.principal.arn ?? 'anonymous', 'public');
    if (!r.signed && r.verdict !== ALLOWED) expect(got?.message).toMatch(/^User: anonymous is not authorized /);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Private APIs only through an endpoint; an endpoint reaches private APIs only
// ---------------------------------------------------------------------------------------------

interface ReachRow {
  behaviour: string;
  source: string;
  endpointType: RestApiModel['endpointType'];
  via: boolean;
  refused: boolean;
}

const REACH_ROWS: ReachRow[] = [
  {
    behaviour: 'a PRIVATE API without an endpoint',
    source: PRIVATE_APIS,
    endpointType: 'PRIVATE',
    via: false,
    refused: true,
  },
  {
    behaviour: 'a REGIONAL API through an endpoint',
    source: VPC_CONNECTIONS,
    endpointType: 'REGIONAL',
    via: true,
    refused: true,
  },
  {
    behaviour: 'an EDGE API (the default type) through an endpoint',
    source: VPC_CONNECTIONS,
    endpointType: undefined,
    via: true,
    refused: true,
  },
  {
    behaviour: 'a PRIVATE API through an endpoint',
    source: PRIVATE_APIS,
    endpointType: 'PRIVATE',
    via: true,
    refused: false,
  },
  {
    behaviour: 'a REGIONAL API without an endpoint',
    source: VPC_CONNECTIONS,
    endpointType: 'REGIONAL',
    via: false,
    refused: false,
  },
];

// AWS documents the status of these refusals (VPC_CONNECTIONS: "Because VPC endpoints can route
// traffic only to private APIs, the result is an HTTP 403 error"), not their body or error type:
// `ForbiddenException` with `{"message":"Forbidden"}` is what callers commonly observe. Outside a
// VPC a private API's name is not documented to answer at all; the 403 models "unreachable".
describe(`private APIs answer only through an endpoint, and an endpoint reaches private APIs only (${PRIVATE_APIS}; ${VPC_CONNECTIONS})`, () => {
  it.each(REACH_ROWS.map((r) => [r.behaviour, r.refused ? '403 Forbidden' : 'passes', r.source, r] as const))(
    '%s → %s (%s)',
    (_behaviour, _outcome, _source, r) => {
      // Prepare
      // Spread, not the parameter: an `undefined` argument would take the parameter's default.
      const api: RestApiModel = { ...privateApi(policy(allow('*'))), endpointType: r.endpointType };
      const via = r.via ? endpoint('X', A, undefined) : undefined;

      // Act
      let got: AwsError | undefined;
      try {
        privateOnlyThroughEndpoints(api, { via });
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        got = error;
      }

      // Assess
      if (!r.refused) {
        expect(got).toBeUndefined();
        return;
      }
      expect(got && { status: got.status, type: got.type, message: got.message, body: JSON.parse(got.body) }).toEqual({
        status: 403,
        type: 'ForbiddenException',
        message: 'Forbidden',
        body: { message: 'Forbidden' },
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------
// 5. A method with a Lambda authorizer (not run locally): what API Gateway decides before it
// ---------------------------------------------------------------------------------------------

describe(`a CUSTOM (Lambda authorizer) method: the endpoint policy and the resource policy's explicit deny come first, else 401 (${AUTHORIZATION_FLOW}, Table A; ${ENDPOINT_POLICIES})`, () => {
  const custom = (resourcePolicy: PolicyDocument): RestApiModel => ({
    ...privateApi(resourcePolicy),
    methods: [{ ...(METHODS[0] as MethodModel), authorizationType: 'CUSTOM' }],
  });
  const anonymous = (explicit: boolean) => accessDenied('anonymous', '', explicit);

  it.each([
    ['through X, the policy allows all but other endpoints', 'X', undefined, 401],
    ['through Y, the Deny on aws:SourceVpce', 'Y', undefined, 'explicit'],
    ['through X, an endpoint policy naming one role only (a token is anonymous)', 'X', 'role', 'implicit'],
  ] as const)('%s', (_, which, endpointPolicy, expected) => {
    // Prepare
    const api = custom(policy(allow('*'), denyUnlessEndpointX));
    const via = endpoint(which, A, endpointPolicy === 'role' ? endpointPolicyOf('the caller role', A) : undefined);

    // Act
    const got = answer(api, '/', undefined, via);

    // Assess
    if (expected === 401)
      expect(got).toMatchObject({ status: 401, type: 'UnauthorizedException', message: 'Unauthorized' });
    else expect(got).toMatchObject(anonymous(expected === 'explicit'));
  });
});

// ---------------------------------------------------------------------------------------------
// 6. STS and Lambda endpoints: their policies gate AssumeRole and Invoke as an API's does
// ---------------------------------------------------------------------------------------------

describe(`the policy of a Lambda VPC endpoint gates Invoke (${PRIVATELINK_POLICIES})`, () => {
  const fn = {
    stackName: 'Consumer',
    logicalId: 'Target',
    name: 'Target',
    functionName: 'target',
    arn: `arn:aws:lambda:${REGION}:${A}:function:target`,
    accountId: A,
    region: REGION,
    permissions: [],
  } as unknown as FunctionModel;
  const invokeAll: NamedPolicy = {
    name: 'Caller/InvokeAll',
    document: { Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' }] },
  };
  const lambdaEndpoint = (endpointPolicy: PolicyDocument | undefined): ThroughEndpoint => {
    const through = endpoint('X', A, endpointPolicy);
    return {
      ...through,
      endpoint: { ...through.endpoint, service: 'lambda', serviceName: `com.amazonaws.${REGION}.lambda` },
    };
  };
  const invoke = (via: ThroughEndpoint) => {
    const caller = callerIn(A, false);
    caller.policies = [invokeAll];
    try {
      authorizeInvoke(fn, undefined, caller, {
        now: new Date(),
        sourceIp: '10.0.0.100',
        headers: [],
        region: REGION,
        via,
      });
      return 'allowed';
    } catch (error) {
      return (error as AwsError).message;
    }
  };

  it.each([
    ['the default policy', undefined, 'allowed'],
    [
      "a policy naming the caller's role",
      policy({ ...allow({ AWS: roleArn(A) }), Action: 'lambda:InvokeFunction', Resource: '*' }),
      'allowed',
    ],
    [
      'a policy naming another role',
      policy({ ...allow({ AWS: roleArn(A, 'other') }), Action: 'lambda:InvokeFunction', Resource: '*' }),
      / because no VPC endpoint policy allows the lambda:InvokeFunction action$/,
    ],
  ] as const)('%s', (_, endpointPolicy, expected) => {
    const got = invoke(lambdaEndpoint(endpointPolicy));
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
  });
});

describe(`the endpoint policy sees the signer, the method's own step its own principal (${ENDPOINT_POLICIES}; ${AUTHORIZATION_FLOW})`, () => {
  const withType = (type: string, resourcePolicy: PolicyDocument): RestApiModel => ({
    ...privateApi(resourcePolicy),
    methods: [{ ...(METHODS[0] as MethodModel), authorizationType: type }],
  });
  const signer = () => callerIn(A, true);
  const names = (effect: 'Allow' | 'Deny') =>
    policy({ Effect: effect, Principal: { AWS: roleArn(A) }, Action: 'execute-api:Invoke', Resource: '*' });

  it('CUSTOM, signed, the endpoint policy names the signer: on to the authorizer (401 here)', () => {
    const got = answer(withType('CUSTOM', policy(allow('*'))), '/', signer(), endpoint('X', A, names('Allow')));
    expect(got).toMatchObject({ status: 401, type: 'UnauthorizedException' });
  });

  it("CUSTOM, signed, the endpoint policy denies the signer: 403 with the signer's ARN, explicit", () => {
    const got = answer(withType('CUSTOM', policy(allow('*'))), '/', signer(), endpoint('X', A, names('Deny')));
    expect(got).toMatchObject(accessDenied(`arn:aws:sts::${A}:assumed-role/api-caller/caller`, '', true));
  });

  it('COGNITO_USER_POOLS: Cognito authenticates first, so a Deny of the resource policy does not come before it (401)', () => {
    const got = answer(
      withType('COGNITO_USER_POOLS', policy(allow('*'), deny({ Bool: { 'aws:SecureTransport': 'true' } }))),
      '/',
      undefined,
    );
    expect(got).toMatchObject({ status: 401, type: 'UnauthorizedException' });
  });

  it("NONE, signed through an allow-all endpoint policy: the resource policy still sees no IAM principal (A's root does not cover it)", () => {
    const allowAll = policy({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' });
    const api = withType('NONE', policy(allow({ AWS: `arn:aws:iam::${A}:root` })));
    const got = answer(api, '/', signer(), endpoint('X', A, allowAll));
    expect(got).toMatchObject(accessDenied('anonymous', '', false));
  });
});
