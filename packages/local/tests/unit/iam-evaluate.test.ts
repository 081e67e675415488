// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables (${aws:…}), not JS templates
import { describe, expect, it } from 'vitest';
import { authorize, denialSuffix } from '../../src/iam/authorize.js';
import { conditionsHold } from '../../src/iam/conditions.js';
import type { DecisionRecord } from '../../src/iam/decisions.js';
import { evaluateAccess } from '../../src/iam/evaluate.js';
import { ANONYMOUS } from '../../src/iam/identities.js';
import { arnMatch, type Principal, principalMatches, wildcardMatch } from '../../src/iam/match.js';
import { type PolicyDocument, policyProblems, policyWarnings, statementsOf } from '../../src/iam/policy.js';

const API_ACCOUNT = '222222222222';
const METHOD_ARN = `arn:aws:execute-api:us-east-1:${API_ACCOUNT}:abc123defg/prod/GET/`;
const caller = (accountId: string): Principal => ({
  arn: `arn:aws:sts::${accountId}:assumed-role/requestor-role/requestor`,
  accountId,
  entityArn: `arn:aws:iam::${accountId}:role/requestor-role`,
});

type Cell = 'Allow' | 'silent' | 'Deny';
const identityPolicy = (cell: Cell): PolicyDocument[] =>
  cell === 'silent' ? [] : [{ Statement: { Effect: cell, Action: 'execute-api:Invoke', Resource: METHOD_ARN } }];
const resourcePolicy = (cell: Cell, principal: string): PolicyDocument | undefined =>
  cell === 'silent'
    ? undefined
    : {
        Statement: [
          { Effect: cell, Principal: { AWS: principal }, Action: 'execute-api:Invoke', Resource: METHOD_ARN },
        ],
      };
const rootOf = (accountId: string) => `arn:aws:iam::${accountId}:root`;

const cells: Cell[] = ['Allow', 'silent', 'Deny'];
// AWS's tables (API Gateway authorization flow): [identity][resource] → outcome.
const SAME: Record<Cell, Record<Cell, string>> = {
  Allow: { Allow: 'allow', silent: 'allow', Deny: 'explicit deny' },
  silent: { Allow: 'allow', silent: 'implicit deny', Deny: 'explicit deny' },
  Deny: { Allow: 'explicit deny', silent: 'explicit deny', Deny: 'explicit deny' },
};
const CROSS: Record<Cell, Record<Cell, string>> = {
  Allow: { Allow: 'allow', silent: 'implicit deny', Deny: 'explicit deny' },
  silent: { Allow: 'implicit deny', silent: 'implicit deny', Deny: 'explicit deny' },
  Deny: { Allow: 'explicit deny', silent: 'explicit deny', Deny: 'explicit deny' },
};
const outcome = ({ allowed, explicitDeny }: { allowed: boolean; explicitDeny: boolean }) =>
  allowed ? 'allow' : explicitDeny ? 'explicit deny' : 'implicit deny';

describe('evaluateAccess: the API Gateway authorization tables', () => {
  // Same account: the resource policy names the caller's role; across accounts, its account.
  for (const [label, accountId, table, named] of [
    ['same account', API_ACCOUNT, SAME, caller(API_ACCOUNT).entityArn],
    ['cross-account', '111111111111', CROSS, rootOf('111111111111')],
  ] as const) {
    for (const identity of cells) {
      for (const resource of cells) {
        it(`${label}: identity ${identity} × resource ${resource} → ${table[identity][resource]}`, () => {
          // Act
          const decision = evaluateAccess(
            {
              principal: caller(accountId),
              action: 'execute-api:Invoke',
              resource: METHOD_ARN,
              resourceAccountId: API_ACCOUNT,
            },
            { identityPolicies: identityPolicy(identity), resourcePolicy: resourcePolicy(resource, named) },
          );

          // Assess
          expect(outcome(decision)).toBe(table[identity][resource]);
        });
      }
    }
  }
});

describe('a resource policy naming an account delegates to its identity policies', () => {
  const request = {
    principal: caller(API_ACCOUNT),
    action: 'execute-api:Invoke',
    resource: METHOD_ARN,
    resourceAccountId: API_ACCOUNT,
  };

  it('same account, identity silent: the account principal grants nothing by itself', () => {
    expect(
      outcome(
        evaluateAccess(request, { identityPolicies: [], resourcePolicy: resourcePolicy('Allow', rootOf(API_ACCOUNT)) }),
      ),
    ).toBe('implicit deny');
    expect(
      outcome(evaluateAccess(request, { identityPolicies: [], resourcePolicy: resourcePolicy('Allow', API_ACCOUNT) })),
    ).toBe('implicit deny');
  });

  it('same account, identity allows: allowed', () => {
    expect(
      outcome(
        evaluateAccess(request, {
          identityPolicies: identityPolicy('Allow'),
          resourcePolicy: resourcePolicy('Allow', rootOf(API_ACCOUNT)),
        }),
      ),
    ).toBe('allow');
  });

  it('Principal "*" grants directly', () => {
    expect(
      outcome(evaluateAccess(request, { identityPolicies: [], resourcePolicy: resourcePolicy('Allow', '*') })),
    ).toBe('allow');
  });
});

describe('matching', () => {
  it.each([
    ['execute-api:*', 'execute-api:Invoke', true, true],
    ['*', 'execute-api:Invoke', true, true],
    ['execute-api:inv?ke', 'execute-api:Invoke', true, true],
    ['execute-api:Invoke', 'execute-api:ManageConnections', true, false],
    ['lambda:*', 'execute-api:Invoke', true, false],
  ])('action %s vs %s (ignore case %s) → %s', (pattern, value, ignoreCase, expected) => {
    expect(wildcardMatch(pattern, value, ignoreCase)).toBe(expected);
  });

  it.each([
    [METHOD_ARN, true],
    [`arn:aws:execute-api:us-east-1:${API_ACCOUNT}:abc123defg/*`, true],
    [`arn:aws:execute-api:us-east-1:${API_ACCOUNT}:abc123defg/prod/*/`, true],
    [`arn:aws:execute-api:us-east-1:${API_ACCOUNT}:abc123defg/prod/POST/`, false],
    [`arn:aws:execute-api:*:${API_ACCOUNT}:abc123defg/prod/GET/`, true],
    ['arn:aws:execute-api:*', true],
    ['arn:aws:execute-api:us-*', true],
    [`arn:aws:execute-api:us-east-1:*:abc123defg/prod/GET/`, true],
    [`arn:aws:execute-api:us-east-1:111111111111:abc123defg/*`, false],
    // a * inside a segment does not cross a colon
    [`arn:aws:execute-api:us-*:abc123defg/prod/GET/`, false],
    [`arn:aws:execute-api:us-east-1:${API_ACCOUNT}:abc123defg/prod/GET/?`, false],
    ['*', true],
  ])('resource %s → %s', (pattern, expected) => {
    expect(arnMatch(pattern, METHOD_ARN)).toBe(expected);
  });

  it.each([
    ['*', true],
    ['111111111111', true],
    ['arn:aws:iam::111111111111:root', true],
    ['arn:aws:iam::111111111111:role/requestor-role', true],
    ['arn:aws:sts::111111111111:assumed-role/requestor-role/requestor', true],
    ['arn:aws:iam::111111111111:role/other-role', false],
    ['arn:aws:iam::333333333333:root', false],
    ['333333333333', false],
  ])('principal %s → %s', (value, expected) => {
    expect(principalMatches(value, caller('111111111111'))).toBe(expected);
  });
});

describe('conditions', () => {
  const context = {
    'aws:principalaccount': '111111111111',
    'aws:principalarn': 'arn:aws:iam::111111111111:role/requestor-role',
    'aws:sourceip': '127.0.0.1',
    'aws:securetransport': 'false',
  };

  it.each([
    [{ StringEquals: { 'aws:PrincipalAccount': '111111111111' } }, true],
    [{ StringEquals: { 'aws:PrincipalAccount': ['333333333333', '111111111111'] } }, true],
    [{ StringEquals: { 'aws:PrincipalAccount': '333333333333' } }, false],
    [{ StringNotEquals: { 'aws:PrincipalAccount': '333333333333' } }, true],
    [{ StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/requestor-*' } }, true],
    [{ StringNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/requestor-*' } }, false],
    [{ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/*' } }, true],
    [{ ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/other' } }, false],
    [{ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/other*' } }, true],
    [{ IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } }, true],
    [{ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, false],
    [{ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, true],
    [{ Bool: { 'aws:SecureTransport': 'false' } }, true],
    [{ Bool: { 'aws:SecureTransport': 'true' } }, false],
    // absent keys: positive operators fail, IfExists and negated ones hold
    [{ StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } }, false],
    [{ StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-abc' } }, true],
    [{ StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc' } }, true],
    [{ Null: { 'aws:PrincipalOrgID': 'true' } }, true],
    [{ Null: { 'aws:PrincipalAccount': 'true' } }, false],
    // every operator and key must hold
    [{ StringEquals: { 'aws:PrincipalAccount': '111111111111' }, Bool: { 'aws:SecureTransport': 'true' } }, false],
  ])('%j → %s', (condition, expected) => {
    expect(conditionsHold(condition, context)).toBe(expected);
  });

  it('an organization condition in a resource policy lets the organization in, across accounts', () => {
    // Prepare
    const resourcePolicy: PolicyDocument = {
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'execute-api:Invoke',
        Resource: METHOD_ARN,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
      },
    };
    const request = { action: 'execute-api:Invoke', resource: METHOD_ARN, resourceAccountId: API_ACCOUNT };

    // Act
    const member = evaluateAccess(
      { ...request, principal: { ...caller('111111111111'), orgId: 'o-abc123' } },
      { identityPolicies: identityPolicy('Allow'), resourcePolicy },
    );
    const stranger = evaluateAccess(
      { ...request, principal: caller('111111111111') },
      { identityPolicies: identityPolicy('Allow'), resourcePolicy },
    );

    // Assess
    expect(member.allowed).toBe(true);
    expect(stranger.allowed).toBe(false);
  });

  it('a Deny on insecure transport overrides every Allow', () => {
    // Act
    const decision = evaluateAccess(
      {
        principal: caller(API_ACCOUNT),
        action: 'execute-api:Invoke',
        resource: METHOD_ARN,
        resourceAccountId: API_ACCOUNT,
        context: { 'aws:SecureTransport': 'false' },
      },
      {
        identityPolicies: [
          ...identityPolicy('Allow'),
          {
            Statement: {
              Effect: 'Deny',
              Action: '*',
              Resource: '*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          },
        ],
      },
    );

    // Assess
    expect(decision).toMatchObject({ allowed: false, explicitDeny: true });
  });

  it('NotAction, NotResource and NotPrincipal', () => {
    // Prepare
    const request = {
      principal: caller('111111111111'),
      action: 'execute-api:Invoke',
      resource: METHOD_ARN,
      resourceAccountId: API_ACCOUNT,
    };

    // Act & Assess
    expect(
      evaluateAccess(request, {
        identityPolicies: [{ Statement: { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' } }],
        resourcePolicy: resourcePolicy('Allow', rootOf('111111111111')),
      }).allowed,
    ).toBe(true);
    expect(
      evaluateAccess(request, {
        identityPolicies: [{ Statement: { Effect: 'Allow', Action: '*', NotResource: METHOD_ARN } }],
        resourcePolicy: resourcePolicy('Allow', rootOf('111111111111')),
      }).allowed,
    ).toBe(false);
  });

  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html: AWS checks
  // the account, then the role, then the session; each must be listed, a role ARN does not cover its sessions.
  it.each([
    [['arn:aws:iam::111111111111:root'], true],
    [['arn:aws:iam::111111111111:root', 'arn:aws:iam::111111111111:role/requestor-role'], true],
    [['arn:aws:sts::111111111111:assumed-role/requestor-role/requestor'], true],
    [
      [
        'arn:aws:iam::111111111111:root',
        'arn:aws:iam::111111111111:role/requestor-role',
        'arn:aws:sts::111111111111:assumed-role/requestor-role/requestor',
      ],
      false,
    ],
  ])('Deny with NotPrincipal %j: denied %s', (listed, denied) => {
    const decision = evaluateAccess(
      {
        principal: caller('111111111111'),
        action: 'execute-api:Invoke',
        resource: METHOD_ARN,
        resourceAccountId: API_ACCOUNT,
      },
      {
        identityPolicies: identityPolicy('Allow'),
        resourcePolicy: {
          Statement: [
            { Effect: 'Allow', Principal: { AWS: rootOf('111111111111') }, Action: '*', Resource: '*' },
            { Effect: 'Deny', NotPrincipal: { AWS: listed }, Action: '*', Resource: '*' },
          ],
        },
      },
    );
    expect(decision.explicitDeny).toBe(denied);
    expect(decision.allowed).toBe(!denied);
  });

  it('policyProblems names what the evaluator cannot honour', () => {
    expect(
      policyProblems({
        name: 'RequestorPolicy',
        document: {
          Statement: [
            { Sid: 'X', Effect: 'Allow', Action: 'a:b', Resource: '*', Condition: { ForAnyValue: {} } },
            { Effect: 'Maybe' as never },
          ],
        },
      }),
    ).toEqual([
      'RequestorPolicy statement X: condition operator ForAnyValue is not supported',
      'RequestorPolicy statement 1: Effect must be Allow or Deny',
      'RequestorPolicy statement 1: no Action or NotAction',
    ]);
  });
});

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
describe('policy variables', () => {
  const request = {
    principal: { ...caller('111111111111'), userId: 'AROAEXAMPLE:requestor' },
    action: 'execute-api:Invoke',
    resource: METHOD_ARN,
    resourceAccountId: API_ACCOUNT,
  };
  const allowOn = (resource: string, condition?: Record<string, Record<string, unknown>>) => [
    {
      Statement: {
        Effect: 'Allow' as const,
        Action: '*',
        Resource: resource,
        ...(condition ? { Condition: condition } : {}),
      },
    },
  ];

  it.each([
    ['${aws:ResourceAccount} in Resource', allowOn('arn:aws:execute-api:us-east-1:${aws:ResourceAccount}:*'), true],
    [
      '${aws:PrincipalAccount} in Resource (another account)',
      allowOn('arn:aws:execute-api:us-east-1:${aws:PrincipalAccount}:*'),
      false,
    ],
    ['${aws:username} has no value for a role: no match', allowOn('arn:aws:execute-api:*:*:${aws:username}/*'), false],
    [
      "a default: ${aws:username, 'abc123defg'}",
      allowOn("arn:aws:execute-api:*:*:${aws:username, 'abc123defg'}/*"),
      true,
    ],
    // ${$} is a literal $: the pattern names an API id with a $ in it, not ours.
    ['an escape: ${$} is a literal "$"', allowOn('arn:aws:execute-api:*:*:abc${$}/*'), false],
    // ${*} is a literal *, not a wildcard: it names an API whose id is "*", not ours.
    ['an escape: ${*} is a literal "*", not a wildcard', allowOn('arn:aws:execute-api:*:*:${*}/*'), false],
    // No value makes the statement not apply, in NotResource as in Resource (else it would allow everything else).
    [
      '${aws:PrincipalTag/team} absent in NotResource',
      [{ Statement: { Effect: 'Allow' as const, Action: '*', NotResource: 'arn:aws:s3:::${aws:PrincipalTag/team}' } }],
      false,
    ],
    ['${aws:userid} in a condition value', allowOn('*', { StringEquals: { 'aws:userid': '${aws:userid}' } }), true],
  ])('%s → allowed %s', (_name, identityPolicies, allowed) => {
    const decision = evaluateAccess(request, {
      identityPolicies,
      resourcePolicy: resourcePolicy('Allow', rootOf('111111111111')),
    });
    expect(decision.allowed).toBe(allowed);
  });
});

// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
describe('permissions boundaries', () => {
  const request = {
    principal: caller('222222222222'),
    action: 'execute-api:Invoke',
    resource: METHOD_ARN,
    resourceAccountId: API_ACCOUNT,
  };
  const boundary = (action: string, effect: 'Allow' | 'Deny' = 'Allow') => ({
    Statement: { Effect: effect, Action: action, Resource: '*' },
  });

  it.each([
    ['a boundary that allows the action keeps the identity allow', boundary('execute-api:*'), true, false],
    ['a boundary silent on the action caps the identity allow', boundary('logs:*'), false, false],
    ['a boundary that denies is an explicit deny', boundary('execute-api:Invoke', 'Deny'), false, true],
  ])('%s', (_name, permissionsBoundary, allowed, explicitDeny) => {
    const decision = evaluateAccess(request, { identityPolicies: identityPolicy('Allow'), permissionsBoundary });
    expect({ allowed: decision.allowed, explicitDeny: decision.explicitDeny }).toEqual({ allowed, explicitDeny });
  });
});

// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session and the
// table "Resource-based policies and implicit denies" of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
describe('session policies (AssumeRole Policy, PolicyArns)', () => {
  const session = caller(API_ACCOUNT);
  const request = {
    principal: session,
    action: 'execute-api:Invoke',
    resource: METHOD_ARN,
    resourceAccountId: API_ACCOUNT,
  };
  const only = (action: string, effect: 'Allow' | 'Deny' = 'Allow'): PolicyDocument => ({
    Statement: { Effect: effect, Action: action, Resource: '*' },
  });
  const naming = (principal: string): PolicyDocument => resourcePolicy('Allow', principal) as PolicyDocument;

  it.each([
    [
      'identity allows, the session policy allows: allowed',
      identityPolicy('Allow'),
      [only('execute-api:*')],
      undefined,
      'allow',
    ],
    [
      'identity allows, the session policy is silent: capped',
      identityPolicy('Allow'),
      [only('s3:*')],
      undefined,
      'implicit deny',
    ],
    [
      'identity allows, a session policy denies: explicit deny',
      identityPolicy('Allow'),
      [only('*', 'Deny')],
      undefined,
      'explicit deny',
    ],
    ['a session policy grants nothing by itself', [], [only('execute-api:*')], undefined, 'implicit deny'],
    ['a resource policy naming the role ARN is capped', [], [only('s3:*')], naming(session.entityArn), 'implicit deny'],
    ['a resource policy naming the session ARN is not capped', [], [only('s3:*')], naming(session.arn), 'allow'],
    [
      'a resource policy naming the account leaves it to the capped identity',
      identityPolicy('Allow'),
      [only('s3:*')],
      naming(rootOf(API_ACCOUNT)),
      'implicit deny',
    ],
    [
      'a Deny in a session policy beats a resource policy naming the session',
      [],
      [only('*', 'Deny')],
      naming(session.arn),
      'explicit deny',
    ],
  ])('same account: %s', (_name, identityPolicies, sessionPolicies, resource, expected) => {
    // Act
    const decision = evaluateAccess(request, { identityPolicies, sessionPolicies, resourcePolicy: resource });

    // Assess
    expect(outcome(decision)).toBe(expected);
  });

  it('across accounts the identity side is capped, so both allows are not enough', () => {
    // Prepare
    const partner = caller('111111111111');

    // Act
    const decision = evaluateAccess(
      { ...request, principal: partner },
      {
        identityPolicies: identityPolicy('Allow'),
        sessionPolicies: [only('s3:*')],
        resourcePolicy: naming(rootOf('111111111111')),
      },
    );

    // Assess
    expect(outcome(decision)).toBe('implicit deny');
    expect(decision.notAllowedBy).toBe('session');
  });

  // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
  it("the denial names the session policy in IAM's words, and the reason names the policy", () => {
    // Act
    const capped = evaluateAccess(request, {
      identityPolicies: identityPolicy('Allow'),
      sessionPolicies: [{ name: 'session policy (AssumeRole Policy)', document: only('s3:*') }],
    });
    const denied = evaluateAccess(request, {
      identityPolicies: identityPolicy('Allow'),
      sessionPolicies: [only('*', 'Deny')],
    });

    // Assess
    expect(denialSuffix(capped, 'execute-api:Invoke')).toBe(
      ' because no session policy allows the execute-api:Invoke action',
    );
    expect(capped.reason).toBe('the session policies do not allow it');
    expect(capped.policies).toContainEqual({
      kind: 'session',
      source: 'session policy (AssumeRole Policy)',
      verdict: 'silent',
    });
    expect(denialSuffix(denied, 'execute-api:Invoke')).toBe(' with an explicit deny in a session policy');
    expect(denied.policies.map((policy) => policy.kind)).toEqual(['identity', 'session']);
  });

  it('a role trust policy must allow the caller: an identity policy alone never does', () => {
    // Act
    const decision = evaluateAccess(
      { ...request, action: 'sts:AssumeRole', resource: session.entityArn },
      { identityPolicies: [only('sts:AssumeRole')], resourcePolicy: { Statement: [] }, trustPolicy: true },
    );

    // Assess
    expect(outcome(decision)).toBe('implicit deny');
    expect(decision.reason).toMatch(/^the role's trust policy does not allow the caller/);
  });
});

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
// "NotPrincipal ... with Effect Allow is not supported".
describe('NotPrincipal with Allow', () => {
  const statement = {
    Sid: 'EveryoneButOthers',
    Effect: 'Allow' as const,
    NotPrincipal: { AWS: rootOf('999999999999') },
    Action: 'execute-api:Invoke',
    Resource: METHOD_ARN,
  };

  it('grants nothing, in the same account as across accounts', () => {
    for (const accountId of [API_ACCOUNT, '111111111111']) {
      const decision = evaluateAccess(
        {
          principal: caller(accountId),
          action: 'execute-api:Invoke',
          resource: METHOD_ARN,
          resourceAccountId: API_ACCOUNT,
        },
        {
          identityPolicies: accountId === API_ACCOUNT ? [] : identityPolicy('Allow'),
          resourcePolicy: { Statement: [statement] },
        },
      );
      expect(decision.allowed).toBe(false);
      expect(decision.policies.at(-1)?.miss).toBe('NotPrincipal with Allow grants nothing (AWS does not support it)');
    }
  });

  it('policyWarnings names the policy and the statement, by Sid or index', () => {
    expect(
      policyWarnings({
        name: 'ApiStack/Api policy',
        document: { Statement: [statement, { ...statement, Sid: undefined }, { ...statement, Effect: 'Deny' }] },
      }),
    ).toEqual([
      'ApiStack/Api policy statement "EveryoneButOthers": NotPrincipal with Allow is not supported by AWS (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html); it grants nothing here',
      'ApiStack/Api policy statement #1: NotPrincipal with Allow is not supported by AWS (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html); it grants nothing here',
    ]);
  });
});

// An unsigned request is anonymous: only a resource-based policy naming everyone can allow it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous).
describe('callers of no account: anonymous and AWS service principals', () => {
  const everyone = (effect: 'Allow' | 'Deny' = 'Allow'): PolicyDocument => ({
    Statement: [{ Effect: effect, Principal: '*', Action: 'execute-api:Invoke', Resource: METHOD_ARN }],
  });
  const anonymously = (resource: PolicyDocument | undefined) =>
    evaluateAccess(
      {
        principal: ANONYMOUS.principal,
        action: 'execute-api:Invoke',
        resource: METHOD_ARN,
        resourceAccountId: API_ACCOUNT,
      },
      { identityPolicies: [], resourcePolicy: resource },
    );

  const both: PolicyDocument = { Statement: [...statementsOf(everyone()), ...statementsOf(everyone('Deny'))] };
  it.each([
    ['a Principal "*" allow', 'allow', everyone()],
    ['a Principal "*" allow beside a Deny for everyone', 'explicit deny', both],
    ['a statement naming an account', 'implicit deny', resourcePolicy('Allow', rootOf(API_ACCOUNT))],
    ['no resource policy', 'implicit deny', undefined],
  ])('anonymous with %s → %s', (_name, expected, resource) => {
    expect(outcome(anonymously(resource))).toBe(expected);
  });

  // Anonymous requests carry no aws:PrincipalAccount or aws:PrincipalArn, and aws:PrincipalType is
  // Anonymous (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltype):
  // a Deny guarding against them must deny, as on AWS.
  const guarded = (condition: Record<string, Record<string, string>>): PolicyDocument => ({
    Statement: [
      ...statementsOf(everyone()),
      { Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', Resource: METHOD_ARN, Condition: condition },
    ],
  });
  it.each([
    ['Null aws:PrincipalAccount true', { Null: { 'aws:PrincipalAccount': 'true' } }],
    ['Null aws:PrincipalArn true', { Null: { 'aws:PrincipalArn': 'true' } }],
    ['StringEquals aws:PrincipalType Anonymous', { StringEquals: { 'aws:PrincipalType': 'Anonymous' } }],
  ])('a Deny on %s refuses an anonymous caller', (_name, condition) => {
    expect(outcome(anonymously(guarded(condition)))).toBe('explicit deny');
  });

  it('explains an anonymous denial without talking of accounts', () => {
    expect(anonymously(resourcePolicy('Allow', rootOf(API_ACCOUNT))).reason).toMatch(
      /^only a resource-based policy can allow a caller of no account, and it does not/,
    );
  });

  it('an AWS service principal is allowed by a statement naming its service', () => {
    const decision = evaluateAccess(
      {
        principal: {
          arn: 'apigateway.amazonaws.com',
          accountId: '',
          entityArn: 'apigateway.amazonaws.com',
          service: true,
        },
        action: 'lambda:InvokeFunction',
        resource: 'arn:aws:lambda:us-east-1:222222222222:function:f',
        resourceAccountId: API_ACCOUNT,
      },
      {
        identityPolicies: [],
        resourcePolicy: {
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'apigateway.amazonaws.com' },
              Action: 'lambda:InvokeFunction',
              Resource: '*',
            },
          ],
        },
      },
    );
    expect(decision.allowed).toBe(true);
  });

  it('the decision record of an allowed anonymous call says allowed, as the answer does', () => {
    // Prepare
    const records: DecisionRecord[] = [];

    // Act
    const decision = authorize(
      {
        caller: ANONYMOUS,
        action: 'execute-api:Invoke',
        resource: METHOD_ARN,
        resourceAccountId: API_ACCOUNT,
        resourcePolicy: everyone(),
        context: {},
        kind: 'rest',
        endpoint: 'GET /prod/',
      },
      (record) => records.push(record),
    );

    // Assess
    expect(decision.allowed).toBe(true);
    expect(records).toMatchObject([{ allowed: true, principal: 'anonymous', caller: 'anonymous' }]);
  });
});
