import { productionGate } from '../domain/approvals.js';
import { firstFailure } from '../domain/milestones.js';
import { reportedAt } from '../domain/reported-at.js';
import { postGate, refreshGateMessages } from './gate-decision.js';
import { approveProductionByPolicy, productionGateApplies } from './production-by-policy.js';
import { GitHubRefusedError, GitHubUnavailableError, type DeployRun } from '../integrations/github.js';
import type { Release } from '../integrations/database/release-store.js';
import { link, section } from '../messages/format.js';
import { productionAnsweredMessage } from '../messages/approval-gate.js';
import { postKeys, type JobContext } from './context.js';
import { githubAnswered, noteGitHubUnreachable } from './github-outage.js';
import { readUnlessRefused } from './github-refused.js';
import { refreshProgressView, storeMilestones } from './progress-view.js';
import { dueUpdate } from './post-status-update.js';
import { deployPollInterval } from './webhook-polling.js';
import { answerDispatchedRun } from './dispatch-production.js';
import { awaitsProductionRun, deployProgress, dispatchesProduction, followProductionDispatch, stagingSucceeded } from './staged-for-production.js';
import { expectedDeployRun, provenRun } from './own-run.js';

/**
 * A webhook said the deploy run changed: look now, as the poll due now would. `runId` is the run GitHub's
 * delivery named; it is read on GitHub, and taken as the deploy run when none was found yet only when GitHub
 * says it is the release's own (its workflow, a push of its tag, the tagged commit): a delivery proves nothing.
 */
export async function followDeployNow(ctx: JobContext, releaseId: string, runId?: number): Promise<void> {
  const release = await ctx.store.findById(releaseId);
  if (!release) return;
  if (release.deployRunId === null && runId !== undefined && FOLLOWED.includes(release.state)) {
    const run = await provenRun(ctx, runId, expectedDeployRun(ctx, release), release.id).catch((error: unknown) => {
      if (error instanceof GitHubUnavailableError) return undefined;
      throw error;
    });
    if (run) {
      await ctx.store.apply(release.id, 'deploy_run_found', {
        set: { deployRunId: run.id, deployRunUrl: run.url, deployStartedAt: reportedAt(run.createdAt, ctx.clock()), deployRunAttempt: run.attempt },
        details: { runId: run.id, url: run.url, workflow: release.backport?.workflow ?? ctx.deployWorkflow, path: run.workflowPath, via: 'webhook' },
      });
    }
  }
  await followDeploy(ctx, { releaseId, poll: pollSlot(release, ctx.clock(), ctx.policy.deploy.pollInterval) });
}

/**
 * A job of the release's deploy run started or ended (GitHub's `workflow_job`): its jobs are read (one call)
 * into the milestones and the top message. The run's own changes (its end, a wait, a review) come with their
 * own deliveries, and polling reads the whole run: nothing is decided here.
 */
export async function readDeployJobsNow(ctx: JobContext, releaseId: string): Promise<void> {
  const release = await ctx.store.findById(releaseId);
  if (!release || release.deployRunId === null || !FOLLOWED.includes(release.state)) return;
  let jobs;
  try {
    jobs = await ctx.github.listDeployJobs(release.deployRunId);
  } catch (error) {
    // GitHub down, or refusing the read (said by the poll): the next poll reads the run whole.
    if (error instanceof GitHubUnavailableError || error instanceof GitHubRefusedError) return;
    throw error;
  }
  const progress = deployProgress(ctx.policy, release, jobs);
  await refreshProgressView(ctx, await ctx.store.update(release.id, { progress: storeMilestones(progress) }));
}

/** The poll number due at `at`: polls are slots of the policy's poll interval since the release started. */
export function pollSlot(release: Pick<Release, 'startedAt'>, at: Date, pollInterval: number): number {
  return Math.max(0, Math.floor((at.getTime() - release.startedAt.getTime()) / pollInterval));
}

/**
 * The poll number of the next look after `at` when the run is read every `every`: looks fall on a grid of
 * `every` counted from T-0 (in poll-interval slots), so whoever queues the next look (the chain, a webhook's
 * read, the reconciler) names the same one, and a slower pace while webhooks flow stays slow.
 */
export function nextPollSlot(release: Pick<Release, 'startedAt'>, at: Date, every: number, interval: number): number {
  const step = Math.max(1, Math.round(every / interval));
  return (Math.floor(pollSlot(release, at, interval) / step) + 1) * step;
}

/**
 * Queues the next look at the run, `every` (by default the poll interval, slower while webhooks arrive) on
 * the grid from T-0, under the next free poll number.
 */
export async function scheduleNextPoll(ctx: JobContext, release: Release, poll: number, every?: number): Promise<void> {
  every ??= await deployPollInterval(ctx);
  const interval = ctx.policy.deploy.pollInterval;
  const now = ctx.clock();
  const next = Math.max(poll + 1, nextPollSlot(release, now, every, interval));
  await ctx.jobs.add('follow-deploy', { releaseId: release.id, poll: next }, { delayMs: Math.max(0, release.startedAt.getTime() + next * interval - now.getTime()) });
}

const FOLLOWED: readonly Release['state'][] = ['tagged', 'deploying', 'awaiting_production_approval'];

/** A failed deploy whose run may still be re-run on GitHub (within `deploy.rerunWindow`), with no rollback started. */
export function watchesForRerun(ctx: Pick<JobContext, 'policy' | 'clock'>, release: Release): boolean {
  return (
    release.state === 'failed' &&
    release.deployRunId !== null &&
    release.rollback === null &&
    release.finishedAt !== null &&
    ctx.clock().getTime() - release.finishedAt.getTime() < ctx.policy.deploy.rerunWindow
  );
}

/**
 * Follows the deploy workflow run the tag push started, with GitHub as the source of truth: finds the run,
 * reads its jobs into the guide's milestones, keeps the top message current, and follows what happened
 * there whoever did it: the production environment approved or rejected in GitHub's UI, the run cancelled,
 * re-run or deleted. GitHub being down does not end the release: the thread is told once and polling goes on.
 */
export async function followDeploy(ctx: JobContext, data: { releaseId: string; poll: number }): Promise<void> {
  let release = await ctx.store.findById(data.releaseId);
  if (!release) return;
  if (watchesForRerun(ctx, release)) return watchForRerun(ctx, release, data.poll);
  if (!FOLLOWED.includes(release.state)) return;
  try {
    if (awaitsProductionRun(release)) {
      // Dispatch mode, staging done: the production gate, then the production workflow's dispatch and run.
      const production = await followProductionDispatch(ctx, release);
      if (!production) return scheduleNextPoll(ctx, release, data.poll, release.state === 'deploying' ? ctx.policy.deploy.pollInterval : undefined);
      release = production;
    }
    if (release.deployRunId === null) {
      // A backport patch is deployed by the backport workflow its release recorded (`deploy.backportWorkflow`).
      const workflow = release.backport?.workflow ?? ctx.deployWorkflow;
      const run = await ctx.github.findDeployRun(workflow, release.version, release.targetSha!);
      if (!run) {
        const waited = ctx.clock().getTime() - (release.taggedAt ?? release.startedAt).getTime();
        if (waited > ctx.policy.deploy.runAppearTimeout) {
          await ctx.jobs.add('fail-release', {
            releaseId: release.id,
            event: 'deploy_run_missing',
            reason: `no run of ${workflow} started for tag ${release.version}: check that the workflow runs on tag pushes`,
            finishedAt: ctx.clock().toISOString(),
          });
          return;
        }
        release = await githubAnswered(ctx, release);
        await scheduleNextPoll(ctx, release, data.poll);
        return;
      }
      const found = await ctx.store.apply(release.id, 'deploy_run_found', {
        set: { deployRunId: run.id, deployRunUrl: run.url, deployStartedAt: reportedAt(run.createdAt, ctx.clock()), deployRunAttempt: run.attempt },
        details: { runId: run.id, url: run.url, workflow },
      });
      if (!found.ok) return;
      release = found.release;
    }
    const runId = release.deployRunId!;
    const run = await ctx.github.findRun(runId);
    if (!run) {
      await ctx.jobs.add('fail-release', {
        releaseId: release.id,
        event: 'deploy_run_lost',
        reason: `the deploy run ${release.deployRunUrl ?? runId} was deleted on GitHub, so tminus cannot tell what production runs: check it, then \`/release rollback ${release.version}\` if it was deployed`,
        finishedAt: ctx.clock().toISOString(),
      });
      return;
    }
    if (run.attempt > release.deployRunAttempt) {
      await ctx.store.audit(release.id, 'deploy.run_rerun', { runId, attempt: run.attempt });
      release = await ctx.store.update(release.id, { deployRunAttempt: run.attempt });
    }
    const jobs = await readUnlessRefused(ctx, release, 'jobs', () => ctx.github.listDeployJobs(runId));
    const progress = jobs ? deployProgress(ctx.policy, release, jobs) : undefined;
    if (progress) release = await ctx.store.update(release.id, { progress: storeMilestones(progress) });
    release = await githubAnswered(ctx, release);

    if (release.state === 'awaiting_production_approval' && (await rejectedInSlack(ctx, release))) {
      // A rejection in Slack is being handed to GitHub (the gate-decision job ends the release): wait for it.
      await refreshProgressView(ctx, release);
      await scheduleNextPoll(ctx, release, data.poll);
      return;
    }
    if (release.state === 'awaiting_production_approval' && run.status !== 'waiting') {
      const answered = await productionAnsweredOnGitHub(ctx, release, run);
      if (!answered) return;
      release = answered;
    }
    await refreshProgressView(ctx, release);
    if (run.status === 'waiting' && release.state === 'deploying') await openProductionGate(ctx, release, runId);
    if (run.status !== 'completed') {
      await scheduleNextPoll(ctx, release, data.poll);
      return;
    }
    const finishedAt = reportedAt((jobs ?? []).map((j) => j.completedAt).filter((t): t is string => t !== null).sort().pop(), ctx.clock()).toISOString();
    if (run.conclusion === 'success' && dispatchesProduction(ctx.policy) && release.productionDispatch === null) {
      // The tag's run built and deployed to staging: production waits for tminus's dispatch.
      if (await stagingSucceeded(ctx, release, run, jobs)) return scheduleNextPoll(ctx, release, data.poll, ctx.policy.deploy.pollInterval);
    }
    if (run.conclusion === 'success') {
      await ctx.jobs.ensure('deploy-succeeded', { releaseId: release.id, finishedAt });
      return;
    }
    const failed = (progress && firstFailure(progress)?.failure) ?? jobs?.find((j) => j.conclusion === 'failure');
    const reason =
      run.conclusion === 'cancelled'
        ? 'the deploy workflow run was cancelled on GitHub'
        : `the deploy workflow run ended with ${run.conclusion ?? 'no conclusion'}${failed ? ` (job ${'job' in failed ? failed.job : failed.name} failed)` : ''}`;
    await ctx.jobs.ensure('fail-release', { releaseId: release.id, event: 'deploy_failed', reason, finishedAt, attempt: release.deployRunAttempt });
  } catch (error) {
    if (!(error instanceof GitHubUnavailableError)) throw error;
    await noteGitHubUnreachable(ctx, release, error, `following the deploy of ${release.version}`);
    await scheduleNextPoll(ctx, release, data.poll);
  }
}

/**
 * The run no longer waits at the production environment while tminus's gate is still open: someone
 * answered the review outside Slack (GitHub's UI, another tool, an admin bypass). The gate closes saying who
 * acted where; an approval lets the release go on, a rejection ends it. Returns the release to go on with,
 * or undefined when it ended.
 */
async function productionAnsweredOnGitHub(ctx: JobContext, release: Release, run: DeployRun): Promise<Release | undefined> {
  const environment = ctx.policy.productionApproval.environment;
  // Who answered is auxiliary: refused for good, the release goes on by the run's own status and conclusion.
  const reviews = (await readUnlessRefused(ctx, release, 'reviews', () => ctx.github.deploymentReviews(run.id))) ?? [];
  const review = reviews.filter((r) => r.environments.length === 0 || r.environments.includes(environment)).at(-1);
  // No review and the run ended badly: it was cancelled or failed while waiting, not answered. The failure
  // path ends the release (and closes the gate) with the run's own conclusion.
  if (!review && run.status === 'completed' && run.conclusion !== 'success') return release;
  const rejected = review?.state === 'rejected';
  const who = review ? `@${review.login}` : 'someone outside Slack';
  const outcome = `${rejected ? 'Rejected' : 'Approved'} on GitHub by ${who}${review?.comment ? `: “${review.comment}”` : ''}`;
  const actor = review ? `github:${review.login}` : 'github';
  const now = ctx.clock();
  const applied = await ctx.store.withLock(release.id, async (locked, tx) => {
    const gate = await ctx.gates.ofRelease(locked.id, 'production', tx);
    if (gate?.state === 'open') await ctx.gates.close(tx, gate, rejected ? 'rejected' : 'approved', now, { text: outcome, actor });
    return ctx.store.applyLocked(tx, locked, rejected ? 'production_rejected_on_github' : 'production_approved_on_github', {
      actor,
      ...(rejected ? { set: { finishedAt: now, failureReason: `production deploy ${outcome.charAt(0).toLowerCase()}${outcome.slice(1)}` } } : {}),
      details: { runId: run.id, reviewer: review?.login ?? null, comment: review?.comment ?? null },
    });
  });
  await refreshGateMessages(ctx, release.id);
  if (!applied.ok) return applied.release?.state === 'deploying' ? applied.release : undefined;
  if (release.threadTs) {
    await ctx.posts.postOnce(postKeys.productionAnsweredOnGitHub(release.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, productionAnsweredMessage(release.version, rejected, outcome));
  }
  if (rejected) {
    await refreshProgressView(ctx, applied.release);
    return undefined;
  }
  return applied.release;
}

/**
 * T+60: the deploy run waits on the production environment's required reviewers. tminus opens its own
 * production gate (two approvers by the guide) and answers GitHub's review once the gate is met.
 */
async function openProductionGate(ctx: JobContext, release: Release, runId: number): Promise<void> {
  const pending = await readUnlessRefused(ctx, release, 'pendingDeployments', () => ctx.github.pendingDeployments(runId));
  const environment = pending?.find((p) => p.environment === ctx.policy.productionApproval.environment);
  if (!environment) return;
  // A type the policy leaves out of the gate (a hotfix: "Deployment: Immediately"): tminus answers GitHub itself.
  if (!productionGateApplies(ctx.policy, release.type)) return approveProductionByPolicy(ctx, release, runId, environment);
  // Dispatch mode with reviewers on the environment too: the gate was met in Slack before the dispatch.
  if (release.productionDispatch) return answerDispatchedRun(ctx, release, runId, environment);
  const opened = await ctx.store.withLock(release.id, async (locked, tx) => {
    if (locked.state !== 'deploying') return undefined;
    const { gate, opened } = await ctx.gates.open(tx, locked.id, 'production', productionGateRule(ctx), environment.environmentId, locked.deployRunAttempt);
    // A re-run waits again at the environment: the gate answered for the first attempt does not answer it.
    if (!opened && gate.state !== 'open') return undefined;
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

/**
 * A failed deploy's run, read now and then for `deploy.rerunWindow`: when someone re-runs it on GitHub,
 * the release goes back to deploying and tminus follows the new attempt (unless another deployment is in
 * flight by then, which the thread is told).
 */
async function watchForRerun(ctx: JobContext, release: Release, poll: number): Promise<void> {
  let run: DeployRun | undefined | 'unreachable';
  try {
    run = await ctx.github.findRun(release.deployRunId!);
  } catch (error) {
    if (!(error instanceof GitHubUnavailableError)) throw error;
    run = 'unreachable';
  }
  // A deleted run cannot be re-run: nothing more to watch.
  if (run === undefined) return;
  if (run === 'unreachable' || run.attempt <= release.deployRunAttempt) {
    await scheduleNextPoll(ctx, release, poll, ctx.policy.deploy.rerunPollInterval);
    return;
  }
  const thread = release.threadTs ? { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs } : undefined;
  let resumed: Release | undefined;
  try {
    const applied = await ctx.store.apply(release.id, 'deploy_rerun', {
      actor: 'github',
      set: { deployRunAttempt: run.attempt, finishedAt: null, failureReason: null },
      details: { runId: run.id, attempt: run.attempt },
    });
    if (!applied.ok) return;
    resumed = applied.release;
  } catch (error) {
    if (!String((error as { cause?: unknown }).cause ?? error).includes('releases_one_in_flight')) throw error;
    const running = (await ctx.store.inFlight())[0];
    await ctx.store.audit(release.id, 'deploy.rerun_not_followed', { attempt: run.attempt, inFlight: running?.version ?? null });
    if (thread) {
      await ctx.posts.postOnce(postKeys.rerunNotFollowed(release.id, run.attempt), thread, {
        text: `The deploy run of ${release.version} was re-run on GitHub, but ${running?.version ?? 'another deployment'} is in flight`,
        blocks: [section(`⚠️ The deploy run of ${release.version} was re-run on GitHub (attempt ${run.attempt}) while ${running?.version ?? 'another deployment'} is in flight. The guide allows no two deployments at once: tminus does not follow this attempt. Cancel it on GitHub, or let it finish and check production yourself.`)],
      });
    }
    return;
  }
  if (thread) {
    await ctx.posts.postOnce(postKeys.rerun(release.id, run.attempt), thread, {
      text: `🔁 The deploy run of ${release.version} was re-run on GitHub (attempt ${run.attempt})`,
      blocks: [section(`🔁 *The deploy run of ${release.version} was re-run on GitHub* (attempt ${run.attempt}, ${link(run.url, 'run')}). tminus follows it again; the release is deploying.`)],
    });
  }
  await refreshProgressView(ctx, resumed);
  const interval = ctx.policy.statusUpdates.interval;
  const next = dueUpdate(resumed, ctx.clock(), interval) + 1;
  await ctx.jobs.add('post-status-update', { releaseId: resumed.id, update: next }, { delayMs: resumed.startedAt.getTime() + next * interval - ctx.clock().getTime() });
  await scheduleNextPoll(ctx, resumed, poll, 0);
}

async function rejectedInSlack(ctx: JobContext, release: Release): Promise<boolean> {
  const gate = await ctx.gates.ofRelease(release.id, 'production');
  return gate?.state === 'rejected' && !gate.outcome;
}
