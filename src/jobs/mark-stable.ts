import { formatDuration } from '../domain/duration.js';
import { section } from '../messages/format.js';
import { postKeys, type JobContext } from './context.js';
import { refreshProgressView } from './progress-view.js';

const MAX_ATTEMPTS = 24;

/**
 * The stable mark (`stableAfter`: patch day 3, minor 24 h, major 48 h; the watch itself goes on to the end of
 * the first week): a release with no open breach whose last verification read every check is marked stable. Missing data never counts as healthy: then, and while a
 * breach is open, the thread is told and the question is asked again later.
 */
export async function markStable(ctx: JobContext, data: { releaseId: string; attempt: number }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release || release.state !== 'completed' || !release.threadTs) return;
  const thread = { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs };
  const open = await ctx.store.openBreaches(release.id);
  const lastRun = await ctx.store.lastEvent(release.id, 'verification.run');
  const verified = ctx.observability !== undefined && lastRun?.details.complete === true;
  if (open.length === 0 && verified) {
    const applied = await ctx.store.apply(release.id, 'watch_passed', { set: { stableAt: ctx.clock() }, details: { watched: formatDuration(ctx.policy.releaseTypes[release.type].stableAfter) } });
    if (!applied.ok) return;
    await ctx.posts.postOnce(postKeys.stable(release.id), thread, {
      text: `✅ ${release.version} is stable`,
      blocks: [section(`✅ *${release.version} is stable*: no open breach after ${formatDuration(ctx.policy.releaseTypes[release.type].stableAfter)} of post-release verification.`)],
    });
    await refreshProgressView(ctx, applied.release);
    return;
  }
  const why = open.length > 0 ? `open breach${open.length === 1 ? '' : 'es'}: ${open.map((b) => `${b.check} (${b.severity})`).join(', ')}` : ctx.observability ? 'the last verification could not read every check' : 'Datadog is not configured (DD_API_KEY, DD_APP_KEY)';
  await ctx.posts.postOnce(postKeys.notStable(release.id, data.attempt), thread, {
    text: `⚠️ ${release.version} is not marked stable: ${why}`,
    blocks: [section(`⚠️ *${release.version} is not marked stable yet*: ${why}. tminus asks again in ${formatDuration(ctx.policy.verification.retryAfter)}.`)],
  });
  if (data.attempt < MAX_ATTEMPTS && ctx.observability) await ctx.jobs.add('mark-stable', { releaseId: release.id, attempt: data.attempt + 1 }, { delayMs: ctx.policy.verification.retryAfter });
}
