import { mayDo } from '../domain/permissions.js';
import type { Policy } from '../domain/policy.js';
import { WAIVABLE, type ReadinessKey } from '../domain/readiness.js';
import { STATE_LABELS } from '../domain/release.js';
import { parseVersion } from '../domain/version.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import type { RoleDirectory } from './roles.js';

export interface WaiveDeps {
  store: ReleaseStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  policy: Policy;
}

export type WaiveOutcome = { kind: 'waived'; release: Release; line: ReadinessKey } | { kind: 'refused'; reason: string };

const USAGE = 'Usage: `/release waive vX.Y.Z <checklists|cadence|freeze> <reason>`, for example `/release waive v1.3.0 checklists QA signed off in the release review`.';

/**
 * `/release waive vX.Y.Z <line> <reason>`: an approver of the release's type (`permissions.waive`) lets a
 * release held at its readiness gate go on without one line (its checklists, its cadence slot, a deploy freeze).
 * CI and the production gate are not waived: they are fixed. Audited with who and why; judged again at once.
 */
export async function waiveReadiness(deps: WaiveDeps, input: { versionText: string | undefined; line: string | undefined; by: string; reason: string }): Promise<WaiveOutcome> {
  const parsed = parseVersion(input.versionText ?? '');
  if (!parsed.ok) return { kind: 'refused', reason: `${parsed.reason}. ${USAGE}` };
  const line = (input.line ?? '').toLowerCase() as ReadinessKey;
  if (!WAIVABLE.includes(line)) {
    const fixed = line === 'ci' || line === 'production' ? ` ${line === 'ci' ? 'CI is fixed on the branch' : 'The production gate is set up on GitHub or in the policy'}, not waived.` : '';
    return { kind: 'refused', reason: `\`${input.line ?? ''}\` is not a line that can be waived.${fixed} ${USAGE}` };
  }
  const release = await deps.store.findByVersion(parsed.version.tag);
  if (!release) return { kind: 'refused', reason: `tminus has no release ${parsed.version.tag}.` };
  if (release.state !== 'started') {
    return { kind: 'refused', reason: `${release.version} is ${STATE_LABELS[release.state]}: only a release held at its readiness gate (before its tag) takes a waiver.` };
  }
  const permitted = mayDo(deps.policy, 'waive', await deps.roles.rolesOf(input.by), { userId: input.by, requester: release.requestedBy, type: release.type, subject: `the ${line} of ${release.version}` });
  if (!permitted.ok) return { kind: 'refused', reason: permitted.reason.charAt(0).toUpperCase() + permitted.reason.slice(1) };
  if (input.reason.trim().length < 3) return { kind: 'refused', reason: `Say why. ${USAGE}` };
  await deps.store.audit(release.id, 'readiness.waived', { line, reason: input.reason.trim() }, input.by);
  await deps.jobs.add('readiness-now', { releaseId: release.id });
  return { kind: 'waived', release, line };
}
