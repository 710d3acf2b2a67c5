import { productionTouched } from '../domain/milestones.js';
import { mayDo } from '../domain/permissions.js';
import type { Policy } from '../domain/policy.js';
import { isOpen, STATE_LABELS } from '../domain/release.js';
import { parseVersion } from '../domain/version.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';
import { loadMilestones } from '../jobs/progress-view.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import type { RoleDirectory } from './roles.js';

export interface AbortDeps {
  store: ReleaseStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  policy: Policy;
  clock: () => Date;
}

export type AbortOutcome =
  | { kind: 'aborted'; release: Release }
  /** Production was touched: the person confirms first (and is pointed to `/release rollback`). */
  | { kind: 'confirm'; release: Release }
  | { kind: 'refused'; reason: string };

/**
 * `/release abort vX.Y.Z <reason>`: the way out by hand of any release that is not over (waiting on a gate
 * nobody will press, stuck, or no longer wanted). The release ends `aborted` under its row lock, its gates
 * close in the same transaction, updates stop; the `abort-release` job then cancels a deploy run that has
 * not reached production and tells the thread. When production was touched, the person confirms first.
 */
export async function abortRelease(
  deps: AbortDeps,
  input: { versionText?: string; releaseId?: string; by: string; reason: string; confirmed: boolean },
): Promise<AbortOutcome> {
  const release = await findRelease(deps, input);
  if (typeof release === 'string') return { kind: 'refused', reason: release };
  if (!isOpen(release.state)) {
    return { kind: 'refused', reason: `${release.version} is ${STATE_LABELS[release.state]}: there is nothing to abort.${release.state === 'completed' || release.state === 'stable' ? ` To undo it, \`/release rollback ${release.version}\`.` : ''}` };
  }
  // Who may end it by hand: `permissions.abort` (by default whoever asked for it, its approvers, on-call, release engineers).
  const permitted = mayDo(deps.policy, 'abort', await deps.roles.rolesOf(input.by), { userId: input.by, requester: release.requestedBy, type: release.type, subject: release.version });
  if (!permitted.ok) return { kind: 'refused', reason: permitted.reason };
  if (input.reason.trim().length < 3) return { kind: 'refused', reason: `Say why: \`/release abort ${release.version} <reason>\`.` };
  const touched = productionTouched(loadMilestones(release, deps));
  if (touched && !input.confirmed) return { kind: 'confirm', release };
  const now = deps.clock();
  const applied = await deps.store.apply(release.id, 'abort', {
    actor: input.by,
    set: { finishedAt: now, failureReason: `aborted by hand: ${input.reason}` },
    details: { reason: input.reason, productionTouched: touched, runId: release.deployRunId },
  });
  if (!applied.ok) return { kind: 'refused', reason: `${release.version} changed meanwhile (${applied.reason}): check \`/release status ${release.version}\`.` };
  // The release is over whatever happens next; the job cancels the run and tells the thread.
  const queued = await deps.jobs.add('abort-release', { releaseId: release.id }).then(
    () => true,
    () => false,
  );
  if (!queued) await deps.store.audit(release.id, 'release.abort_cleanup_not_queued', {});
  return { kind: 'aborted', release: applied.release };
}

async function findRelease(deps: AbortDeps, input: { versionText?: string; releaseId?: string }): Promise<Release | string> {
  if (input.releaseId !== undefined) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.releaseId)) return 'That button is not one tminus made.';
    return (await deps.store.findById(input.releaseId)) ?? 'tminus has no such release.';
  }
  const parsed = parseVersion(input.versionText ?? '');
  if (!parsed.ok) return `${parsed.reason}. Usage: \`/release abort vX.Y.Z <reason>\`.`;
  return (await deps.store.findByVersion(parsed.version.tag)) ?? `tminus has no release ${parsed.version.tag}.`;
}
