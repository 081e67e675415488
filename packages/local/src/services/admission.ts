import { type BodyLimit, headerOf, type LocalRequest } from '../http.js';
import type { DecisionRecord, DecisionSink } from '../iam/decisions.js';
import type { Identity } from '../iam/identities.js';
import type { PendingSignature } from '../sigv4/verify.js';

/** How a service admits a request to one of its endpoints. */
export interface Admission {
  /**
   * Checks the signature's head and returns what is left to check (throws the service's own
   * refusal); absent for an endpoint that takes unsigned requests (REST `NONE`, URL `NONE`).
   */
  verify?: (() => PendingSignature<Identity>) | undefined;
  /**
   * Decides the authorization for the caller (undefined: anonymous), recording to `decisions`;
   * throws (or rejects with) the refusal. Asynchronous when it asks a Lambda authorizer.
   */
  authorize: (caller: Identity | undefined, decisions: DecisionSink) => void | Promise<void>;
  /** The largest body the endpoint takes, and its answer past it. @default the server's (10 MB) */
  bodyLimit?: BodyLimit | undefined;
}

/** An admitted request: who sent it (proven), and its body. */
export interface Admitted {
  caller: Identity | undefined;
  body: Buffer;
}

/**
 * Admits a request in the order AWS answers (the signature, then the authorization), holding its
 * body only once both said yes:
 * 1. the signature's head: an unsigned, malformed, mis-scoped, stale or unknown-key request is
 *    refused before a byte of its body is read;
 * 2. the authorization, decided for the claimed caller but neither recorded nor told yet;
 * 3. the signature over the payload: a refused request's body is hashed as it streams and never
 *    held; an admitted one is read (within the server's budget) and hashed; a declared length past
 *    the endpoint's limit is refused before the authorization, a streamed one where it passes it,
 *    whoever the caller;
 * 4. then the decision is recorded and enforced, so a record never describes a request that the
 *    signature check answered first.
 *
 * @example
 * ```ts
 * const { caller, body } = await admit(request, { verify: () => verifyHead(request, options), authorize: (caller, sink) => authorizeRest(…, caller, sink) }, context.decisions);
 * ```
 */
export async function admit(request: LocalRequest, admission: Admission, decisions?: DecisionSink): Promise<Admitted> {
  const pending = admission.verify?.();
  // The endpoint's limit on a declared length, before anything about the caller is decided: the
  // same answer whoever claims to call (a refusal after the authorization would tell who may).
  const limit = admission.bodyLimit;
  const declared = Number(headerOf(request.headers, 'content-length') ?? 0);
  if (limit && declared > limit.bytes) throw limit.tooLarge(declared);
  const held: DecisionRecord[] = [];
  let refusal: unknown;
  try {
    await admission.authorize(pending?.identity, (record) => held.push(record));
  } catch (error) {
    refusal = error;
  }
  let body: Buffer = Buffer.alloc(0);
  if (refusal === undefined) body = await request.readBody(limit);
  // Of the bytes read, or (refused) as they stream, never held; past the limit, refused alike.
  if (pending) pending.complete(await request.hashBody(limit));
  for (const record of held) decisions?.(record);
  if (refusal !== undefined) throw refusal;
  return { caller: pending?.identity, body };
}
