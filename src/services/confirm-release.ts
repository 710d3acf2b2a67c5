import { mayDo } from '../domain/permissions.js';
import type { Policy } from '../domain/policy.js';
import { STATE_LABELS } from '../domain/release.js';
import { parseVersion } from '../domain/version.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import type { RoleDirectory } from './roles.js';

export interface ConfirmDeps {
  store: ReleaseStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  policy: Policy;
  clock: () => Date;
}

export type ConfirmOutcome = { kind: 'confirmed'; release: Release } | { kind: 'refused'; reason: string };

const USAGE = 'Usage: `/release confirm vX.Y.Z <what you checked>`, for example `/release confirm v1.3.0 error rate 0.02 %, p99 210 ms, cache 96 % on the dashboard`.';

/**
 * `/release confirm vX.Y.Z <what you checked>`: a person read the post-deploy checks tminus could not read
 * (Datadog down or not configured, no data, `verification.source: manual`) and says the release is good. Only while the checks run (`verifying`), by
 * `permissions.confirm`, with what was checked, and never while a check shows an open breach: it is audited and
 * said in the thread; the release completes.
 */
export async function confirmRelease(deps: ConfirmDeps, input: { versionText: string | undefined; by: string; checked: string }): Promise<ConfirmOutcome> {
  const parsed = parseVersion(input.versionText ?? '');
  if (!parsed.ok) return { kind: 'refused', reason: `${parsed.reason}. ${USAGE}` };
  const release = await deps.store.findByVersion(parsed.version.tag);
  if (!release) return { kind: 'refused', reason: `tminus has no release ${parsed.version.tag}.` };
  if (release.state !== 'verifying') {
    return { kind: 'refused', reason: `${release.version} is ${STATE_LABELS[release.state]}: only a release whose post-deploy checks are running can be confirmed by hand.` };
  }
  const permitted = mayDo(deps.policy, 'confirm', await deps.roles.rolesOf(input.by), { userId: input.by, requester: release.requestedBy, type: release.type, subject: release.version });
  if (!permitted.ok) return { kind: 'refused', reason: permitted.reason };
  if (input.checked.trim().length < 3) return { kind: 'refused', reason: `Say what you checked. ${USAGE}` };
  // A person's word does not outvote a check that reads a breach: roll back, or let the breach clear first.
  const breaches = await deps.store.openBreaches(release.id);
  if (breaches.length > 0) {
    const which = breaches.map((b) => `${b.check} (${b.severity})`).join(', ');
    return {
      kind: 'refused',
      reason:
        `${release.version} cannot be confirmed while its post-deploy checks show a breach: ${which}. ` +
        `Roll back with \`/release rollback ${release.version}\`, or confirm once the breach clears.`,
    };
  }
  const applied = await deps.store.apply(release.id, 'post_deploy_checks_confirmed', {
    actor: input.by,
    set: { completedAt: deps.clock() },
    details: { checked: input.checked },
  });
  if (!applied.ok) return { kind: 'refused', reason: `${release.version} changed meanwhile (${applied.reason}): check \`/release status ${release.version}\`.` };
  await deps.jobs.ensure('complete-release', { releaseId: release.id, finishedAt: release.finishedAt!.toISOString() });
  return { kind: 'confirmed', release: applied.release };
}
