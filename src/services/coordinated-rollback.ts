import { coordinatedRollbackGate } from '../domain/approvals.js';
import { parseVersion } from '../domain/version.js';
import type { GateStore } from '../integrations/database/gate-store.js';
import type { Release } from '../integrations/database/release-store.js';
import type { RollbackDeps } from './rollback.js';

/**
 * `/release rollback vX.Y.Z --coordinated`: the guide's planned rollback. It waits for the VP Eng's approval
 * (a gate in the release's thread); once approved, tminus opens the revert pull request.
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
  const rule = coordinatedRollbackGate();
  const opened = await deps.store.withLock(release.id, async (_locked, tx) => {
    const { gate, opened } = await deps.gates.open(tx, release.id, 'rollback', { roles: rule.roles, rule: rule.rule, approvers: rule.approvers });
    if (opened) await deps.store.audit(release.id, 'rollback.coordinated_requested', { reason: input.reason, to: release.previousVersion }, input.by, tx);
    return opened ? gate : undefined;
  });
  if (!opened) return { kind: 'refused', reason: `A coordinated rollback of ${release.version} was already asked for: see its thread.` };
  await deps.jobs.add('gate-decision', { gateId: opened.id, decisions: 0 });
  return { kind: 'requested', release };
}
