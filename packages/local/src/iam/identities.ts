import { randomBytes } from 'node:crypto';
import type { RoleModel } from '../assembly/model.js';
import type { Principal } from './match.js';
import type { PolicyDocument } from './policy.js';

/** Temporary credentials minted locally: valid only against this local stack. */
export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** A caller the local stack knows: who it is, its credentials, its identity policies. */
export interface Identity {
  /** Short name in the state file (`requestor`, `outsider`, `operator`). */
  name: string;
  principal: Principal;
  /** `requestContext.identity.caller`: `<role id>:<session>`. */
  userId: string;
  credentials: LocalCredentials;
  policies: PolicyDocument[];
}

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

/**
 * A session of `role`, as `sts:AssumeRole` (or the Lambda service) would hand out:
 * `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
 */
export function roleSession(name: string, role: RoleModel, sessionName: string): Identity {
  return {
    name,
    principal: {
      arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`,
      accountId: role.accountId,
      entityArn: role.arn,
    },
    userId: `${role.roleId}:${sessionName}`,
    credentials: mintCredentials(),
    policies: role.policies.map((policy) => policy.document),
  };
}

/** The callers by access key id. */
export class IdentityStore {
  readonly #byKey = new Map<string, Identity>();

  public add(identity: Identity): Identity {
    this.#byKey.set(identity.credentials.accessKeyId, identity);
    return identity;
  }

  /** What the SigV4 verifier needs to know of a key. */
  public lookup = (accessKeyId: string) => {
    const identity = this.#byKey.get(accessKeyId);
    return identity
      ? {
          secretAccessKey: identity.credentials.secretAccessKey,
          sessionToken: identity.credentials.sessionToken,
          identity,
        }
      : undefined;
  };

  public all(): Identity[] {
    return [...this.#byKey.values()];
  }
}
