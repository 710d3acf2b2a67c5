import { gateStatus, mayDecide, type GateRule, type GateStatus } from '../domain/approvals.js';
import type { RoleName } from '../domain/policy.js';
import type { Gate, GateStore } from '../integrations/database/gate-store.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import type { RoleDirectory } from './roles.js';

export interface ApprovalDeps {
  store: ReleaseStore;
  gates: GateStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  clock: () => Date;
}

export type DecisionOutcome =
  | { kind: 'refused'; reason: string }
  | { kind: 'repeat' }
  | { kind: 'recorded'; gate: Gate; status: GateStatus; decided?: 'approved' | 'rejected'; waitingForDeployment?: Release };

export function gateRule(gate: Gate): GateRule {
  return { kind: gate.kind, roles: gate.rule.roles as RoleName[], rule: gate.rule.rule, approvers: gate.rule.approvers };
}

/** Whether `userId` may decide at the gate; used before opening the rejection modal, and again on submit. */
export async function checkDecider(deps: ApprovalDeps, gateId: string, userId: string): Promise<{ ok: true; gate: Gate; roles: RoleName[] } | { ok: false; reason: string }> {
  const gate = await deps.gates.find(gateId);
  if (!gate) return { ok: false, reason: 'This approval request no longer exists.' };
  if (gate.state !== 'open') return { ok: false, reason: `This gate was already ${gate.state}.` };
  const release = (await deps.store.findById(gate.releaseId))!;
  const check = mayDecide(gateRule(gate), userId, await deps.roles.rolesOf(userId), release.requestedBy);
  return check.ok ? { ok: true, gate, roles: check.roles } : { ok: false, reason: check.reason };
}

/**
 * An Approve or Reject from Slack. The decision is recorded under the release's row lock, once per person;
 * when it satisfies (or rejects) the gate, the release moves on in the same transaction, and the jobs that
 * tell Slack and GitHub are queued.
 */
export async function decide(
  deps: ApprovalDeps,
  input: { gateId: string; userId: string; decision: 'approved' | 'rejected'; reason?: string },
): Promise<DecisionOutcome> {
  const checked = await checkDecider(deps, input.gateId, input.userId);
  if (!checked.ok) return { kind: 'refused', reason: checked.reason };
  const now = deps.clock();
  const outcome = await deps.store.withLock(checked.gate.releaseId, async (release, tx): Promise<DecisionOutcome> => {
    const gate = (await deps.gates.find(input.gateId, tx))!;
    if (gate.state !== 'open') return { kind: 'refused', reason: `This gate was already ${gate.state}.` };
    const recorded = await deps.gates.record(tx, gate, { userId: input.userId, decision: input.decision, roles: checked.roles, reason: input.reason, at: now });
    if (!recorded) return { kind: 'repeat' };
    const rule = gateRule(gate);
    const decisions = await deps.gates.decisions(gate.id, tx);
    const status = gateStatus(
      rule,
      decisions.filter((d) => d.decision === 'approved').map((d) => ({ userId: d.userId, roles: d.roles as RoleName[] })),
      release.requestedBy,
    );
    if (gate.kind === 'rollback') {
      // A coordinated rollback's gate changes no state of the release: approval opens the revert PR.
      if (input.decision === 'rejected' || status.satisfied) await deps.gates.close(tx, gate, input.decision === 'rejected' ? 'rejected' : 'approved', now);
      return { kind: 'recorded', gate, status, ...(input.decision === 'rejected' || status.satisfied ? { decided: input.decision } : {}) };
    }
    if (input.decision === 'rejected') {
      await deps.gates.close(tx, gate, 'rejected', now);
      await deps.store.applyLocked(tx, release, 'reject', { actor: input.userId, set: { finishedAt: now, failureReason: `rejected: ${input.reason ?? 'no reason given'}` }, details: { gateId: gate.id, reason: input.reason } });
      return { kind: 'recorded', gate, status, decided: 'rejected' };
    }
    if (!status.satisfied) return { kind: 'recorded', gate, status };
    await deps.gates.close(tx, gate, 'approved', now);
    if (gate.kind === 'production') {
      await deps.store.applyLocked(tx, release, 'approve_production', { actor: input.userId, details: { gateId: gate.id } });
      return { kind: 'recorded', gate, status, decided: 'approved' };
    }
    // The guide allows no deployment alongside another: an approved release waits for the running one.
    const running = (await deps.store.inFlight(tx)).find((r) => r.id !== release.id);
    if (running) {
      await deps.store.markHotfixStep(tx, release, 'hotfixApproved', input.userId, now);
      await deps.store.audit(release.id, 'release.waiting_for_deployment', { running: running.version }, 'tminus', tx);
      return { kind: 'recorded', gate, status, decided: 'approved', waitingForDeployment: running };
    }
    const ticked = (await deps.store.markHotfixStep(tx, release, 'hotfixApproved', input.userId, now)) ?? release;
    await deps.store.applyLocked(tx, ticked, 'approve', { actor: input.userId, set: { startedAt: now }, details: { gateId: gate.id } });
    return { kind: 'recorded', gate, status, decided: 'approved' };
  });
  if (outcome.kind === 'recorded') {
    await deps.jobs.add('gate-decision', { gateId: outcome.gate.id, decisions: outcome.status.counted + (outcome.decided === 'rejected' ? 1000 : 0) });
  }
  return outcome;
}

/** Starts an approved release that waited for another deployment to end (called by the reconciler). */
export async function startApprovedRelease(deps: Pick<ApprovalDeps, 'store' | 'gates' | 'clock'>, release: Release): Promise<boolean> {
  const gate = await deps.gates.ofRelease(release.id, 'release');
  if (release.state !== 'awaiting_approval' || gate?.state !== 'approved') return false;
  if ((await deps.store.inFlight()).length > 0) return false;
  const applied = await deps.store.apply(release.id, 'approve', { set: { startedAt: deps.clock() }, details: { gateId: gate.id, after: 'the running deployment ended' } });
  return applied.ok;
}

/** A person ticks a step of the hotfix checklist with its button. */
export async function tickHotfixStep(deps: Pick<ApprovalDeps, 'store' | 'clock'>, input: { releaseId: string; step: string; userId: string }): Promise<boolean> {
  const done = await deps.store.withLock(input.releaseId, (release, tx) => deps.store.markHotfixStep(tx, release, input.step, input.userId, deps.clock()));
  return done !== undefined;
}
