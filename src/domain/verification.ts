/**
 * Post-release verification, by the guide: each check is a metric with a threshold and a direction,
 * judged over every series its query returns (the worst decides); the schedule runs checks every 5 or 15
 * minutes in the first hour, hourly for a day, daily for a week. Pure: metrics arrive as numbers.
 */
import type { Policy } from './policy.js';

export type CheckKey = keyof Policy['verification']['checks'];
export type CheckDefinition = Policy['verification']['checks'][CheckKey] & { key: CheckKey };

export interface Series {
  scope: string;
  values: (number | null)[];
}

export type CheckState = 'pass' | 'breach' | 'no-data' | 'unreachable';

export interface CheckResult {
  key: CheckKey;
  label: string;
  state: CheckState;
  /** The worst series' value (its mean over the window). */
  value?: number;
  /** Which series it was, e.g. `host:web-2`. */
  scope?: string;
  threshold?: number;
  direction?: 'below' | 'above';
  unit?: string;
  error?: string;
}

/** The checks the policy can run: those with a query. */
export function runnableChecks(policy: Policy): CheckDefinition[] {
  return (Object.entries(policy.verification.checks) as [CheckKey, Policy['verification']['checks'][CheckKey]][])
    .filter(([, c]) => c.query !== undefined)
    .map(([key, c]) => ({ ...c, key }));
}

/** Fills `{service}`, `{env}` and `{version}` into a check's query. */
export function fillQuery(query: string, tags: { service: string; env: string; version: string }): string {
  return query.replaceAll('{service}', tags.service).replaceAll('{env}', tags.env).replaceAll('{version}', tags.version);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Judges one check over the series its query returned: no series with data is "no data", never healthy. */
export function judgeCheck(check: CheckDefinition, series: readonly Series[]): CheckResult {
  const base = { key: check.key, label: check.label, threshold: check.threshold, direction: check.direction, unit: check.unit };
  const judged = series
    .map((s) => ({ scope: s.scope, values: s.values.filter((v): v is number => v !== null && Number.isFinite(v)) }))
    .filter((s) => s.values.length > 0)
    .map((s) => ({ scope: s.scope, value: mean(s.values) }));
  if (judged.length === 0) return { ...base, state: 'no-data' };
  const worst = judged.reduce((a, b) => (check.direction === 'above' ? (b.value < a.value ? b : a) : b.value > a.value ? b : a));
  if (check.threshold === undefined || check.direction === undefined) return { ...base, state: 'pass', value: worst.value, scope: worst.scope };
  const healthy = check.direction === 'below' ? worst.value < check.threshold : worst.value > check.threshold;
  return { ...base, state: healthy ? 'pass' : 'breach', value: worst.value, scope: worst.scope };
}

export interface VerificationRun {
  /** Offset from the deploy's completion, in ms. */
  at: number;
  checks: CheckKey[];
}

/**
 * The runs of the guide's schedule until `watchFor` after the deploy: each phase runs every `every`; a check
 * runs at the slower of its own `every` and the phase's (15-minute checks every third run in the first hour).
 */
export function verificationSchedule(policy: Policy, watchFor: number): VerificationRun[] {
  const checks = runnableChecks(policy);
  const runs: VerificationRun[] = [];
  let from = 0;
  for (const phase of policy.verification.schedule) {
    const until = Math.min(phase.until, watchFor);
    for (let at = from + phase.every; at <= until; at += phase.every) {
      const due = checks.filter((c) => c.every <= phase.every || at % c.every === 0).map((c) => c.key);
      if (due.length > 0) runs.push({ at, checks: due });
    }
    from = Math.max(from, phase.until);
    if (from >= watchFor) break;
  }
  return runs;
}

/** How long a release is watched: until it is marked stable (patch day 3, minor 24 h, major 48 h). */
export function watchPeriod(policy: Policy, type: keyof Policy['releaseTypes']): number {
  return policy.releaseTypes[type].stableAfter;
}

export function formatValue(result: Pick<CheckResult, 'value' | 'unit'>): string {
  if (result.value === undefined) return 'no data';
  const v = result.value;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  return `${v.toFixed(digits)}${result.unit === '%' ? ' %' : result.unit ? ` ${result.unit}` : ''}`;
}
