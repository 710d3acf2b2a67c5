import { productionTouched } from '../domain/milestones.js';
import { GitHubRefusedError } from '../integrations/github.js';
import { escape, mention, section } from '../messages/format.js';
import { postKeys, type JobContext } from './context.js';
import { refreshGateMessages } from './gate-decision.js';
import { settleStatusUpdates } from './post-status-update.js';
import { loadMilestones, refreshProgressView } from './progress-view.js';

/**
 * After `/release abort`: cancels the deploy run on GitHub when it has not reached production (one that
 * has is left alone: cancelling a half-done production deploy is not tminus's call), closes the gate
 * messages, and says in the thread who aborted it, why, and what is left to do.
 */
export async function abortReleaseJob(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (release?.state !== 'aborted') return;
  const aborted = await ctx.store.lastEvent(release.id, 'release.abort');
  const by = aborted?.actor ?? 'someone';
  const reason = String(aborted?.details.reason ?? '');
  const touched = productionTouched(loadMilestones(release, ctx));
  let run: string;
  if (release.deployRunId !== null && !touched && !release.rollback) {
    try {
      const outcome = await ctx.github.cancelRun(release.deployRunId);
      await ctx.store.audit(release.id, 'github.run_cancelled', { runId: release.deployRunId, outcome });
      run = outcome === 'cancelled' ? `The deploy run was cancelled on GitHub (<${release.deployRunUrl}|run>).` : 'The deploy run had already ended on GitHub.';
    } catch (error) {
      if (!(error instanceof GitHubRefusedError)) throw error;
      run = `tminus could not cancel the deploy run (${escape(error.message)}): cancel it on GitHub (<${release.deployRunUrl}|run>).`;
    }
  } else if (release.deployRunId !== null && touched) {
    run = `Production was touched, so the deploy run was left as it is (<${release.deployRunUrl}|run>): check what production runs, and \`/release rollback ${release.version}\` to go back to ${release.previousVersion ?? 'the previous version'}.`;
  } else if (release.rollback) {
    run = `The rollback to ${release.rollback.toVersion} was being carried out${release.rollback.runUrl ? ` (<${release.rollback.runUrl}|rollback run>)` : ''}: check what production runs now.`;
  } else if (release.taggedAt) {
    run = `The tag ${release.version} stays on GitHub; no deploy run was found for it.`;
  } else {
    run = 'Nothing was tagged or deployed.';
  }
  await refreshGateMessages(ctx, release.id);
  if (release.threadTs) {
    await settleStatusUpdates(ctx, release);
    await ctx.posts.postOnce(postKeys.aborted(release.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, {
      text: `⏹️ ${release.version} was aborted: ${reason}`,
      blocks: [section(`⏹️ *${release.version} was aborted* by ${mention(by)}: ${escape(reason)}\n${run}\nNo more updates will be posted; a new release can start.`)],
    });
  }
  await refreshProgressView(ctx, release);
}
