import { checkCadence, nextSlots } from '../domain/calendar.js';
import { formatDuration } from '../domain/duration.js';
import { mayDo, versionTooFar } from '../domain/permissions.js';
import type { Policy } from '../domain/policy.js';
import { formatPlannedAt, parsePlannedAt } from '../domain/release-plan.js';
import { inferReleaseType, parseVersion } from '../domain/version.js';
import { productionOf, type ProductionVersions } from '../integrations/database/production-history.js';
import type { ReleasePlanStore } from '../integrations/database/release-plan-store.js';
import type { ReleaseStore } from '../integrations/database/release-store.js';
import type { ReleasePlanRow } from '../integrations/database/schema.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import type { RoleDirectory } from './roles.js';
import { TAGS_SYNC_KEY } from '../jobs/sync-released-versions.js';

export type PlanOutcome = { kind: 'planned'; plan: ReleasePlanRow; queued: boolean } | { kind: 'refused'; reason: string };

export interface PlanReleaseDeps {
  plans: ReleasePlanStore;
  store: ReleaseStore;
  jobs: ReleaseJobs;
  clock: () => Date;
  policy: Policy;
  roles: RoleDirectory;
  releasesChannel: string;
  /** What production runs; without it, read through `store` (see startRelease). */
  production?: ProductionVersions;
}

export interface PlanReleaseRequest {
  versionText: string;
  /** `2026-12-03 14:00` or `2026-12-03`, in the policy's timezone; absent: the next slot of the type. */
  whenText?: string;
  userId: string;
  /** The command's response_url: "nothing merged, no plan made" goes to the person who asked, not the channel. */
  responseUrl?: string;
}

const HOUR = 3_600_000;

/**
 * `/release plan vX.Y.Z [date]`: validates against what Postgres knows (no GitHub call inside the Slack
 * request), records the plan as `drafting` and queues build-plan, which reads GitHub and posts the card.
 * A plan is not a release yet: it has no audit trail of its own. Refusals record nothing.
 */
export async function planRelease(deps: PlanReleaseDeps, request: PlanReleaseRequest): Promise<PlanOutcome> {
  const parsed = parseVersion(request.versionText);
  if (!parsed.ok) return { kind: 'refused', reason: `${capital(parsed.reason)}. Try \`/release plan v1.3.0 2026-12-03\`.` };
  const version = parsed.version;
  if (version.prerelease.length > 0) return { kind: 'refused', reason: `${version.tag} is a pre-release: plan the release it leads to.` };

  if (!(await deps.store.syncedAt(TAGS_SYNC_KEY))) {
    await deps.jobs.add('sync-released-versions', {});
    return { kind: 'refused', reason: "tminus has not read the repository's tags yet, so it cannot tell which version was released last. It is trying now: run the command again in a minute." };
  }
  const [{ known, production: live }, started] = await Promise.all([productionOf(deps).versions(), deps.store.findByVersion(version.tag)]);
  if (known.has(version.tag) || started) {
    return { kind: 'refused', reason: `${version.tag} has already been released or started. Plan the next version instead.` };
  }
  // Typed against what production runs (`live`): a failed or rolled-back version is not the last release.
  const tooFar = versionTooFar(version, live);
  if (tooFar) return { kind: 'refused', reason: tooFar };
  const inferred = inferReleaseType(version, live);
  if (!inferred.ok) return { kind: 'refused', reason: `${capital(inferred.reason)}.` };
  const type = inferred.type;

  const existing = await deps.plans.findByVersion(version.tag);
  // A cancelled plan stays with its history; the version may be planned again beside it.
  if (existing && existing.state !== 'cancelled') {
    const when = formatPlannedAt(existing.plannedAt, deps.policy.timezone);
    return { kind: 'refused', reason: `${version.tag} is already planned for ${when} (by <@${existing.requestedBy}>).` };
  }

  const plannedAt = chooseTime(deps, type, request.whenText);
  if (!plannedAt.ok) return { kind: 'refused', reason: plannedAt.reason };
  const beyond = beyondHorizon(deps, plannedAt.at);
  if (beyond) return { kind: 'refused', reason: beyond };

  const held = await deps.roles.rolesOf(request.userId);
  const permitted = mayDo(deps.policy, 'plan', held, { userId: request.userId, type, subject: version.tag });
  if (!permitted.ok) return { kind: 'refused', reason: capital(permitted.reason) };
  // A plan starts itself at T-0: off a calendar slot, only someone who may override the cadence plans it.
  if (deps.policy.planning.enforceCadence && type !== 'patch') {
    const slot = checkCadence(deps.policy, type, plannedAt.at, [], deps.policy.planning.slotTolerance);
    const override = mayDo(deps.policy, 'overrideCadence', held, { userId: request.userId, type, subject: `${type} releases` });
    if (!slot.ok && !override.ok) {
      return { kind: 'refused', reason: `${formatPlannedAt(plannedAt.at, deps.policy.timezone)} is off the cadence (${slot.rule}): plan it at a slot (\`/release schedule\` lists them). ${capital(override.reason)}` };
    }
  }

  const created = await deps.plans.create({ version: version.tag, type, plannedAt: plannedAt.at, requestedBy: request.userId, channelId: deps.releasesChannel });
  if (!created.ok) return { kind: 'refused', reason: `${version.tag} was planned at the same moment by someone else.` };
  // The plan is recorded: a queue that cannot take the job now is reported, and planning again is refused, so say so.
  const queued = await deps.jobs.add('build-plan', { planId: created.plan.id, ...(request.responseUrl ? { responseUrl: request.responseUrl } : {}) }).then(
    () => true,
    () => false,
  );
  return { kind: 'planned', plan: created.plan, queued };
}

function chooseTime(deps: PlanReleaseDeps, type: 'patch' | 'minor' | 'major', whenText: string | undefined): { ok: true; at: Date } | { ok: false; reason: string } {
  const now = deps.clock();
  const cadence = deps.policy.releaseTypes[type].cadence;
  if (whenText !== undefined && whenText.trim() !== '') {
    const defaultTime = 'time' in cadence ? cadence.time : '14:00';
    const parsed = parsePlannedAt(whenText, deps.policy.timezone, defaultTime, now);
    return parsed.ok ? parsed : { ok: false, reason: `${capital(parsed.reason)}.` };
  }
  if (type === 'patch') return { ok: true, at: new Date(now.getTime() + HOUR) };
  const [slot] = nextSlots(deps.policy, type, now, 1);
  if (!slot) return { ok: false, reason: `The policy's ${type} cadence has no calendar slots: give a date, like \`/release plan vX.Y.Z 2026-12-03 14:00\`.` };
  return { ok: true, at: slot.at };
}

/** Why `at` is too far ahead to plan for (`planning.horizon`), if it is. */
export function beyondHorizon(deps: Pick<PlanReleaseDeps, 'clock' | 'policy'>, at: Date): string | undefined {
  const horizon = deps.policy.planning.horizon;
  const limit = new Date(deps.clock().getTime() + horizon);
  if (at.getTime() <= limit.getTime()) return undefined;
  return `${formatPlannedAt(at, deps.policy.timezone)} is more than ${formatDuration(horizon)} ahead: plan it no later than ${formatPlannedAt(limit, deps.policy.timezone)} (\`planning.horizon\`).`;
}

function capital(text: string): string {
  return /^v\d/.test(text) ? text : text.charAt(0).toUpperCase() + text.slice(1);
}
