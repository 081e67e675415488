// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables (${aws:…}), not JS templates
/**
 * IAM decisions as AWS makes them, over real HTTP to the local stack serving a CDK app written the
 * way security teams write cross-account access (tests/fixtures/apps/abac/): a customer managed
 * policy naming the API by the caller's own tag (`${aws:PrincipalTag/team}`), principal tags,
 * permissions boundaries, an `ArnEquals` guard rail, `aws:userid` patterns, and, with an
 * organization file, a service control policy. Each row cites the AWS page it comes from.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readOrganization } from '../../src/iam/organization.js';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { clientFor } from '../helpers/stack.js';

const DOCS = 'https://docs.aws.amazon.com/IAM/latest/UserGuide';

interface Row {
  behaviour: string;
  source: string;
  who: string;
  path: string;
  status: number;
  explicitDeny?: boolean;
}

const rows: Row[] = [
  {
    behaviour: 'a customer managed policy grants; the tag matches the resource policy',
    source: `${DOCS}/access_policies_managed-vs-inline.html`,
    who: 'Payments',
    path: 'team/payments',
    status: 200,
  },
  {
    behaviour: 'tag-conditioned resource policy across accounts: a different tag value',
    source: `${DOCS}/reference_policies_condition-keys.html#condition-keys-principaltag`,
    who: 'Marketing',
    path: 'team/marketing',
    status: 403,
  },
  {
    behaviour: 'tag-conditioned resource policy across accounts: the tag absent (and its policy variable has no value)',
    source: `${DOCS}/reference_policies_variables.html`,
    who: 'Untagged',
    path: 'team/payments',
    status: 403,
  },
  {
    behaviour: '${aws:PrincipalTag/team} in the identity policy resolves to the caller’s own tag',
    source: `${DOCS}/reference_policies_variables.html`,
    who: 'Payments',
    path: 'team/marketing',
    status: 403,
  },
  {
    behaviour: 'a permissions boundary caps an identity allow (AWS managed boundary, logs only)',
    source: `${DOCS}/access_policies_boundaries.html`,
    who: 'Bounded',
    path: 'team/payments',
    status: 403,
  },
  {
    behaviour: 'ArnEquals takes wildcards: the guard rail Deny on role/blocked-* applies',
    source: `${DOCS}/reference_policies_elements_condition_operators.html#Conditions_ARN`,
    who: 'Blocked',
    path: 'team/payments',
    status: 403,
    explicitDeny: true,
  },
  {
    behaviour: 'aws:userid deny pattern (*:Payments) matches the role id and session name',
    source: `${DOCS}/reference_policies_condition-keys.html#condition-keys-userid`,
    who: 'Payments',
    path: 'not-payments',
    status: 403,
    explicitDeny: true,
  },
  {
    behaviour: 'a boundary does not cap a same-account resource policy naming the session ARN',
    source: `${DOCS}/access_policies_boundaries.html`,
    who: 'Local',
    path: 'session',
    status: 200,
  },
  {
    behaviour: 'a boundary caps a same-account resource policy naming the role ARN',
    source: `${DOCS}/access_policies_boundaries.html`,
    who: 'Local',
    path: 'role',
    status: 403,
  },
];

describe('IAM truth table over HTTP (abac fixture app)', () => {
  let stack: LocalStack;
  let state: LocalState;

  beforeAll(async () => {
    stack = await LocalStack.start({ assemblyDir: inject('fixtures').abac, functionOutput: 'ignore', warn: () => {} });
    state = stack.state();
  });
  afterAll(() => stack?.close());

  it.each(rows.map((row) => [row.behaviour, row.source, row] as const))('%s (%s)', async (_b, _s, row) => {
    // Act
    const response = await clientFor(state, row.who).get(`${state.apis[0]?.url}${row.path}`);
    const body = (await response.json()) as { Message?: string };

    // Assess
    expect(response.status).toBe(row.status);
    if (row.status === 403) expect(body.Message?.endsWith(' with an explicit deny')).toBe(row.explicitDeny === true);
  });

  it(`every global condition key is present on the Invoke API (${DOCS}/reference_policies_condition-keys.html)`, async () => {
    // The customer managed policy allows lambda:InvokeFunction only with aws:SecureTransport,
    // aws:SourceIp and aws:CurrentTime conditions: the call succeeds only if the Invoke API sets them.
    const worker = state.functions.find((fn) => fn.name === 'Worker');
    const response = await clientFor(state, 'Payments', 'lambda').post(
      `${state.lambdaEndpoint}/2015-03-31/functions/${worker?.functionName}/invocations`,
      { json: {} },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ worked: true });
  });
});

describe('service control policies from an organization file (serve --organization)', () => {
  it(`an SCP at the root denies a member account what its policies allow; the management account is exempt (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html)`, async () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'iam-m2m-org-')), 'organization.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'o-truthtable01',
        managementAccount: '222222222222',
        accounts: { '111111111111': 'r-ab12/ou-ab12-callers', '222222222222': 'r-ab12' },
        policies: [
          {
            name: 'NoApiCalls',
            // At the root: the member account is under it, the management account is exempt.
            targets: ['r-ab12'],
            document: { Statement: [{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: '*' }] },
          },
          {
            name: 'FullAWSAccess',
            targets: ['r-ab12'],
            document: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
          },
        ],
      }),
    );
    const stack = await LocalStack.start({
      assemblyDir: inject('fixtures').abac,
      functionOutput: 'ignore',
      warn: () => {},
      organization: readOrganization(file),
    });
    try {
      const state = stack.state();

      // Act
      const member = await clientFor(state, 'Payments').get(`${state.apis[0]?.url}team/payments`);
      const management = await clientFor(state, 'Local').get(`${state.apis[0]?.url}session`);

      // Assess
      expect(member.status).toBe(403);
      expect(((await member.json()) as { Message: string }).Message).toMatch(/ with an explicit deny$/);
      expect(management.status).toBe(200);
    } finally {
      await stack.close();
    }
  });

  it('a malformed organization file is refused, one line per problem', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'iam-m2m-org-')), 'organization.json');
    writeFileSync(file, JSON.stringify({ id: 'nope', accounts: { '12': 'x' } }));
    expect(() => readOrganization(file)).toThrow(
      [
        `organization file ${file}: "id" must be an organization id (o-, then 10 to 32 lowercase letters or digits)`,
        `organization file ${file}: accounts.12 must map 12 digits to a path such as r-ab12/ou-ab12-11111111`,
      ].join('\n'),
    );
  });
});
