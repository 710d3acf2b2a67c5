import { productionGate, releaseGate, ROLE_LABELS } from '../domain/approvals.js';
import { parseVersion } from '../domain/version.js';
import type { Policy, RoleName } from '../domain/policy.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import type { RoleDirectory } from './roles.js';

export interface RollbackDeps {
  store: ReleaseStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  policy: Policy;
  clock: () => Date;
}

export type RollbackOutcome = { kind: 'started'; release: Release } | { kind: 'refused'; reason: string };

/** Who may start an emergency rollback: anyone on call, or anyone who may approve this release. */
export function rollbackRoles(policy: Policy, release: Pick<Release, 'type'>): RoleName[] {
  return [...new Set<RoleName>(['onCall', ...releaseGate(policy, release.type).roles, ...productionGate(policy).roles])];
}

/**
 * `/release rollback vX.Y.Z [reason]` and the "Roll back now" button: the guide's immediate rollback to the
 * previous production version, within 5 minutes. `by: 'tminus'` is the policy's automatic rollback.
 */
export async function startEmergencyRollback(deps: RollbackDeps, input: { release: Release; by: string; reason: string }): Promise<RollbackOutcome> {
  const { release } = input;
  if (input.by !== 'tminus') {
    const allowed = rollbackRoles(deps.policy, release);
    const held = await deps.roles.rolesOf(input.by);
    if (!held.some((r) => allowed.includes(r))) {
      return { kind: 'refused', reason: `you can't roll back ${release.version}: it needs ${allowed.map((r) => ROLE_LABELS[r]).join(', ')}` };
    }
  }
  if (!['completed', 'stable', 'failed'].includes(release.state)) {
    return { kind: 'refused', reason: `${release.version} is ${release.state.replace(/_/g, ' ')}: only a deployed (or failed) release can be rolled back.` };
  }
  if (!release.previousVersion) return { kind: 'refused', reason: `tminus does not know which version ran before ${release.version}, so it cannot roll back to it.` };
  const now = deps.clock();
  try {
    const applied = await deps.store.apply(release.id, 'start_rollback', {
      actor: input.by,
      set: { rollback: { by: input.by, reason: input.reason, toVersion: release.previousVersion, startedAt: now.toISOString(), checklist: {} } },
      details: { to: release.previousVersion, reason: input.reason },
    });
    if (!applied.ok) return { kind: 'refused', reason: applied.reason };
    await deps.jobs.add('run-rollback', { releaseId: release.id, poll: 0 });
    return { kind: 'started', release: applied.release };
  } catch (error) {
    if (String((error as { cause?: unknown }).cause ?? error).includes('releases_one_in_flight')) {
      return { kind: 'refused', reason: 'another deployment is running: wait for it, or roll back by hand with the guide\'s commands.' };
    }
    throw error;
  }
}

export async function rollbackByCommand(deps: RollbackDeps, input: { versionText: string; by: string; reason: string }): Promise<RollbackOutcome> {
  const parsed = parseVersion(input.versionText);
  if (!parsed.ok) return { kind: 'refused', reason: `${parsed.reason}.` };
  const release = await deps.store.findByVersion(parsed.version.tag);
  if (!release) return { kind: 'refused', reason: `tminus has no release ${parsed.version.tag}.` };
  return startEmergencyRollback(deps, { release, by: input.by, reason: input.reason });
}

/** A person ticks items of the rollback verification checklist. */
export async function tickRollbackItems(deps: Pick<RollbackDeps, 'store' | 'clock'>, input: { releaseId: string; items: string[]; by: string }): Promise<number> {
  return deps.store.withLock(input.releaseId, async (release, tx) => {
    if (!release.rollback) return 0;
    const fresh = input.items.filter((i) => !release.rollback!.checklist[i]);
    if (fresh.length === 0) return 0;
    const at = deps.clock().toISOString();
    const checklist = { ...release.rollback.checklist, ...Object.fromEntries(fresh.map((i) => [i, { at, by: input.by }])) };
    await deps.store.update(release.id, { rollback: { ...release.rollback, checklist } }, tx);
    await deps.store.audit(release.id, 'rollback.checklist_ticked', { items: fresh }, input.by, tx);
    return fresh.length;
  });
}
