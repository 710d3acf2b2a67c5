import { judgeCheck, fillQuery, runnableChecks } from '../domain/verification.js';
import type { Release } from '../integrations/database/release-store.js';
import type { RollbackDetails } from '../integrations/database/schema.js';
import { section } from '../messages/format.js';
import { rollbackChecklistMessage, rollbackNoticeMessage } from '../messages/rollback.js';
import { postKeys, type JobContext } from './context.js';
import { refreshProgressView } from './progress-view.js';

function notice(ctx: JobContext, release: Release, rollback: RollbackDetails, state: 'running' | 'done' | 'failed') {
  return rollbackNoticeMessage({
    version: release.version,
    toVersion: rollback.toVersion,
    reason: rollback.reason,
    by: rollback.by,
    startedAt: new Date(rollback.startedAt),
    limit: ctx.policy.rollback.timeLimit,
    runUrl: rollback.runUrl,
    state,
    restoredAt: rollback.restoredAt ? new Date(rollback.restoredAt) : undefined,
    now: ctx.clock(),
    timeZone: ctx.policy.timezone,
  });
}

/**
 * The emergency rollback: posts the guide's Rollback Notice in #releases, dispatches the rollback workflow
 * with the previous production version (once: a retry finds the run it dispatched), follows it with a
 * countdown against the 5-minute limit, and ends the release rolled back (or failed) with the checklist.
 */
export async function runRollback(ctx: JobContext, data: { releaseId: string; poll: number }): Promise<void> {
  let release = await ctx.store.findById(data.releaseId);
  if (!release?.rollback || release.state !== 'rolling_back') return;
  const workflow = ctx.policy.rollback.workflow;
  let rollback: RollbackDetails = release.rollback;
  const startedAt = new Date(rollback.startedAt);
  await ctx.posts.postOnce(postKeys.rollbackNotice(release.id), { releaseId: release.id, channel: release.channelId }, notice(ctx, release, rollback, 'running'));
  if (data.poll === 0) await refreshProgressView(ctx, release);

  if (rollback.runId === undefined) {
    let run = await ctx.github.findDispatchedRun(workflow, startedAt);
    if (!run) {
      await ctx.github.dispatchWorkflow(workflow, await ctx.github.defaultBranch(), { version: rollback.toVersion, from: release.version });
      await ctx.store.audit(release.id, 'rollback.dispatched', { workflow, to: rollback.toVersion });
      run = await ctx.github.findDispatchedRun(workflow, startedAt);
    }
    if (run) {
      rollback = { ...rollback, runId: run.id, runUrl: run.url };
      release = await ctx.store.update(release.id, { rollback });
    }
  }
  if (rollback.runId !== undefined) {
    const run = await ctx.github.getDeployRun(rollback.runId);
    if (run.status === 'completed') {
      await finishRollback(ctx, release, rollback, run.conclusion === 'success');
      return;
    }
  }
  await ctx.posts.refresh(postKeys.rollbackNotice(release.id), async () => notice(ctx, release, rollback, 'running'));
  await ctx.jobs.add('run-rollback', { releaseId: release.id, poll: data.poll + 1 }, { delayMs: ctx.policy.rollback.pollInterval });
}

async function finishRollback(ctx: JobContext, release: Release, rollback: RollbackDetails, succeeded: boolean): Promise<void> {
  const now = ctx.clock();
  const done: RollbackDetails = succeeded ? { ...rollback, restoredAt: now.toISOString() } : rollback;
  const restoreMs = now.getTime() - new Date(rollback.startedAt).getTime();
  const applied = await ctx.store.apply(release.id, succeeded ? 'rollback_succeeded' : 'rollback_failed', {
    set: { rollback: done, ...(succeeded ? {} : { failureReason: `the rollback run failed: ${rollback.runUrl ?? ''}` }) },
    details: succeeded ? { timeToRestoreSeconds: Math.round(restoreMs / 1000), withinLimit: restoreMs <= ctx.policy.rollback.timeLimit } : { runUrl: rollback.runUrl },
  });
  const current = applied.ok ? applied.release : ((await ctx.store.findById(release.id)) ?? release);
  await ctx.posts.refresh(postKeys.rollbackNotice(release.id), async () => notice(ctx, current, current.rollback ?? done, succeeded ? 'done' : 'failed'));
  await refreshProgressView(ctx, current);
  if (!succeeded) {
    if (current.threadTs) {
      await ctx.posts.postOnce(postKeys.rollbackOutcome(release.id), { releaseId: release.id, channel: release.channelId, threadTs: current.threadTs }, {
        text: `❌ The rollback of ${release.version} failed`,
        blocks: [section(`❌ *The rollback of ${release.version} failed* (${rollback.runUrl ?? 'run'}). Roll back by hand now:\n\`\`\`${(ctx.policy.rollback.command ?? '').replaceAll('{previous}', rollback.toVersion).replaceAll('{version}', release.version)}\`\`\``)],
      });
    }
    return;
  }
  await autoTickChecklist(ctx, current);
  await ctx.jobs.add('deploy-marker', { releaseId: release.id, kind: 'rolled_back' });
  await ctx.jobs.add('post-mortem', { releaseId: release.id });
}

/** Ticks what tminus can tell itself: the health endpoint answers, metrics are back, the team was told. */
async function autoTickChecklist(ctx: JobContext, release: Release): Promise<void> {
  const at = ctx.clock().toISOString();
  const ticks: Record<string, { at: string; by: string; evidence?: string }> = { teamNotified: { at, by: 'tminus', evidence: 'rollback notice posted in #releases' } };
  if (ctx.policy.rollback.healthUrl) {
    const status = await fetch(ctx.policy.rollback.healthUrl, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 0);
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
  });
}
