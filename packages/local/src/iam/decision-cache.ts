import type { RequestContext } from './conditions.js';
import { type AccessDecision, type AccessPolicies, consultedDocuments } from './evaluate.js';
import { referencedKeys } from './explain.js';
import type { Identity } from './identities.js';
import type { PolicyDocument } from './policy.js';

/** What a decision is about besides its caller and policies. */
export interface DecisionQuestion {
  action: string;
  resource: string;
  resourceAccountId: string;
  /** The request's condition keys, in any case. */
  context: RequestContext;
  /** What explanations call the resource policy. */
  resourcePolicyName?: string | undefined;
  trustPolicy?: boolean | undefined;
  identityRequired?: boolean | undefined;
}

/** Decisions kept per caller and resource policy; past it the oldest is forgotten first. */
export const MAX_REMEMBERED = 512;

/** The decisions on one caller under one resource policy, and the context keys they can depend on. */
interface Remembered {
  /** Lowercase: the keys the consulted documents name in conditions and policy variables. */
  keys: string[];
  decisions: Map<string, AccessDecision>;
}

/** Stands for "no resource policy" as a key. */
const NO_RESOURCE_POLICY = {};

const byCaller = new WeakMap<Identity, WeakMap<object, Remembered>>();

/**
 * A decision is a function of what it reads alone: the caller (its principal and its policies,
 * boundary, session policies and SCPs), the resource policy, the action, the resource, and the
 * values of the context keys the consulted documents refer to. Those objects are never changed
 * once a caller can sign (a reload or a new session brings new ones), so a decision is
 * remembered by them: the same caller asking the same thing, with the same values of the keys
 * that matter (`aws:CurrentTime` for a policy with a date condition, none for most), gets the
 * decision already made, and every other question is evaluated afresh. Kept in weak maps, it
 * goes with the callers and policies it was made for.
 *
 * @example
 * ```ts
 * const decision = rememberedDecision(caller, policies, question, () => evaluateAccess(request, policies));
 * ```
 */
export function rememberedDecision(
  caller: Identity,
  policies: AccessPolicies,
  question: DecisionQuestion,
  decide: () => AccessDecision,
): AccessDecision {
  let byPolicy = byCaller.get(caller);
  if (!byPolicy) {
    byPolicy = new WeakMap();
    byCaller.set(caller, byPolicy);
  }
  const policy = policyKey(policies);
  let remembered = byPolicy.get(policy);
  if (!remembered) {
    const keys = referencedKeys(consultedDocuments(policies)).map((key) => key.toLowerCase());
    remembered = { keys, decisions: new Map() };
    byPolicy.set(policy, remembered);
  }
  const key = questionKey(question, remembered.keys);
  const known = remembered.decisions.get(key);
  if (known) return known;
  const decision = decide();
  const { decisions } = remembered;
  if (decisions.size >= MAX_REMEMBERED) decisions.delete(decisions.keys().next().value as string);
  decisions.set(key, decision);
  return decision;
}

const pairs = new WeakMap<object, WeakMap<object, object>>();

/** The resource policy, or (through a VPC endpoint) one object per endpoint policy and resource policy. */
function policyKey(policies: AccessPolicies): object {
  const resource: PolicyDocument | object = policies.resourcePolicy ?? NO_RESOURCE_POLICY;
  const endpoint = policies.endpointPolicy?.document;
  if (!endpoint) return resource;
  let byResource = pairs.get(endpoint);
  if (!byResource) {
    byResource = new WeakMap();
    pairs.set(endpoint, byResource);
  }
  let pair = byResource.get(resource);
  if (!pair) {
    pair = {};
    byResource.set(resource, pair);
  }
  return pair;
}

/** The question as one string: its fields, then the values of the keys that matter. */
function questionKey(question: DecisionQuestion, keys: string[]): string {
  const head = `${question.action}\n${question.resource}\n${question.resourceAccountId}\n${question.resourcePolicyName}\n${question.trustPolicy ? 1 : 0}${question.identityRequired ? 1 : 0}`;
  if (keys.length === 0) return head;
  const lower: RequestContext = {};
  for (const [name, value] of Object.entries(question.context)) lower[name.toLowerCase()] = value;
  // A key given as undefined is not an absent one: it hides a value of the caller's (`aws:userid`).
  const given = (name: string) => (name in lower ? (lower[name] ?? { given: 'undefined' }) : null);
  return `${head}\n${JSON.stringify(keys.map(given))}`;
}

const derived = new WeakMap<object, Map<string, PolicyDocument>>();

/**
 * A resource policy derived from a model object (a function's permissions as a document, an API's
 * policy with its short forms expanded), made once per object and kind, so the decisions on it
 * are remembered: a new document on every request would never be asked about twice.
 *
 * @example
 * ```ts
 * const policy = derivedPolicy(fn, 'permissions', () => ({ Statement: fn.permissions }));
 * ```
 */
export function derivedPolicy(owner: object, kind: string, derive: () => PolicyDocument): PolicyDocument {
  let byKind = derived.get(owner);
  if (!byKind) {
    byKind = new Map();
    derived.set(owner, byKind);
  }
  let policy = byKind.get(kind);
  if (!policy) {
    policy = derive();
    byKind.set(kind, policy);
  }
  return policy;
}
