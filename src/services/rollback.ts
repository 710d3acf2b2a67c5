import { allowedBy, mayDo } from '../domain/permissions.js';
import { LIVE_STATES, type ReleaseState } from '../domain/release.js';
import { loadMilestones } from '../jobs/progress-view.js';
import { PRODUCTION_TOUCH_ACTION, recordedTouch, touchFromMilestones, type ProductionTouch } from '../domain/production-touched.js';
import { parseVersion } from '../domain/version.js';
import type { Policy, RoleName } from '../domain/policy.js';
import { productionOf, type ProductionVersions } from '../integrations/database/production-history.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';
import type { RollbackDetails } from '../integrations/database/schema.js';
import { parseDetectedAt } from '../domain/detected-at.js';
import { whatHappened } from '../messages/plain-words.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import { currentState, statePhrase } from './approvals.js';
import type { RoleDirectory } from './roles.js';
import { ROLLBACKS_JUDGED, typicalRollback } from '../domain/rollback-clock.js';

export interface RollbackDeps {
  store: ReleaseStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  policy: Policy;
  clock: () => Date;
  /** What production runs; read through the store when not given. */
  production?: ProductionVersions;
}

/**
 * The states an emergency rollback starts from: deployed (its post-deploy checks running, or complete), failed
 * part-way, aborted after touching production, or still deploying once production was touched.
 */
const ROLLBACK_FROM: readonly ReleaseState[] = ['deploying', 'verifying', 'completed', 'stable', 'failed', 'aborted'];
/** States in which production may not have been touched yet: the milestones decide. */
const TOUCH_FIRST: readonly ReleaseState[] = ['deploying', 'aborted'];
/** The states in which a release has a rollback verification checklist to tick. */
const CHECKLIST_STATES: readonly ReleaseState[] = ['rolling_back', 'rolled_back'];

export type RollbackOutcome = { kind: 'started'; release: Release } | { kind: 'refused'; reason: string };

/** The roles that may start an emergency rollback of `release` (`permissions.rollback`): the people a rollback tells. */
export function rollbackRoles(policy: Policy, release: Pick<Release, 'type'>): RoleName[] {
  const allowed = allowedBy(policy, 'rollback', { type: release.type });
  return allowed === 'anyone' ? ['onCall'] : allowed.roles;
}

export interface EmergencyRollbackInput {
  release: Release;
  by: string;
  /** Why, for the audit log and the thread. */
  reason: string;
  /** The Rollback Notice's "What happened", in plain words: what a person wrote, else picked from the breach. */
  whatHappened?: string;
  /** When the problem was detected (`--detected`); else the first open breach's reading, else now. */
  detectedAt?: Date;
}

/**
 * `/release rollback vX.Y.Z [reason]` and the "Roll back now" button: the guide's immediate rollback to the
 * previous production version, "within 5 minutes of detection": the clock runs from the breach, the time a
 * person gives, or the command. `by: 'tminus'` is the policy's automatic rollback.
 */
export async function startEmergencyRollback(deps: RollbackDeps, input: EmergencyRollbackInput): Promise<RollbackOutcome> {
  const { release } = input;
  const refusal = await rollbackRefusal(deps, release);
  if (refusal) return { kind: 'refused', reason: refusal };
  if (input.by !== 'tminus') {
    const permitted = mayDo(deps.policy, 'rollback', await deps.roles.rolesOf(input.by), { userId: input.by, requester: release.requestedBy, type: release.type, subject: release.version });
    if (!permitted.ok) return { kind: 'refused', reason: permitted.reason };
  }
  if (!release.previousVersion) return { kind: 'refused', reason: `tminus does not know which version ran before ${release.version}, so it cannot roll back to it.` };
  const now = deps.clock();
  const open = await deps.store.openBreaches(release.id);
  const first = [...open].sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime())[0];
  // Detection: the time a person gave, else the first of the breach still open and the incident reported on it.
  // An incident reported within the day (as `--detected` is bounded): an older one is another story.
  const reported = await deps.store.lastEvent(release.id, 'incident.reported');
  const incident = reported && now.getTime() - reported.at.getTime() <= 24 * 3_600_000 ? reported : undefined;
  const detected = [first?.openedAt, incident?.at].filter((at): at is Date => at !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
  const detectedAt = input.detectedAt ?? detected ?? now;
  // Plain words for the notice: what the person wrote, else the decision matrix's issue of the breach.
  const issue = first ? deps.policy.verification.checks[first.check as keyof Policy['verification']['checks']]?.issue : undefined;
  // What to expect comes from the team's earlier rollbacks, read once here so every notice says the same.
  const earlier = await deps.store.rollbackDurations(now, ROLLBACKS_JUDGED);
  const typicalMs = typicalRollback(earlier);
  const rollback: RollbackDetails = {
    by: input.by,
    reason: input.reason,
    toVersion: release.previousVersion,
    startedAt: now.toISOString(),
    detectedAt: detectedAt.toISOString(),
    whatHappened: input.whatHappened ?? whatHappened(issue),
    ...(typicalMs !== undefined ? { expected: { typicalMs, from: earlier.length } } : {}),
    ...(release.state === 'deploying' || release.state === 'verifying' ? { duringDeploy: true } : {}),
    checklist: {},
  };
  try {
    const applied = await deps.store.apply(release.id, 'start_rollback', {
      actor: input.by,
      set: { rollback },
      details: { to: release.previousVersion, from: release.state, reason: input.reason, detectedAt: rollback.detectedAt },
    });
    // Another click or the automatic rollback won the race: say what happened to the release meanwhile.
    if (!applied.ok) return { kind: 'refused', reason: (applied.release && (await rollbackRefusal(deps, applied.release))) ?? applied.reason };
    await deps.jobs.add('run-rollback', { releaseId: release.id, poll: 0 });
    return { kind: 'started', release: applied.release };
  } catch (error) {
    if (String((error as { cause?: unknown }).cause ?? error).includes('releases_one_in_flight')) {
      return { kind: 'refused', reason: 'another deployment is running: wait for it, or roll back by hand with the guide\'s commands.' };
    }
    throw error;
  }
}

/**
 * Why `release` cannot be rolled back now, if it cannot: it is already rolling back or rolled back, it never
 * deployed, or a later release has reached production since (rolling this one back would replace that one).
 */
export async function rollbackRefusal(deps: Pick<RollbackDeps, 'store' | 'production' | 'policy'>, release: Release): Promise<string | undefined> {
  const to = release.rollback?.toVersion ?? release.previousVersion;
  if (release.state === 'rolling_back') {
    const by = release.rollback?.by && release.rollback.by !== 'tminus' ? `, started by <@${release.rollback.by}>` : '';
    return `${release.version} is already rolling back to ${to}${by}.`;
  }
  if (release.state === 'rolled_back') return `${release.version} was already rolled back to ${to}.`;
  if (!ROLLBACK_FROM.includes(release.state)) {
    return `${release.version} ${statePhrase(release.state)}: only a deployed (or failed) release can be rolled back. ${currentState(release)}`;
  }
  // Aborted by hand or still deploying: refused only where a job found production untouched (this runs inside a Slack request).
  if (TOUCH_FIRST.includes(release.state) && (await knownTouch(deps, release)) === 'untouched') {
    return release.state === 'aborted'
      ? `${release.version} was aborted before its deploy reached production: there is nothing to roll back.`
      : `${release.version} has not reached production yet: there is nothing to roll back. To stop it, \`/release abort ${release.version} <reason>\`.`;
  }
  const newer = await deployedSince(deps, release);
  if (newer) return `${release.version} is no longer what production runs: ${newer.version} is. Use \`/release rollback ${newer.version}\` if that one is broken.`;
  return undefined;
}

/** What the fail or abort job recorded from GitHub's deployments; else what the milestones can rule out. */
async function knownTouch(deps: Pick<RollbackDeps, 'store' | 'policy'>, release: Release): Promise<ProductionTouch> {
  const recorded = recordedTouch((await deps.store.lastEvent(release.id, PRODUCTION_TOUCH_ACTION))?.details, release.deployRunAttempt);
  return recorded?.touch ?? touchFromMilestones(loadMilestones(release, deps));
}

/** The release production runs, when it reached production after `release` ended. */
async function deployedSince(deps: Pick<RollbackDeps, 'store' | 'production'>, release: Release): Promise<Release | undefined> {
  const production = await productionOf(deps).productionVersion();
  if (!production || production.tag === release.version) return undefined;
  const running = await deps.store.findByVersion(production.tag);
  if (!running?.finishedAt || !LIVE_STATES.includes(running.state)) return undefined;
  return running.finishedAt.getTime() > (release.finishedAt ?? release.startedAt).getTime() ? running : undefined;
}

/**
 * `/release rollback vX.Y.Z [--detected HH:MM] [what happened]`: the words a person gives are the Rollback
 * Notice's "What happened" (the guide asks for plain words); `--detected` starts the guide's clock.
 */
export async function rollbackByCommand(deps: RollbackDeps, input: { versionText: string; by: string; reason: string; detected?: string }): Promise<RollbackOutcome> {
  const parsed = parseVersion(input.versionText);
  if (!parsed.ok) return { kind: 'refused', reason: `${parsed.reason}.` };
  const release = await deps.store.findByVersion(parsed.version.tag);
  if (!release) return { kind: 'refused', reason: `tminus has no release ${parsed.version.tag}.` };
  let detectedAt: Date | undefined;
  if (input.detected !== undefined) {
    const read = parseDetectedAt(input.detected, deps.clock(), deps.policy.timezone);
    if (!read.ok) return { kind: 'refused', reason: read.reason };
    detectedAt = read.at;
  }
  const words = input.reason.trim();
  return startEmergencyRollback(deps, { release, by: input.by, reason: words || 'emergency rollback by command', ...(words ? { whatHappened: words } : {}), ...(detectedAt ? { detectedAt } : {}) });
}

/** `kept`: the items already ticked that the click left out (a box unticked in Slack): a tick stays, it is the record. */
export type RollbackTickOutcome = { kind: 'ticked'; count: number; kept: string[] } | { kind: 'refused'; reason: string };

/**
 * A person ticks items of the rollback verification checklist: only while the release rolls back or is rolled
 * back, and only someone `permissions.rollbackChecklist` allows.
 */
export async function tickRollbackItems(deps: Pick<RollbackDeps, 'store' | 'clock' | 'roles' | 'policy'>, input: { releaseId: string; items: string[]; by: string }): Promise<RollbackTickOutcome> {
  const found = await deps.store.findById(input.releaseId);
  if (!found) return { kind: 'refused', reason: 'This release no longer exists.' };
  const permitted = mayDo(deps.policy, 'rollbackChecklist', await deps.roles.rolesOf(input.by), { userId: input.by, requester: found.requestedBy, type: found.type, subject: found.version });
  if (!permitted.ok) return { kind: 'refused', reason: permitted.reason };
  return deps.store.withLock(input.releaseId, async (release, tx): Promise<RollbackTickOutcome> => {
    if (!release.rollback || !CHECKLIST_STATES.includes(release.state)) {
      return { kind: 'refused', reason: `The rollback checklist of ${release.version} is closed: ${release.version} ${statePhrase(release.state)}. ${currentState(release)}` };
    }
    const fresh = input.items.filter((i) => !release.rollback!.checklist[i]);
    const kept = Object.keys(release.rollback.checklist).filter((i) => !input.items.includes(i));
    if (fresh.length === 0) return { kind: 'ticked', count: 0, kept };
    const at = deps.clock().toISOString();
    const checklist = { ...release.rollback.checklist, ...Object.fromEntries(fresh.map((i) => [i, { at, by: input.by }])) };
    await deps.store.update(release.id, { rollback: { ...release.rollback, checklist } }, tx);
    await deps.store.audit(release.id, 'rollback.checklist_ticked', { items: fresh }, input.by, tx);
    return { kind: 'ticked', count: fresh.length, kept };
  });
}
