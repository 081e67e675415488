import { readFileSync } from 'node:fs';
import { type NamedPolicy, type PolicyDocument, policyProblems } from './policy.js';

/**
 * An AWS Organization, as `serve --organization <file>` describes it:
 * `{ "id": "o-…", "managementAccount": "…", "accounts": { "<account>": "r-…/ou-…/ou-…" },
 *   "policies": [{ "name": "…", "targets": ["r-…" | "ou-…" | "<account>"], "document": {…} }] }`.
 */
export interface Organization {
  id: string;
  managementAccount?: string;
  /** Account → its path from the root, e.g. `r-ab12/ou-ab12-11111111`. */
  accounts: Record<string, string>;
  /** Service control policies and where they are attached. */
  policies: { name: string; targets: string[]; document: PolicyDocument }[];
}

/** What the organization means for one principal: its condition keys and the SCPs it is under. */
export interface Membership {
  orgId: string;
  /** `aws:PrincipalOrgPaths`: `o-…/r-…/ou-…/`. */
  orgPath: string;
  /** Per level (root, each OU, the account), the SCPs attached there; empty for the management account. */
  scpLevels: NamedPolicy[][];
}

/**
 * Reads and checks an organization file; every problem is one line naming the file and the field.
 *
 * @throws {Error} with one line per problem.
 */
export function readOrganization(file: string): Organization {
  const problems: string[] = [];
  let org: Partial<Organization> = {};
  try {
    org = JSON.parse(readFileSync(file, 'utf8')) as Partial<Organization>;
  } catch (error) {
    throw new Error(`organization file ${file}: ${(error as Error).message}`);
  }
  if (typeof org.id !== 'string' || !/^o-[a-z0-9]{10,32}$/.test(org.id))
    problems.push(
      `organization file ${file}: "id" must be an organization id (o-, then 10 to 32 lowercase letters or digits)`,
    );
  for (const [account, path] of Object.entries(org.accounts ?? {})) {
    if (!/^\d{12}$/.test(account) || typeof path !== 'string' || !/^r-[a-z0-9]+(\/ou-[a-z0-9-]+)*$/.test(path))
      problems.push(
        `organization file ${file}: accounts.${account} must map 12 digits to a path such as r-ab12/ou-ab12-11111111`,
      );
  }
  // Targets are the root, an OU on an account's path, or a listed account; documents are checked
  // as any policy is (a malformed SCP fails open otherwise).
  const known = new Set([
    ...Object.keys(org.accounts ?? {}),
    ...Object.values(org.accounts ?? {}).flatMap((path) => String(path).split('/')),
  ]);
  for (const [index, policy] of (org.policies ?? []).entries()) {
    const where = `organization file ${file}: policies[${index}]`;
    if (!Array.isArray(policy.targets) || typeof policy.document !== 'object' || policy.document === null) {
      problems.push(`${where} needs "targets" (a list) and "document" (a policy)`);
      continue;
    }
    for (const target of policy.targets)
      if (typeof target !== 'string' || !known.has(target))
        problems.push(`${where}: target ${JSON.stringify(target)} is not the root, an OU or an account of "accounts"`);
    for (const problem of policyProblems({ name: policy.name ?? `policies[${index}]`, document: policy.document }))
      problems.push(`${where}: ${problem}`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    id: org.id as string,
    managementAccount: org.managementAccount,
    accounts: org.accounts ?? {},
    policies: org.policies ?? [],
  };
}

/**
 * The organization as one account's principals see it; undefined when the account is not a member.
 * The management account is under no SCP (AWS Organizations: "SCPs don't affect users or roles in
 * the management account").
 */
export function membership(org: Organization, accountId: string): Membership | undefined {
  const path = org.accounts[accountId];
  if (path === undefined) return undefined;
  const levels = [...path.split('/'), accountId];
  return {
    orgId: org.id,
    orgPath: `${org.id}/${path}/`,
    scpLevels:
      accountId === org.managementAccount
        ? []
        : levels.map((level) =>
            org.policies
              .filter((p) => p.targets.includes(level))
              .map((p) => ({ name: `SCP ${p.name}`, document: p.document })),
          ),
  };
}
