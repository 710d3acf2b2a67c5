import { firstFailure } from '../domain/milestones.js';
import { releaseFailedMessage } from '../messages/release-failed.js';
import type { JobPayloads } from './queue.js';
import { postKeys, type JobContext } from './context.js';
import { settleStatusUpdates } from './post-status-update.js';
import { refreshGateMessages } from './gate-decision.js';
import { scheduleNextPoll, watchesForRerun } from './follow-deploy.js';
import { loadMilestones, refreshProgressView } from './progress-view.js';
import { schedulePostMortem } from './post-mortem.js';
import { tellStatusPage } from './status-page.js';
import { decideProductionTouch } from './production-touched.js';

/** Rollback command from the policy's template, with the versions filled in. */
export function rollbackCommand(template: string | undefined, version: string, previous: string | null): string | null {
  if (!template || !previous) return null;
  return template.replaceAll('{previous}', previous).replaceAll('{version}', version);
}

/**
 * A release that cannot go on: marks it failed with the reason, says which job failed with a link, and,
 * when production was touched (or GitHub cannot say it was not), the rollback the guide prescribes.
 */
export async function failRelease(ctx: JobContext, data: JobPayloads['fail-release']): Promise<void> {
  let release = await ctx.store.findById(data.releaseId);
  if (!release) return;
  const attempt = data.attempt ?? 1;
  if (release.state !== 'failed') {
    const applied = await ctx.store.apply(release.id, data.event, {
      set: { finishedAt: new Date(data.finishedAt), failureReason: data.reason },
      details: { reason: data.reason, ...(attempt > 1 ? { attempt } : {}) },
    });
    if (!applied.ok) return;
    release = applied.release;
    await refreshGateMessages(ctx, release.id);
  } else if (release.deployRunAttempt !== attempt) {
    return;
  }
  const milestones = loadMilestones(release, ctx);
  // What GitHub recorded of production, not the jobs' names: a deploy job may be called anything.
  const production = await decideProductionTouch(ctx, release, attempt);
  const touched = production.touch === 'touched';
  if (release.threadTs) {
    await settleStatusUpdates(ctx, release);
    await ctx.posts.postOnce(
      postKeys.failed(release.id, attempt),
      { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs },
      releaseFailedMessage({
        releaseId: release.id,
        version: release.version,
        failedAt: release.finishedAt ?? new Date(data.finishedAt),
        reason: release.failureReason ?? data.reason,
        failedJob: firstFailure(milestones)?.failure,
        runUrl: release.deployRunUrl,
        productionTouched: production.touch === 'unknown' ? 'unknown' : touched,
        productionEvidence: production.evidence,
        previousVersion: release.previousVersion,
        rollbackCommand: rollbackCommand(ctx.policy.rollback.command, release.version, release.previousVersion),
        rollbackTimeLimitMinutes: Math.round(ctx.policy.rollback.timeLimit / 60_000),
        timeZone: ctx.policy.timezone,
      }),
    );
  }
  await refreshProgressView(ctx, release);
  await tellStatusPage(ctx, 'ended', { releaseId: release.id });
  // "Schedule post-mortem if issues": once production was touched, a failure is one.
  const checksFailed = data.event === 'post_deploy_checks_failed';
  if (touched || checksFailed) await schedulePostMortem(ctx, release, checksFailed ? 'post_deploy_checks_failed' : 'deploy_failed');
  // Someone may re-run the failed run on GitHub: tminus keeps an eye on it for a while.
  if (watchesForRerun(ctx, release)) await scheduleNextPoll(ctx, release, 0, ctx.policy.deploy.rerunPollInterval);
}
