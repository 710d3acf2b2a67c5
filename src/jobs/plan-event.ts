import { UnrecoverableError } from 'bullmq';
import { formatDuration } from '../domain/duration.js';
import { CHECKLIST_KEYS, planEvents, type ChecklistKey } from '../domain/plan-schedule.js';
import type { ReleasePlan } from '../integrations/database/plan-schedule-store.js';
import { announcementFromPlan, CHECKLIST_ACTIONS, note, preReleaseAnnouncement, startedAtT0Note } from '../messages/checklist.js';
import { clockTime, dateAndTime } from '../messages/format.js';
import { planValue } from '../messages/button-values.js';
import { missingAtStart, planPostKeys, planThread, postChecklist, refreshChecklist, type PlanContext } from '../services/plan-checklists.js';
import { startRelease } from '../services/start-release.js';
import type { JobContext } from './context.js';
import type { JobPayloads } from './queue.js';
import { refreshPlan } from './refresh-plan.js';
import { tellStatusPage } from './status-page.js';

function planContext(ctx: JobContext): PlanContext {
  if (!ctx.plans) throw new UnrecoverableError('planned releases are not wired in this process');
  return ctx as PlanContext;
}

/** One scheduled event of a planned release (see `planEvents`), queued once by the scheduler. */
export async function planEvent(jobCtx: JobContext, data: JobPayloads['plan-event']): Promise<void> {
  const ctx = planContext(jobCtx);
  const plan = await ctx.plans.find(data.planId);
  if (!plan || plan.state !== 'planned') return;
  const event = planEvents(ctx.policy, plan).find((e) => e.key === data.event);
  if (!event) return;
  const thread = planThread(plan);

  if (data.late) {
    const when = dateAndTime(event.dueAt, ctx.policy.timezone);
    await ctx.posts.postOnce(
      planPostKeys.skipped(plan.id, event.key),
      thread,
      note(`⏭️ *${describe(ctx, event.key)}* for ${plan.version} was due at ${when}, while tminus was not running. It is past the catch-up grace (${formatDuration(ctx.policy.planning.catchUpGrace)}), so it was skipped.`),
    );
    return;
  }

  switch (event.kind) {
    case 'announcement':
      return announce(ctx, await refreshed(ctx, plan));
    case 'checklist':
      return postChecklist(ctx, await refreshed(ctx, plan), event.checklist);
    case 'timeline':
      return timelineStep(ctx, plan, event.step);
    case 'start':
      return startPlanned(ctx, plan, data);
  }
}

/**
 * The plan as GitHub has it now, so a checklist and the announcement are not older than the last merge even
 * when no webhook told tminus of it. GitHub away holds nothing up: the plan as stored is used, and the
 * refresh job keeps trying on its own.
 */
async function refreshed(ctx: PlanContext, plan: ReleasePlan): Promise<ReleasePlan> {
  try {
    await refreshPlan(ctx, { planId: plan.id });
  } catch (err) {
    ctx.log.warn({ planId: plan.id, err }, 'plan refresh before a scheduled event failed: using the plan as stored');
    await ctx.jobs.add('refresh-plan', { planId: plan.id });
  }
  return (await ctx.plans.find(plan.id)) ?? plan;
}

function describe(ctx: PlanContext, key: string): string {
  if (key === 'announcement') return 'The pre-release announcement';
  if (key === 'start') return 'The release start';
  if (key.startsWith('checklist-')) return `The "${ctx.policy.checklists[key.slice('checklist-'.length) as ChecklistKey].title}" checklist`;
  const step = ctx.policy.planning.minorTimeline.find((s) => `timeline-${s.key}` === key);
  return step ? `"${step.label}"` : key;
}

async function announce(ctx: PlanContext, plan: ReleasePlan): Promise<void> {
  await ctx.posts.postOnce(planPostKeys.announcement(plan.id, 'releases'), { channel: ctx.releasesChannel }, preReleaseAnnouncement(announcementFromPlan(plan, ctx.policy, 'team')));
  const customers = ctx.policy.communication.customerChannel;
  if (customers) await ctx.posts.postOnce(planPostKeys.announcement(plan.id, 'customers'), { channel: customers }, preReleaseAnnouncement(announcementFromPlan(plan, ctx.policy, 'customers')));
  await tellStatusPage(ctx, 'announced', { planId: plan.id });
}

async function timelineStep(ctx: PlanContext, plan: ReleasePlan, step: string): Promise<void> {
  const at = dateAndTime(plan.plannedAt, ctx.policy.timezone);
  const branch = `release/${plan.version}`;
  let text: string;
  switch (step) {
    case 'branchCut': {
      const base = await ctx.github.defaultBranch();
      const head = await ctx.github.branchHead(base);
      if (!head) throw new Error(`the default branch ${base} has no head`);
      const outcome = await ctx.github.createBranch(branch, head);
      text = outcome === 'created' ? `🌿 Release branch \`${branch}\` cut from \`${base}\` at \`${head.slice(0, 7)}\`.` : `🌿 Release branch \`${branch}\` already exists.`;
      break;
    }
    case 'codeFreeze':
      text = `🧊 Code freeze for ${plan.version}: bug fixes only on \`${branch}\` until the release (${at}).`;
      break;
    case 'finalTesting':
      text = `🧪 Final testing and the security scan for ${plan.version} are due today, on \`${branch}\`.`;
      break;
    default:
      text = `🚀 Release day: ${plan.version} at ${at}. The release starts when every checklist item is ticked.`;
  }
  await ctx.posts.postOnce(planPostKeys.timeline(plan.id, step), planThread(plan), note(text));
}

/** T-0: starts the release as its requester when every due checklist is complete, else waits and says why. */
async function startPlanned(ctx: PlanContext, plan: ReleasePlan, data: JobPayloads['plan-event']): Promise<void> {
  const thread = planThread(plan);
  const missing = data.override ? [] : await missingAtStart(ctx, plan);
  if (missing.length > 0) {
    const deadline = plan.plannedAt.getTime() + ctx.policy.planning.catchUpGrace;
    const now = ctx.clock().getTime();
    const list = missing.slice(0, 15).map((m) => `• ${m.item.text} _(${ctx.policy.checklists[m.checklist].title})_`).join('\n');
    await ctx.posts.postOnce(
      planPostKeys.blocked(plan.id),
      thread,
      note(
        `⛔ ${plan.version} cannot start yet: ${missing.length} checklist item${missing.length === 1 ? ' is' : 's are'} not ticked.\n${list}${missing.length > 15 ? '\n…' : ''}\nIt starts by itself once they are ticked (until ${clockTime(new Date(deadline), ctx.policy.timezone)}); an approver of ${plan.type} releases may override with a reason.`,
        { actionId: CHECKLIST_ACTIONS.override, text: 'Override and start', value: planValue(plan.id) },
      ),
    );
    if (now >= deadline) {
      await ctx.posts.postOnce(planPostKeys.startMissed(plan.id), thread, note(`⌛ ${plan.version} did not start: its checklists were not complete within ${formatDuration(ctx.policy.planning.catchUpGrace)} of the slot. Start it with \`/release start ${plan.version}\` when ready.`));
      return;
    }
    await ctx.jobs.add('plan-event', { planId: plan.id, event: 'start', attempt: data.attempt + 1 }, { delayMs: retryDelay(ctx) });
    return;
  }

  const outcome = await startRelease(
    { store: ctx.store, jobs: ctx.jobs, clock: ctx.clock, releasesChannel: ctx.releasesChannel, policy: ctx.policy, roles: ctx.roles, production: ctx.production },
    // The cadence is checked at the plan's time: off a slot, it starts only if its planner may override the cadence.
    { versionText: plan.version, userId: plan.requestedBy, requestId: `plan-${plan.id}`, planned: true, plannedAt: plan.plannedAt },
  );
  if (outcome.kind === 'refused') {
    // E.g. another release still in flight: said once, tried again until the grace has passed.
    await ctx.posts.postOnce(`${planPostKeys.started(plan.id)}:refused`, thread, note(`⛔ ${plan.version} could not start: ${outcome.reason}`));
    if (ctx.clock().getTime() < plan.plannedAt.getTime() + ctx.policy.planning.catchUpGrace && !data.override) {
      await ctx.jobs.add('plan-event', { planId: plan.id, event: 'start', attempt: data.attempt + 1 }, { delayMs: retryDelay(ctx) });
    }
    return;
  }
  const release = outcome.release;
  // A start that raced another (the override and a retry) and lost has nothing more to say.
  if (!(await ctx.plans.markStarted(plan.id, release.id)) && outcome.kind === 'repeat') return;
  if (data.override) {
    await ctx.store.audit(release.id, 'checklist.override', { reason: data.override.reason, planId: plan.id, missing: data.override.missing }, data.override.by);
  }
  const ticks = await ctx.plans.ticks(plan.id);
  await ctx.store.audit(release.id, 'checklist.summary', { planId: plan.id, ticks: ticks.map((t) => ({ checklist: t.checklist, item: t.item, by: t.tickedBy, at: t.at.toISOString(), evidence: t.evidence })) });
  await ctx.posts.postOnce(
    planPostKeys.started(plan.id),
    thread,
    startedAtT0Note(plan.version, data.override),
  );
}

/** A person ticked an item: the checklist's message shows it. */
export async function refreshChecklistJob(jobCtx: JobContext, data: JobPayloads['refresh-checklist']): Promise<void> {
  const ctx = planContext(jobCtx);
  const plan = await ctx.plans.find(data.planId);
  if (!plan || !(CHECKLIST_KEYS as readonly string[]).includes(data.checklist)) return;
  await refreshChecklist(ctx, plan, data.checklist as ChecklistKey);
  // The checklists of a release held at its readiness gate: a tick may be the last it waited for.
  if (plan.state === 'gating' && plan.releaseId) await ctx.jobs.add('readiness-now', { releaseId: plan.releaseId });
}

/** How long a blocked start waits before it looks again: a twentieth of the grace, between 1 s and 1 minute. */
function retryDelay(ctx: PlanContext): number {
  return Math.max(1_000, Math.min(60_000, Math.floor(ctx.policy.planning.catchUpGrace / 20)));
}
