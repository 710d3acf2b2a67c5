import { releaseCompleteMessage } from '../messages/release-complete.js';
import { minutesBetween } from '../messages/format.js';
import { postKeys, type JobContext } from './context.js';
import { refreshGateMessages } from './gate-decision.js';
import { settleStatusUpdates } from './post-status-update.js';
import { refreshProgressView } from './progress-view.js';
import { scheduleWatch } from './verify-release.js';

/**
 * T+90: the deploy run succeeded. The release is completed first (production runs it, whatever GitHub's
 * release API says next), then the GitHub release is published with generated notes and the guide's
 * "Release complete" message is posted with the real deployment time.
 */
export async function completeRelease(ctx: JobContext, data: { releaseId: string; finishedAt: string }): Promise<void> {
  let release = await ctx.store.findById(data.releaseId);
  if (!release) return;
  if (release.state === 'deploying' || release.state === 'awaiting_production_approval') {
    const applied = await ctx.store.withLock(release.id, async (locked, tx) => {
      const ticked = (await ctx.store.markHotfixStep(tx, locked, 'deployed', 'tminus', new Date(data.finishedAt))) ?? locked;
      return ctx.store.applyLocked(tx, ticked, 'deploy_succeeded', { set: { finishedAt: new Date(data.finishedAt) } });
    });
    if (!applied.ok) return;
    release = applied.release;
    await ctx.store.recordReleasedVersions([{ version: release.version, sha: release.targetSha, source: 'tminus' }]);
    await refreshGateMessages(ctx, release.id);
  }
  if (release.state !== 'completed' && release.state !== 'stable') return;
  if (release.state === 'completed') await scheduleWatch(ctx, release);
  await refreshProgressView(ctx, release);
  const published = await ctx.github.publishRelease(release.version, release.targetSha!);
  if (release.releaseUrl !== published.url) {
    release = await ctx.store.update(release.id, { releaseUrl: published.url });
    await ctx.store.audit(release.id, 'github.release_published', { url: published.url });
  }
  const finishedAt = release.finishedAt ?? new Date(data.finishedAt);
  if (release.threadTs) {
    await settleStatusUpdates(ctx, release);
    await ctx.posts.postOnce(
      postKeys.complete(release.id),
      { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs },
      releaseCompleteMessage({
        version: release.version,
        completedAt: finishedAt,
        deploymentMinutes: minutesBetween(release.startedAt, finishedAt),
        releaseUrl: published.url,
        notes: published.notes,
        timeZone: ctx.policy.timezone,
        supportContact: ctx.policy.communication.supportContact,
      }),
    );
  }
  await refreshProgressView(ctx, release);
}
