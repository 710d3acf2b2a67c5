import { formatDuration } from '../domain/duration.js';
import type { Release } from '../integrations/database/release-store.js';
import { escape, section } from '../messages/format.js';
import { postKeys, type JobContext } from './context.js';

/**
 * Says once per outage, in the release's thread, that GitHub cannot be reached and what tminus keeps doing
 * meanwhile (`doing`: "following the deploy of v1.3.0"). The outage starts with the first failed call and
 * ends with the first one that answers (`githubAnswered`).
 */
export async function noteGitHubUnreachable(ctx: JobContext, release: Release, error: Error, doing: string): Promise<Release> {
  ctx.log.warn({ releaseId: release.id, err: error }, `GitHub unreachable while ${doing}`);
  let since = release.githubUnreachableSince;
  let current = release;
  if (!since) {
    since = ctx.clock();
    current = await ctx.store.update(release.id, { githubUnreachableSince: since });
    await ctx.store.audit(release.id, 'github.unreachable', { error: error.message, while: doing });
  }
  if (!release.threadTs) return current;
  await ctx.posts.postOnce(
    postKeys.githubUnreachable(release.id, since),
    { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs },
    {
      text: `⚠️ GitHub cannot be reached: still ${doing}`,
      blocks: [section(`⚠️ *GitHub cannot be reached* (${escape(error.message)}). tminus keeps ${doing} and will update this thread when GitHub answers again.`)],
    },
  );
  return current;
}

/** GitHub answered again: the next outage is said anew. */
export async function githubAnswered(ctx: JobContext, release: Release): Promise<Release> {
  if (!release.githubUnreachableSince) return release;
  await ctx.store.audit(release.id, 'github.reachable', { after: formatDuration(ctx.clock().getTime() - release.githubUnreachableSince.getTime()) });
  return ctx.store.update(release.id, { githubUnreachableSince: null });
}
