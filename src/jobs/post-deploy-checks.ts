import { formatValue, type CheckResult } from '../domain/verification.js';
import { describePermission } from '../domain/permissions.js';
import { AWAITING_CONFIRMATION_EVENT, readingsOf } from '../domain/verified-by.js';
import type { Release } from '../integrations/database/release-store.js';
import { section } from '../messages/format.js';
import { confirmByHandMessage, postDeployChecksMessage, type ConfirmByHandReason } from '../messages/post-deploy-checks.js';
import { postKeys, type JobContext } from './context.js';
import { readChecks } from './read-checks.js';
import { loadMilestones } from './progress-view.js';
import { alertBreach } from './verify-release.js';

/** Reading 1 of the post-deploy checks is due when the deploy run ends ("at once"), reading k (k−1) × `retryEvery` later. */
export function readingDueAt(ctx: Pick<JobContext, 'policy'>, release: Pick<Release, 'finishedAt'>, reading: number): number {
  return release.finishedAt!.getTime() + (reading - 1) * ctx.policy.deploy.postDeployChecks.retryEvery;
}

/** The reading whose slot is due at `at` (at least 1). */
export function readingSlot(ctx: Pick<JobContext, 'policy'>, release: Pick<Release, 'finishedAt'>, at: number): number {
  return Math.max(1, Math.floor((at - release.finishedAt!.getTime()) / ctx.policy.deploy.postDeployChecks.retryEvery) + 1);
}

/** Since when production runs the new version: the production milestone's end, else the deploy run's. */
function deployedAt(ctx: JobContext, release: Release): number {
  const production = loadMilestones(release, ctx).find((m) => m.key === 'production');
  const at = production?.state === 'done' && production.finishedAt ? production.finishedAt.getTime() : NaN;
  return Number.isFinite(at) && at <= release.finishedAt!.getTime() ? at : release.finishedAt!.getTime();
}

/** Queues the reading after `reading` (the next free slot from now, so a late one does not pile up). */
async function scheduleNextReading(ctx: JobContext, release: Release, reading: number): Promise<void> {
  const now = ctx.clock().getTime();
  const next = Math.max(reading + 1, readingSlot(ctx, release, now) + 1);
  await ctx.jobs.add('post-deploy-checks', { releaseId: release.id, reading: next }, { delayMs: readingDueAt(ctx, release, next) - now });
}

const describe = (r: CheckResult) => (r.state === 'breach' ? `${r.label} ${formatValue(r)}` : `${r.label} ${r.state === 'no-data' ? 'no data' : 'unreachable'}`);

/**
 * T+60, the guide's "Post-Deployment Verification": production runs the new version; error rate, p99 and
 * cache hit rate (the policy's `deploy.postDeployChecks.checks`) are read from Datadog. All healthy: the
 * release is complete. A breach goes to the decision matrix (alerted once, Roll back now where it says so)
 * and is read again until the deadline (T+90), when a breach still there fails the release. Checks that
 * cannot be read are never healthy: past the deadline a person confirms by hand or rolls back. Nothing to
 * read them with (no Datadog, no check, `verification.source: manual`): a person confirms from the start.
 */
export async function postDeployChecks(ctx: JobContext, data: { releaseId: string; reading: number }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release || release.state !== 'verifying' || !release.finishedAt) return;
  const policy = ctx.policy.deploy.postDeployChecks;
  const thread = release.threadTs ? { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs } : undefined;
  const now = ctx.clock();

  if (ctx.policy.verification.source === 'none') {
    await pass(ctx, release, now, { source: 'none' });
    return;
  }
  const nobodyReads = nothingVerifies(ctx);
  if (nobodyReads) {
    await askForConfirmation(ctx, release, nobodyReads);
    return;
  }

  const from = Math.max(deployedAt(ctx, release), now.getTime() - policy.window);
  const results = await readChecks(ctx, release, policy.checks, from, now.getTime());
  const breached = results.filter((r) => r.state === 'breach');
  const unread = results.filter((r) => r.state === 'no-data' || r.state === 'unreachable');
  const verdict = [...breached, ...unread].map(describe);
  const previous = await ctx.store.lastEvent(release.id, 'post_deploy_checks.verdict');
  await ctx.store.audit(release.id, 'post_deploy_checks.read', {
    reading: data.reading,
    results: results.map((r) => ({ check: r.key, state: r.state, value: r.value ?? null })),
  });

  for (const result of results) {
    if (result.state === 'pass' && (await ctx.store.resolveBreach(release.id, result.key, now)) && thread) {
      await ctx.posts.postOnce(postKeys.breachResolved(release.id, result.key, now), thread, {
        text: `✅ ${result.label} is healthy again after ${release.version}`,
        blocks: [section(`✅ *${result.label}* is healthy again after ${release.version}.`)],
      });
    }
  }
  if (breached.length === 0 && unread.length === 0) {
    await pass(ctx, release, now, { source: 'datadog', reading: data.reading, readings: readingsOf(results) });
    return;
  }
  for (const result of breached) await alertBreach(ctx, release, result, now);

  const deadline = release.finishedAt.getTime() + policy.deadline;
  const overdue = now.getTime() >= deadline;
  if (overdue && breached.length > 0) {
    await ctx.jobs.ensure('fail-release', {
      releaseId: release.id,
      event: 'post_deploy_checks_failed',
      reason: `the post-deploy checks still breach at their deadline: ${breached.map(describe).join(', ')}`,
      finishedAt: release.finishedAt.toISOString(),
    });
    return;
  }
  // Said when what is wrong changes, not at every reading.
  const sameAsBefore = JSON.stringify((previous?.details as { verdict?: string[] } | undefined)?.verdict ?? []) === JSON.stringify(verdict);
  await ctx.store.audit(release.id, 'post_deploy_checks.verdict', { reading: data.reading, verdict });
  if (thread && breached.length > 0 && !sameAsBefore) {
    await ctx.posts.postOnce(
      postKeys.postDeployChecks(release.id, `reading-${data.reading}`),
      thread,
      postDeployChecksMessage({ releaseId: release.id, version: release.version, reading: data.reading, results, nextIn: policy.retryEvery, deadlineIn: Math.max(0, deadline - now.getTime()) }),
    );
  }
  if (overdue) await askForConfirmation(ctx, release, 'unread');
  await scheduleNextReading(ctx, release, data.reading);
}

/** The guide's T+60 checks, for a person to read when the policy names none. */
const GUIDE_CHECKS = ['errorRate', 'latencyP99', 'cacheHitRate'] as const;

/** Why no reading from Datadog can complete the release, so a person must; undefined when Datadog reads it. */
function nothingVerifies(ctx: JobContext): Exclude<ConfirmByHandReason, 'unread'> | undefined {
  if (ctx.policy.verification.source === 'manual') return 'manual';
  if (!ctx.observability) return 'no-datadog';
  return ctx.policy.deploy.postDeployChecks.checks.length === 0 ? 'no-checks' : undefined;
}

/**
 * The release waits in `verifying` for `/release confirm`: the thread is told once what to check and how,
 * and the wait is audited once (so `/release status` shows it). No deadline fails it: only a person ends it.
 */
async function askForConfirmation(ctx: JobContext, release: Release, reason: ConfirmByHandReason): Promise<void> {
  const { checks: named, retryEvery } = ctx.policy.deploy.postDeployChecks;
  const checks = (named.length > 0 ? named : GUIDE_CHECKS).map((key) => ctx.policy.verification.checks[key]);
  // Recorded before it is said, so `/release status` shows the wait by the time the thread does.
  if (!(await ctx.store.lastEvent(release.id, AWAITING_CONFIRMATION_EVENT))) {
    await ctx.store.audit(release.id, AWAITING_CONFIRMATION_EVENT, { reason });
    // A change of the row, so `/release status` (cached by row) draws the wait.
    await ctx.store.update(release.id, {});
  }
  if (!release.threadTs) return;
  const message = confirmByHandMessage({ version: release.version, reason, checks, confirmers: describePermission(ctx.policy, 'confirm'), retryEvery });
  const key = postKeys.postDeployChecks(release.id, reason === 'unread' ? 'unread' : 'confirm-by-hand');
  await ctx.posts.postOnce(key, { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, message);
}

/** The checks passed (or the policy verifies nothing): the release is complete; publishing and the message follow. */
async function pass(ctx: JobContext, release: Release, now: Date, details: Record<string, unknown>): Promise<void> {
  const applied = await ctx.store.apply(release.id, 'post_deploy_checks_passed', { set: { completedAt: now }, details });
  if (!applied.ok) return;
  await ctx.jobs.ensure('complete-release', { releaseId: release.id, finishedAt: release.finishedAt!.toISOString() });
}
