import { stableId, UPPER } from './assembly/ids.js';
import type { CloudAssemblyModel } from './assembly/model.js';
import { type Identity, roleSession } from './iam/identities.js';
import { membership, type Organization } from './iam/organization.js';
import type { PolicyStatement } from './iam/policy.js';

/** An account no stack of the assembly trusts. */
export const OUTSIDER_ACCOUNT = '999999999999';

/** What decides who the principals are besides the app: the seed of their credentials, accounts, organization. */
export interface PrincipalOptions {
  /** The project's secret seed (the same principal gets the same credentials on every start). */
  seed: Buffer;
  /** Account of env-agnostic stacks. @default '000000000000' */
  defaultAccountId?: string | undefined;
  /** The AWS Organizations id of every account of the assembly. @default none */
  organizationId?: string | undefined;
  /** The organization in full: OU paths and service control policies. @default none */
  organization?: Organization | undefined;
}

/**
 * Every principal of an app, as the local stack and the `access` matrix know them: a session
 * of each function's role (named as the function), of each role no function uses, the
 * `outsider` (another account, allowed `execute-api:Invoke` on `*` by its own policy) and an
 * operator per account (allowed everything there: `operator`, `operator-<account>`).
 */
export function principalsOf(model: CloudAssemblyModel, options: PrincipalOptions): Identity[] {
  const { seed } = options;
  const principals = model.functions.map((fn) => roleSession(fn.name, fn.role, fn.functionName, seed));
  const taken = new Set(model.functions.map((fn) => fn.name));
  for (const role of model.roles) {
    if (model.functions.some((fn) => fn.role === role)) continue;
    const name = taken.has(role.name) ? `${role.stackName}/${role.logicalId}` : role.name;
    taken.add(name);
    principals.push(roleSession(name, role, name.replaceAll('/', '-').slice(0, 64), seed));
  }
  principals.push(
    extraIdentity('outsider', OUTSIDER_ACCOUNT, { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }, seed),
  );
  const home = model.functions.find((fn) => fn.name === 'requestor')?.accountId;
  const accounts = new Set([
    ...(home ? [home] : []),
    ...model.functions.map((fn) => fn.accountId),
    ...model.apis.map((api) => api.accountId),
    ...model.httpApis.map((api) => api.accountId),
  ]);
  if (accounts.size === 0) accounts.add(options.defaultAccountId ?? '000000000000');
  [...accounts].forEach((account, index) => {
    const name = index === 0 ? 'operator' : `operator-${account}`;
    principals.push(extraIdentity(name, account, { Effect: 'Allow', Action: '*', Resource: '*' }, seed));
  });
  for (const identity of principals) joinOrganization(identity, options);
  return principals;
}

/** The organization its account belongs to (`aws:PrincipalOrgID`, OU paths) and the SCPs over it. */
export function joinOrganization(
  identity: Identity,
  { organizationId, organization }: Pick<PrincipalOptions, 'organizationId' | 'organization'>,
): void {
  const { principal } = identity;
  if (principal.accountId === OUTSIDER_ACCOUNT) return;
  if (organizationId) principal.orgId = organizationId;
  const member = organization && membership(organization, principal.accountId);
  if (!member) return;
  principal.orgId = member.orgId;
  principal.orgPaths = [member.orgPath];
  identity.scps = member.scpLevels;
}

/** A caller that no stack defines (`outsider`, `operator`): a session of a role with one statement. */
function extraIdentity(name: string, accountId: string, statement: PolicyStatement, seed: Buffer): Identity {
  const role = {
    accountId,
    roleName: name,
    arn: `arn:aws:iam::${accountId}:role/${name}`,
    roleId: `AROA${stableId(`extra/${accountId}/${name}`, 17, UPPER)}`,
    policies: [{ name, document: { Version: '2012-10-17', Statement: [statement] } }],
  };
  return { ...roleSession(name, role, name, seed), synthetic: true };
}
