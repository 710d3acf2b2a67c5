import { GitHubRefusedError } from '../integrations/github.js';
import { abortedMessage, type AbortedDeploy } from '../messages/abort.js';
import { postKeys, type JobContext } from './context.js';
import { refreshGateMessages } from './gate-decision.js';
import { settleStatusUpdates } from './post-status-update.js';
import { refreshProgressView } from './progress-view.js';
import { schedulePostMortem } from './post-mortem.js';
import { tellStatusPage } from './status-page.js';
import { decideProductionTouch } from './production-touched.js';

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
  // GitHub's deployments decide; a run GitHub cannot vouch for is left alone, as one that touched production.
  const production = await decideProductionTouch(ctx, release);
  const touched = production.touch === 'touched';
  let deploy: AbortedDeploy;
  if (release.deployRunId !== null && production.touch === 'untouched' && !release.rollback) {
    try {
      const outcome = await ctx.github.cancelRun(release.deployRunId);
      await ctx.store.audit(release.id, 'github.run_cancelled', { runId: release.deployRunId, outcome });
      deploy = outcome === 'cancelled' ? { kind: 'cancelled', runUrl: release.deployRunUrl } : { kind: 'already-ended' };
    } catch (error) {
      if (!(error instanceof GitHubRefusedError)) throw error;
      deploy = { kind: 'cancel-refused', error: error.message, runUrl: release.deployRunUrl };
    }
  } else if (release.deployRunId !== null && (touched || !release.rollback)) {
    deploy = { kind: touched ? 'production-touched' : 'production-unknown', runUrl: release.deployRunUrl, previousVersion: release.previousVersion };
  } else if (release.rollback) {
    deploy = { kind: 'rolling-back', toVersion: release.rollback.toVersion, ...(release.rollback.runUrl ? { runUrl: release.rollback.runUrl } : {}) };
  } else {
    deploy = { kind: release.taggedAt ? 'tagged' : 'nothing' };
  }
  await refreshGateMessages(ctx, release.id);
  if (release.threadTs) {
    await settleStatusUpdates(ctx, release);
    await ctx.posts.postOnce(postKeys.aborted(release.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, abortedMessage({ version: release.version, by, reason, deploy }));
  }
  await refreshProgressView(ctx, release);
  await tellStatusPage(ctx, 'ended', { releaseId: release.id });
  if (touched) await schedulePostMortem(ctx, release, 'aborted');
}
