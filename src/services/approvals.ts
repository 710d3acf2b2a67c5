import { gateStatus, mayDecide, type GateRule, type GateStatus } from '../domain/approvals.js';
import { mayDo } from '../domain/permissions.js';
import type { Policy, RoleName } from '../domain/policy.js';
import { isOpen, LIVE_STATES, STATE_LABELS, type ReleaseState } from '../domain/release.js';
import type { Gate, GateStore } from '../integrations/database/gate-store.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import { escape } from '../messages/format.js';
import { closeProductionGateIfMet, type ProductionGateDeps } from './production-gate-met.js';
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
  | { kind: 'recorded'; gate: Gate; status: GateStatus; decided?: 'approved' | 'rejected'; waitingForDeployment?: Release; waitingOn?: string[] };

/** A decision also closes the production gate, which holds the pre-deployment checks (`preDeployment`, `policy`). */
export type DecideDeps = ApprovalDeps & Pick<ProductionGateDeps, 'preDeployment' | 'policy'>;

export function gateRule(gate: Gate): GateRule {
  // A coordinated rollback's gate keeps who asked for it in its rule: they may not decide it.
  const { requestedBy } = gate.rule as { requestedBy?: string };
  return { kind: gate.kind, roles: gate.rule.roles as RoleName[], rule: gate.rule.rule, approvers: gate.rule.approvers, ...(requestedBy !== undefined ? { requestedBy } : {}) };
}

/** A gate as a button names it: the release it was made for, and the gate (older buttons name only the gate). */
export interface GateRef {
  gateId: string;
  releaseId?: string;
}

/** The release states in which a gate of each kind is waiting for decisions; in any other, a click is stale. */
const WAITING_STATES: Record<Gate['kind'], readonly ReleaseState[]> = {
  release: ['awaiting_approval'],
  production: ['awaiting_production_approval'],
  rollback: LIVE_STATES,
};

const ENDED_PHRASES: Partial<Record<ReleaseState, string>> = {
  completed: 'completed',
  stable: 'is stable',
  rolled_back: 'was rolled back',
  failed: 'failed',
  rejected: 'was rejected',
  aborted: 'was aborted',
};

/** "was aborted", "failed", "is deploying": how a release in `state` got there, for refusals. */
export function statePhrase(state: ReleaseState): string {
  return ENDED_PHRASES[state] ?? `is ${STATE_LABELS[state]}`;
}

/** The sentence every refusal of a stale click ends with. */
export function currentState(release: Pick<Release, 'state'>): string {
  return `Current state: ${STATE_LABELS[release.state]}.`;
}

function gateSubject(gate: Gate, release: Release): string {
  if (gate.kind === 'production') return `the production deploy of ${release.version}`;
  if (gate.kind === 'rollback') return `the coordinated rollback of ${release.version}`;
  return release.version;
}

/** Whether a click on the gate can still count: the gate is open and its release waits for it. */
export function isWaiting(gate: Gate, release: Release): boolean {
  return gate.state === 'open' && WAITING_STATES[gate.kind].includes(release.state);
}

/** Why a click on a gate that no longer waits changes nothing: who decided it, or how its release ended. */
export async function staleGateReason(deps: Pick<ApprovalDeps, 'store' | 'gates'>, gateId: string): Promise<string> {
  const gate = (await deps.gates.find(gateId))!;
  const release = (await deps.store.findById(gate.releaseId))!;
  const subject = gateSubject(gate, release);
  if (gate.state === 'approved' || gate.state === 'rejected') {
    // Answered outside Slack (on GitHub): the gate's outcome says how.
    if (gate.outcome) return `This approval for ${subject} is closed: ${escape(gate.outcome.charAt(0).toLowerCase() + gate.outcome.slice(1).replace(/\.$/, ''))}. ${currentState(release)}`;
    const deciders = (await deps.gates.decisions(gate.id)).filter((d) => d.decision === gate.state).map((d) => `<@${d.userId}>`);
    return `This approval for ${subject} was already ${gate.state}${deciders.length > 0 ? ` by ${deciders.join(' and ')}` : ''}. ${currentState(release)}`;
  }
  const ended = gate.state === 'closed' ? await stateWhenClosed(deps, gate, release) : release.state;
  const why = isOpen(ended) ? `the release ${statePhrase(ended)} without it` : `the release ${statePhrase(ended)}${ended === 'failed' && release.failureReason ? ` (${escape(release.failureReason)})` : ''}`;
  return `This approval for ${subject} is closed: ${why}. ${currentState(release)}`;
}

/** The state the release ended in when it closed the gate (it may have moved on since: a rollback, a re-run). */
async function stateWhenClosed(deps: Pick<ApprovalDeps, 'store'>, gate: Gate, release: Release): Promise<ReleaseState> {
  const events = await deps.store.events(release.id);
  const closedAt = events.findIndex((e) => e.action === 'gate.closed' && (e.details as { gateId?: string }).gateId === gate.id);
  const change = events
    .slice(0, closedAt < 0 ? events.length : closedAt)
    .reverse()
    .find((e) => e.action.startsWith('release.') && typeof (e.details as { to?: unknown }).to === 'string');
  const to = (change?.details as { to?: ReleaseState } | undefined)?.to;
  return to && !isOpen(to) ? to : release.state;
}

/**
 * Whether `userId` may decide at the gate now; used before opening the rejection modal, and again on submit.
 * A gate that is not open, or whose release no longer waits for it, refuses every click and says why.
 */
export async function checkDecider(deps: ApprovalDeps, ref: GateRef, userId: string): Promise<{ ok: true; gate: Gate; release: Release; roles: RoleName[] } | { ok: false; reason: string }> {
  const gate = await deps.gates.find(ref.gateId);
  const release = gate && (await deps.store.findById(gate.releaseId));
  if (!gate || !release || (ref.releaseId !== undefined && ref.releaseId !== gate.releaseId)) return { ok: false, reason: 'This approval request no longer exists.' };
  if (!isWaiting(gate, release)) return { ok: false, reason: await staleGateReason(deps, gate.id) };
  const check = mayDecide(gateRule(gate), userId, await deps.roles.rolesOf(userId), release.requestedBy);
  return check.ok ? { ok: true, gate, release, roles: check.roles } : { ok: false, reason: check.reason };
}

/**
 * An Approve or Reject from Slack. The decision is recorded under the release's row lock, once per person;
 * when it satisfies (or rejects) the gate, the release moves on in the same transaction, and the jobs that
 * tell Slack and GitHub are queued.
 */
export async function decide(
  deps: DecideDeps,
  input: GateRef & { userId: string; decision: 'approved' | 'rejected'; reason?: string },
): Promise<DecisionOutcome> {
  const checked = await checkDecider(deps, input, input.userId);
  if (!checked.ok) return { kind: 'refused', reason: checked.reason };
  const untested = input.decision === 'approved' ? untestedHotfix(checked.gate, checked.release) : undefined;
  if (untested) return { kind: 'refused', reason: untested };
  const now = deps.clock();
  const outcome = await deps.store.withLock(checked.gate.releaseId, async (release, tx): Promise<DecisionOutcome | { kind: 'stale' }> => {
    const gate = (await deps.gates.find(input.gateId, tx))!;
    // Checked again under the lock: the gate may have closed, or its release moved on, since the first look.
    if (!isWaiting(gate, release)) return { kind: 'stale' };
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
      // GitHub decides the production deploy: the release ends rejected once GitHub took the rejection (the
      // gate-decision job), not before; someone may have approved the run in GitHub's UI a moment earlier.
      if (gate.kind !== 'production') {
        await deps.store.applyLocked(tx, release, 'reject', { actor: input.userId, set: { finishedAt: now, failureReason: `rejected: ${input.reason ?? 'no reason given'}` }, details: { gateId: gate.id, reason: input.reason } });
      }
      return { kind: 'recorded', gate, status, decided: 'rejected' };
    }
    if (!status.satisfied) return { kind: 'recorded', gate, status };
    if (gate.kind === 'production') {
      // The approvals hold; the gate is met only once the pre-deployment checks hold too (whichever comes last).
      const { closed, met } = await closeProductionGateIfMet(deps, tx, gate, release, status, { actor: input.userId, at: now });
      return closed ? { kind: 'recorded', gate, status, decided: 'approved' } : { kind: 'recorded', gate, status, waitingOn: met.waitingOn };
    }
    await deps.gates.close(tx, gate, 'approved', now);
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
  if (outcome.kind === 'stale') return { kind: 'refused', reason: await staleGateReason(deps, input.gateId) };
  if (outcome.kind === 'recorded') {
    await deps.jobs.add('gate-decision', { gateId: outcome.gate.id, decisions: outcome.status.counted + (outcome.decided === 'rejected' ? 1000 : 0) });
  }
  return outcome;
}

/**
 * The guide's hotfix order: developed + tested, then approved by the VP Eng. Why an Approve on a hotfix's
 * gate cannot count yet, or undefined when it may. (A rejection needs no test.)
 */
function untestedHotfix(gate: Gate, release: Release): string | undefined {
  if (gate.kind !== 'release' || release.type !== 'hotfix' || !release.hotfix || release.hotfix.steps.hotfixTested) return undefined;
  const ci = release.hotfix.ci;
  const failed = ci?.state === 'failure' ? ` CI failed on \`${ci.sha.slice(0, 7)}\`${ci.failing.length > 0 ? ` (${escape(ci.failing.join(', '))})` : ''}.` : '';
  return `Hotfix ${release.version} is not tested yet: the guide approves a hotfix once it is developed and tested.${failed} “Hotfix developed + tested” is ticked when CI passes on its commit, or by a person with its button; then approve.`;
}

/** Starts an approved release that waited for another deployment to end (called by the reconciler). */
export async function startApprovedRelease(deps: Pick<ApprovalDeps, 'store' | 'gates' | 'clock'>, release: Release): Promise<boolean> {
  const gate = await deps.gates.ofRelease(release.id, 'release');
  if (release.state !== 'awaiting_approval' || gate?.state !== 'approved') return false;
  if ((await deps.store.inFlight()).length > 0) return false;
  const applied = await deps.store.apply(release.id, 'approve', { set: { startedAt: deps.clock() }, details: { gateId: gate.id, after: 'the running deployment ended' } });
  return applied.ok;
}

/** The hotfix steps a person ticks with a button; tminus ticks the others (approval by the gate, deploy) itself. */
const STEPS_BY_BUTTON: readonly string[] = ['emergencyCall', 'hotfixTested', 'monitored'];

export type HotfixStepOutcome = { kind: 'ticked' } | { kind: 'repeat' } | { kind: 'refused'; reason: string };

/**
 * A person ticks a step of the hotfix checklist with its button: only while the hotfix is open, and only
 * someone who may raise a hotfix (`permissions.hotfix`) or who raised this one.
 */
export async function tickHotfixStep(deps: Pick<ApprovalDeps, 'store' | 'clock' | 'roles'> & { policy: Policy }, input: { releaseId: string; step: string; userId: string }): Promise<HotfixStepOutcome> {
  const found = await deps.store.findById(input.releaseId);
  if (!found?.hotfix) return { kind: 'refused', reason: 'This hotfix no longer exists.' };
  if (!STEPS_BY_BUTTON.includes(input.step)) return { kind: 'refused', reason: `tminus ticks that step of ${found.version} by itself: the approval is the gate's, the deploy GitHub's.` };
  const permitted = mayDo(deps.policy, 'hotfix', await deps.roles.rolesOf(input.userId), { userId: input.userId, subject: found.version });
  if (!permitted.ok && input.userId !== found.requestedBy) return { kind: 'refused', reason: permitted.reason.replace(/^you can't raise hotfix (\S+)/, "you can't tick the steps of hotfix $1") };
  return deps.store.withLock(input.releaseId, async (release, tx): Promise<HotfixStepOutcome> => {
    // "Monitored" comes after the deploy: it may be ticked once in production, also after the release completed.
    if (input.step === 'monitored' && !isMonitorable(release) && isOpen(release.state)) {
      return { kind: 'refused', reason: `Hotfix ${release.version} is not deployed yet: it is monitored after the deploy. ${currentState(release)}` };
    }
    if (input.step === 'monitored' ? !isMonitorable(release) : !isOpen(release.state)) {
      return { kind: 'refused', reason: `Hotfix ${release.version} ${statePhrase(release.state)}: its checklist is closed. ${currentState(release)}` };
    }
    const done = await deps.store.markHotfixStep(tx, release, input.step, input.userId, deps.clock());
    return done ? { kind: 'ticked' } : { kind: 'repeat' };
  });
}

/** Deployed, and not rolled back, failed or aborted since: the hotfix is being monitored. */
function isMonitorable(release: Release): boolean {
  return Boolean(release.hotfix?.steps.deployed) && (['verifying', 'completed', 'stable'] as ReleaseState[]).includes(release.state);
}
