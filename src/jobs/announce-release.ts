import type { JobContext } from './context.js';
import { postKeys } from './context.js';
import { progressMessage } from './progress-view.js';

/** Posts the guide's "Release started" message in #releases; its thread carries everything after it. */
export async function announceRelease(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release) return;
  if (!release.threadTs) {
    const { ts } = await ctx.posts.postOnce(postKeys.top(release.id), { releaseId: release.id, channel: release.channelId }, progressMessage(release, ctx));
    await ctx.store.update(release.id, { threadTs: ts });
  }
  const interval = ctx.policy.statusUpdates.interval;
  await ctx.jobs.add('post-status-update', { releaseId: release.id, update: 1 }, { delayMs: release.startedAt.getTime() + interval - ctx.clock().getTime() });
  if (release.state === 'started') await ctx.jobs.add('create-tag', { releaseId: release.id });
}
