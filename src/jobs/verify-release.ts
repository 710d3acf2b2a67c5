import { classifyBreach } from '../domain/decision-matrix.js';
import { fillQuery, judgeCheck, runnableChecks, verificationSchedule, watchPeriod, type CheckResult } from '../domain/verification.js';
import { LIVE_STATES } from '../domain/release.js';
import { DatadogUnavailableError } from '../integrations/datadog.js';
import type { Release } from '../integrations/database/release-store.js';
import { section } from '../messages/format.js';
import { breachAlertMessage, verificationMessage } from '../messages/verification.js';
import { startEmergencyRollback } from '../services/rollback.js';
import { postKeys, type JobContext } from './context.js';

const MAX_ATTEMPTS = 3;

/** The release's approvers and the on-call engineers: who an alert mentions. */
async function alertMentions(ctx: JobContext, release: Release): Promise<string[]> {
  const approvers: string[] = [];
  for (const kind of ['release', 'production'] as const) {
    const gate = await ctx.gates.ofRelease(release.id, kind);
    if (gate) approvers.push(...(await ctx.gates.decisions(gate.id)).filter((d) => d.decision === 'approved').map((d) => d.userId));
  }
  return [...new Set([...(await ctx.roles.holders('onCall')), ...approvers])];
}

/** After the deploy: the first verification run, the stable mark at the end of the watch, and the deploy marker. */
export async function scheduleWatch(ctx: JobContext, release: Release): Promise<void> {
  await ctx.jobs.add('deploy-marker', { releaseId: release.id, kind: 'completed' });
  const finished = release.finishedAt!.getTime();
  const first = verificationSchedule(ctx.policy, watchPeriod(ctx.policy, release.type))[0];
  if (first) await ctx.jobs.add('verify-release', { releaseId: release.id, run: 1, attempt: 1 }, { delayMs: finished + first.at - ctx.clock().getTime() });
  await ctx.jobs.add('mark-stable', { releaseId: release.id, attempt: 1 }, { delayMs: finished + watchPeriod(ctx.policy, release.type) - ctx.clock().getTime() });
}

/**
 * One run of post-release verification: each due check is read from Datadog and judged; one message in the
 * thread; a new breach is classified by the decision matrix and alerted once in #releases; a check that
 * could not be read is ⚠️ and the run is tried again. The next run of the guide's schedule is queued.
 */
export async function verifyRelease(ctx: JobContext, data: { releaseId: string; run: number; attempt: number }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release || !LIVE_STATES.includes(release.state) || !release.finishedAt || !release.threadTs || !ctx.observability) return;
  const schedule = verificationSchedule(ctx.policy, watchPeriod(ctx.policy, release.type));
  const run = schedule[data.run - 1];
  if (!run) return;
  const observability = ctx.observability;
  const now = ctx.clock();
  const finished = release.finishedAt.getTime();
  const previousAt = schedule[data.run - 2]?.at ?? 0;
  const from = Math.max(finished, finished + previousAt, now.getTime() - (run.at - previousAt));
  const tags = { service: ctx.service, env: ctx.policy.verification.env, version: release.version };
  const checks = runnableChecks(ctx.policy).filter((c) => run.checks.includes(c.key));

  const results: CheckResult[] = await Promise.all(
    checks.map(async (check) => {
      try {
        return judgeCheck(check, await observability.querySeries(fillQuery(check.query!, tags), from, now.getTime()));
      } catch (error) {
        if (!(error instanceof DatadogUnavailableError)) throw error;
        ctx.log.warn({ releaseId: release.id, check: check.key, err: error.message }, 'Datadog unavailable');
        return { key: check.key, label: check.label, state: 'unreachable' as const, threshold: check.threshold, direction: check.direction, unit: check.unit, error: error.message };
      }
    }),
  );
  const graphQueries = ['errorRate', 'latencyP99'].flatMap((k) => {
    const q = ctx.policy.verification.checks[k as 'errorRate'].query;
    return q ? [fillQuery(q, tags)] : [];
  });
  const graphUrl = await observability
    .graphSnapshot(graphQueries, finished - ctx.policy.verification.graphWindow, Math.max(now.getTime(), finished + 60_000), `${release.version}: error rate and p99`)
    .catch(() => undefined);
  const incomplete = results.some((r) => r.state === 'no-data' || r.state === 'unreachable');
  const retry = incomplete && data.attempt < MAX_ATTEMPTS;
  const phase = ctx.policy.verification.schedule.find((p) => run.at <= p.until)?.label ?? '';
  const thread = { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs };
  await ctx.posts.postOnce(
    postKeys.verification(release.id, data.run, data.attempt),
    thread,
    verificationMessage({ version: release.version, sinceDeploy: run.at, phase, results, graphUrl, retryIn: retry ? ctx.policy.verification.retryAfter : undefined, attempt: data.attempt }),
  );
  await ctx.store.audit(release.id, 'verification.run', {
    run: data.run,
    attempt: data.attempt,
    complete: !incomplete,
    results: results.map((r) => ({ check: r.key, state: r.state, value: r.value })),
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

async function alertBreach(ctx: JobContext, release: Release, result: CheckResult, now: Date): Promise<void> {
  const classification = classifyBreach(ctx.policy, result);
  const breach = await ctx.store.openBreach(release.id, result.key, classification.severity, result.value, now);
  if (!breach.alert) return;
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
  await ctx.posts.postOnce(
    `${postKeys.breachAlert(breach.id)}${breach.alert === 'escalated' ? ':escalated' : ''}`,
    { releaseId: release.id, channel: release.channelId },
    breachAlertMessage({
      releaseId: release.id,
      version: release.version,
      result,
      classification,
      deadline: new Date(now.getTime() + classification.timeline),
      mentions: await alertMentions(ctx, release),
      timeZone: ctx.policy.timezone,
      autoRollback,
      ...(autoRollbackRefused ? { autoRollbackRefused } : {}),
    }),
  );
}
