import { checklistItems, missingItems, type AutoCheck, type ChecklistItem } from '../domain/checklist.js';
import { checklistsDue, planEvents, type ChecklistKey } from '../domain/plan-schedule.js';
import { mayDo } from '../domain/permissions.js';
import type { Policy } from '../domain/policy.js';
import type { PlanScheduleStore, ReleasePlan } from '../integrations/database/plan-schedule-store.js';
import type { ReleaseStore } from '../integrations/database/release-store.js';
import type { JobContext } from '../jobs/context.js';
import { checklistMessage } from '../messages/checklist.js';
import type { SlackMessage } from '../messages/types.js';
import type { RoleDirectory } from './roles.js';

export const planPostKeys = {
  checklist: (planId: string, key: string) => `checklist:${planId}:${key}`,
  announcement: (planId: string, where: 'releases' | 'customers') => `pre-release-announcement:${planId}:${where}`,
  timeline: (planId: string, step: string) => `plan-timeline:${planId}:${step}`,
  skipped: (planId: string, event: string) => `plan-skipped:${planId}:${event}`,
  blocked: (planId: string) => `plan-blocked:${planId}`,
  started: (planId: string) => `plan-started:${planId}`,
  startMissed: (planId: string) => `plan-start-missed:${planId}`,
};

export type PlanContext = JobContext & { plans: PlanScheduleStore };

/** Where a plan's messages go: its thread, else the channel. */
export function planThread(plan: ReleasePlan) {
  return { channel: plan.channelId, ...(plan.threadTs ? { threadTs: plan.threadTs } : {}), ...(plan.releaseId ? { releaseId: plan.releaseId } : {}) };
}

export function itemsOf(ctx: PlanContext, plan: ReleasePlan, key: ChecklistKey): ChecklistItem[] {
  return checklistItems(ctx.policy.checklists[key], plan.version);
}

export async function renderChecklist(ctx: PlanContext, plan: ReleasePlan, key: ChecklistKey): Promise<SlackMessage> {
  return checklistMessage({
    planId: plan.id,
    version: plan.version,
    key,
    checklist: ctx.policy.checklists[key],
    items: itemsOf(ctx, plan, key),
    ticks: await ctx.plans.ticks(plan.id),
    timeZone: ctx.policy.timezone,
  });
}

/** What tminus finds for one check: evidence when it passes, undefined when it does not (or cannot tell). */
async function evaluate(ctx: PlanContext, plan: ReleasePlan, check: AutoCheck): Promise<string | undefined> {
  switch (check) {
    case 'ciGreen': {
      const branch = await ctx.github.defaultBranch();
      const head = await ctx.github.branchHead(branch);
      if (!head) return undefined;
      const ci = await ctx.github.ciStatus(head);
      return ci.state === 'success' && ci.checks > 0 ? `CI green on ${branch} @ ${head.slice(0, 7)} (${ci.checks} checks)` : undefined;
    }
    case 'releaseBranch': {
      const head = await ctx.github.branchHead(`release/${plan.version}`);
      return head ? `release/${plan.version} exists @ ${head.slice(0, 7)}` : undefined;
    }
    case 'noTag':
      return (await ctx.github.tagTarget(plan.version)) ? undefined : `tag ${plan.version} not created yet`;
    case 'noDeployInFlight':
      return (await ctx.store.inFlight()).length === 0 ? 'no deployment in flight' : undefined;
    case 'noAlertingMonitor': {
      if (!ctx.observability) return undefined;
      const alerting = await ctx.observability.alertingMonitors();
      return alerting.length === 0 ? 'no Datadog monitor alerting' : undefined;
    }
  }
}

/** Ticks the items of `key` that tminus can check and that pass now; how many it ticked. */
export async function runAutomaticChecks(ctx: PlanContext, plan: ReleasePlan, key: ChecklistKey): Promise<number> {
  const ticked = new Set((await ctx.plans.ticks(plan.id)).filter((t) => t.checklist === key).map((t) => t.item));
  let count = 0;
  for (const item of itemsOf(ctx, plan, key)) {
    if (item.auto.length === 0 || ticked.has(item.id)) continue;
    const evidence: string[] = [];
    for (const check of item.auto) {
      const found = await evaluate(ctx, plan, check).catch((err: unknown) => {
        ctx.log.warn({ err, planId: plan.id, check }, 'automatic checklist check failed');
        return undefined;
      });
      if (!found) break;
      evidence.push(found);
    }
    if (evidence.length === item.auto.length && (await ctx.plans.tick(plan.id, key, item.id, 'tminus', evidence.join('; '), ctx.clock()))) count++;
  }
  return count;
}

/** Posts a checklist in the plan's thread once (after tminus ticked what it can), or refreshes it. */
export async function postChecklist(ctx: PlanContext, plan: ReleasePlan, key: ChecklistKey): Promise<void> {
  await runAutomaticChecks(ctx, plan, key);
  await ctx.posts.postOnce(planPostKeys.checklist(plan.id, key), planThread(plan), await renderChecklist(ctx, plan, key));
}

export async function refreshChecklist(ctx: PlanContext, plan: ReleasePlan, key: ChecklistKey): Promise<void> {
  await runAutomaticChecks(ctx, plan, key);
  await ctx.posts.refresh(planPostKeys.checklist(plan.id, key), () => renderChecklist(ctx, plan, key));
}

/** The T-0 gate: the items of every checklist due by now that nobody ticked. */
export async function missingAtStart(ctx: PlanContext, plan: ReleasePlan): Promise<{ checklist: ChecklistKey; item: ChecklistItem }[]> {
  const due = checklistsDue(planEvents(ctx.policy, plan), ctx.clock());
  for (const key of due) await runAutomaticChecks(ctx, plan, key);
  const ticks = await ctx.plans.ticks(plan.id);
  return due.flatMap((key) => missingItems(itemsOf(ctx, plan, key), ticks, key).map((item) => ({ checklist: key, item })));
}

/** Why a planned release's checklists take no more ticks or overrides, if they do not: it is no longer planned. */
export function checklistsClosedReason(plan: ReleasePlan): string | undefined {
  switch (plan.state) {
    case 'planned':
    case 'gating':
      return undefined;
    case 'started':
      return `${plan.version} has started: its pre-release checklists are closed. Follow it in its thread, or with \`/release status\`.`;
    case 'cancelled':
      return `The plan for ${plan.version} was cancelled: its checklists are closed.`;
    default:
      return `The plan for ${plan.version} is ${plan.state}: its checklists are not open.`;
  }
}

export type ChecklistTickOutcome = { kind: 'ticked'; plan: ReleasePlan; count: number } | { kind: 'refused'; reason: string };

/**
 * A person ticks items of a pre-release checklist. Each item is recorded once, with who and when; only
 * while the release is planned, only items of a checklist that applies to it, and only by someone the item's
 * `roles` (else `permissions.checklist`) allow: a click with one item they may not tick records none.
 */
export async function tickChecklistItems(
  deps: { plans: PlanScheduleStore; store: ReleaseStore; policy: Policy; clock: () => Date; roles: RoleDirectory },
  input: { planId: string; checklist: ChecklistKey; items: string[]; by: string },
): Promise<ChecklistTickOutcome> {
  const plan = await deps.plans.find(input.planId);
  if (!plan) return { kind: 'refused', reason: 'This planned release no longer exists.' };
  const closed = checklistsClosedReason(plan);
  if (closed) return { kind: 'refused', reason: closed };
  const spec = deps.policy.checklists[input.checklist];
  if (!(spec.appliesTo as readonly string[]).includes(plan.type)) return { kind: 'refused', reason: `${spec.title} is not a checklist of ${plan.type} releases.` };
  const known = new Map(checklistItems(spec, plan.version).map((i) => [i.id, i]));
  const unknown = input.items.find((item) => !known.has(item));
  if (unknown) return { kind: 'refused', reason: `${spec.title} has no item ${unknown}: the policy may have changed since the message was posted.` };
  const already = new Set((await deps.plans.ticks(plan.id)).filter((t) => t.checklist === input.checklist).map((t) => t.item));
  const held = await deps.roles.rolesOf(input.by);
  for (const id of new Set(input.items)) {
    if (already.has(id)) continue;
    const item = known.get(id)!;
    const permitted = mayDo(deps.policy, 'checklist', held, { userId: input.by, subject: `"${item.text}"`, ...(item.roles ? { itemRoles: item.roles } : {}) });
    if (!permitted.ok) return { kind: 'refused', reason: `${permitted.reason} Nothing was ticked.` };
  }
  let count = 0;
  for (const item of new Set(input.items)) {
    if (already.has(item) || !(await deps.plans.tick(plan.id, input.checklist, item, input.by, null, deps.clock()))) continue;
    count++;
    if (plan.releaseId) await deps.store.audit(plan.releaseId, 'checklist.ticked', { checklist: input.checklist, item }, input.by);
  }
  return { kind: 'ticked', plan, count };
}
