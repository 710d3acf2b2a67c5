import type { Release } from '../integrations/database/release-store.js';
import { postMortemBody, postMortemLinkMessage, postMortemTitle, type PostMortemReason } from '../messages/post-mortem.js';
import { postKeys, type JobContext } from './context.js';

export type { PostMortemReason } from '../messages/post-mortem.js';

const SCHEDULED = 'post_mortem.scheduled';
const OPENED = 'post_mortem.opened';
/** The action name before post-mortems were opened for failures too: an issue it records is never opened again. */
const OPENED_BEFORE = 'rollback.post_mortem_opened';

/**
 * "Schedule post-mortem if issues": a release that failed after touching production, was aborted after
 * touching it, was rolled back, or failed its post-deploy checks gets one post-mortem issue. The first reason
 * is kept (later ones are in the audit log the issue quotes); the job opens the issue once per release.
 */
export async function schedulePostMortem(ctx: JobContext, release: Release, reason: PostMortemReason): Promise<void> {
  if (!(await ctx.store.lastEvent(release.id, SCHEDULED))) await ctx.store.audit(release.id, SCHEDULED, { reason });
  await ctx.jobs.add('post-mortem', { releaseId: release.id });
}

/** Opens the post-mortem GitHub issue (once), its body built from the release's audit log, and links it in the thread. */
export async function postMortem(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release) return;
  const scheduled = (await ctx.store.events(release.id)).find((e) => e.action === SCHEDULED);
  // Queued before reasons were recorded: only a rollback queued it.
  const reason = (scheduled?.details.reason as PostMortemReason | undefined) ?? (release.rollback ? 'rolled_back' : undefined);
  if (!reason) return;
  const existing = (await ctx.store.lastEvent(release.id, OPENED)) ?? (await ctx.store.lastEvent(release.id, OPENED_BEFORE));
  let url = existing?.details.url as string | undefined;
  if (!url) {
    const events = await ctx.store.events(release.id);
    const body = postMortemBody({
      version: release.version,
      type: release.type,
      reason,
      failureReason: release.failureReason,
      rollback: release.rollback ?? undefined,
      timeLimit: ctx.policy.rollback.timeLimit,
      events,
    });
    url = await ctx.github.createIssue(postMortemTitle(reason, release.version), body, ['post-mortem']);
    await ctx.store.audit(release.id, OPENED, { url, reason });
  }
  if (release.threadTs) {
    await ctx.posts.postOnce(postKeys.postMortem(release.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, postMortemLinkMessage(release.version, url, reason));
  }
}
