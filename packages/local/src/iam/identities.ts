import { createHmac, randomBytes } from 'node:crypto';
import { AwsError } from '../aws-error.js';
import type { Principal } from './match.js';
import type { NamedPolicy, PolicyDocument } from './policy.js';

/** Temporary credentials minted locally: valid only against this local stack. */
export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When they stop working. @default never (what functions get for the life of the stack) */
  expiration?: Date;
}

/** A caller the local stack knows: who it is, its credentials, its identity policies. */
export interface Identity {
  /** Short name in the state file (`requestor`, `outsider`, `operator`). */
  name: string;
  principal: Principal;
  /** `requestContext.identity.caller`: `<role id>:<session>`. */
  userId: string;
  credentials: LocalCredentials;
  policies: NamedPolicy[];
  /** Its permissions boundary: what its policies may grant at most. @default none */
  boundary?: NamedPolicy | undefined;
  /** The service control policies over its account, per level. @default none */
  scps?: (PolicyDocument | NamedPolicy)[][] | undefined;
  /** Issued by the local STS while running (not a principal of the state file). @default false */
  issued?: boolean | undefined;
  /** A caller no stack defines (`outsider`, the operators): the state file's, never a policy report's. @default false */
  synthetic?: boolean | undefined;
  /**
   * Its session policies (AssumeRole `Policy`, `PolicyArns`): they cap what its identity-based
   * policies, and resource-based policies naming its role or account, grant. @default none
   */
  sessionPolicies?: NamedPolicy[] | undefined;
  /** Its transitive session tags: they pass on to every session it assumes (role chaining). @default none */
  transitiveTags?: Record<string, string> | undefined;
  /** `aws:SourceIdentity`: set once, kept through role chaining, never changed. @default none */
  sourceIdentity?: string | undefined;
  /** A Lambda authorizer's answer: anonymous to resource policies, its policy the only identity-based one. @default false */
  authorizerAnswer?: boolean | undefined;
}

/** The caller of an unsigned request: no account, no policies. */
export const ANONYMOUS: Identity = {
  name: 'anonymous',
  principal: { arn: 'anonymous', accountId: '', entityArn: 'anonymous' },
  userId: '',
  credentials: { accessKeyId: '', secretAccessKey: '', sessionToken: '' },
  policies: [],
};

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const random = (length: number, alphabet: string) =>
  Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');

/** Fresh temporary credentials in AWS's shapes (ASIA key id, 40-character secret, long token). */
export function mintCredentials(): LocalCredentials {
  return {
    accessKeyId: `ASIA${random(16, KEY_ALPHABET)}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(96).toString('base64'),
  };
}

/** What a session needs to know of its role. */
export interface SessionRole {
  accountId: string;
  roleName: string;
  arn: string;
  roleId: string;
  policies: NamedPolicy[];
  /** The role's permissions boundary, when it has one. */
  boundary?: NamedPolicy | undefined;
  /** The role's tags: its sessions' `aws:PrincipalTag/<key>`. */
  tags?: Record<string, string> | undefined;
}

/**
 * Credentials derived from a secret seed and who they are for: the same seed gives the same
 * principal the same credentials on every start; without the seed nobody can compute them.
 */
export function deriveCredentials(seed: Buffer, who: string): LocalCredentials {
  const derive = (purpose: string, length: number) => {
    let out = Buffer.alloc(0);
    for (let round = 0; out.length < length; round++)
      out = Buffer.concat([out, createHmac('sha256', seed).update(`${round}/${purpose}/${who}`).digest()]);
    return out.subarray(0, length);
  };
  return {
    accessKeyId: `ASIA${Array.from(derive('key', 16), (byte) => KEY_ALPHABET[byte % KEY_ALPHABET.length]).join('')}`,
    secretAccessKey: derive('secret', 30).toString('base64'),
    sessionToken: derive('token', 96).toString('base64'),
  };
}

/**
 * A session of `role`, as `sts:AssumeRole` (or the Lambda service) would hand out:
 * `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
 */
export function roleSession(name: string, role: SessionRole, sessionName: string, seed?: Buffer): Identity {
  const arn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`;
  return {
    name,
    principal: {
      arn,
      accountId: role.accountId,
      entityArn: role.arn,
      userId: `${role.roleId}:${sessionName}`,
      tags: role.tags,
    },
    userId: `${role.roleId}:${sessionName}`,
    credentials: seed ? deriveCredentials(seed, arn) : mintCredentials(),
    policies: role.policies,
    boundary: role.boundary,
  };
}

/** The callers by access key id; rotated credentials stay valid until their own expiration. */
export class IdentityStore {
  readonly #byKey = new Map<string, { identity: Identity; credentials: LocalCredentials }>();

  public constructor(private readonly now: () => Date = () => new Date()) {}

  public add(identity: Identity): Identity {
    this.#byKey.set(identity.credentials.accessKeyId, { identity, credentials: identity.credentials });
    return identity;
  }

  /**
   * Issues new credentials to an identity, valid for `lifetimeMs` (what STS or the Lambda
   * service does); the previous ones keep working until their own expiration.
   */
  public rotate(name: string, lifetimeMs: number): LocalCredentials {
    const identity = this.all().find((candidate) => candidate.name === name);
    if (!identity) throw new Error(`No identity named ${name}`);
    identity.credentials = { ...mintCredentials(), expiration: new Date(this.now().getTime() + lifetimeMs) };
    this.#byKey.set(identity.credentials.accessKeyId, { identity, credentials: identity.credentials });
    return identity.credentials;
  }

  /** What the SigV4 verifier needs to know of a key; expired credentials are refused as AWS does. */
  public lookup = (accessKeyId: string) => {
    const record = this.#byKey.get(accessKeyId);
    if (!record) return undefined;
    const { expiration } = record.credentials;
    if (expiration && expiration.getTime() <= this.now().getTime()) {
      throw new AwsError(403, 'ExpiredTokenException', 'The security token included in the request is expired');
    }
    return {
      secretAccessKey: record.credentials.secretAccessKey,
      sessionToken: record.credentials.sessionToken,
      identity: record.identity,
    };
  };

  /** Whose an access key id is, expired or not (to name a caller in an explanation, never to admit one). */
  public owner(accessKeyId: string): Identity | undefined {
    return this.#byKey.get(accessKeyId)?.identity;
  }

  /** The identities of the state file: every one but the sessions the local STS issued. */
  public listed(): Identity[] {
    return this.all().filter((identity) => !identity.issued);
  }

  /** Every identity, once each. */
  public all(): Identity[] {
    return [...new Set([...this.#byKey.values()].map((record) => record.identity))];
  }
}
