import { nextReadinessLook } from './readiness.js';
import { isReleaseDay } from '../domain/release.js';
import { verificationSchedule, watchEnd } from '../domain/verification.js';
import type { Release } from '../integrations/database/release-store.js';
import { startApprovedRelease } from '../services/approvals.js';
import { ensureBreachDeadlines } from './breach-deadline.js';
import { postKeys, type JobContext } from './context.js';
import { startReleaseDay } from './gate-decision.js';
import { nextPollSlot, watchesForRerun } from './follow-deploy.js';
import { deployPollInterval } from './webhook-polling.js';
import { dueUpdate } from './post-status-update.js';
import { hotfixSteps } from './progress-view.js';
import { ensureHotfixCheck } from './hotfix-check.js';
import { rollbackPollSlot } from './run-rollback.js';
import { readingDueAt, readingSlot } from './post-deploy-checks.js';
import { reconcileStatusPage } from './status-page.js';
import { RECORD_CHANGES_WITHIN } from './record-changes.js';
import { ensureMonitorReads } from './pre-deployment-monitors.js';

/**
 * Postgres is the source of truth: for every release that is not over, makes sure the jobs that carry it
 * on are queued, and tries again the ones that gave up. Job ids name the work, so what is already queued is
 * left alone. Runs at start-up and every minute, which also recovers from a Redis that lost its data.
 */
export async function reconcileReleases(ctx: JobContext): Promise<number> {
  const releases = await ctx.store.open();
  const now = ctx.clock();
  for (const waiting of releases.filter((r) => r.state === 'awaiting_approval')) {
    if (!waiting.threadTs) await ctx.jobs.ensure('announce-release', { releaseId: waiting.id });
    // Approved while another deployment ran: it starts once that one has ended.
    else if (await startApprovedRelease(ctx, waiting)) await startReleaseDay(ctx, (await ctx.store.findById(waiting.id))!);
  }
  for (const release of releases.filter((r) => r.state !== 'awaiting_approval')) {
    if (!release.threadTs) {
      await ctx.jobs.ensure('announce-release', { releaseId: release.id });
      continue;
    }
    if (release.state === 'started') {
      await ctx.jobs.ensure('create-tag', { releaseId: release.id });
      // Held at the readiness gate: its next look is queued (lost with Redis's data, or given up).
      const { look, delayMs } = nextReadinessLook(ctx, release);
      await ctx.jobs.ensure('readiness-check', { releaseId: release.id, look }, { delayMs });
    }
    else if (release.state === 'rolling_back') await ensureRollback(ctx, release, now);
    else if (release.state === 'verifying') {
      await ensurePostDeployChecks(ctx, release, now);
      await ensureBreachDeadlines(ctx, release, now);
    }
    else await ensureFollowing(ctx, release, now);
    if (isReleaseDay(release.state)) await ensureStatusUpdates(ctx, release, now);
  }
  for (const release of releases) {
    await ensureGateDecisions(ctx, release);
    await ensureMonitorReads(ctx, release, now);
    if (release.type === 'hotfix') await ensureHotfixReminders(ctx, release, now);
    if (release.type === 'hotfix') await ensureHotfixCheck(ctx, release);
  }
  for (const failed of await ctx.store.endedSince('failed', new Date(now.getTime() - ctx.policy.deploy.rerunWindow))) {
    if (watchesForRerun(ctx, failed)) await ensureFollowing(ctx, failed, now, ctx.policy.deploy.rerunPollInterval);
  }
  // Aborted by hand: the run's cancellation and the thread's notice, when their job was lost.
  for (const aborted of await ctx.store.endedSince('aborted', new Date(now.getTime() - 24 * 3_600_000))) {
    if (aborted.threadTs && !(await ctx.posts.tsOf(postKeys.aborted(aborted.id)))) await ctx.jobs.ensure('abort-release', { releaseId: aborted.id });
  }
  // A plan whose build job was lost with Redis's data (or gave up and was not abandoned yet).
  for (const plan of await ctx.releasePlans.drafting()) await ctx.jobs.ensure('build-plan', { planId: plan.id });
  await reconcileWatches(ctx, now);
  // Reached production, but what it carried was not read from GitHub (down, or the job was lost): DORA's lead time.
  for (const releaseId of await ctx.dora.deployedWithoutChanges(new Date(now.getTime() - RECORD_CHANGES_WITHIN))) await ctx.jobs.ensure('record-changes', { releaseId });
  await reconcileStatusPage(ctx, releases, now);
  return releases.length;
}

/**
 * At start-up, once per process: every release being deployed (or watched for a re-run) has its run read now,
 * and every one held at its readiness gate is judged now. GitHub does not send again what it failed to deliver
 * while tminus was down, and the next poll may be a slow interval away (webhooks flowed before the stop).
 */
export async function readInFlight(ctx: JobContext): Promise<void> {
  const now = ctx.clock();
  const failed = (await ctx.store.endedSince('failed', new Date(now.getTime() - ctx.policy.deploy.rerunWindow))).filter((r) => watchesForRerun(ctx, r));
  for (const release of [...(await ctx.store.inFlight()), ...failed]) {
    if (isFollowed(release) || release.state === 'failed') await ctx.jobs.add('deploy-event', { releaseId: release.id });
    else if (release.state === 'started' && release.targetSha === null && release.threadTs) await ctx.jobs.add('readiness-now', { releaseId: release.id });
  }
}

const isFollowed = (release: Release) => release.state === 'tagged' || release.state === 'deploying' || release.state === 'awaiting_production_approval';

/** The next look at the run, on the same grid as the chain's (see nextPollSlot): queued when it was lost. */
async function ensureFollowing(ctx: JobContext, release: Release, now: Date, every?: number): Promise<void> {
  const interval = ctx.policy.deploy.pollInterval;
  const next = nextPollSlot(release, now, every ?? (await deployPollInterval(ctx)), interval);
  await ctx.jobs.ensure('follow-deploy', { releaseId: release.id, poll: next }, { delayMs: Math.max(0, release.startedAt.getTime() + next * interval - now.getTime()) });
}

/** The post-deploy checks' next reading (the chain converges on reading slots, whoever queued it). */
async function ensurePostDeployChecks(ctx: JobContext, release: Release, now: Date): Promise<void> {
  if (!release.finishedAt) return;
  const next = readingSlot(ctx, release, now.getTime()) + 1;
  await ctx.jobs.ensure('post-deploy-checks', { releaseId: release.id, reading: next }, { delayMs: readingDueAt(ctx, release, next) - now.getTime() });
}

async function ensureRollback(ctx: JobContext, release: Release, now: Date): Promise<void> {
  const poll = rollbackPollSlot(ctx, release, now) + 1;
  await ctx.jobs.ensure('run-rollback', { releaseId: release.id, poll }, { delayMs: Date.parse(release.rollback!.startedAt) + poll * ctx.policy.rollback.pollInterval - now.getTime() });
}

async function ensureStatusUpdates(ctx: JobContext, release: Release, now: Date): Promise<void> {
  const interval = ctx.policy.statusUpdates.interval;
  const due = dueUpdate(release, now, interval);
  if (due >= 1) await ctx.jobs.ensure('post-status-update', { releaseId: release.id, update: due });
  await ctx.jobs.ensure('post-status-update', { releaseId: release.id, update: due + 1 }, { delayMs: release.startedAt.getTime() + (due + 1) * interval - now.getTime() });
}

/** A gate decided in Slack whose consequences were not all carried out (told, answered on GitHub, started). */
async function ensureGateDecisions(ctx: JobContext, release: Release): Promise<void> {
  for (const gate of await ctx.gates.allOf(release.id)) {
    if (gate.state !== 'approved' && gate.state !== 'rejected') continue;
    if (gate.outcome) continue; // answered outside Slack: nothing of tminus's to carry out
    if (await ctx.posts.tsOf(gate.state === 'approved' && gate.kind === 'release' && release.state === 'awaiting_approval' ? postKeys.waitingForDeployment(release.id) : postKeys.gateDecided(gate.id))) continue;
    await ctx.jobs.ensure('gate-decision', { gateId: gate.id, decisions: -1 });
  }
}

/** The hotfix timeline's reminders and escalations (delayed jobs: lost with Redis's data, so queued again). */
async function ensureHotfixReminders(ctx: JobContext, release: Release, now: Date): Promise<void> {
  if (!release.hotfix) return;
  for (const step of hotfixSteps(release, ctx)) {
    if (!step.dueAt || release.hotfix.steps[step.key]) continue;
    const reminded = await ctx.posts.tsOf(postKeys.hotfixStep(release.id, step.key, 'reminder'));
    if (!reminded) {
      await ctx.jobs.ensure('hotfix-step-due', { releaseId: release.id, step: step.key, stage: 'reminder' }, { delayMs: step.dueAt.getTime() - now.getTime() });
    } else if (!(await ctx.posts.tsOf(postKeys.hotfixStep(release.id, step.key, 'escalation')))) {
      const at = step.dueAt.getTime() + ctx.policy.releaseTypes.hotfix.escalateAfter;
      await ctx.jobs.ensure('hotfix-step-due', { releaseId: release.id, step: step.key, stage: 'escalation' }, { delayMs: at - now.getTime() });
    }
  }
}

/**
 * Releases under post-release watch (completed, or stable within the first week): the next verification
 * run, the stable mark, and the follow-up of each open breach's deadline are queued.
 */
async function reconcileWatches(ctx: JobContext, now: Date): Promise<void> {
  const completed = await ctx.store.watched();
  const stable = await ctx.store.endedSince('stable', new Date(now.getTime() - watchEnd(ctx.policy)));
  for (const release of [...completed, ...stable]) {
    // Completed, but the complete message (or the GitHub release) never made it.
    if (release.state === 'completed' && !(await ctx.posts.tsOf(postKeys.complete(release.id)))) {
      await ctx.jobs.ensure('complete-release', { releaseId: release.id, finishedAt: release.finishedAt!.toISOString() });
    }
    await ensureBreachDeadlines(ctx, release, now);
    if (!ctx.observability) continue;
    const finished = release.finishedAt!.getTime();
    const schedule = verificationSchedule(ctx.policy);
    const next = schedule.findIndex((run) => finished + run.at > now.getTime());
    if (next >= 0) await ctx.jobs.ensure('verify-release', { releaseId: release.id, run: next + 1, attempt: 1 }, { delayMs: finished + schedule[next]!.at - now.getTime() });
    if (release.state === 'completed') {
      await ctx.jobs.ensure('mark-stable', { releaseId: release.id, attempt: 1 }, { delayMs: finished + ctx.policy.releaseTypes[release.type].stableAfter - now.getTime() });
    }
  }
}
