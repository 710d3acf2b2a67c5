/**
 * The guide's Release Decision Matrix: a breach or an incident, by severity and issue, gets an action and a
 * deadline. Pure; the rows come from the policy.
 */
import type { CheckResult } from './verification.js';
import type { Policy } from './policy.js';

export type MatrixRow = Policy['decisionMatrix'][number];
export type Severity = MatrixRow['severity'];

export interface Classification extends MatrixRow {
  /** Whether tminus offers (or, by policy, starts) the emergency rollback. */
  rollbackNow: boolean;
}

/** Classifies a breached check: an error rate far over its threshold is the matrix's critical "data loss". */
export function classifyBreach(policy: Policy, result: CheckResult): Classification {
  const critical =
    result.key === 'errorRate' &&
    result.value !== undefined &&
    result.threshold !== undefined &&
    result.value >= result.threshold * policy.verification.criticalErrorRateFactor;
  const issue = critical ? 'Data loss' : (policy.verification.checks[result.key].issue ?? 'Performance issue');
  const row = policy.decisionMatrix.find((r) => r.issue.toLowerCase() === issue.toLowerCase()) ?? policy.decisionMatrix.find((r) => r.severity === 'high')!;
  return { ...row, rollbackNow: row.action.toLowerCase().startsWith('rollback immediately') };
}

/** `/release incident <severity> <issue>`: the matrix rows for that severity, best match first. */
export function lookupIncident(policy: Policy, severity: string, issue: string): MatrixRow[] {
  const rows = policy.decisionMatrix.filter((r) => r.severity === severity.toLowerCase());
  const words = issue.toLowerCase().split(/\W+/).filter((w) => w.length > 2);
  const score = (r: MatrixRow) => words.filter((w) => r.issue.toLowerCase().includes(w)).length;
  return [...rows].sort((a, b) => score(b) - score(a));
}
