import type { Release } from '../integrations/database/release-store.js';
import type { JobContext } from './context.js';
import { watchesForRerun } from './follow-deploy.js';
import type { JobPayloads } from './queue.js';
import { rollbackPollSlot, runRollback } from './run-rollback.js';
import { syncReleasedVersions } from './sync-released-versions.js';

type Delivery = JobPayloads['github-event'];

/**
 * What a GitHub webhook delivery makes happen: tminus looks at GitHub now, through the code polling uses.
 * The delivery only says what to look at (a run, a tag, a pull request); GitHub stays the source of truth.
 */
export async function githubEvent(ctx: JobContext, data: Delivery): Promise<void> {
  switch (data.event) {
    case 'push':
      // A tag pushed (or deleted): the released versions `/release start` judges against.
      return syncReleasedVersions(ctx);
    case 'pull_request':
      return pullRequestMerged(ctx, data);
    case 'check_suite':
    case 'check_run':
    case 'status':
      return ciFinished(ctx, data);
    default:
      return runChanged(ctx, data);
  }
}

/**
 * workflow_run, workflow_job, deployment_review, deployment_protection_rule: a run moved, waits at an
 * environment, or was reviewed in GitHub's UI. The release whose deploy or rollback it is looks at it now.
 */
async function runChanged(ctx: JobContext, data: Delivery): Promise<void> {
  const now = ctx.clock();
  const failed = (await ctx.store.endedSince('failed', new Date(now.getTime() - ctx.policy.deploy.rerunWindow))).filter((r) => watchesForRerun(ctx, r));
  for (const release of [...(await ctx.store.inFlight()), ...failed]) {
    if (release.state === 'rolling_back' && release.rollback) {
      const rollback = release.rollback;
      const ours = rollback.runId !== undefined ? rollback.runId === data.runId : isWorkflow(data.workflowPath, ctx.policy.rollback.workflow);
      if (ours) await runRollback(ctx, { releaseId: release.id, poll: rollbackPollSlot(ctx, release, now) });
      continue;
    }
    if (!isDeployRun(ctx, release, data)) continue;
    // A job's end and the next one's start arrive together: one read for the burst (coalesced). A job that
    // started or ended changes the milestones only: its run's jobs are read (one call); the run itself (its
    // end, a wait at an environment, a review) is read whole.
    const jobsOnly = data.event === 'workflow_job' && data.action !== 'waiting' && release.deployRunId !== null;
    await ctx.jobs.add('deploy-event', jobsOnly ? { releaseId: release.id, scope: 'jobs' } : { releaseId: release.id, ...(release.deployRunId === null && data.runId !== undefined ? { runId: data.runId } : {}) });
  }
}

/**
 * A candidate for the release's deploy run: the run it follows, or, before it found one, a run for its tag.
 * Only a filter: the delivery proves nothing, and followDeployNow takes the run only when GitHub says it is the release's own.
 */
function isDeployRun(ctx: JobContext, release: Release, data: Delivery): boolean {
  if (release.deployRunId !== null) return release.deployRunId === data.runId;
  if (data.headBranch !== release.version) return false;
  if (data.headSha !== undefined && release.targetSha !== null && data.headSha !== release.targetSha) return false;
  return data.workflowPath === undefined || isWorkflow(data.workflowPath, release.backport?.workflow ?? ctx.deployWorkflow);
}

/** `.github/workflows/deploy-production.yml` is the workflow `deploy-production.yml`. */
function isWorkflow(path: string | undefined, workflow: string): boolean {
  return path !== undefined && (path === workflow || path.endsWith(`/${workflow}`));
}

/**
 * CI finished on a commit (check_suite or check_run completed, a commit status set): a release held at its
 * readiness gate is judged now (coalesced) when it was last judged on that commit, or the commit is on the
 * branch it tags, rather than at its next `readiness.recheckEvery`. The judgement reads CI on GitHub.
 */
async function ciFinished(ctx: JobContext, data: Delivery): Promise<void> {
  const branches = [...(data.branches ?? []), ...(data.headBranch ? [data.headBranch] : [])];
  for (const release of (await ctx.store.inFlight()).filter((r) => r.state === 'started' && r.targetSha === null)) {
    const judged = (await ctx.store.lastEvent(release.id, 'readiness.judged'))?.details as { sha?: string; branch?: string } | undefined;
    if (!judged) continue;
    if ((data.headSha !== undefined && judged.sha === data.headSha) || (judged.branch !== undefined && branches.includes(judged.branch))) {
      await ctx.jobs.add('readiness-now', { releaseId: release.id });
    }
  }
}

/**
 * A pull request merged. A plan is drafted from GitHub once, at `/release plan`: a planned release reads
 * its range again when the merge joins it, so its card and its notes follow. A merge joins a release
 * through its branch `release/<version>`, or through the default branch until that branch is cut.
 * The merge is logged so that deliveries can be traced.
 */
async function pullRequestMerged(ctx: JobContext, data: Delivery): Promise<void> {
  ctx.log.info({ delivery: data.delivery, pullRequest: data.pullRequest, base: data.headBranch }, 'github webhook: pull request merged');
  const plans = await ctx.releasePlans.planned();
  if (plans.length === 0 || data.headBranch === undefined) return;
  let defaultBranch: string | undefined;
  for (const plan of plans) {
    const releaseBranch = `release/${plan.version}`;
    const joins =
      data.headBranch === releaseBranch ||
      (data.headBranch === (defaultBranch ??= await ctx.github.defaultBranch()) && (await ctx.github.branchHead(releaseBranch)) === undefined);
    if (joins) await ctx.jobs.add('refresh-plan', { planId: plan.id });
  }
}
