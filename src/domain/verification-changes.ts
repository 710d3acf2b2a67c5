/**
 * What a verification run changed, and the guide's milestones: a run is a new reply in the release's thread
 * only when a check went from pass to breach or back, got data or lost it, or its severity changed; or when
 * it closes a phase of the schedule (the first hour, the first 24 hours, the first week). Everything else
 * only edits the one live "Verification" message. Pure.
 */
import type { Policy } from './policy.js';
import { verificationSchedule, type CheckKey, type CheckResult, type CheckState } from './verification.js';

/** A check as one run read it: what the comparison and the live message's sparkline need. */
export interface Reading {
  check: CheckKey;
  state: CheckState;
  value?: number;
  /** The decision matrix's severity of a breach. */
  severity?: string;
}

export type ChangeKind = 'breached' | 'recovered' | 'data' | 'no-data' | 'severity';

export interface CheckChange {
  kind: ChangeKind;
  key: CheckKey;
  /** The state (or severity) before and after. */
  from: string;
  to: string;
}

const hasData = (state: CheckState | undefined) => state === 'pass' || state === 'breach';

/** One check's change between two readings of it; none when nothing a person acts on changed. */
function changeOf(before: Reading | undefined, after: Reading): CheckChange | undefined {
  if (after.state === 'person') return undefined;
  const from = before?.state;
  const change = (kind: ChangeKind, was = from ?? 'unread', now: string = after.state): CheckChange => ({ kind, key: after.check, from: was, to: now });
  if (after.state === 'breach') {
    if (from !== 'breach') return change('breached');
    if ((before?.severity ?? '') !== (after.severity ?? '')) return change('severity', before?.severity ?? 'unknown', after.severity ?? 'unknown');
    return undefined;
  }
  if (after.state === 'pass') {
    if (from === 'breach') return change('recovered');
    return from !== undefined && !hasData(from) ? change('data') : undefined;
  }
  // No data now (none, or Datadog unreachable): a change only for a check that had data.
  return hasData(from) ? change('no-data') : undefined;
}

/**
 * What changed from the readings before (the newest earlier run; none for the first run) to these. On the
 * first run only breaches are news: the live message created by that run shows the rest.
 */
export function changesBetween(before: readonly Reading[] | undefined, after: readonly Reading[]): CheckChange[] {
  return after.flatMap((reading) => {
    const earlier = before?.find((r) => r.check === reading.check);
    if (before === undefined && reading.state !== 'breach') return [];
    const change = changeOf(earlier, reading);
    return change ? [change] : [];
  });
}

export interface Milestone {
  /** The phase's place in the schedule (0: the first hour), for the key that posts it once. */
  index: number;
  /** The phase it closes ("First hour"). */
  label: string;
  /** The last phase: the end of the watch, the final "verified" summary. */
  final: boolean;
}

/** The guide's milestones: the last run of each phase of the schedule closes it (T+1 h, T+24 h, the week). */
export function milestoneOf(policy: Policy, runAt: number): Milestone | undefined {
  const runs = verificationSchedule(policy);
  const phases = policy.verification.schedule;
  let from = 0;
  for (const [index, phase] of phases.entries()) {
    const last = runs.filter((r) => r.at > from && r.at <= phase.until).at(-1);
    if (last?.at === runAt) return { index, label: phase.label, final: index === phases.length - 1 };
    from = Math.max(from, phase.until);
  }
  return undefined;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A check's readings as a text sparkline, oldest first, scaled between their lowest and highest (a run without
 * data is a gap); empty with fewer than two readings.
 */
export function sparkline(values: readonly (number | undefined)[], width = 12): string {
  const recent = values.slice(-width);
  const numbers = recent.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (numbers.length < 2) return '';
  const low = Math.min(...numbers);
  const span = Math.max(...numbers) - low;
  return recent.map((v) => (v === undefined || !Number.isFinite(v) ? ' ' : BARS[span === 0 ? 0 : Math.round(((v - low) / span) * (BARS.length - 1))])).join('');
}

/** A run's results as the readings it is remembered by (severity from the caller's decision matrix). */
export function readingsOf(results: readonly CheckResult[], severityOf: (result: CheckResult) => string | undefined): Reading[] {
  return results.map((r) => ({
    check: r.key,
    state: r.state,
    ...(r.value !== undefined ? { value: r.value } : {}),
    ...(r.state === 'breach' && severityOf(r) ? { severity: severityOf(r) } : {}),
  }));
}
