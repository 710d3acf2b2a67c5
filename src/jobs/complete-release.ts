import { releaseCompleteMessage } from '../messages/release-complete.js';
import { minutesBetween } from '../messages/format.js';
import { postKeys, type JobContext } from './context.js';
import { settleStatusUpdates } from './post-status-update.js';
import { refreshProgressView } from './progress-view.js';
import { scheduleWatch } from './verify-release.js';

/**
 * T+90: the deploy run succeeded. Publishes the GitHub release with generated notes, marks the release
 * completed, and posts the guide's "Release complete" message with the real deployment time.
 */
export async function completeRelease(ctx: JobContext, data: { releaseId: string; finishedAt: string }): Promise<void> {
  let release = await ctx.store.findById(data.releaseId);
  if (!release || (release.state !== 'deploying' && release.state !== 'completed')) return;
  const published = await ctx.github.publishRelease(release.version, release.targetSha!);
  if (release.state === 'deploying') {
    const applied = await ctx.store.withLock(release.id, async (locked, tx) => {
      const ticked = (await ctx.store.markHotfixStep(tx, locked, 'deployed', 'tminus', new Date(data.finishedAt))) ?? locked;
      return ctx.store.applyLocked(tx, ticked, 'deploy_succeeded', {
        set: { finishedAt: new Date(data.finishedAt), releaseUrl: published.url },
        details: { releaseUrl: published.url },
      });
    });
    if (!applied.ok) return;
    release = applied.release;
    await ctx.store.recordReleasedVersions([{ version: release.version, sha: release.targetSha, source: 'tminus' }]);
  }
  if (release.state === 'completed') await scheduleWatch(ctx, release);
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
