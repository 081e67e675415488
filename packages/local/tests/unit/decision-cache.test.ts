// Remembered decisions (decision-cache.ts): a decision is a function of the caller and policy
// objects, the question, and the values of the context keys the policies name; remembering it
// must never answer a question it was not made for. Checked through `authorize()`, the one way
// every service asks, and through `rememberedDecision` with a counting `decide` where what is
// observable is whether the evaluator ran.
import { describe, expect, it } from 'vitest';
import { type Authorization, authorize } from '../../src/iam/authorize.js';
import type { RequestContext } from '../../src/iam/conditions.js';
import {
  type DecisionQuestion,
  derivedPolicy,
  MAX_REMEMBERED,
  rememberedDecision,
} from '../../src/iam/decision-cache.js';
import type { DecisionRecord } from '../../src/iam/decisions.js';
import { type AccessDecision, type AccessPolicies, evaluateAccess } from '../../src/iam/evaluate.js';
import type { Identity } from '../../src/iam/identities.js';
import type { NamedPolicy, PolicyDocument, PolicyStatement } from '../../src/iam/policy.js';

const ACCOUNT = '111111111111';
const METHOD_ARN = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123defg/prod/GET/items`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/requestor-role`;
/** IAM's policy evaluation logic, which a remembered decision must agree with. */
const EVALUATION_LOGIC = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html';

const statement = (extra: Partial<PolicyStatement> = {}): PolicyStatement =>
  ({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: METHOD_ARN, ...extra }) as PolicyStatement;
const named = (...statements: PolicyStatement[]): NamedPolicy => ({
  name: 'CallerStack/RequestorPolicy',
  document: { Statement: statements },
});

/**
 * A caller as the local stack holds one: a new object for every load of the state (a reload, a
 * new session), never changed once it can sign.
 */
const callerWith = (policies: NamedPolicy[]): Identity => ({
  name: 'requestor',
  principal: {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/requestor-role/requestor`,
    accountId: ACCOUNT,
    entityArn: ROLE_ARN,
    userId: 'AROAEXAMPLE:requestor',
  },
  userId: 'AROAEXAMPLE:requestor',
  credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
  policies,
});

/** Asks `authorize()` as the REST API handler does, recording into `records`. */
function ask(
  caller: Identity,
  records: DecisionRecord[],
  extra: Partial<Omit<Authorization, 'caller'>> = {},
): AccessDecision {
  return authorize(
    {
      caller,
      action: 'execute-api:Invoke',
      resource: METHOD_ARN,
      resourceAccountId: ACCOUNT,
      context: {},
      kind: 'rest',
      endpoint: 'GET /prod/items',
      ...extra,
    },
    (record) => records.push(record),
  );
}

/** The global keys a server derives from a request (context-keys.ts), lowercase as it writes them. */
const requestKeys = (sourceIp: string, userAgent = 'aws-sdk-js/3', now = '2026-01-01T00:00:00Z'): RequestContext => ({
  'aws:currenttime': now,
  'aws:sourceip': sourceIp,
  'aws:securetransport': 'true',
  'aws:useragent': userAgent,
});

describe(`a remembered decision is the decision IAM makes (${EVALUATION_LOGIC})`, () => {
  it('the same caller asking the same question twice gets the same decision, and a record for each call', () => {
    const caller = callerWith([named(statement())]);
    const records: DecisionRecord[] = [];
    const first = ask(caller, records);
    const second = ask(caller, records);
    expect(first.allowed).toBe(true);
    expect(second).toBe(first);
    // Remembering saves the evaluation, never the record: `serve --decisions` lists every request.
    expect(records).toHaveLength(2);
    for (const record of records)
      expect(record).toMatchObject({
        allowed: true,
        principal: 'requestor',
        action: 'execute-api:Invoke',
        resource: METHOD_ARN,
        endpoint: 'GET /prod/items',
        reason: 'allowed by CallerStack/RequestorPolicy statement #0',
      });
  });

  it('a different question of the same caller is evaluated afresh: another action, resource, or endpoint flag', () => {
    const caller = callerWith([named(statement())]);
    const records: DecisionRecord[] = [];
    const allowed = ask(caller, records);
    expect(ask(caller, records, { action: 'execute-api:ManageConnections' }).allowed).toBe(false);
    expect(ask(caller, records, { resource: `${METHOD_ARN}/other` }).allowed).toBe(false);
    // A trust policy must allow the caller itself: the identity policy's allow no longer suffices.
    expect(ask(caller, records, { resourcePolicy: { Statement: [] }, trustPolicy: true }).allowed).toBe(false);
    expect(ask(caller, records)).toBe(allowed);
  });

  it('a reloaded caller (a new Identity with a changed policy) is never answered from its old decision', () => {
    const records: DecisionRecord[] = [];
    const before = callerWith([named(statement())]);
    expect(ask(before, records).allowed).toBe(true);
    // The same principal and credentials; its policy now denies, as a redeploy and reload would bring.
    const after = { ...before, policies: [named(statement(), statement({ Effect: 'Deny' }))] };
    const denied = ask(after, records);
    expect(denied).toMatchObject({ allowed: false, explicitDeny: true });
    // And back: a third load that allows again is allowed, whatever the second decided.
    expect(ask({ ...after, policies: [named(statement())] }, records).allowed).toBe(true);
    expect(records.map((record) => record.allowed)).toEqual([true, false, true]);
  });

  it('a changed resource policy (a new document object) is evaluated afresh: Allow, then Deny, then Allow', () => {
    // One account, no identity policy: the resource policy alone decides (AWS: identity OR resource).
    const caller = callerWith([]);
    const records: DecisionRecord[] = [];
    const allowing: PolicyDocument = { Statement: [statement({ Principal: { AWS: ROLE_ARN } })] };
    const denying: PolicyDocument = { Statement: [statement({ Effect: 'Deny', Principal: { AWS: ROLE_ARN } })] };
    const resourcePolicyName = 'ApiStack/Api policy';
    expect(ask(caller, records, { resourcePolicy: allowing, resourcePolicyName }).allowed).toBe(true);
    expect(ask(caller, records, { resourcePolicy: denying, resourcePolicyName })).toMatchObject({
      allowed: false,
      explicitDeny: true,
    });
    expect(ask(caller, records, { resourcePolicy: allowing, resourcePolicyName }).allowed).toBe(true);
    // Without a resource policy at all, nothing allows the caller.
    expect(ask(caller, records).allowed).toBe(false);
    expect(records[1]?.reason).toBe('explicit deny in a resource-based policy (ApiStack/Api policy statement #0)');
  });

  it('an explicit deny stays denied on repeat, with a record each time', () => {
    const caller = callerWith([named(statement(), statement({ Sid: 'NoItems', Effect: 'Deny' }))]);
    const records: DecisionRecord[] = [];
    const first = ask(caller, records);
    expect(first).toMatchObject({ allowed: false, explicitDeny: true });
    for (let i = 0; i < 3; i++) expect(ask(caller, records)).toBe(first);
    expect(records).toHaveLength(4);
    for (const record of records) {
      expect(record.allowed).toBe(false);
      expect(record.reason).toBe(
        'explicit deny in an identity-based policy (CallerStack/RequestorPolicy statement "NoItems")',
      );
    }
  });

  it('an implicit deny (no policy allows) stays denied on repeat, with a record each time', () => {
    const caller = callerWith([]);
    const records: DecisionRecord[] = [];
    const first = ask(caller, records);
    expect(first).toMatchObject({ allowed: false, explicitDeny: false, notAllowedBy: 'identity' });
    for (let i = 0; i < 3; i++) expect(ask(caller, records)).toBe(first);
    expect(records.map((record) => record.allowed)).toEqual([false, false, false, false]);
  });
});

describe('a decision is remembered per value of the context keys its policies name', () => {
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
  const ipPolicy = () => named(statement({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }));
  const INSIDE = '10.1.2.3';
  const OUTSIDE = '192.0.2.7';

  for (const order of [
    [INSIDE, OUTSIDE, INSIDE, OUTSIDE, OUTSIDE, INSIDE],
    [OUTSIDE, INSIDE, OUTSIDE, INSIDE, INSIDE, OUTSIDE],
  ]) {
    it(`aws:SourceIp IpAddress: the same caller from two addresses, in the order ${order.join(', ')}`, () => {
      const caller = callerWith([ipPolicy()]);
      const records: DecisionRecord[] = [];
      const decisions = order.map((ip) => ask(caller, records, { context: requestKeys(ip) }));
      expect(decisions.map((decision) => decision.allowed)).toEqual(order.map((ip) => ip === INSIDE));
      // Each record names the address of its own request, remembered or not.
      expect(records.map((record) => record.context)).toEqual(order.map((ip) => ({ 'aws:SourceIp': ip })));
      // Per address, one evaluation.
      const byIp = new Map<string, AccessDecision>();
      order.forEach((ip, index) => {
        const decision = decisions[index] as AccessDecision;
        byIp.set(ip, byIp.get(ip) ?? decision);
        expect(decision).toBe(byIp.get(ip));
      });
    });
  }

  it('the key is matched in any case, as IAM matches condition key names', () => {
    const caller = callerWith([ipPolicy()]);
    const records: DecisionRecord[] = [];
    expect(ask(caller, records, { context: { 'AWS:SOURCEIP': OUTSIDE } }).allowed).toBe(false);
    expect(ask(caller, records, { context: { 'aws:SourceIp': INSIDE } }).allowed).toBe(true);
    expect(ask(caller, records, { context: { 'aws:sourceip': OUTSIDE } }).allowed).toBe(false);
  });

  it('aws:CurrentTime DateLessThan: a decision made before the date is not given after it', () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
    const caller = callerWith([
      named(statement({ Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } } })),
    ]);
    const records: DecisionRecord[] = [];
    const at = (now: string) => ask(caller, records, { context: requestKeys(INSIDE, 'aws-sdk-js/3', now) }).allowed;
    expect(at('2029-12-31T23:59:59Z')).toBe(true);
    expect(at('2030-01-01T00:00:01Z')).toBe(false);
    expect(at('2029-12-31T23:59:59Z')).toBe(true);
    expect(at('2030-01-01T00:00:01Z')).toBe(false);
  });

  it('keys no policy names do not split it: the same decision across user agents, times and addresses', () => {
    const caller = callerWith([named(statement())]);
    const records: DecisionRecord[] = [];
    const first = ask(caller, records, { context: requestKeys(INSIDE, 'aws-sdk-js/3', '2026-01-01T00:00:00Z') });
    expect(ask(caller, records, { context: requestKeys(OUTSIDE, 'curl/8', '2026-01-01T00:00:07Z') })).toBe(first);
    expect(ask(caller, records, { context: {} })).toBe(first);
  });

  it('under a policy naming aws:SourceIp only, the user agent does not split it and the address does', () => {
    const caller = callerWith([ipPolicy()]);
    const records: DecisionRecord[] = [];
    const first = ask(caller, records, { context: requestKeys(INSIDE, 'aws-sdk-js/3') });
    expect(ask(caller, records, { context: requestKeys(INSIDE, 'curl/8', '2026-06-01T12:00:00Z') })).toBe(first);
    expect(ask(caller, records, { context: requestKeys(OUTSIDE, 'aws-sdk-js/3') })).not.toBe(first);
  });
});

describe('how many decisions are remembered', () => {
  const policiesOf = (caller: Identity, resourcePolicy?: PolicyDocument): AccessPolicies => ({
    identityPolicies: caller.policies,
    resourcePolicy,
  });
  const question = (resource: string): DecisionQuestion => ({
    action: 'execute-api:Invoke',
    resource,
    resourceAccountId: ACCOUNT,
    context: {},
  });
  /** `rememberedDecision` with a `decide` that counts its evaluations. */
  function counter(caller: Identity, resourcePolicy?: PolicyDocument) {
    const counted = { evaluations: 0 };
    const policies = policiesOf(caller, resourcePolicy);
    const decideOn = (resource: string) =>
      rememberedDecision(caller, policies, question(resource), () => {
        counted.evaluations++;
        return evaluateAccess(
          { principal: caller.principal, action: 'execute-api:Invoke', resource, resourceAccountId: ACCOUNT },
          policies,
        );
      });
    return Object.assign(counted, { decideOn });
  }
  const resourceNumber = (n: number) => `${METHOD_ARN}/${n}`;

  it(`at most MAX_REMEMBERED (${MAX_REMEMBERED}) per caller and resource policy: the oldest is evaluated afresh`, () => {
    const caller = callerWith([named(statement({ Resource: `${METHOD_ARN}/*` }))]);
    const cache = counter(caller);
    const first = cache.decideOn(resourceNumber(0));
    expect(first.allowed).toBe(true);
    expect(cache.decideOn(resourceNumber(0))).toBe(first);
    expect(cache.evaluations).toBe(1);
    for (let n = 1; n <= MAX_REMEMBERED; n++) cache.decideOn(resourceNumber(n));
    expect(cache.evaluations).toBe(MAX_REMEMBERED + 1);
    // The newest and the second oldest are still remembered…
    cache.decideOn(resourceNumber(MAX_REMEMBERED));
    cache.decideOn(resourceNumber(1));
    expect(cache.evaluations).toBe(MAX_REMEMBERED + 1);
    // …the first one asked is not: evaluated again, to an equal but new decision.
    const again = cache.decideOn(resourceNumber(0));
    expect(cache.evaluations).toBe(MAX_REMEMBERED + 2);
    expect(again).not.toBe(first);
    expect(again.allowed).toBe(true);
  });

  it('the limit is per caller and per resource policy: others asking many questions push nothing out', () => {
    const caller = callerWith([named(statement({ Resource: `${METHOD_ARN}/*` }))]);
    const cache = counter(caller);
    cache.decideOn(resourceNumber(0));
    // Another caller (another object, the same policies), and the same caller under a resource policy.
    const other = counter(callerWith(caller.policies));
    const underPolicy = counter(caller, { Statement: [statement({ Principal: { AWS: ROLE_ARN } })] });
    for (let n = 0; n <= MAX_REMEMBERED; n++) {
      other.decideOn(resourceNumber(n));
      underPolicy.decideOn(resourceNumber(n));
    }
    expect(other.evaluations).toBe(MAX_REMEMBERED + 1);
    expect(underPolicy.evaluations).toBe(MAX_REMEMBERED + 1);
    cache.decideOn(resourceNumber(0));
    expect(cache.evaluations).toBe(1);
  });
});

describe('derivedPolicy: one document per model object and kind', () => {
  it('returns the same object per owner and kind, derived once', () => {
    const fn = { permissions: [statement({ Principal: { AWS: ROLE_ARN } })] };
    let derivations = 0;
    const derive = () => {
      derivations++;
      return { Statement: fn.permissions };
    };
    const first = derivedPolicy(fn, 'permissions', derive);
    expect(derivedPolicy(fn, 'permissions', derive)).toBe(first);
    expect(first).toEqual({ Statement: fn.permissions });
    expect(derivations).toBe(1);
  });

  it('a different one per kind and per owner', () => {
    const owner = {};
    const permissions = derivedPolicy(owner, 'permissions', () => ({ Statement: [] }));
    const trust = derivedPolicy(owner, 'trust', () => ({ Statement: [] }));
    const another = derivedPolicy({}, 'permissions', () => ({ Statement: [] }));
    expect(trust).not.toBe(permissions);
    expect(another).not.toBe(permissions);
    expect(derivedPolicy(owner, 'trust', () => ({ Statement: [] }))).toBe(trust);
  });

  it('decisions on a derived policy are remembered across requests; on a document made per request they are not', () => {
    const caller = callerWith([]);
    const records: DecisionRecord[] = [];
    const fn = { permissions: [statement({ Principal: { AWS: ROLE_ARN } })] };
    const derived = () => derivedPolicy(fn, 'permissions', () => ({ Statement: fn.permissions }));
    const first = ask(caller, records, { resourcePolicy: derived() });
    expect(first.allowed).toBe(true);
    expect(ask(caller, records, { resourcePolicy: derived() })).toBe(first);
    // The same statements in a new document each time: an equal decision, made again.
    const fresh = ask(caller, records, { resourcePolicy: { Statement: fn.permissions } });
    expect(fresh).not.toBe(first);
    expect(fresh.allowed).toBe(true);
  });
});
