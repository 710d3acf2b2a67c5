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

/**
 * Classifies a breached check by its own issue (`verification.checks.<check>.issue`). An error rate
 * `criticalErrorRateFactor` times its threshold is the same issue at critical severity, with the action and
 * deadline of the matrix's immediate rollback: it is a measured error rate, never called "data loss".
 */
export function classifyBreach(policy: Policy, result: CheckResult): Classification {
  const issue = policy.verification.checks[result.key].issue ?? 'Performance issue';
  const row = policy.decisionMatrix.find((r) => r.issue.toLowerCase() === issue.toLowerCase()) ?? policy.decisionMatrix.find((r) => r.severity === 'high')!;
  const immediate = policy.decisionMatrix.find((r) => r.severity === 'critical' && isImmediateRollback(r.action));
  if (errorRateFactor(policy, result) !== undefined && immediate) {
    return { severity: 'critical', issue: row.issue, action: immediate.action, timeline: immediate.timeline, rollbackNow: true };
  }
  return { ...row, rollbackNow: isImmediateRollback(row.action) };
}

/** How many times its threshold a critical error rate is; undefined when it is not critical. */
export function errorRateFactor(policy: Policy, result: CheckResult): number | undefined {
  if (result.key !== 'errorRate' || result.value === undefined || !result.threshold) return undefined;
  const factor = result.value / result.threshold;
  return factor >= policy.verification.criticalErrorRateFactor ? factor : undefined;
}

const isImmediateRollback = (action: string) => action.toLowerCase().startsWith('rollback immediately');

/** Whether the matrix's action is a rollback (immediately, or "Rollback or hotfix"): a Roll back now button fits it. */
export function actionIsRollback(action: string): boolean {
  return action.toLowerCase().startsWith('rollback');
}

/** `/release incident <severity> <issue>`: the matrix rows for that severity, best match first. */
export function lookupIncident(policy: Policy, severity: string, issue: string): MatrixRow[] {
  const rows = policy.decisionMatrix.filter((r) => r.severity === severity.toLowerCase());
  const words = issue.toLowerCase().split(/\W+/).filter((w) => w.length > 2);
  const score = (r: MatrixRow) => words.filter((w) => r.issue.toLowerCase().includes(w)).length;
  return [...rows].sort((a, b) => score(b) - score(a));
}
