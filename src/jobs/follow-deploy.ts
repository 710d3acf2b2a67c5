import { productionGate } from '../domain/approvals.js';
import { firstFailure, milestoneProgress } from '../domain/milestones.js';
import { postGate } from './gate-decision.js';
import { GitHubUnavailableError } from '../integrations/github.js';
import type { Release } from '../integrations/database/release-store.js';
import { section } from '../messages/format.js';
import { postKeys, type JobContext } from './context.js';
import { refreshProgressView, storeMilestones } from './progress-view.js';

/** The poll number due at `at`: polls are slots of the policy's poll interval since the release started. */
export function pollSlot(release: Pick<Release, 'startedAt'>, at: Date, pollInterval: number): number {
  return Math.max(0, Math.floor((at.getTime() - release.startedAt.getTime()) / pollInterval));
}

async function scheduleNextPoll(ctx: JobContext, release: Release, poll: number): Promise<void> {
  const interval = ctx.policy.deploy.pollInterval;
  const next = Math.max(poll + 1, pollSlot(release, ctx.clock(), interval) + 1);
  const dueAt = release.startedAt.getTime() + next * interval;
  await ctx.jobs.add('follow-deploy', { releaseId: release.id, poll: next }, { delayMs: dueAt - ctx.clock().getTime() });
}

/**
 * Follows the deploy workflow run the tag push started: finds it, reads its jobs into the guide's milestones,
 * keeps the top message current, and hands over to completion or failure when the run ends. GitHub being
 * down does not end the release: the thread is told once and the polling goes on.
 */
export async function followDeploy(ctx: JobContext, data: { releaseId: string; poll: number }): Promise<void> {
  let release = await ctx.store.findById(data.releaseId);
  if (!release || (release.state !== 'tagged' && release.state !== 'deploying' && release.state !== 'awaiting_production_approval')) return;
  try {
    if (release.deployRunId === null) {
      const run = await ctx.github.findDeployRun(ctx.deployWorkflow, release.version, release.targetSha!);
      if (!run) {
        const waited = ctx.clock().getTime() - (release.taggedAt ?? release.startedAt).getTime();
        if (waited > ctx.policy.deploy.runAppearTimeout) {
          await ctx.jobs.add('fail-release', {
            releaseId: release.id,
            event: 'deploy_run_missing',
            reason: `no run of ${ctx.deployWorkflow} started for tag ${release.version}: check that the workflow runs on tag pushes`,
            finishedAt: ctx.clock().toISOString(),
          });
          return;
        }
        release = await recovered(ctx, release);
        await scheduleNextPoll(ctx, release, data.poll);
        return;
      }
      const found = await ctx.store.apply(release.id, 'deploy_run_found', {
        set: { deployRunId: run.id, deployRunUrl: run.url, deployStartedAt: new Date(run.createdAt) },
        details: { runId: run.id, url: run.url, workflow: ctx.deployWorkflow },
      });
      if (!found.ok) return;
      release = found.release;
    }
    const runId = release.deployRunId!;
    const [run, jobs] = await Promise.all([ctx.github.getDeployRun(runId), ctx.github.listDeployJobs(runId)]);
    const progress = milestoneProgress(ctx.policy.deploy.milestones, jobs);
    release = await ctx.store.update(release.id, { progress: storeMilestones(progress), githubUnreachableSince: null });
    await refreshProgressView(ctx, release);

    if (run.status === 'waiting' && release.state === 'deploying') await openProductionGate(ctx, release, runId);
    if (run.status !== 'completed') {
      await scheduleNextPoll(ctx, release, data.poll);
      return;
    }
    const finishedAt = jobs.map((j) => j.completedAt).filter((t): t is string => t !== null).sort().pop() ?? ctx.clock().toISOString();
    if (run.conclusion === 'success') {
      await ctx.jobs.add('complete-release', { releaseId: release.id, finishedAt });
      return;
    }
    const failed = firstFailure(progress)?.failure ?? jobs.find((j) => j.conclusion === 'failure');
    const reason =
      run.conclusion === 'cancelled'
        ? 'the deploy workflow run was cancelled'
        : `the deploy workflow run ended with ${run.conclusion ?? 'no conclusion'}${failed ? ` (job ${'job' in failed ? failed.job : failed.name} failed)` : ''}`;
    await ctx.jobs.add('fail-release', { releaseId: release.id, event: 'deploy_failed', reason, finishedAt });
  } catch (error) {
    if (!(error instanceof GitHubUnavailableError)) throw error;
    await noteGitHubUnreachable(ctx, release, error);
    await scheduleNextPoll(ctx, release, data.poll);
  }
}

/**
 * T+60: the deploy run waits on the production environment's required reviewers. tminus opens its own
 * production gate (two approvers by the guide) and answers GitHub's review once the gate is met.
 */
async function openProductionGate(ctx: JobContext, release: Release, runId: number): Promise<void> {
  const pending = await ctx.github.pendingDeployments(runId);
  const environment = pending.find((p) => p.environment === ctx.policy.productionApproval.environment);
  if (!environment) return;
  const opened = await ctx.store.withLock(release.id, async (locked, tx) => {
    if (locked.state !== 'deploying') return undefined;
    const { gate } = await ctx.gates.open(tx, locked.id, 'production', productionGateRule(ctx), environment.environmentId);
    if (gate.state !== 'open') return undefined;
    const applied = await ctx.store.applyLocked(tx, locked, 'production_approval_requested', { details: { gateId: gate.id, environment: environment.environment } });
    return applied.ok ? { gate, release: applied.release } : undefined;
  });
  if (!opened) return;
  await postGate(ctx, opened.gate, opened.release);
  await refreshProgressView(ctx, opened.release);
}

function productionGateRule(ctx: JobContext) {
  const rule = productionGate(ctx.policy);
  return { roles: [...rule.roles], rule: rule.rule, approvers: rule.approvers };
}

async function recovered(ctx: JobContext, release: Release): Promise<Release> {
  return release.githubUnreachableSince ? ctx.store.update(release.id, { githubUnreachableSince: null }) : release;
}

/** Says once per outage, in the thread, that GitHub cannot be reached and tminus keeps trying. */
async function noteGitHubUnreachable(ctx: JobContext, release: Release, error: Error): Promise<void> {
  ctx.log.warn({ releaseId: release.id, err: error }, 'GitHub unreachable while following the deploy');
  let since = release.githubUnreachableSince;
  if (!since) {
    since = ctx.clock();
    await ctx.store.update(release.id, { githubUnreachableSince: since });
    await ctx.store.audit(release.id, 'github.unreachable', { error: error.message });
  }
  if (!release.threadTs) return;
  await ctx.posts.postOnce(
    postKeys.githubUnreachable(release.id, since),
    { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs },
    {
      text: `⚠️ GitHub cannot be reached: still following ${release.version}`,
      blocks: [section(`⚠️ *GitHub cannot be reached* (${error.message}). tminus keeps following the deploy of ${release.version} and will update this thread when GitHub answers again.`)],
    },
  );
}
