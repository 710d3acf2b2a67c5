import { gateStatus, type GateStatus } from '../domain/approvals.js';
import type { RoleName } from '../domain/policy.js';
import { mayTick, monitoringByTminus, type CheckRecord } from '../domain/pre-deployment-checks.js';
import type { Gate } from '../integrations/database/gate-store.js';
import type { Executor, Release } from '../integrations/database/release-store.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import { clockTime, escape, mention } from '../messages/format.js';
import { gateRule, isWaiting, staleGateReason, type ApprovalDeps } from './approvals.js';
import { closeProductionGateIfMet, gateChecks, type ProductionGateDeps } from './production-gate-met.js';

export interface PreDeploymentDeps extends ApprovalDeps, ProductionGateDeps {
  jobs: ReleaseJobs;
  /** Whether Datadog is configured (DD_API_KEY): then tminus ticks the `auto: monitors` checks itself. */
  datadog: boolean;
}

/** The id a gate-decision job carries when a tick (or tminus's reading) met the gate: it closes once. */
export const CLOSED_BY_CHECKS = 3000;

export type TickOutcome =
  | { kind: 'refused'; reason: string }
  | { kind: 'done'; ticked: string[]; refusals: string[]; repeats: CheckRecord[]; closed: boolean };

/** The approvals of a gate as they stand (the requester never counts). */
export async function approvalsOf(deps: Pick<ApprovalDeps, 'gates'>, gate: Gate, release: Release, tx?: Executor): Promise<GateStatus> {
  const decisions = await deps.gates.decisions(gate.id, tx);
  const approved = decisions.filter((d) => d.decision === 'approved').map((d) => ({ userId: d.userId, roles: d.roles as RoleName[] }));
  return gateStatus(gateRule(gate), approved, release.requestedBy);
}

/** "“Support team standing by” was already ticked by @erin at 14:02 UTC; it counts once." */
export function alreadyTicked(records: readonly CheckRecord[], labels: ReadonlyMap<string, string>, timeZone: string): string {
  return records
    .map((r) => {
      const who = r.tickedBy === 'tminus' ? 'tminus' : mention(r.tickedBy!);
      return `“${escape(labels.get(r.item) ?? r.item)}” was already ticked by ${who} at ${clockTime(r.tickedAt!, timeZone)}; it counts once.`;
    })
    .join('\n');
}

/**
 * Someone ticked pre-deployment checks of a production gate (`items`: every box selected in the message, the
 * ones ticked already among them). Each new tick is checked (the gate still open, the person's roles, tminus's
 * own check), recorded once under the release's row lock and audited; when it makes the gate met, the gate
 * closes as approved in the same transaction. Unticking changes nothing.
 */
export async function tickPreDeploymentChecks(
  deps: PreDeploymentDeps,
  input: { gateId: string; releaseId?: string; items: string[]; userId: string },
): Promise<TickOutcome> {
  const gate = await deps.gates.find(input.gateId);
  const release = gate && (await deps.store.findById(gate.releaseId));
  if (!gate || !release || (input.releaseId !== undefined && input.releaseId !== gate.releaseId)) {
    return { kind: 'refused', reason: 'This approval request no longer exists.' };
  }
  const checks = gateChecks(deps.policy, gate, release);
  const unknown = input.items.filter((key) => !checks.some((c) => c.key === key));
  if (unknown.length > 0) {
    const named = unknown.map((k) => `\`${k}\``).join(', ');
    const reason = `This message is out of date: ${named} is not a pre-deployment check of ${release.version} (\`preDeploymentChecks.items\`).`;
    return { kind: 'refused', reason: `${reason} Nothing was recorded. \`/release status\` shows where things stand.` };
  }
  if (!isWaiting(gate, release)) return { kind: 'refused', reason: `Too late to tick: ${await staleGateReason(deps, gate.id)}` };
  const records = await deps.preDeployment.ofGate(gate.id);
  const ticked = new Set(records.filter((r) => r.tickedBy !== null).map((r) => r.item));
  const held = await deps.roles.rolesOf(input.userId);
  const byTminus = monitoringByTminus(deps.policy, deps.datadog);
  const refusals: string[] = [];
  const wanted = checks.filter((c) => input.items.includes(c.key) && !ticked.has(c.key)).filter((check) => {
    const record = records.find((r) => r.item === check.key);
    // Where tminus can tell, it ticks "Monitoring active" itself; a person only when Datadog could not be read.
    if (check.auto === 'monitors' && byTminus && record?.reading !== 'unreadable') {
      const why =
        record?.reading === 'alerting'
          ? `${escape(record.evidence ?? '')} (read at ${clockTime(record.readAt!, deps.policy.timezone)}): it is ticked when they recover`
          : 'it is reading Datadog now';
      refusals.push(`tminus ticks “${escape(check.label)}” itself from Datadog: ${why}.`);
      return false;
    }
    const may = mayTick(deps.policy, check, release.type, { userId: input.userId, held, requester: release.requestedBy });
    if (!may.ok) refusals.push(may.reason);
    return may.ok;
  });
  const repeats = records.filter((r) => r.tickedBy !== null && input.items.includes(r.item));
  if (wanted.length === 0) return { kind: 'done', ticked: [], refusals, repeats, closed: false };

  const now = deps.clock();
  const outcome = await deps.store.withLock(gate.releaseId, async (locked, tx): Promise<TickOutcome> => {
    const current = (await deps.gates.find(gate.id, tx))!;
    // Checked again under the lock: the gate may have closed, or its release moved on, since the first look.
    if (!isWaiting(current, locked)) return { kind: 'refused', reason: '' };
    const done: string[] = [];
    for (const check of wanted) {
      if (await deps.preDeployment.tick(tx, current, { item: check.key, label: check.label, by: input.userId, at: now })) done.push(check.key);
    }
    if (done.length === 0) {
      // Someone else ticked them since the first look: theirs are the ticks.
      const theirs = (await deps.preDeployment.ofGate(gate.id, tx)).filter((r) => r.tickedBy !== null && wanted.some((w) => w.key === r.item));
      return { kind: 'done', ticked: [], refusals, repeats: [...repeats, ...theirs], closed: false };
    }
    const approvals = await approvalsOf(deps, current, locked, tx);
    const change = { actor: input.userId, at: now, details: { lastCheck: done.at(-1) } };
    const { closed } = await closeProductionGateIfMet(deps, tx, current, locked, approvals, change);
    return { kind: 'done', ticked: done, refusals, repeats, closed };
  });
  if (outcome.kind === 'refused') return { kind: 'refused', reason: `Too late to tick: ${await staleGateReason(deps, gate.id)}` };
  await queueGateRedraw(deps.jobs, gate.id, outcome.kind === 'done' && outcome.closed);
  return outcome;
}

/** After a tick: the gate-decision job when the gate closed (GitHub answered, the thread told), else a redraw. */
export async function queueGateRedraw(jobs: ReleaseJobs, gateId: string, closed: boolean): Promise<void> {
  if (closed) await jobs.add('gate-decision', { gateId, decisions: CLOSED_BY_CHECKS });
  else await jobs.add('refresh-gate', { gateId });
}
