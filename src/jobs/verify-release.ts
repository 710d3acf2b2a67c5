import { classifyBreach, errorRateFactor } from '../domain/decision-matrix.js';
import { readingsOf } from '../domain/verification-changes.js';
import { forAPerson, personChecks, phaseOf, verificationSchedule, type CheckResult } from '../domain/verification.js';
import { LIVE_STATES } from '../domain/release.js';
import type { Release } from '../integrations/database/release-store.js';
import { breachAlertMessage } from '../messages/verification.js';
import { startEmergencyRollback } from '../services/rollback.js';
import { alertMentions } from './alert-mentions.js';
import { followUpDeadline } from './breach-deadline.js';
import { postKeys, type JobContext } from './context.js';
import { readChecks } from './read-checks.js';
import { reportRun } from './verification-report.js';

const MAX_ATTEMPTS = 3;

/**
 * After the deploy: the first verification run, the stable mark at the type's `stableAfter`, and the deploy
 * marker. The watch itself goes on to the end of the guide's schedule (the first week), also once stable.
 */
export async function scheduleWatch(ctx: JobContext, release: Release): Promise<void> {
  await ctx.jobs.add('deploy-marker', { releaseId: release.id, kind: 'completed' });
  const finished = release.finishedAt!.getTime();
  const first = verificationSchedule(ctx.policy)[0];
  if (first) await ctx.jobs.add('verify-release', { releaseId: release.id, run: 1, attempt: 1 }, { delayMs: finished + first.at - ctx.clock().getTime() });
  await ctx.jobs.add('mark-stable', { releaseId: release.id, attempt: 1 }, { delayMs: finished + ctx.policy.releaseTypes[release.type].stableAfter - ctx.clock().getTime() });
}

/**
 * One run of post-release verification: each due check is read from Datadog and judged (checks without a
 * query are listed for a person); the run edits the release's one live "Verification" message and replies
 * in the thread only when it changed something or closes a phase of the guide's schedule (reportRun); a
 * new breach is classified by the decision matrix and alerted once in #releases; a check that could not be
 * read is ⚠️ and the run is tried again. The next run of the guide's schedule is queued, to the end of the
 * first week while the release is live.
 */
export async function verifyRelease(ctx: JobContext, data: { releaseId: string; run: number; attempt: number }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release || !LIVE_STATES.includes(release.state) || !release.finishedAt || !release.threadTs || !ctx.observability) return;
  const schedule = verificationSchedule(ctx.policy);
  const run = schedule[data.run - 1];
  if (!run) return;
  const now = ctx.clock();
  const finished = release.finishedAt.getTime();
  const previousAt = schedule[data.run - 2]?.at ?? 0;
  const from = Math.max(finished, finished + previousAt, now.getTime() - (run.at - previousAt));
  const read = await readChecks(ctx, release, run.checks, from, now.getTime());
  const results: CheckResult[] = [...read, ...personChecks(ctx.policy).filter((c) => run.checks.includes(c.key)).map(forAPerson)];
  const incomplete = results.some((r) => r.state === 'no-data' || r.state === 'unreachable');
  const retry = incomplete && data.attempt < MAX_ATTEMPTS;
  const phase = phaseOf(ctx.policy, run.at);
  const readings = readingsOf(results, (r) => classifyBreach(ctx.policy, r).severity);
  await ctx.store.audit(release.id, 'verification.run', {
    run: data.run,
    attempt: data.attempt,
    phase,
    complete: !incomplete,
    readAt: now.toISOString(),
    results: results.map((r, i) => ({
      check: r.key,
      state: r.state,
      value: r.value,
      ...(readings[i]!.severity ? { severity: readings[i]!.severity } : {}),
      ...(r.baseline ? { baseline: r.baseline.value, limit: r.baseline.limit } : {}),
    })),
  });
  // Queued before anything is said in Slack: a run whose posts fail for good does not end the watch (job ids dedupe a retry's).
  if (retry) await ctx.jobs.add('verify-release', { ...data, attempt: data.attempt + 1 }, { delayMs: ctx.policy.verification.retryAfter });
  const next = schedule[data.run];
  if (next && data.attempt === 1) {
    await ctx.jobs.add('verify-release', { releaseId: release.id, run: data.run + 1, attempt: 1 }, { delayMs: finished + next.at - now.getTime() });
  }

  for (const result of results) {
    if (result.state === 'breach') await alertBreach(ctx, release, result, now);
    // Said in the thread by the run's change reply ("… is healthy again").
    if (result.state === 'pass') await ctx.store.resolveBreach(release.id, result.key, now);
  }
  const retryIn = retry ? ctx.policy.verification.retryAfter : undefined;
  await reportRun(ctx, release, { run: data.run, attempt: data.attempt, readAt: now, phase, results, readings, ...(retryIn !== undefined ? { retryIn } : {}) });
}

/**
 * A breached check goes to the decision matrix: a new breach (or one that became critical) is alerted once
 * in #releases with the matrix's action and deadline, and the deadline is followed up (breach-deadline).
 * Also called by the T+60 post-deploy checks.
 */
export async function alertBreach(ctx: JobContext, release: Release, result: CheckResult, now: Date): Promise<void> {
  const classification = classifyBreach(ctx.policy, result);
  const breach = await ctx.store.openBreach(release.id, result.key, classification.severity, result.value, now);
  if (!breach.alert) return;
  const timesThreshold = errorRateFactor(ctx.policy, result);
  let autoRollback = classification.rollbackNow && ctx.policy.verification.autoRollback;
  let autoRollbackRefused: string | undefined;
  if (autoRollback) {
    // Started before the alert is posted, so the alert says what really happened: started, or refused and why.
    const outcome = await startEmergencyRollback(ctx, { release, by: 'tminus', reason: `${classification.issue}: ${result.label} breached` });
    if (outcome.kind === 'refused') {
      autoRollback = false;
      autoRollbackRefused = outcome.reason;
      await ctx.store.audit(release.id, 'rollback.automatic_refused', { reason: outcome.reason, check: result.key });
    }
  }
  const deadline = new Date(now.getTime() + classification.timeline);
  await ctx.posts.postOnce(
    `${postKeys.breachAlert(breach.id)}${breach.alert === 'escalated' ? ':escalated' : ''}`,
    { releaseId: release.id, channel: release.channelId },
    breachAlertMessage({
      releaseId: release.id,
      version: release.version,
      result,
      classification,
      deadline,
      mentions: await alertMentions(ctx, release),
      timeZone: ctx.policy.timezone,
      autoRollback,
      ...(autoRollbackRefused ? { autoRollbackRefused } : {}),
      ...(timesThreshold !== undefined ? { timesThreshold } : {}),
    }),
  );
  await followUpDeadline(ctx, release, { breachId: breach.id, check: result.key, severity: classification.severity, issue: classification.issue, action: classification.action, timeline: classification.timeline, deadline, ...(result.value !== undefined ? { value: result.value } : {}) });
}
