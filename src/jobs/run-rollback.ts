import { judgeCheck, fillQuery, runnableChecks } from '../domain/verification.js';
import { GitHubRefusedError, GitHubUnavailableError } from '../integrations/github.js';
import type { Release } from '../integrations/database/release-store.js';
import type { RollbackDetails } from '../integrations/database/schema.js';
import { manualRollbackMessage, rollbackChecklistMessage, rollbackNoticeMessage } from '../messages/rollback.js';
import type { Audience } from '../messages/plain-words.js';
import { tellCustomers } from './customers.js';
import { rollbackRoles } from '../services/rollback.js';
import { postKeys, type JobContext } from './context.js';
import { rollbackCommand } from './fail-release.js';
import { githubAnswered, noteGitHubUnreachable } from './github-outage.js';
import { schedulePostMortem } from './post-mortem.js';
import { refreshProgressView } from './progress-view.js';
import { escalateOverdueRollback } from './rollback-overdue.js';
import { tellStatusPage } from './status-page.js';

function notice(ctx: JobContext, release: Release, rollback: RollbackDetails, state: 'running' | 'done' | 'failed', audience: Audience = 'team') {
  return rollbackNoticeMessage({
    version: release.version,
    toVersion: rollback.toVersion,
    reason: rollback.reason,
    ...(rollback.whatHappened ? { whatHappened: rollback.whatHappened } : {}),
    by: rollback.by,
    startedAt: new Date(rollback.startedAt),
    ...(rollback.detectedAt ? { detectedAt: new Date(rollback.detectedAt) } : {}),
    limit: ctx.policy.rollback.timeLimit,
    ...(rollback.expected ? { expected: rollback.expected } : {}),
    runUrl: rollback.runUrl,
    state,
    restoredAt: rollback.restoredAt ? new Date(rollback.restoredAt) : undefined,
    now: ctx.clock(),
    timeZone: ctx.policy.timezone,
    supportContact: ctx.policy.communication.supportContact,
    audience,
  });
}

/** The Rollback Notice for customers (`communication.customerChannel`), when the team keeps one. */
async function noticeForCustomers(ctx: JobContext, release: Release, rollback: RollbackDetails, state: 'running' | 'done' | 'failed'): Promise<void> {
  if (!ctx.policy.communication.customerChannel) return;
  await tellCustomers(ctx, release, postKeys.rollbackNoticeForCustomers(release.id, rollback.startedAt), notice(ctx, release, rollback, state, 'customers'), state !== 'running');
}

/**
 * The emergency rollback: posts the guide's Rollback Notice in #releases, dispatches the rollback workflow
 * with the previous production version exactly once, follows the run with a countdown against the 5-minute
 * limit, and ends the release rolled back, or failed with what to do by hand. A GitHub outage is said in the
 * thread and ridden out until `rollback.giveUpAfter`; the job never throws for one, so it cannot run out of
 * retries and leave the release rolling back for ever.
 */
export async function runRollback(ctx: JobContext, data: { releaseId: string; poll: number }): Promise<void> {
  let release = await ctx.store.findById(data.releaseId);
  if (!release?.rollback || release.state !== 'rolling_back') return;
  await ctx.posts.postOnce(postKeys.rollbackNotice(release.id, release.rollback.startedAt), { releaseId: release.id, channel: release.channelId }, notice(ctx, release, release.rollback, 'running'));
  await noticeForCustomers(ctx, release, release.rollback, 'running');
  await tellStatusPage(ctx, 'rollback_started', { releaseId: release.id, rollbackAt: Date.parse(release.rollback.startedAt) });
  if (data.poll === 0) await refreshProgressView(ctx, release);
  const startedAt = new Date(release.rollback.startedAt);
  try {
    if (release.rollback.duringDeploy) await stopDeployRun(ctx, release);
    release = await followRollbackRun(ctx, release);
    if (release.state !== 'rolling_back') return;
    release = await githubAnswered(ctx, release);
  } catch (error) {
    if (error instanceof GitHubRefusedError) {
      await giveUp(ctx, release, `GitHub refused the rollback: ${error.message}`);
      return;
    }
    if (!(error instanceof GitHubUnavailableError)) throw error;
    release = await noteGitHubUnreachable(ctx, release, error, `trying to roll ${release.version} back to ${release.rollback!.toVersion}`);
  }
  if (ctx.clock().getTime() - startedAt.getTime() > ctx.policy.rollback.giveUpAfter) {
    const why = release.githubUnreachableSince
      ? `GitHub has been unreachable since ${release.githubUnreachableSince.toISOString().slice(11, 19)} UTC`
      : release.rollback!.runId === undefined
        ? 'the rollback run never appeared on GitHub'
        : 'the rollback run has not finished';
    await giveUp(ctx, release, `${why}, ${Math.round(ctx.policy.rollback.giveUpAfter / 60_000)} minutes after the rollback started`);
    return;
  }
  await escalateOverdueRollback(ctx, release);
  const current = release;
  await ctx.posts.refresh(postKeys.rollbackNotice(current.id, current.rollback!.startedAt), async () => notice(ctx, current, current.rollback!, 'running'));
  // Poll numbers are slots of the poll interval since the rollback started: the reconciler's re-queue and
  // this chain name the same next look, so they never run side by side.
  const interval = ctx.policy.rollback.pollInterval;
  const next = Math.max(data.poll + 1, rollbackPollSlot(ctx, current, new Date(ctx.clock().getTime() + interval)));
  await ctx.jobs.add('run-rollback', { releaseId: current.id, poll: next }, { delayMs: startedAt.getTime() + next * interval - ctx.clock().getTime() });
}

/** The rollback poll due at `at`. */
export function rollbackPollSlot(ctx: Pick<JobContext, 'policy'>, release: Release, at: Date): number {
  return Math.max(0, Math.floor((at.getTime() - Date.parse(release.rollback!.startedAt)) / ctx.policy.rollback.pollInterval));
}

/** One look at the rollback run: dispatch it (once), find it, or read how it ends. */
async function followRollbackRun(ctx: JobContext, release: Release): Promise<Release> {
  let rollback = release.rollback!;
  if (rollback.runId === undefined) {
    const found = await dispatchOnce(ctx, release);
    if (!found) return release;
    rollback = found.rollback!;
    release = found;
  }
  const run = await ctx.github.findRun(rollback.runId!);
  if (!run) {
    await giveUp(ctx, release, `the rollback run ${rollback.runUrl ?? rollback.runId} was deleted on GitHub`);
    return (await ctx.store.findById(release.id))!;
  }
  if (run.status === 'completed') {
    await finishRollback(ctx, release, rollback, run.conclusion === 'success');
    return (await ctx.store.findById(release.id))!;
  }
  return release;
}

/**
 * Dispatches the rollback workflow at most once per rollback. The dispatch is claimed in Postgres first;
 * GitHub's `return_run_details` gives the run's id with the answer, stored in the same step. When the
 * answer was lost (a timeout, a 5xx), the run is looked for among the workflow's runs since the claim, and
 * only when none shows up within `rollback.runAppearTimeout` is the dispatch sent again. A run found by its
 * time is never one another rollback follows. Returns the release with the run, or undefined for now.
 */
async function dispatchOnce(ctx: JobContext, release: Release): Promise<Release | undefined> {
  const workflow = ctx.policy.rollback.workflow;
  const earlier = release.rollback!.dispatch;
  if (earlier) {
    // GitHub lists a dispatched run only seconds later: "not listed yet" does not mean "not dispatched".
    const found = await findDispatchedRun(ctx, release, new Date(earlier.at));
    if (found) return found;
    const lost = earlier.outcome === 'unknown' && ctx.clock().getTime() - Date.parse(earlier.at) > ctx.policy.rollback.runAppearTimeout;
    if (!lost) return undefined;
  }
  const now = ctx.clock();
  const claimed = await ctx.store.withLock(release.id, async (locked, tx) => {
    const rollback = locked.rollback!;
    if (rollback.runId !== undefined || locked.state !== 'rolling_back' || rollback.dispatch?.at !== earlier?.at) return undefined;
    const dispatch = { at: now.toISOString(), outcome: 'unknown' as const, attempts: (rollback.dispatch?.attempts ?? 0) + 1 };
    const updated = await ctx.store.update(locked.id, { rollback: { ...rollback, dispatch } }, tx);
    await ctx.store.audit(locked.id, 'rollback.dispatch_claimed', { workflow, attempt: dispatch.attempts, ...(earlier ? { previousAnswerLost: earlier.at } : {}) }, undefined, tx);
    return updated;
  });
  // Another job claimed it meanwhile (or the release moved on): nothing to send from here.
  if (!claimed) return undefined;
  const rollback = claimed.rollback!;
  const result = await ctx.github.dispatchWorkflow(workflow, await ctx.github.defaultBranch(), { version: rollback.toVersion, from: claimed.version });
  await ctx.store.audit(claimed.id, 'rollback.dispatched', { workflow, to: rollback.toVersion, runId: result.runId ?? null });
  const sent = { ...rollback, dispatch: { ...rollback.dispatch!, outcome: 'sent' as const } };
  if (result.runId !== undefined) return storeRun(ctx, claimed, { ...sent, runId: result.runId, runUrl: result.url });
  await ctx.store.update(claimed.id, { rollback: sent });
  return undefined;
}

/** A run of the rollback workflow dispatched since `since` that no other rollback follows. */
async function findDispatchedRun(ctx: JobContext, release: Release, since: Date): Promise<Release | undefined> {
  const taken = await ctx.store.rollbackRunIds();
  const run = (await ctx.github.dispatchedRuns(ctx.policy.rollback.workflow, since)).find((r) => !taken.has(r.id));
  return run ? storeRun(ctx, release, { ...release.rollback!, runId: run.id, runUrl: run.url }) : undefined;
}

async function storeRun(ctx: JobContext, release: Release, rollback: RollbackDetails): Promise<Release> {
  return ctx.store.withLock(release.id, async (locked, tx) => {
    if (locked.rollback?.runId !== undefined) return locked;
    await ctx.store.audit(locked.id, 'rollback.run_found', { runId: rollback.runId, url: rollback.runUrl }, undefined, tx);
    return ctx.store.update(locked.id, { rollback: { ...locked.rollback!, dispatch: rollback.dispatch, runId: rollback.runId, runUrl: rollback.runUrl } }, tx);
  });
}

/**
 * The rollback cannot be carried out by tminus: the release ends failed (which blocks no other release),
 * the notice says so, and the thread gives the manual rollback and pages who must act.
 */
async function giveUp(ctx: JobContext, release: Release, why: string): Promise<void> {
  const rollback = release.rollback!;
  const applied = await ctx.store.apply(release.id, 'rollback_failed', {
    set: { rollback: { ...rollback, gaveUp: why }, failureReason: `the rollback to ${rollback.toVersion} did not complete: ${why}` },
    details: { reason: why, runUrl: rollback.runUrl ?? null },
  });
  const current = applied.ok ? applied.release : ((await ctx.store.findById(release.id)) ?? release);
  await ctx.posts.refresh(postKeys.rollbackNotice(release.id, rollback.startedAt), async () => notice(ctx, current, current.rollback ?? rollback, 'failed'));
  await noticeForCustomers(ctx, current, current.rollback ?? rollback, 'failed');
  await refreshProgressView(ctx, current);
  await postManualRollback(ctx, current, why);
  await tellStatusPage(ctx, 'rollback_failed', { releaseId: release.id, rollbackAt: Date.parse(rollback.startedAt) });
  await schedulePostMortem(ctx, current, 'rollback_failed');
}

async function postManualRollback(ctx: JobContext, release: Release, why: string): Promise<void> {
  if (!release.threadTs) return;
  const rollback = release.rollback!;
  const people = [...new Set((await Promise.all(rollbackRoles(ctx.policy, release).map((r) => ctx.roles.holders(r)))).flat())];
  const command = rollbackCommand(ctx.policy.rollback.command, release.version, rollback.toVersion);
  await ctx.posts.postOnce(
    postKeys.rollbackOutcome(release.id, rollback.startedAt),
    { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs },
    manualRollbackMessage({ version: release.version, toVersion: rollback.toVersion, why, command, ...(rollback.runUrl ? { runUrl: rollback.runUrl } : {}), people }),
  );
}

/**
 * A rollback started while the deploy still ran (production touched): the deploy run is cancelled first, so
 * it cannot deploy on top of the rollback. Once per rollback; a run that already ended is left as it is.
 */
async function stopDeployRun(ctx: JobContext, release: Release): Promise<void> {
  if (release.deployRunId === null) return;
  const done = await ctx.store.lastEvent(release.id, 'rollback.deploy_run_stopped');
  if (done && Date.parse(String(done.details.rollbackStartedAt)) === Date.parse(release.rollback!.startedAt)) return;
  const outcome = await ctx.github.cancelRun(release.deployRunId).catch((error: unknown) => {
    if (error instanceof GitHubRefusedError) return `refused: ${error.message}`;
    throw error;
  });
  await ctx.store.audit(release.id, 'rollback.deploy_run_stopped', { runId: release.deployRunId, outcome, rollbackStartedAt: release.rollback!.startedAt });
}

async function finishRollback(ctx: JobContext, release: Release, rollback: RollbackDetails, succeeded: boolean): Promise<void> {
  if (!succeeded) {
    await giveUp(ctx, release, `the rollback run failed (${rollback.runUrl ?? `run ${rollback.runId}`})`);
    return;
  }
  const now = ctx.clock();
  const done: RollbackDetails = { ...rollback, restoredAt: now.toISOString() };
  // Time to restore counts from detection, as the guide's limit does; the type's recovery time is the bar.
  const restoreMs = now.getTime() - new Date(rollback.detectedAt ?? rollback.startedAt).getTime();
  const recoveryTime = ctx.policy.releaseTypes[release.type].recoveryTime;
  const applied = await ctx.store.apply(release.id, 'rollback_succeeded', {
    set: { rollback: done },
    details: { timeToRestoreSeconds: Math.round(restoreMs / 1000), recoveryTimeSeconds: Math.round(recoveryTime / 1000), withinRecoveryTime: restoreMs <= recoveryTime },
  });
  const current = applied.ok ? applied.release : ((await ctx.store.findById(release.id)) ?? release);
  await ctx.posts.refresh(postKeys.rollbackNotice(release.id, rollback.startedAt), async () => notice(ctx, current, current.rollback ?? done, 'done'));
  await noticeForCustomers(ctx, current, current.rollback ?? done, 'done');
  await refreshProgressView(ctx, current);
  await autoTickChecklist(ctx, current);
  await ctx.jobs.add('deploy-marker', { releaseId: release.id, kind: 'rolled_back' });
  await tellStatusPage(ctx, 'rolled_back', { releaseId: release.id, rollbackAt: Date.parse(rollback.startedAt) });
  await schedulePostMortem(ctx, current, 'rolled_back');
}

/** Ticks what tminus can tell itself: the health endpoint answers, metrics are back, the team was told. */
async function autoTickChecklist(ctx: JobContext, release: Release): Promise<void> {
  const at = ctx.clock().toISOString();
  const ticks: Record<string, { at: string; by: string; evidence?: string }> = { teamNotified: { at, by: 'tminus', evidence: 'rollback notice posted in #releases' } };
  if (ctx.policy.rollback.healthUrl) {
    // The policy's URL itself must answer: a redirect (to a login page, another host) is not the service responding.
    const status = await fetch(ctx.policy.rollback.healthUrl, { redirect: 'manual', signal: AbortSignal.timeout(5_000) }).then(
      (r) => (void r.body?.cancel().catch(() => undefined), r.status),
      () => 0,
    );
    if (status === 200) ticks.servicesResponding = { at, by: 'tminus', evidence: `${ctx.policy.rollback.healthUrl} answered 200` };
  }
  if (ctx.observability) {
    const tags = { service: ctx.service, env: ctx.policy.verification.env, version: release.rollback!.toVersion };
    const now = ctx.clock().getTime();
    const checks = runnableChecks(ctx.policy).filter((c) => c.key === 'errorRate' || c.key === 'latencyP99');
    const results = await Promise.all(
      checks.map(async (c) => judgeCheck(c, await ctx.observability!.querySeries(fillQuery(c.query!, tags), now - 5 * 60_000, now).catch(() => []))),
    );
    if (results.length > 0 && results.every((r) => r.state === 'pass')) {
      ticks.metricsPreRollback = { at, by: 'tminus', evidence: results.map((r) => `${r.label} ${r.value?.toFixed(2)}${r.unit ?? ''}`).join(', ') };
    }
  }
  const ticked = await ctx.store.withLock(release.id, async (locked, tx) => {
    const rollback = { ...locked.rollback!, checklist: { ...ticks, ...locked.rollback!.checklist } };
    return ctx.store.update(locked.id, { rollback }, tx);
  });
  if (!ticked.threadTs) return;
  await ctx.posts.postOnce(
    postKeys.rollbackChecklist(release.id),
    { releaseId: release.id, channel: release.channelId, threadTs: ticked.threadTs },
    rollbackChecklistMessage({ releaseId: release.id, version: release.version, ticked: ticked.rollback!.checklist, timeZone: ctx.policy.timezone }),
  );
}

/** Re-renders the rollback checklist after people ticked items. */
export async function refreshRollbackChecklist(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release?.rollback) return;
  await ctx.posts.refresh(postKeys.rollbackChecklist(release.id), async () => {
    const current = (await ctx.store.findById(release.id))!;
    return rollbackChecklistMessage({ releaseId: current.id, version: current.version, ticked: current.rollback!.checklist, timeZone: ctx.policy.timezone });
    // Drawn afresh even when nothing changed: a box a person unticked in Slack shows ticked again (a tick stays).
  }, { redraw: true });
}
