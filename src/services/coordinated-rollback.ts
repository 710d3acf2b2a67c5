import { eq } from 'drizzle-orm';
import { coordinatedRollbackGate } from '../domain/approvals.js';
import { mayDo } from '../domain/permissions.js';
import { parseVersion } from '../domain/version.js';
import type { Gate, GateStore } from '../integrations/database/gate-store.js';
import type { Release, Transaction } from '../integrations/database/release-store.js';
import { approvalGates, approvals } from '../integrations/database/schema.js';
import type { RollbackDeps } from './rollback.js';

/**
 * `/release rollback vX.Y.Z --coordinated`: the guide's planned rollback. Whoever `permissions.coordinatedRollback`
 * allows asks; it waits for the VP Eng's approval (a gate in the release's thread, which the asker may not
 * decide); once approved, tminus opens the revert pull request. After a rejection, it may be asked for again.
 */
export async function requestCoordinatedRollback(
  deps: RollbackDeps & { gates: GateStore },
  input: { versionText: string; by: string; reason: string },
): Promise<{ kind: 'requested'; release: Release } | { kind: 'refused'; reason: string }> {
  const parsed = parseVersion(input.versionText);
  if (!parsed.ok) return { kind: 'refused', reason: `${parsed.reason}.` };
  const release = await deps.store.findByVersion(parsed.version.tag);
  if (!release) return { kind: 'refused', reason: `tminus has no release ${parsed.version.tag}.` };
  if (!['completed', 'stable'].includes(release.state)) return { kind: 'refused', reason: `${release.version} is ${release.state.replace(/_/g, ' ')}: a coordinated rollback reverts a release that is live.` };
  if (!release.previousVersion || !release.threadTs) return { kind: 'refused', reason: `tminus does not know which version ran before ${release.version}.` };
  const permitted = mayDo(deps.policy, 'coordinatedRollback', await deps.roles.rolesOf(input.by), { userId: input.by, requester: release.requestedBy, type: release.type, subject: release.version });
  if (!permitted.ok) return { kind: 'refused', reason: permitted.reason };
  const rule = coordinatedRollbackGate(input.by);
  // Built apart from the call: the stored rule carries the asker beside the columns' declared fields.
  const stored = { roles: rule.roles, rule: rule.rule, approvers: rule.approvers, requestedBy: input.by };
  const opened = await deps.store.withLock(release.id, async (_locked, tx) => {
    const earlier = await deps.gates.ofRelease(release.id, 'rollback', tx);
    if (earlier?.state === 'rejected') await supersede(deps, tx, earlier);
    const { gate, opened } = await deps.gates.open(tx, release.id, 'rollback', stored);
    if (opened) await deps.store.audit(release.id, 'rollback.coordinated_requested', { reason: input.reason, to: release.previousVersion }, input.by, tx);
    return opened ? gate : undefined;
  });
  if (!opened) return { kind: 'refused', reason: `A coordinated rollback of ${release.version} was already asked for: see its thread.` };
  await deps.jobs.add('gate-decision', { gateId: opened.id, decisions: 0 });
  return { kind: 'requested', release };
}

/**
 * A release has one rollback gate: a rejected one makes way for a new request. Its decisions stay in the
 * audit log (copied into the entry, as the append-only log keeps them); its buttons then name no gate.
 */
async function supersede(deps: RollbackDeps & { gates: GateStore }, tx: Transaction, gate: Gate): Promise<void> {
  const decisions = await deps.gates.decisions(gate.id, tx);
  await deps.store.audit(
    gate.releaseId,
    'rollback.coordinated_superseded',
    { gateId: gate.id, requestedBy: (gate.rule as { requestedBy?: string }).requestedBy ?? null, decisions: decisions.map((d) => ({ userId: d.userId, decision: d.decision, reason: d.reason, at: d.at.toISOString() })) },
    'tminus',
    tx,
  );
  await tx.delete(approvals).where(eq(approvals.gateId, gate.id));
  await tx.delete(approvalGates).where(eq(approvalGates.id, gate.id));
}
