import type { DecisionRecord } from './decisions.js';
import type { Identity } from './identities.js';
import { arnMatch, wildcardMatch } from './match.js';
import { asList, statementsOf } from './policy.js';

/** What one principal's allowed calls needed, and what it was granted beyond them. */
export interface PrincipalReport {
  principal: string;
  caller: string;
  /** The least privilege of the run: per action, the exact resources its allowed calls used. */
  needed: { action: string; resources: string[] }[];
  /** Identity-policy grants of the actions the run exercised that go beyond what was used, or were never used. */
  unused: { source: string; statement: string; action: string; granted: string[]; used: string[] }[];
}

/**
 * The least privilege a run needed, per principal, from its decisions: the minimal statements
 * (exact method, route and function ARNs) and what each principal was granted but never used
 * (e.g. `execute-api:Invoke` on `…/*` while only `GET /` was called).
 */
export function policyReport(decisions: DecisionRecord[], identities: Identity[]): PrincipalReport[] {
  // Only the app's own principals have policies to tighten: not the anonymous, the outsider or the operators.
  const synthetic = new Set(identities.filter((identity) => identity.synthetic).map((identity) => identity.name));
  const allowed = decisions.filter(
    (decision) => decision.allowed && decision.principal !== 'anonymous' && !synthetic.has(decision.principal),
  );
  const actions = [...new Set(decisions.map((decision) => decision.action))];
  const reports: PrincipalReport[] = [];
  for (const principal of [...new Set(allowed.map((decision) => decision.principal))].sort()) {
    const mine = allowed.filter((decision) => decision.principal === principal);
    const used = new Map<string, Set<string>>();
    for (const decision of mine)
      used.set(decision.action, (used.get(decision.action) ?? new Set()).add(decision.resource));
    const identity = identities.find((candidate) => candidate.name === principal);
    const unused: PrincipalReport['unused'] = [];
    for (const policy of identity?.policies ?? []) {
      statementsOf(policy.document).forEach((statement, index) => {
        if (statement.Effect !== 'Allow' || statement.Action === undefined) return;
        const granted = asList(statement.Resource);
        for (const action of actions) {
          if (!asList(statement.Action).some((pattern) => wildcardMatch(pattern, action, true))) continue;
          const usedHere = [...(used.get(action) ?? [])].filter((arn) =>
            granted.some((pattern) => arnMatch(pattern, arn)),
          );
          const broader = granted.some((pattern) => /[*?]/.test(pattern)) || usedHere.length < granted.length;
          if (usedHere.length === 0 || broader)
            unused.push({
              source: policy.name,
              statement: statement.Sid ?? String(index),
              action,
              granted,
              used: usedHere,
            });
        }
      });
    }
    reports.push({
      principal,
      caller: mine[0]?.caller ?? '',
      needed: [...used].map(([action, resources]) => ({ action, resources: [...resources].sort() })),
      unused,
    });
  }
  return reports;
}

/** One line per principal: what it needed, and how many grants went beyond it. */
export function policyReportSummary(reports: PrincipalReport[]): string {
  if (reports.length === 0) return 'least privilege: no allowed call to report';
  return `least privilege: ${reports
    .map((report) => {
      const needed = report.needed.map(
        (entry) => `${entry.action} on ${entry.resources.length} ARN${entry.resources.length === 1 ? '' : 's'}`,
      );
      const extra =
        report.unused.length === 0
          ? 'nothing more granted'
          : `${report.unused.length} grant${report.unused.length === 1 ? '' : 's'} broader than used`;
      return `${report.principal} needed ${needed.join(', ')}; ${extra}`;
    })
    .join(' | ')}`;
}

/** The report as a short text table: principal, action, resources needed, grants beyond them. */
export function policyReportText(reports: PrincipalReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    lines.push(`${report.principal} (${report.caller})`);
    for (const entry of report.needed) lines.push(`  needs  ${entry.action}  ${entry.resources.join(' ')}`);
    for (const entry of report.unused)
      lines.push(
        `  unused ${entry.action}  ${entry.granted.join(' ')}  (${entry.source} statement ${entry.statement}; used: ${entry.used.join(' ') || 'nothing'})`,
      );
  }
  return `${lines.join('\n')}\n`;
}
