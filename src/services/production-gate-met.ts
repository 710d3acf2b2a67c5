import type { GateStatus } from '../domain/approvals.js';
import type { Policy, PreDeploymentCheck } from '../domain/policy.js';
import { preDeploymentChecksFor, productionGateMet, type ProductionGateMet } from '../domain/pre-deployment-checks.js';
import type { Gate, GateStore } from '../integrations/database/gate-store.js';
import type { PreDeploymentStore } from '../integrations/database/pre-deployment-store.js';
import type { Release, ReleaseStore, Transaction } from '../integrations/database/release-store.js';

export interface ProductionGateDeps {
  store: ReleaseStore;
  gates: GateStore;
  preDeployment: PreDeploymentStore;
  policy: Policy;
}

/** The pre-deployment checks a gate holds: only the production gate's, for the types the policy names. */
export function gateChecks(policy: Policy, gate: Pick<Gate, 'kind'>, release: Pick<Release, 'type'>): PreDeploymentCheck[] {
  return gate.kind === 'production' ? preDeploymentChecksFor(policy, release.type) : [];
}

/**
 * Under the release's row lock: the production gate is met when its approvals (`approvals`, as they stand)
 * and every pre-deployment check hold, whichever came last. Then it closes as approved and the release
 * moves on (`actor` is whoever made it hold: the last approver, the last ticker, or tminus).
 */
export async function closeProductionGateIfMet(
  deps: ProductionGateDeps,
  tx: Transaction,
  gate: Gate,
  release: Release,
  approvals: GateStatus,
  change: { actor: string; at: Date; details?: Record<string, unknown> },
): Promise<{ closed: boolean; met: ProductionGateMet }> {
  const items = gateChecks(deps.policy, gate, release);
  const met = productionGateMet(approvals, items, items.length > 0 ? await deps.preDeployment.ofGate(gate.id, tx) : []);
  if (!met.met) return { closed: false, met };
  await deps.gates.close(tx, gate, 'approved', change.at);
  await deps.store.applyLocked(tx, release, 'approve_production', { actor: change.actor, details: { gateId: gate.id, ...change.details } });
  return { closed: true, met };
}
