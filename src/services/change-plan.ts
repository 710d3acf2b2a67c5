import { mayDo } from '../domain/permissions.js';
import type { Policy } from '../domain/policy.js';
import { formatPlannedAt, parsePlannedAt } from '../domain/release-plan.js';
import { parseVersion } from '../domain/version.js';
import type { ReleasePlanStore } from '../integrations/database/release-plan-store.js';
import type { ReleasePlanRow } from '../integrations/database/schema.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import { beyondHorizon } from './plan-release.js';
import type { RoleDirectory } from './roles.js';

export interface ChangePlanDeps {
  plans: ReleasePlanStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  policy: Policy;
  clock: () => Date;
}

export type ChangePlanOutcome = { kind: 'changed'; plan: ReleasePlanRow; said: string } | { kind: 'refused'; reason: string };

async function findPlan(deps: ChangePlanDeps, versionText: string | undefined, by: string, usage: string): Promise<ReleasePlanRow | string> {
  const parsed = parseVersion(versionText ?? '');
  if (!parsed.ok) return `${parsed.reason}. Usage: \`${usage}\`.`;
  const plan = await deps.plans.findByVersion(parsed.version.tag);
  if (!plan || plan.state === 'cancelled') return `There is no plan for ${parsed.version.tag}.`;
  if (plan.state === 'started') return `${plan.version} has started already: \`/release abort ${plan.version} <reason>\` ends it.`;
  const type = plan.type === 'patch' || plan.type === 'minor' || plan.type === 'major' ? plan.type : undefined;
  const permitted = mayDo(deps.policy, 'changePlan', await deps.roles.rolesOf(by), { userId: by, requester: plan.requestedBy, subject: plan.version, ...(type ? { type } : {}) });
  return permitted.ok ? plan : permitted.reason;
}

/** `/release plan cancel vX.Y.Z <reason>`: the plan ends; nothing it scheduled happens any more. Audited. */
export async function cancelPlan(deps: ChangePlanDeps, input: { versionText?: string; by: string; reason: string }): Promise<ChangePlanOutcome> {
  const plan = await findPlan(deps, input.versionText, input.by, '/release plan cancel vX.Y.Z <reason>');
  if (typeof plan === 'string') return { kind: 'refused', reason: plan };
  if (input.reason.trim().length < 3) return { kind: 'refused', reason: `Say why: \`/release plan cancel ${plan.version} <reason>\`.` };
  const cancelled = await deps.plans.change(plan.id, ['drafting', 'planned'], { state: 'cancelled' }, { actor: input.by, action: 'plan.cancelled', details: { reason: input.reason } });
  if (!cancelled) return { kind: 'refused', reason: `${plan.version} changed meanwhile: check \`/release schedule\`.` };
  await deps.jobs.add('plan-changed', { planId: plan.id, eventId: cancelled.eventId });
  return { kind: 'changed', plan: cancelled.plan, said: `🗓️ The plan for ${plan.version} is cancelled.` };
}

/** `/release plan move vX.Y.Z <date> [HH:MM] [reason]`: its run-up and its T-0 follow the new date. Audited. */
export async function movePlan(deps: ChangePlanDeps, input: { versionText?: string; by: string; whenText: string; reason: string }): Promise<ChangePlanOutcome> {
  const plan = await findPlan(deps, input.versionText, input.by, '/release plan move vX.Y.Z YYYY-MM-DD [HH:MM] [reason]');
  if (typeof plan === 'string') return { kind: 'refused', reason: plan };
  const now = deps.clock();
  const cadence = deps.policy.releaseTypes[plan.type as 'minor'].cadence;
  const parsed = parsePlannedAt(input.whenText, deps.policy.timezone, 'time' in cadence ? cadence.time : '14:00', now);
  if (!parsed.ok) return { kind: 'refused', reason: `${parsed.reason}.` };
  if (parsed.at.getTime() === plan.plannedAt.getTime()) return { kind: 'refused', reason: `${plan.version} is planned for that time already.` };
  const beyond = beyondHorizon(deps, parsed.at);
  if (beyond) return { kind: 'refused', reason: beyond };
  const from = formatPlannedAt(plan.plannedAt, deps.policy.timezone);
  const to = formatPlannedAt(parsed.at, deps.policy.timezone);
  const moved = await deps.plans.change(plan.id, ['drafting', 'planned'], { plannedAt: parsed.at }, { actor: input.by, action: 'plan.moved', details: { from: plan.plannedAt.toISOString(), to: parsed.at.toISOString(), reason: input.reason } });
  if (!moved) return { kind: 'refused', reason: `${plan.version} changed meanwhile: check \`/release schedule\`.` };
  await deps.jobs.add('plan-changed', { planId: plan.id, eventId: moved.eventId });
  return { kind: 'changed', plan: moved.plan, said: `🗓️ ${plan.version} moved from ${from} to ${to}.` };
}
