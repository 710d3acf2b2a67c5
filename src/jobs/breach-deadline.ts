import { actionIsRollback, type Severity } from '../domain/decision-matrix.js';
import type { CheckKey, CheckResult } from '../domain/verification.js';
import type { Release } from '../integrations/database/release-store.js';
import { breachOverdueMessage } from '../messages/verification.js';
import { alertMentions } from './alert-mentions.js';
import { postKeys, type JobContext } from './context.js';

const DEADLINE_SET = 'verification.deadline_set';

export interface DeadlineFollowUp {
  breachId: number;
  check: CheckKey;
  severity: Severity;
  issue: string;
  action: string;
  timeline: number;
  deadline: Date;
  value?: number;
}

/** As the audit log keeps it: the deadline as an ISO string. */
type DeadlineDetails = Omit<DeadlineFollowUp, 'deadline'> & { deadline: string };

/** The breach alert stated a deadline: it is kept in the audit log and followed up when it passes. */
export async function followUpDeadline(ctx: JobContext, release: Release, d: DeadlineFollowUp): Promise<void> {
  const details: DeadlineDetails = { ...d, deadline: d.deadline.toISOString() };
  await ctx.store.audit(release.id, DEADLINE_SET, details as unknown as Record<string, unknown>);
  await ctx.jobs.add('breach-deadline', { releaseId: release.id, breachId: d.breachId, severity: d.severity }, { delayMs: d.deadline.getTime() - ctx.clock().getTime() });
}

/** The deadline the alert of this breach (at this severity) stated, and when it was stated. */
async function deadlineOf(ctx: JobContext, releaseId: string, breachId: number, severity: string): Promise<{ at: Date; details: DeadlineDetails } | undefined> {
  const events = await ctx.store.events(releaseId);
  const found = events.filter((e) => e.action === DEADLINE_SET && e.details.breachId === breachId && e.details.severity === severity).at(-1);
  return found ? { at: found.at, details: found.details as unknown as DeadlineDetails } : undefined;
}

/**
 * A decision-matrix deadline passed: when the breach is still open at the severity its alert gave (not
 * resolved, not escalated to a new alert) and the release is not rolled back or rolling back, says so once in
 * the release's thread and once in #releases, with who must act and, where the action is a rollback, the
 * Roll back now button.
 */
export async function breachDeadline(ctx: JobContext, data: { releaseId: string; breachId: number; severity: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release || release.state === 'rolling_back' || release.state === 'rolled_back') return;
  const stated = await deadlineOf(ctx, release.id, data.breachId, data.severity);
  if (!stated) return;
  const d = stated.details;
  // One open breach per check: the one alerted is the one opened before its alert (a later one has its own).
  const open = (await ctx.store.openBreaches(release.id)).find((b) => b.check === d.check && b.openedAt.getTime() <= stated.at.getTime());
  if (!open || open.severity !== d.severity) return;
  const now = ctx.clock();
  const deadline = new Date(d.deadline);
  const message = breachOverdueMessage({
    releaseId: release.id,
    version: release.version,
    result: await lastReading(ctx, release, d),
    classification: { severity: d.severity, issue: d.issue, action: d.action, timeline: d.timeline },
    deadline,
    overdueBy: Math.max(0, now.getTime() - deadline.getTime()),
    mentions: await alertMentions(ctx, release),
    timeZone: ctx.policy.timezone,
    rollback: actionIsRollback(d.action),
  });
  if (release.threadTs) await ctx.posts.postOnce(postKeys.breachOverdue(data.breachId, data.severity, 'thread'), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, message);
  await ctx.posts.postOnce(postKeys.breachOverdue(data.breachId, data.severity, 'channel'), { releaseId: release.id, channel: release.channelId }, message);
  await ctx.store.audit(release.id, 'verification.deadline_passed', { breachId: data.breachId, check: d.check, severity: d.severity, action: d.action });
}

/** The check as the latest verification run read it (else as the alert saw it): what is still breached. */
async function lastReading(ctx: JobContext, release: Release, d: DeadlineDetails): Promise<CheckResult> {
  const check = ctx.policy.verification.checks[d.check];
  const run = await ctx.store.lastEvent(release.id, 'verification.run');
  const results = (run?.details.results ?? []) as { check: string; state: string; value?: number; baseline?: number; limit?: number }[];
  const latest = results.find((r) => r.check === d.check && r.state === 'breach');
  const value = latest?.value ?? d.value;
  return {
    key: d.check,
    label: check.label,
    state: 'breach',
    ...(value !== undefined ? { value } : {}),
    threshold: check.threshold,
    direction: check.direction,
    unit: check.unit,
    ...(latest?.baseline !== undefined && latest.limit !== undefined && check.baselineFactor !== undefined
      ? { baseline: { value: latest.baseline, limit: latest.limit, factor: check.baselineFactor } }
      : {}),
  };
}

/** For the reconciler: the follow-up of every open breach whose alert stated a deadline, queued again if lost. */
export async function ensureBreachDeadlines(ctx: JobContext, release: Release, now: Date): Promise<void> {
  const open = await ctx.store.openBreaches(release.id);
  if (open.length === 0) return;
  const events = (await ctx.store.events(release.id)).filter((e) => e.action === DEADLINE_SET);
  for (const breach of open) {
    const stated = events.filter((e) => e.details.check === breach.check && e.details.severity === breach.severity && e.at.getTime() >= breach.openedAt.getTime()).at(-1);
    if (!stated) continue;
    const d = stated.details as unknown as DeadlineDetails;
    if (await ctx.posts.tsOf(postKeys.breachOverdue(d.breachId, d.severity, 'channel'))) continue;
    await ctx.jobs.ensure('breach-deadline', { releaseId: release.id, breachId: d.breachId, severity: d.severity }, { delayMs: Date.parse(d.deadline) - now.getTime() });
  }
}
