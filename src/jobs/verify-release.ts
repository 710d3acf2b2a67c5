import { classifyBreach, errorRateFactor } from '../domain/decision-matrix.js';
import { fillQuery, forAPerson, personChecks, phaseOf, verificationSchedule, type CheckResult } from '../domain/verification.js';
import { LIVE_STATES } from '../domain/release.js';
import type { Release } from '../integrations/database/release-store.js';
import { section } from '../messages/format.js';
import { breachAlertMessage, verificationMessage } from '../messages/verification.js';
import { startEmergencyRollback } from '../services/rollback.js';
import { alertMentions } from './alert-mentions.js';
import { followUpDeadline } from './breach-deadline.js';
import { postKeys, type JobContext } from './context.js';
import { readChecks } from './read-checks.js';

const MAX_ATTEMPTS = 3;

/**
 * After the deploy: the first verification run, the stable mark at the type's `stableAfter`, and the deploy
 * marker. The watch itself goes on to the end of the guide's schedule (the first week), also once stable.
 */
export async function scheduleWatch(ctx: JobContext, release: Release): Promise<void> {
  await ctx.jobs.add('deploy-marker', { releaseId: release.id, kind: 'completed' });
  const finished = release.finishedAt!.getTime();
  const first = verificationSchedule(ctx.policy)[0];
  if (first) await ctx.jobs.add('verify-release', { releaseId: release.id, run: 1, attempt: 1 }, { delayMs: finished + first.at - ctx.clock().getTime() });
  await ctx.jobs.add('mark-stable', { releaseId: release.id, attempt: 1 }, { delayMs: finished + ctx.policy.releaseTypes[release.type].stableAfter - ctx.clock().getTime() });
}

/**
 * One run of post-release verification: each due check is read from Datadog and judged (checks without a
 * query are listed for a person); one message in the thread; a new breach is classified by the decision
 * matrix and alerted once in #releases; a check that could not be read is ⚠️ and the run is tried again.
 * The next run of the guide's schedule is queued, to the end of the first week while the release is live.
 */
export async function verifyRelease(ctx: JobContext, data: { releaseId: string; run: number; attempt: number }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release || !LIVE_STATES.includes(release.state) || !release.finishedAt || !release.threadTs || !ctx.observability) return;
  const schedule = verificationSchedule(ctx.policy);
  const run = schedule[data.run - 1];
  if (!run) return;
  const observability = ctx.observability;
  const now = ctx.clock();
  const finished = release.finishedAt.getTime();
  const previousAt = schedule[data.run - 2]?.at ?? 0;
  const from = Math.max(finished, finished + previousAt, now.getTime() - (run.at - previousAt));
  const tags = { service: ctx.service, env: ctx.policy.verification.env, version: release.version };
  const read = await readChecks(ctx, release, run.checks, from, now.getTime());
  const results: CheckResult[] = [...read, ...personChecks(ctx.policy).filter((c) => run.checks.includes(c.key)).map(forAPerson)];
  const graphQueries = ['errorRate', 'latencyP99'].flatMap((k) => {
    const q = ctx.policy.verification.checks[k as 'errorRate'].query;
    return q ? [fillQuery(q, tags)] : [];
  });
  const graphUrl = await observability
    .graphSnapshot(graphQueries, finished - ctx.policy.verification.graphWindow, Math.max(now.getTime(), finished + 60_000), `${release.version}: error rate and p99`)
    .catch(() => undefined);
  const incomplete = results.some((r) => r.state === 'no-data' || r.state === 'unreachable');
  const retry = incomplete && data.attempt < MAX_ATTEMPTS;
  const phase = phaseOf(ctx.policy, run.at);
  const thread = { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs };
  await ctx.posts.postOnce(
    postKeys.verification(release.id, data.run, data.attempt),
    thread,
    verificationMessage({ version: release.version, sinceDeploy: run.at, phase, results, graphUrl, retryIn: retry ? ctx.policy.verification.retryAfter : undefined, attempt: data.attempt }),
  );
  await ctx.store.audit(release.id, 'verification.run', {
    run: data.run,
    attempt: data.attempt,
    phase,
    complete: !incomplete,
    results: results.map((r) => ({ check: r.key, state: r.state, value: r.value, ...(r.baseline ? { baseline: r.baseline.value, limit: r.baseline.limit } : {}) })),
  });

  for (const result of results) {
    if (result.state === 'breach') await alertBreach(ctx, release, result, now);
    if (result.state === 'pass' && (await ctx.store.resolveBreach(release.id, result.key, now))) {
      await ctx.posts.postOnce(postKeys.breachResolved(release.id, result.key, now), thread, {
        text: `✅ ${result.label} is healthy again after ${release.version}`,
        blocks: [section(`✅ *${result.label}* is healthy again after ${release.version}.`)],
      });
    }
  }
  if (retry) await ctx.jobs.add('verify-release', { ...data, attempt: data.attempt + 1 }, { delayMs: ctx.policy.verification.retryAfter });
  const next = schedule[data.run];
  if (next && data.attempt === 1) await ctx.jobs.add('verify-release', { releaseId: release.id, run: data.run + 1, attempt: 1 }, { delayMs: finished + next.at - now.getTime() });
}

/**
 * A breached check goes to the decision matrix: a new breach (or one that became critical) is alerted once
 * in #releases with the matrix's action and deadline, and the deadline is followed up (breach-deadline).
 * Also called by the T+60 post-deploy checks.
 */
export async function alertBreach(ctx: JobContext, release: Release, result: CheckResult, now: Date): Promise<void> {
  const classification = classifyBreach(ctx.policy, result);
  const breach = await ctx.store.openBreach(release.id, result.key, classification.severity, result.value, now);
  if (!breach.alert) return;
  const timesThreshold = errorRateFactor(ctx.policy, result);
  let autoRollback = classification.rollbackNow && ctx.policy.verification.autoRollback;
  let autoRollbackRefused: string | undefined;
  if (autoRollback) {
    // Started before the alert is posted, so the alert says what really happened: started, or refused and why.
    const outcome = await startEmergencyRollback(ctx, { release, by: 'tminus', reason: `${classification.issue}: ${result.label} breached` });
    if (outcome.kind === 'refused') {
      autoRollback = false;
      autoRollbackRefused = outcome.reason;
      await ctx.store.audit(release.id, 'rollback.automatic_refused', { reason: outcome.reason, check: result.key });
    }
  }
  const deadline = new Date(now.getTime() + classification.timeline);
  await ctx.posts.postOnce(
    `${postKeys.breachAlert(breach.id)}${breach.alert === 'escalated' ? ':escalated' : ''}`,
    { releaseId: release.id, channel: release.channelId },
    breachAlertMessage({
      releaseId: release.id,
      version: release.version,
      result,
      classification,
      deadline,
      mentions: await alertMentions(ctx, release),
      timeZone: ctx.policy.timezone,
      autoRollback,
      ...(autoRollbackRefused ? { autoRollbackRefused } : {}),
      ...(timesThreshold !== undefined ? { timesThreshold } : {}),
    }),
  );
  await followUpDeadline(ctx, release, { breachId: breach.id, check: result.key, severity: classification.severity, issue: classification.issue, action: classification.action, timeline: classification.timeline, deadline, ...(result.value !== undefined ? { value: result.value } : {}) });
}
