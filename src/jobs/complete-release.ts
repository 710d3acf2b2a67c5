import { releaseCompleteChanges, releaseCompleteMessage } from '../messages/release-complete.js';
import type { Audience } from '../messages/plain-words.js';
import { postKeys, type JobContext } from './context.js';
import { refreshGateMessages } from './gate-decision.js';
import { settleStatusUpdates } from './post-status-update.js';
import { refreshProgressView } from './progress-view.js';
import { scheduleWatch } from './verify-release.js';
import { readingDueAt } from './post-deploy-checks.js';
import { tellCustomers } from './customers.js';
import { tellStatusPage } from './status-page.js';
import { howReleaseWasVerified } from './how-verified.js';

/**
 * The deploy run succeeded: production runs the new version (recorded as what production runs, the hotfix's
 * "deployed" ticked) and the guide's T+60 post-deploy checks start; the release is `verifying`. Once they
 * pass (post-deploy-checks), this job runs again for the release that is complete: the GitHub release is
 * published with generated notes, the guide's "Release complete" message posted with the real times, and
 * the post-release watch begins.
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
    await ctx.jobs.add('record-changes', { releaseId: release.id });
    await refreshGateMessages(ctx, release.id);
  }
  if (release.state === 'verifying') {
    await refreshProgressView(ctx, release);
    await ctx.jobs.ensure('post-deploy-checks', { releaseId: release.id, reading: 1 }, { delayMs: readingDueAt(ctx, release, 1) - ctx.clock().getTime() });
    return;
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
  // New features and performance improvements from the release's plan, else from GitHub's generated notes.
  const plan = await ctx.releasePlans.findByVersion(release.version);
  const verified = await howReleaseWasVerified(ctx, release.id);
  const complete = (audience: Audience) =>
    releaseCompleteMessage({
      version: release.version,
      completedAt: release.completedAt ?? finishedAt,
      deploymentMs: finishedAt.getTime() - release.startedAt.getTime(),
      releaseUrl: published.url,
      changes: releaseCompleteChanges({ sections: plan?.plan?.sections, notes: published.notes }),
      timeZone: ctx.policy.timezone,
      supportContact: ctx.policy.communication.supportContact,
      audience,
      verified,
    });
  if (release.threadTs) {
    await settleStatusUpdates(ctx, release);
    await ctx.posts.postOnce(postKeys.complete(release.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, complete('team'));
  }
  // T+90 "Customer announcement sent": the customer wording, where the team keeps one (`communication.customerChannel`).
  await tellCustomers(ctx, release, postKeys.completeForCustomers(release.id), complete('customers'));
  await tellStatusPage(ctx, 'completed', { releaseId: release.id });
  await refreshProgressView(ctx, release);
}
