import { monitoringByTminus, monitoringVerdict, watchedMonitors } from '../domain/pre-deployment-checks.js';
import { DatadogUnavailableError } from '../integrations/datadog.js';
import type { Gate } from '../integrations/database/gate-store.js';
import type { Release } from '../integrations/database/release-store.js';
import { isWaiting } from '../services/approvals.js';
import { approvalsOf, queueGateRedraw } from '../services/pre-deployment-checks.js';
import { closeProductionGateIfMet, gateChecks } from '../services/production-gate-met.js';
import type { JobContext } from './context.js';

/** The `auto: monitors` checks of an open production gate that tminus reads itself and has not ticked yet. */
async function pendingMonitorChecks(ctx: JobContext, gate: Gate, release: Release) {
  if (!isWaiting(gate, release) || !monitoringByTminus(ctx.policy, Boolean(ctx.observability))) return [];
  const items = gateChecks(ctx.policy, gate, release).filter((i) => i.auto === 'monitors');
  if (items.length === 0) return [];
  const records = await ctx.preDeployment.ofGate(gate.id);
  return items.filter((i) => !records.some((r) => r.item === i.key && r.tickedBy !== null));
}

/** When look `look` is due: slots of `preDeploymentChecks.recheckEvery` from the gate's opening. */
function lookDueAt(ctx: JobContext, gate: Gate, look: number): number {
  return gate.openedAt.getTime() + look * ctx.policy.preDeploymentChecks.recheckEvery;
}

/** The production gate opened: tminus reads Datadog for "Monitoring active" at once (nothing where it cannot tell). */
export async function startMonitorReads(ctx: JobContext, gate: Gate, release: Release): Promise<void> {
  if ((await pendingMonitorChecks(ctx, gate, release)).length > 0) await ctx.jobs.add('pre-deployment-monitors', { gateId: gate.id, look: 0 });
}

/** The reconciler: the next read of an open production gate's monitors, queued again when it was lost. */
export async function ensureMonitorReads(ctx: JobContext, release: Release, now: Date): Promise<void> {
  if (release.state !== 'awaiting_production_approval') return;
  const gate = await ctx.gates.ofRelease(release.id, 'production');
  if (!gate || (await pendingMonitorChecks(ctx, gate, release)).length === 0) return;
  const look = Math.floor((now.getTime() - gate.openedAt.getTime()) / ctx.policy.preDeploymentChecks.recheckEvery) + 1;
  await ctx.jobs.ensure('pre-deployment-monitors', { gateId: gate.id, look }, { delayMs: lookDueAt(ctx, gate, look) - now.getTime() });
}

/**
 * T+60 "Monitoring active", read by tminus: Datadog answers and none of the policy's monitors alerts. Then
 * tminus ticks it with its evidence (which may meet the gate); otherwise the reading is kept and shown
 * (a monitor alerting, or Datadog unread: never taken as quiet), and Datadog is read again.
 */
export async function readPreDeploymentMonitors(ctx: JobContext, data: { gateId: string; look: number }): Promise<void> {
  const gate = await ctx.gates.find(data.gateId);
  const release = gate && (await ctx.store.findById(gate.releaseId));
  if (!gate || !release) return;
  const pending = await pendingMonitorChecks(ctx, gate, release);
  if (pending.length === 0) return;
  let alerting: { name: string }[] | undefined;
  try {
    alerting = await ctx.observability!.alertingMonitors();
  } catch (error) {
    if (!(error instanceof DatadogUnavailableError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error.message }, 'pre-deployment checks: could not read the monitors');
  }
  const verdict = monitoringVerdict(watchedMonitors(ctx.policy), alerting);
  const now = ctx.clock();
  const result = await ctx.store.withLock(release.id, async (locked, tx) => {
    const current = (await ctx.gates.find(gate.id, tx))!;
    if (!isWaiting(current, locked)) return undefined;
    let changed = false;
    for (const item of pending) {
      const done = verdict.clear
        ? await ctx.preDeployment.tick(tx, current, { item: item.key, label: item.label, by: 'tminus', evidence: verdict.evidence, at: now })
        : await ctx.preDeployment.recordReading(tx, current, { item: item.key, reading: verdict.reading, evidence: verdict.evidence, at: now });
      changed ||= done;
    }
    if (!verdict.clear || !changed) return { changed, closed: false };
    const approvals = await approvalsOf(ctx, current, locked, tx);
    const change = { actor: 'tminus', at: now, details: { lastCheck: pending.at(-1)!.key } };
    const { closed } = await closeProductionGateIfMet(ctx, tx, current, locked, approvals, change);
    return { changed, closed };
  });
  if (!result) return;
  if (result.changed) await queueGateRedraw(ctx.jobs, gate.id, result.closed);
  if (verdict.clear) return;
  const look = Math.max(data.look + 1, Math.floor((now.getTime() - gate.openedAt.getTime()) / ctx.policy.preDeploymentChecks.recheckEvery) + 1);
  await ctx.jobs.add('pre-deployment-monitors', { gateId: gate.id, look }, { delayMs: lookDueAt(ctx, gate, look) - now.getTime() });
}
