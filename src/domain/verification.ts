/**
 * Post-release verification, by the guide: each check is a metric (or a count of log lines) judged by a
 * threshold and a direction, or, where the guide says "should be normal", against the same window just
 * before the deploy; over every series its query returns (the worst decides). The schedule runs checks
 * every 5 or 15 minutes in the first hour, hourly for a day, daily to the end of the first week. Pure:
 * metrics arrive as numbers.
 */
import type { Policy } from './policy.js';

export type CheckKey = keyof Policy['verification']['checks'];
export type CheckDefinition = Policy['verification']['checks'][CheckKey] & { key: CheckKey };

export interface Series {
  scope: string;
  values: (number | null)[];
}

/** `person`: a check tminus does not judge (no query, or no rule): listed for a person to look at. */
export type CheckState = 'pass' | 'breach' | 'no-data' | 'unreachable' | 'person';

export interface CheckResult {
  key: CheckKey;
  label: string;
  state: CheckState;
  /** The worst series' value (its mean over the window; a count for logs). */
  value?: number;
  /** Which series it was, e.g. `host:web-2`. */
  scope?: string;
  threshold?: number;
  direction?: 'below' | 'above';
  unit?: string;
  /** Judged against the baseline: that series' value before the deploy, and the limit it gave. */
  baseline?: { value: number; factor: number; limit: number };
  /** The value is the newest reading of its series, critical already, not the window's mean (which would lag). */
  latest?: boolean;
  error?: string;
}

const entries = (policy: Policy) =>
  (Object.entries(policy.verification.checks) as [CheckKey, Policy['verification']['checks'][CheckKey]][]).map(([key, c]) => ({ ...c, key }));

/** The checks the policy can run: those with a query. */
export function runnableChecks(policy: Policy): CheckDefinition[] {
  return entries(policy).filter((c) => c.query !== undefined);
}

/** The checks without a query: tminus reads nothing, the verification message lists them for a person. */
export function personChecks(policy: Policy): CheckDefinition[] {
  return entries(policy).filter((c) => c.query === undefined);
}

/** A check listed for a person to judge (no query in the policy). */
export function forAPerson(check: CheckDefinition): CheckResult {
  return { key: check.key, label: check.label, state: 'person', unit: check.unit };
}

/** Fills `{service}`, `{env}` and `{version}` into a check's query. */
export function fillQuery(query: string, tags: { service: string; env: string; version: string }): string {
  return query.replaceAll('{service}', tags.service).replaceAll('{env}', tags.env).replaceAll('{version}', tags.version);
}

/**
 * The window a baseline is read over: as long as the run's own, ending when the deploy finished, so a count
 * of log lines compares like with like.
 */
export function baselineWindow(finishedAt: number, from: number, to: number): { from: number; to: number } {
  return { from: finishedAt - (to - from), to: finishedAt };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

const means = (series: readonly Series[]) =>
  series
    .map((s) => ({ scope: s.scope, values: s.values.filter((v): v is number => v !== null && Number.isFinite(v)) }))
    .filter((s) => s.values.length > 0)
    .map((s) => ({ scope: s.scope, value: mean(s.values) }));

/**
 * Judges one check over the series its query returned: no series with data is "no data", never healthy.
 * A check with `baselineFactor` is judged per series against the same series before the deploy (`baseline`;
 * a series without one counts as 0): healthy at most `baselineFactor` times it, never less than
 * `baselineMinimum`; the series furthest over its limit decides. A check with neither rule is for a person.
 */
export function judgeCheck(check: CheckDefinition, series: readonly Series[], baseline: readonly Series[] = [], options: { criticalAt?: number } = {}): CheckResult {
  const base = { key: check.key, label: check.label, threshold: check.threshold, direction: check.direction, unit: check.unit };
  const judged = means(series);
  if (judged.length === 0) return { ...base, state: 'no-data' };
  // A newest reading already critical is a breach now: the mean over a window that began healthy would say so a run later.
  const criticalAt = options.criticalAt;
  const critical = criticalAt === undefined || check.direction !== 'below' || judged.some((s) => s.value >= criticalAt) ? undefined : newestAtLeast(series, criticalAt);
  if (critical) return { ...base, state: 'breach', value: critical.value, scope: critical.scope, latest: true };
  if (check.baselineFactor !== undefined) {
    const before = new Map(means(baseline).map((s) => [s.scope, s.value]));
    const limited = judged.map((s) => {
      const value = before.get(s.scope) ?? 0;
      const limit = Math.max(value * check.baselineFactor!, check.baselineMinimum ?? 0);
      return { ...s, baseline: { value, factor: check.baselineFactor!, limit } };
    });
    const ratio = (s: (typeof limited)[number]) => (s.baseline.limit > 0 ? s.value / s.baseline.limit : s.value > 0 ? Infinity : 0);
    const worst = limited.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
    return { ...base, state: worst.value <= worst.baseline.limit ? 'pass' : 'breach', value: worst.value, scope: worst.scope, baseline: worst.baseline };
  }
  const worst = judged.reduce((a, b) => (check.direction === 'above' ? (b.value < a.value ? b : a) : b.value > a.value ? b : a));
  if (check.threshold === undefined || check.direction === undefined) return { ...base, state: 'person', value: worst.value, scope: worst.scope };
  const healthy = check.direction === 'below' ? worst.value < check.threshold : worst.value > check.threshold;
  return { ...base, state: healthy ? 'pass' : 'breach', value: worst.value, scope: worst.scope };
}

/** The series whose newest reading is highest, when that reading is at least `at`. */
function newestAtLeast(series: readonly Series[], at: number): { scope: string; value: number } | undefined {
  const newest = series.flatMap((s) => {
    const value = s.values.filter((v): v is number => v !== null && Number.isFinite(v)).at(-1);
    return value !== undefined && value >= at ? [{ scope: s.scope, value }] : [];
  });
  return newest.reduce<{ scope: string; value: number } | undefined>((a, b) => (a && a.value >= b.value ? a : b), undefined);
}

export interface VerificationRun {
  /** Offset from the deploy's completion, in ms. */
  at: number;
  checks: CheckKey[];
}

/**
 * The runs of the guide's schedule, to the end of its last phase (the first week) whatever the type: each
 * phase runs every `every`; a check runs at the slower of its own `every` and the phase's (15-minute checks
 * every third run in the first hour). Checks without a query are in the runs too: listed for a person.
 */
export function verificationSchedule(policy: Policy): VerificationRun[] {
  const checks = entries(policy);
  const runs: VerificationRun[] = [];
  let from = 0;
  for (const phase of policy.verification.schedule) {
    for (let at = from + phase.every; at <= phase.until; at += phase.every) {
      const due = checks.filter((c) => c.every <= phase.every || at % c.every === 0).map((c) => c.key);
      if (due.length > 0) runs.push({ at, checks: due });
    }
    from = Math.max(from, phase.until);
  }
  return runs;
}

/** When the watch ends, after the deploy: the end of the schedule's last phase ("First week"). */
export function watchEnd(policy: Policy): number {
  return policy.verification.schedule.at(-1)!.until;
}

/** The phase a run belongs to ("First hour", "First 24 hours", "First week"). */
export function phaseOf(policy: Policy, at: number): string {
  return policy.verification.schedule.find((p) => at <= p.until)?.label ?? '';
}

export function formatValue(result: Pick<CheckResult, 'value' | 'unit'>): string {
  if (result.value === undefined) return 'no data';
  const v = result.value;
  // Counts (messages in a queue, log lines) are whole numbers, or means of them: no decimals.
  if (result.unit === 'messages' || result.unit === 'logs') return `${Math.round(v)} ${result.unit}`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  return `${v.toFixed(digits)}${result.unit === '%' ? ' %' : result.unit ? ` ${result.unit}` : ''}`;
}
