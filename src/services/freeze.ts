import { comingFreezes, freezesInForce } from '../domain/freezes.js';
import { mayDo } from '../domain/permissions.js';
import type { Policy } from '../domain/policy.js';
import { wallTime, wallToInstant } from '../domain/time-zone.js';
import type { FreezeStore } from '../integrations/database/freeze-store.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';
import type { FreezeRow } from '../integrations/database/schema.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import type { ScheduleFreezes } from '../messages/schedule.js';
import type { RoleDirectory } from './roles.js';

export interface FreezeDeps {
  freezes: FreezeStore;
  store: ReleaseStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  policy: Policy;
  clock: () => Date;
}

export type FreezeOutcome = { kind: 'frozen'; freeze: FreezeRow; held: Release[] } | { kind: 'refused'; reason: string };
export type UnfreezeOutcome = { kind: 'unfrozen'; ended: FreezeRow[]; released: Release[] } | { kind: 'refused'; reason: string };

const USAGE = 'Usage: `/release freeze <reason> [--until YYYY-MM-DD[ HH:MM]]`, for example `/release freeze card payments failing --until 2026-12-11 18:00`.';
/** How far ahead `/release schedule` shows the policy's freezes. */
export const SCHEDULE_FREEZE_DAYS = 14;

/** `<reason> [--until YYYY-MM-DD[ HH:MM]]`: the until read on the policy's wall clock. */
function parseFreeze(text: string, policy: Policy): { reason: string; until: Date | null } | { refused: string } {
  const match = /\s*--until(?:\s+(\S+)(?:[ T](\S+))?)?\s*$/.exec(text);
  const reason = (match ? text.slice(0, match.index) : text).trim();
  if (!match) return { reason, until: null };
  const wall = match[1] ? wallTime(match[2] ? `${match[1]}T${match[2]}` : match[1]) : undefined;
  if (wall === undefined) {
    return { refused: `\`--until\` takes a date like 2026-12-11, or a date and a time like 2026-12-11 18:00 (${policy.timezone}). ${USAGE}` };
  }
  return { reason, until: new Date(wallToInstant(wall, policy.timezone)) };
}

/** Who may freeze (`permissions.freeze`); a refusal says what it needs. */
async function permitted(deps: FreezeDeps, by: string, verb: 'freeze' | 'unfreeze'): Promise<string | undefined> {
  const check = mayDo(deps.policy, 'freeze', await deps.roles.rolesOf(by), { userId: by, subject: verb });
  return check.ok ? undefined : check.reason.charAt(0).toUpperCase() + check.reason.slice(1);
}

/** The releases held at their readiness gate, judged again at once: a freeze or its end changes their card. */
async function rejudge(deps: FreezeDeps): Promise<Release[]> {
  const held = (await deps.store.inFlight()).filter((r) => r.state === 'started');
  for (const release of held) await deps.jobs.add('readiness-now', { releaseId: release.id });
  await deps.jobs.add('app-home', {});
  return held;
}

/**
 * `/release freeze <reason> [--until …]`: an ad-hoc deploy freeze, until unfrozen or the date given. Every
 * release but a hotfix waits at its readiness gate while it is in force. The row records who, when and why.
 */
export async function freezeReleases(deps: FreezeDeps, input: { by: string; text: string }): Promise<FreezeOutcome> {
  const refusal = await permitted(deps, input.by, 'freeze');
  if (refusal) return { kind: 'refused', reason: refusal };
  const parsed = parseFreeze(input.text, deps.policy);
  if ('refused' in parsed) return { kind: 'refused', reason: parsed.refused };
  if (parsed.reason.length < 3) return { kind: 'refused', reason: `Say why. ${USAGE}` };
  if (parsed.until && parsed.until <= deps.clock()) return { kind: 'refused', reason: `\`--until\` is in the past: a freeze ends later than now. ${USAGE}` };
  const freeze = await deps.freezes.freeze({ reason: parsed.reason, by: input.by, until: parsed.until });
  await deps.jobs.add('announce-freeze', { freezeId: freeze.id, event: 'frozen' });
  return { kind: 'frozen', freeze, held: await rejudge(deps) };
}

/** `/release unfreeze [reason]`: ends every ad-hoc freeze in force (the policy's end by themselves); held releases go on at once. */
export async function unfreezeReleases(deps: FreezeDeps, input: { by: string; reason: string }): Promise<UnfreezeOutcome> {
  const refusal = await permitted(deps, input.by, 'unfreeze');
  if (refusal) return { kind: 'refused', reason: refusal };
  const ended = await deps.freezes.unfreeze({ by: input.by, reason: input.reason.trim() || null });
  if (ended.length === 0) {
    const policy = freezesInForce({ policy: deps.policy.freezes, adHoc: [], type: 'patch', at: deps.clock(), zone: deps.policy.timezone });
    const waive = 'an approver waives it for one release (`/release waive vX.Y.Z freeze <reason>`)';
    const why = policy.length > 0 ? ` The policy's freeze in force ends by itself; ${waive}.` : '';
    return { kind: 'refused', reason: `No ad-hoc freeze is in force.${why}` };
  }
  for (const freeze of ended) await deps.jobs.add('announce-freeze', { freezeId: freeze.id, event: 'unfrozen' });
  return { kind: 'unfrozen', ended, released: await rejudge(deps) };
}

/** The freezes `/release schedule` and the App Home show: in force now (any type), and the policy's coming ones. */
export async function scheduleFreezes(deps: Pick<FreezeDeps, 'freezes' | 'policy' | 'clock'>): Promise<ScheduleFreezes> {
  const now = deps.clock();
  const windows = comingFreezes(deps.policy.freezes, now, SCHEDULE_FREEZE_DAYS, deps.policy.timezone);
  const adHoc = (await deps.freezes.inForce()).map((f) => ({ reason: f.reason, from: f.createdAt, until: f.until, by: f.createdBy }));
  const { monitors, statusPageIncident } = deps.policy.freezeWhile;
  return {
    inForce: [...windows.filter((w) => w.from <= now), ...adHoc],
    coming: windows.filter((w) => w.from > now),
    automatic: [
      ...(monitors.length > 0 ? [`while a Datadog monitor alerts: ${monitors.join(', ')}`] : []),
      ...(statusPageIncident ? ['while the status page has an open incident'] : []),
    ],
    days: SCHEDULE_FREEZE_DAYS,
  };
}
