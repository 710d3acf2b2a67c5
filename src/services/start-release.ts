import { checkBackport, inferReleaseType, isOnOlderLine, parseVersion, type Version } from '../domain/version.js';
import { nextUnusedPatch } from '../domain/production.js';
import { describeGate, releaseGate } from '../domain/approvals.js';
import { mayDo, versionTooFar } from '../domain/permissions.js';
import { checkCadence } from '../domain/calendar.js';
import type { Policy } from '../domain/policy.js';
import { dateAndTime } from '../messages/format.js';
import { isInFlight, STATE_LABELS } from '../domain/release.js';
import type { RoleDirectory } from './roles.js';
import type { NewRelease, Release, ReleaseStore } from '../integrations/database/release-store.js';
import type { BackportDetails } from '../integrations/database/schema.js';
import { productionOf, type ProductionVersions } from '../integrations/database/production-history.js';
import { TAGS_SYNC_KEY } from '../jobs/sync-released-versions.js';
import type { ReleaseJobs } from '../jobs/queue.js';

export type StartOutcome =
  | { kind: 'started'; release: Release; queued: boolean }
  /** The same command delivered again (Slack retried it): the release it started, not a second one. */
  | { kind: 'repeat'; release: Release }
  | { kind: 'refused'; reason: string };

export interface StartReleaseDeps {
  store: ReleaseStore;
  jobs: ReleaseJobs;
  clock: () => Date;
  releasesChannel: string;
  policy: Policy;
  roles: RoleDirectory;
  /** What production runs; without it, read through `store` (slower, and every tag counts as history). */
  production?: ProductionVersions;
}

export interface StartReleaseRequest {
  versionText: string;
  userId: string;
  /** `--override "<reason>"`: an approver of the type starts it off the cadence. */
  override?: string;
  /** A planned release starting at T-0: the cadence is checked at the plan's time, not now. */
  planned?: boolean;
  /** The time the release was planned for (with `planned`). */
  plannedAt?: Date;
  /** Slack's trigger_id: the same for a retried delivery of one command. */
  requestId?: string;
}

/**
 * `/release start vX.Y.Z`: validates against what Postgres knows (no GitHub call inside the Slack request),
 * records the release, and queues its announcement. Refusals record nothing.
 */
export async function startRelease(deps: StartReleaseDeps, request: StartReleaseRequest): Promise<StartOutcome> {
  const parsed = parseVersion(request.versionText);
  if (!parsed.ok) return { kind: 'refused', reason: `${sentence(parsed.reason)}. Try \`/release start v1.3.0\`.` };
  const version = parsed.version;

  // Every read the answer may need, at once (the command is answered within Slack's ack): one wait, not one per read.
  // The checks below still run in their order; only the start itself is decided under Postgres's unique indexes.
  const production = productionOf(deps);
  const [repeat, { known, production: live }, existing, synced] = await Promise.all([
    request.requestId ? deps.store.findByRequestId(request.requestId) : undefined,
    production.versions(),
    deps.store.findByVersion(version.tag),
    deps.store.syncedAt(TAGS_SYNC_KEY),
  ]);
  if (repeat) return { kind: 'repeat', release: repeat };

  const permitted = mayDo(deps.policy, 'start', await deps.roles.rolesOf(request.userId), { userId: request.userId, subject: version.tag });
  if (!permitted.ok) return { kind: 'refused', reason: sentence(permitted.reason) };

  if (existing) return { kind: 'refused', reason: alreadyThere(existing, known) };

  if (!synced) {
    await deps.jobs.add('sync-released-versions', {});
    return {
      kind: 'refused',
      reason: "tminus has not read the repository's tags yet, so it cannot tell which version was released last. It is trying now: run the command again in a minute. If this persists, GitHub may be unreachable (see `/healthz` and the logs).",
    };
  }
  if (known.has(version.tag)) {
    return { kind: 'refused', reason: `${version.tag} has already been released (the tag exists). Start the next version instead.` };
  }
  // Typed and ordered against what production runs (`live`), not the latest tag: a failed or rolled-back version never counts.
  const tooFar = versionTooFar(version, live);
  if (tooFar) return { kind: 'refused', reason: tooFar };
  const backport = live && isOnOlderLine(version, live) ? checkBackportRelease(deps.policy, version, live, known) : undefined;
  // On a line that was never released, it is no backport: the usual "not above" refusal says what to use.
  if (backport && !backport.ok && backport.lineExists) return { kind: 'refused', reason: backport.reason };
  const inferred = backport?.ok ? ({ ok: true, type: 'patch' } as const) : inferReleaseType(version, live);
  if (!inferred.ok) return { kind: 'refused', reason: `${sentence(inferred.reason)}${backport && !backport.ok ? `; ${backport.reason}` : ''}.` };

  const open = (await deps.store.open()).filter((r) => r.type !== 'hotfix' || isInFlight(r.state));
  if (open[0]) return { kind: 'refused', reason: inFlightReason(open[0]) };

  const gate = releaseGate(deps.policy, inferred.type);
  const cadence = await checkReleaseCadence(deps, inferred.type, request);
  if (!cadence.ok) return { kind: 'refused', reason: cadence.reason };
  if (gate.roles.length > 0 && !deps.roles.hasAnyone(gate.roles)) {
    return {
      kind: 'refused',
      reason: `A ${inferred.type} release needs approval from ${describeGate(gate)}, but the release policy names nobody for ${gate.roles.map((r) => `\`roles.${r}\``).join(' or ')}. Ask an operator to add Slack users or groups to the policy.`,
    };
  }
  const input: NewRelease & { backport?: BackportDetails } = {
    version: version.tag,
    type: inferred.type,
    // Provisional: fixed again at T-0, when the deploy starts (see create-tag). A backport replaces its line's latest.
    previousVersion: backport?.ok ? backport.previous : (live?.tag ?? null),
    requestedBy: request.userId,
    requestId: request.requestId ?? null,
    channelId: deps.releasesChannel,
    startedAt: deps.clock(),
    // Recorded with the release in its first transaction: it is never tagged or deployed as a main-line release.
    ...(backport?.ok ? { backport: backport.details } : {}),
  };
  const created = await deps.store.create(input, gate.roles.length > 0 ? { rule: { roles: gate.roles, rule: gate.rule, approvers: gate.approvers } } : undefined);
  if (!created.ok) {
    // Another replica or a simultaneous command won the race: answer as if we had seen it first.
    if (created.conflict === 'duplicate-request' && request.requestId) {
      const repeat = await deps.store.findByRequestId(request.requestId);
      if (repeat) return { kind: 'repeat', release: repeat };
    }
    const winner = created.conflict === 'in-flight' ? (await deps.store.open())[0] : await deps.store.findByVersion(version.tag);
    if (!winner) return { kind: 'refused', reason: 'Another release was started at the same moment. Check `/release status`.' };
    return { kind: 'refused', reason: created.conflict === 'in-flight' ? inFlightReason(winner) : alreadyThere(winner, await production.knownVersions()) };
  }
  if (backport?.ok) {
    await deps.store.audit(created.release.id, 'release.backport', { ...backport.details, productionRuns: live?.tag ?? null }, request.userId);
  }
  if (cadence.overridden) {
    const reason = request.planned ? `planned for ${request.plannedAt?.toISOString() ?? 'its slot'} by <@${request.userId}>` : request.override;
    await deps.store.audit(created.release.id, 'cadence.overridden', { rule: cadence.overridden, reason }, request.userId);
  }
  // The release is recorded: if the queue cannot take the job now, the reconciler queues it within a minute.
  const queued = await deps.jobs.add('announce-release', { releaseId: created.release.id }).then(
    () => true,
    () => false,
  );
  return { kind: 'started', release: created.release, queued };
}

/**
 * A patch on an older minor line than production's (v1.2.5 while v1.3.0 runs): the next patch on that line,
 * tagged on the line's branch `release/vX.Y` and deployed by `deploy.backportWorkflow`. Without that key it is
 * refused before anything is recorded or tagged.
 */
function checkBackportRelease(
  policy: Policy,
  version: Version,
  live: Version,
  known: ReadonlySet<string>,
): { ok: true; previous: string; details: BackportDetails } | { ok: false; reason: string; lineExists: boolean } {
  const taken = [...known].flatMap((text) => {
    const parsed = parseVersion(text);
    return parsed.ok ? [parsed.version] : [];
  });
  const check = checkBackport(version, live, taken);
  if (!check.ok) return { ok: false, reason: check.lineExists ? `${sentence(check.reason)}.` : check.reason, lineExists: check.lineExists };
  const workflow = policy.deploy.backportWorkflow;
  if (!workflow) {
    return {
      ok: false,
      lineExists: true,
      reason: `${version.tag} is a backport patch on the ${check.line} line (production runs ${live.tag}). A backport is deployed by its own workflow, and the release policy names none: ask an operator to set \`deploy.backportWorkflow\` to the workflow that deploys the ${check.line} line on a tag push.`,
    };
  }
  return { ok: true, previous: check.previous.tag, details: { line: check.line, branch: `release/${check.line}`, workflow } };
}

/** Why `release`'s version cannot be started again; a version that never stayed in production names the next one. */
function alreadyThere(release: Release, known: ReadonlySet<string>): string {
  const next = () => {
    const parsed = parseVersion(release.version);
    return parsed.ok ? `: \`/release start ${nextUnusedPatch(parsed.version, known).tag}\`` : '';
  };
  switch (release.state) {
    case 'completed':
    case 'stable':
      return `${release.version} has already been released. Start the next version instead.`;
    case 'failed':
      return `${release.version} was attempted and failed${release.failureReason ? ` (${release.failureReason})` : ''}. Ship it as the next version instead${next()}.`;
    case 'rolled_back':
      return `${release.version} was released and rolled back. Ship the fix as the next version${next()}.`;
    case 'aborted':
      return `${release.version} was aborted. Ship it as the next version instead${next()}.`;
    case 'rejected':
      return `${release.version} was rejected. Ship it as the next version instead${next()}.`;
    default:
      return `${release.version} is already in flight (${STATE_LABELS[release.state]}, started by <@${release.requestedBy}>). Follow it with \`/release status ${release.version}\`.`;
  }
}

export function inFlightReason(release: Release): string {
  return `${release.version} is still in flight (${STATE_LABELS[release.state]}, started by <@${release.requestedBy}>). The guide asks for zero in-flight deployments: wait until it completes or fails, then start again. \`/release status\` shows where it stands.`;
}

/** Starts a reason with a capital, unless it starts with a version tag (v1.3.0 stays v1.3.0). */
function sentence(text: string): string {
  return /^v\d/.test(text) ? text : text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The guide's cadence (minor every second Thursday 14:00, major quarterly on a Friday, at most two patches
 * a week): off the rule, a release is refused with the rule and the next allowed time, unless someone the
 * policy lets override the cadence (`permissions.overrideCadence`) gives a reason. A planned release is
 * checked at the time it was planned for; planned off the rule, it starts only if its planner may override.
 */
async function checkReleaseCadence(
  deps: StartReleaseDeps,
  type: 'patch' | 'minor' | 'major',
  request: StartReleaseRequest,
): Promise<{ ok: true; overridden?: string } | { ok: false; reason: string }> {
  if (!deps.policy.planning.enforceCadence) return { ok: true };
  const at = request.planned && request.plannedAt ? request.plannedAt : deps.clock();
  const earlier = await deps.store.startTimes(type, new Date(at.getTime() - 8 * 24 * 3_600_000));
  const check = checkCadence(deps.policy, type, at, earlier, deps.policy.planning.slotTolerance);
  if (check.ok) return { ok: true };
  const permitted = mayDo(deps.policy, 'overrideCadence', await deps.roles.rolesOf(request.userId), { userId: request.userId, type, subject: `${type} releases` });
  if (request.planned) {
    if (!permitted.ok) return { ok: false, reason: `${request.versionText} was planned off the cadence (${check.rule}), and <@${request.userId}>, who planned it, ${permitted.reason.replace(/^you /, '')}` };
    return { ok: true, overridden: check.rule };
  }
  const when = dateAndTime(check.nextAllowed, deps.policy.timezone);
  if (request.override === undefined) {
    return { ok: false, reason: `${check.rule}: the next allowed time is ${when}. An approver of ${type} releases may start it now with \`/release start ${request.versionText} --override "<reason>"\`.` };
  }
  if (request.override.trim().length < 3) return { ok: false, reason: 'Say why with the override: `--override "<reason>"`.' };
  if (!permitted.ok) return { ok: false, reason: `${sentence(permitted.reason)} ${check.rule}.` };
  return { ok: true, overridden: check.rule };
}
