import { LIVE_STATES, isOpen } from '../domain/release.js';
import type { Release } from '../integrations/database/release-store.js';
import { GitHubRefusedError, GitHubUnavailableError } from '../integrations/github.js';
import { escape, section } from '../messages/format.js';
import { hotfixChange, hotfixCommit, noteHotfixChange, sayBranchCut, type HotfixCommit } from './hotfix-commit.js';
import { hotfixCiFailedMessage, hotfixTestedMessage } from '../messages/hotfix.js';
import { postKeys, type JobContext } from './context.js';
import { refreshProgressView } from './progress-view.js';

/** The actor of a "tested" tick that CI gave: GitHub's checks on the hotfix's commit. */
export const CI_ACTOR = 'github:ci';

/** Audit actions that say the release's first post-release verification ran (the T+60 checks or the first watch run). */
const FIRST_VERIFICATION = ['release.post_deploy_checks_passed', 'release.post_deploy_checks_confirmed', 'verification.run'];

/**
 * The hotfix's signals, read every `deploy.pollInterval`: while it waits for the VP Eng, CI on its commit
 * (all check runs and commit statuses successful ticks "tested"; a failure is said once per commit, and a
 * new commit or a re-run is read again); after the deploy, its first post-release verification ticks
 * "monitored". Stops when both are ticked or the release ended without them.
 */
export async function hotfixCheck(ctx: JobContext, data: { releaseId: string; poll: number }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release?.hotfix) return;
  const steps = release.hotfix.steps;
  if (!steps.hotfixTested && release.state === 'awaiting_approval') {
    // Not before the hotfix message is posted: a CI failure is said in its thread. Once tested, the
    // looks go on for "monitored".
    if (release.threadTs) await readCi(ctx, release);
    await scheduleNext(ctx, release, data.poll);
    return;
  }
  if (steps.monitored || !(isOpen(release.state) || release.state === 'completed')) return;
  if (steps.deployed && (await ctx.store.events(release.id)).some((e) => FIRST_VERIFICATION.includes(e.action))) {
    const ticked = await ctx.store.withLock(release.id, (locked, tx) =>
      isOpen(locked.state) || LIVE_STATES.includes(locked.state) ? ctx.store.markHotfixStep(tx, locked, 'monitored', 'tminus', ctx.clock()) : Promise.resolve(undefined),
    );
    if (ticked) await refreshProgressView(ctx, ticked);
    return;
  }
  await scheduleNext(ctx, release, data.poll);
}

/** Reads CI on the hotfix's commit and ticks "tested" when it all passed; a failure is said once per commit. */
async function readCi(ctx: JobContext, release: Release): Promise<void> {
  let commit: HotfixCommit;
  let ci: Awaited<ReturnType<JobContext['github']['ciStatus']>>;
  try {
    commit = await hotfixCommit(ctx, release);
    const change = await hotfixChange(ctx, release, commit);
    const noted = await noteHotfixChange(ctx, release, change);
    await sayBranchCut(ctx, noted);
    if (noted !== release) await refreshProgressView(ctx, noted);
    // The same code as production (a branch just cut, no fix pushed yet), or not compared yet: nothing to test.
    if (change.production && !change.ahead) return;
    ci = await ctx.github.ciStatus(commit.sha);
  } catch (error) {
    if (error instanceof GitHubRefusedError) return sayCommitRefused(ctx, release, error);
    if (!(error instanceof GitHubUnavailableError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error.message }, 'could not read CI of the hotfix');
    return;
  }
  // No check at all is not a pass: a person says it was tested.
  if (ci.state === 'pending' || ci.checks === 0) return;
  const { branch, sha } = commit;
  const now = ctx.clock();
  const outcome = await ctx.store.withLock(release.id, async (locked, tx) => {
    if (!locked.hotfix || locked.hotfix.steps.hotfixTested) return 'ticked' as const;
    if (locked.state !== 'awaiting_approval') return 'ended' as const;
    if (ci.state === 'failure' && locked.hotfix.ci?.sha === sha && locked.hotfix.ci.state === 'failure') return 'said' as const;
    const recorded = { sha, state: ci.state as 'success' | 'failure', at: now.toISOString(), checks: ci.checks, failing: ci.failing };
    const updated = await ctx.store.update(locked.id, { hotfix: { ...locked.hotfix, ci: recorded } }, tx);
    if (ci.state === 'failure') {
      await ctx.store.audit(locked.id, 'hotfix.ci_failed', { sha, branch, failing: ci.failing }, CI_ACTOR, tx);
      return 'failed' as const;
    }
    await ctx.store.audit(locked.id, 'hotfix.ci_passed', { sha, branch, checks: ci.checks }, CI_ACTOR, tx);
    await ctx.store.markHotfixStep(tx, updated, 'hotfixTested', CI_ACTOR, now);
    return 'passed' as const;
  });
  if (outcome === 'ticked' || outcome === 'ended' || outcome === 'said') return;
  const thread = release.threadTs ? { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs } : undefined;
  if (thread) {
    const message = outcome === 'passed' ? hotfixTestedMessage(release.version, branch, sha, ci.checks) : hotfixCiFailedMessage(release.version, branch, sha, ci.failing);
    await ctx.posts.postOnce(postKeys.hotfixCi(release.id, sha, outcome === 'passed' ? 'success' : 'failure'), thread, message);
  }
  await refreshProgressView(ctx, release);
}

/** GitHub refuses the hotfix's commit for good (a named branch that does not exist): said once, looked at again. */
async function sayCommitRefused(ctx: JobContext, release: Release, error: GitHubRefusedError): Promise<void> {
  ctx.log.warn({ releaseId: release.id, err: error.message }, 'hotfix: its commit cannot be read');
  if (!release.threadTs) return;
  await ctx.posts.postOnce(postKeys.hotfixCi(release.id, 'commit', 'refused'), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, {
    text: `⚠️ tminus cannot find the commit hotfix ${release.version} ships`,
    blocks: [section(`⚠️ *tminus cannot find the commit hotfix ${release.version} ships*: ${escape(error.message)}.`)],
  });
}

/** The reconciler: a hotfix still waiting for a signal has its next look queued (lost with Redis's data). */
export async function ensureHotfixCheck(ctx: JobContext, release: Release): Promise<void> {
  const steps = release.hotfix?.steps;
  if (!steps || steps.monitored || !isOpen(release.state)) return;
  const interval = ctx.policy.deploy.pollInterval;
  const poll = Math.floor((ctx.clock().getTime() + interval - release.requestedAt.getTime()) / interval);
  await ctx.jobs.ensure('hotfix-check', { releaseId: release.id, poll }, { delayMs: Math.max(0, release.requestedAt.getTime() + poll * interval - ctx.clock().getTime()) });
}

/** The next look, on the same slots whoever queued it (the reconciler too), so two chains become one. */
export async function scheduleNext(ctx: JobContext, release: Pick<Release, 'id' | 'requestedAt'>, poll: number): Promise<void> {
  const interval = ctx.policy.deploy.pollInterval;
  const base = release.requestedAt.getTime();
  const now = ctx.clock().getTime();
  const next = Math.max(poll + 1, Math.floor((now + interval - base) / interval));
  await ctx.jobs.add('hotfix-check', { releaseId: release.id, poll: next }, { delayMs: Math.max(0, base + next * interval - now) });
}
