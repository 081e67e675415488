// HTTP API routes authorized as AWS authorizes them: the ARN of the path the request reaches,
// decoded and normalized exactly as REST builds its method ARN — so a Deny on `…/GET/admin`
// cannot be walked around with `/%61dmin`, `//admin` or `/admin/`.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
import aws4 from 'aws4';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DecisionRecord } from '../../src/iam/decisions.js';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { editedAssembly, principal, startStack } from '../helpers/stack.js';

const DOC = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html';
/** The API account's role that may invoke the HTTP API (tests/fixtures/apps/targets). */
const CALLER = 'ApiCaller';

let stack: LocalStack;
let state: LocalState;
const records: DecisionRecord[] = [];

beforeAll(async () => {
  // Prepare: the API's caller role is also denied GET /admin on any stage, by its own policy.
  const assembly = editedAssembly(inject('fixtures').targets, 'Targets', (template) => {
    const policy = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes('ApiCaller'),
    );
    const document = policy?.Properties.PolicyDocument as { Statement: unknown[] } | undefined;
    if (!document) throw new Error('the targets app no longer has the ApiCaller policy this test edits');
    document.Statement.push({
      Sid: 'NoAdmin',
      Effect: 'Deny',
      Action: 'execute-api:Invoke',
      Resource: 'arn:aws:execute-api:*:*:*/*/GET/admin',
    });
  });
  ({ stack, state } = await startStack(assembly, { warn: () => {}, decisions: (record) => records.push(record) }));
});
afterAll(() => stack?.close());

/**
 * A call signed by aws4 and sent by fetch with the path exactly as written (the middleware would
 * normalize `%61` to `a` before signing; botocore and curl send it as is).
 */
const call = async (method: string, path: string) => {
  const url = new URL(`${state.httpApis[0]?.url ?? ''}${path}`);
  const { accessKeyId, secretAccessKey, sessionToken } = principal(state, CALLER);
  const signed = aws4.sign(
    { host: url.host, path: `${url.pathname}${url.search}`, method, service: 'execute-api', region: state.region },
    { accessKeyId, secretAccessKey, sessionToken },
  );
  records.length = 0;
  const response = await fetch(url, { method, headers: signed.headers as Record<string, string> });
  return { status: response.status, body: await response.text(), records: [...records] };
};

describe(`HTTP API, AWS_IAM routes: the route ARN is the path the request reaches (${DOC})`, () => {
  const denied = [
    ['GET', 'admin', 'the denied path itself'],
    ['GET', '%61dmin', 'percent-encoded: routed to /admin, so authorized as /admin'],
    ['GET', '%61%64%6D%69%6E', 'every letter encoded'],
    ['GET', '/admin', 'an empty segment before it'],
    ['GET', 'admin/', 'a trailing slash (the same route)'],
  ] as const;
  it.each(denied)('%s /%s is refused 403 Forbidden: %s', async (method, path) => {
    // Act
    const answer = await call(method, path);

    // Assess
    expect(answer).toMatchObject({ status: 403, body: '{"message":"Forbidden"}' });
    expect(answer.records).toHaveLength(1);
    expect(answer.records[0]).toMatchObject({
      allowed: false,
      resource: expect.stringMatching(/\/\$default\/GET\/admin$/),
      reason: expect.stringContaining('"NoAdmin"'),
    });
  });

  const allowed = [
    ['GET', 'ADMIN', 'paths are case-sensitive: another path'],
    ['GET', 'admin/x', 'a deeper path: its own ARN'],
    ['POST', 'admin', 'another method'],
    ['GET', 'other', 'another path'],
  ] as const;
  it.each(allowed)('%s /%s is allowed: %s', async (method, path) => {
    const answer = await call(method, path);
    expect(answer.status).toBe(200);
    expect(answer.records).toEqual([expect.objectContaining({ allowed: true })]);
  });

  it('the ARN decides on decoded text: /a%2Fb stays one segment, authorized as a/b as REST does', async () => {
    const answer = await call('GET', 'a%2Fb');
    expect(answer.status).toBe(200);
    expect(answer.records[0]?.resource).toMatch(/\/\$default\/GET\/a\/b$/);
  });
});
