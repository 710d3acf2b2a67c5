import { GitHubRefusedError } from '../integrations/github.js';
import type { JobContext } from './context.js';

/** How long after reaching production a release's changes are still worth reading (the reconciler's horizon). */
export const RECORD_CHANGES_WITHIN = 7 * 24 * 60 * 60_000;

/**
 * A release reached production: the merged pull requests it carried are read from GitHub (the compare from
 * the version production ran before it, its own previous version for a hotfix or a backport, to the commit
 * it deployed) with each one's first commit, and recorded once for DORA's lead time for changes. GitHub
 * down: the queue retries, and the reconciler queues it again for a week; a release whose changes were
 * never read has no lead time, never a wrong one.
 */
export async function recordChanges(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release?.targetSha || (await ctx.dora.changesRecorded(release.id))) return;
  const base = release.previousVersion;
  const head = release.targetSha;
  if (!base) {
    await ctx.dora.recordChanges(release.id, [], { base: null, head, unread: 'no earlier version to compare with' });
    return;
  }
  let shipped;
  try {
    shipped = await ctx.github.shippedBetween(base, head);
  } catch (error) {
    // The compare cannot be made (the earlier tag was deleted): asking again will not help.
    if (!(error instanceof GitHubRefusedError && (error.status === 404 || error.status === 422))) throw error;
    await ctx.dora.recordChanges(release.id, [], { base, head, unread: error.message });
    return;
  }
  const changes = shipped.map((p) => ({ number: p.number, firstCommitAt: p.firstCommitAt, mergedAt: p.mergedAt, ...(p.mergeSha ? { mergeSha: p.mergeSha } : {}) }));
  if (await ctx.dora.recordChanges(release.id, changes, { base, head })) {
    ctx.log.info({ releaseId: release.id, version: release.version, base, pullRequests: changes.length }, 'changes recorded for DORA');
  }
}
