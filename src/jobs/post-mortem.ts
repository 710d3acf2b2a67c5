import { postMortemBody, postMortemLinkMessage } from '../messages/post-mortem.js';
import { postKeys, type JobContext } from './context.js';

/** After a rollback: a GitHub issue for the post-mortem, its body built from the release's audit log. */
export async function postMortem(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release?.rollback || !release.threadTs) return;
  const existing = await ctx.store.lastEvent(release.id, 'rollback.post_mortem_opened');
  let url = existing?.details.url as string | undefined;
  if (!url) {
    const events = await ctx.store.events(release.id);
    const body = postMortemBody({ version: release.version, type: release.type, rollback: release.rollback, timeLimit: ctx.policy.rollback.timeLimit, events });
    url = await ctx.github.createIssue(`Post-mortem: rollback of ${release.version}`, body, ['post-mortem']);
    await ctx.store.audit(release.id, 'rollback.post_mortem_opened', { url });
  }
  await ctx.posts.postOnce(postKeys.postMortem(release.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, postMortemLinkMessage(release.version, url));
}
