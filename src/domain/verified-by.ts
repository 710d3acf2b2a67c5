/**
 * How a release was verified before it was complete (the guide's T+60 "Post-Deployment Verification"), read
 * from the audit event that completed it: Datadog's readings, a person's `/release confirm`, or nobody
 * (`verification.source: none`). Pure: every place that says "released" words it from this, so the thread,
 * the customer channel and the status page agree.
 */
import type { CheckResult } from './verification.js';

/** One check as it was read when the release passed: what it measured and its limit. */
export interface Reading {
  label: string;
  value: number | null;
  unit?: string;
  threshold?: number;
  direction?: 'below' | 'above';
  /** Judged against its baseline: the limit that gave. */
  limit?: number;
}

export type HowVerified = { kind: 'checks'; readings: Reading[] } | { kind: 'person'; by: string; checked: string } | { kind: 'none'; why: string };

/** The audit event a release completes with (`release.post_deploy_checks_passed` or `…_confirmed`). */
export interface CompletingEvent {
  action: string;
  actor: string;
  details: Record<string, unknown>;
}

export const PASSED_EVENT = 'release.post_deploy_checks_passed';
export const CONFIRMED_EVENT = 'release.post_deploy_checks_confirmed';
/** Audited once when a release starts to wait for `/release confirm` (nothing verifies it automatically, or its checks went unread). */
export const AWAITING_CONFIRMATION_EVENT = 'post_deploy_checks.awaiting_confirmation';

/** The readings recorded in `post_deploy_checks_passed`, from the checks as judged. */
export function readingsOf(results: readonly CheckResult[]): Reading[] {
  return results.map((r) => ({
    label: r.label,
    value: r.value ?? null,
    ...(r.unit !== undefined ? { unit: r.unit } : {}),
    ...(r.threshold !== undefined ? { threshold: r.threshold } : {}),
    ...(r.direction !== undefined ? { direction: r.direction } : {}),
    ...(r.baseline ? { limit: r.baseline.limit } : {}),
  }));
}

/** How the release was verified, by the event that completed it; none recorded is "not verified", never assumed. */
export function howVerified(event: CompletingEvent | undefined): HowVerified {
  if (!event) return { kind: 'none', why: 'no verification recorded' };
  const d = event.details;
  if (event.action === CONFIRMED_EVENT) return { kind: 'person', by: event.actor, checked: typeof d.checked === 'string' ? d.checked : '' };
  if (d.source === 'none') return { kind: 'none', why: 'verification.source: none' };
  // Releases completed before verification sources existed recorded why Datadog was not read.
  if (typeof d.skipped === 'string') return { kind: 'none', why: d.skipped };
  return { kind: 'checks', readings: Array.isArray(d.readings) ? (d.readings as Reading[]) : [] };
}

/** The event among a release's audit log that completed it: the last pass or confirmation. */
export function completingEvent<T extends CompletingEvent>(events: readonly T[]): T | undefined {
  return events.filter((e) => e.action === PASSED_EVENT || e.action === CONFIRMED_EVENT).at(-1);
}
