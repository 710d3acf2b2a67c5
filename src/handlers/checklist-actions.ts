import type { BlockAction, ButtonAction, CheckboxesAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { releaseGate, describeGate } from '../domain/approvals.js';
import type { PlanScheduleStore } from '../integrations/database/plan-schedule-store.js';
import type { ReleaseStore } from '../integrations/database/release-store.js';
import type { Policy } from '../domain/policy.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import { parseChecklistBlockId, parseChecklistItemValue, parsePlanValue, UNREADABLE_VALUE, type ChecklistItemRef } from '../messages/button-values.js';
import { CHECKLIST_ACTIONS, overrideModal } from '../messages/checklist.js';
import { checklistsClosedReason, tickChecklistItems } from '../services/plan-checklists.js';
import type { RoleDirectory } from '../services/roles.js';
import { answerClick, CLICK_FAILED, replyTo } from './approval-actions.js';
import { checklistItems, missingItems } from '../domain/checklist.js';
import { checklistsDue, planEvents } from '../domain/plan-schedule.js';
import type { ReleasePlan } from '../integrations/database/plan-schedule-store.js';
import type { SlackRoutes } from './slack-routes.js';

export interface ChecklistActionDeps {
  plans: PlanScheduleStore;
  store: ReleaseStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  policy: Policy;
  clock: () => Date;
  log: Logger;
}

/**
 * The pre-release checklists' checkboxes and the T-0 override. A tick is recorded once per item, with who
 * and when; unticking changes nothing (the message is redrawn with the tick). Only an approver of the
 * release type may override, with a reason. A plan that is no longer planned takes neither, and says why.
 */
export function registerChecklistActions(routes: SlackRoutes, deps: ChecklistActionDeps): void {
  routes.action<BlockAction<CheckboxesAction>>(new RegExp(`^${CHECKLIST_ACTIONS.tick}:`), async ({ ack, body, action, respond, client }) => {
    await ack();
    const values = (action.selected_options ?? []).map((o) => o.value);
    await answerClick(deps.log, replyTo({ respond, client, body }), { action: action.action_id, value: values.join(',') }, async () => {
      const refs = values.map((value) => parseChecklistItemValue(value, action.block_id));
      // Unticking every box leaves nothing selected: the block id still says which checklist to redraw.
      const where = refs[0] ?? parseChecklistBlockId(action.block_id);
      if (!where || !refs.every((r): r is ChecklistItemRef => r?.planId === where.planId && r.checklist === where.checklist)) return UNREADABLE_VALUE;
      const outcome = await tickChecklistItems(deps, { planId: where.planId, checklist: where.checklist, items: refs.map((r) => r.item), by: body.user.id });
      if (outcome.kind === 'refused') return `🚫 ${outcome.reason}`;
      await deps.jobs.add('refresh-checklist', { planId: where.planId, checklist: where.checklist });
      return undefined;
    });
  });

  routes.action<BlockAction<ButtonAction>>(CHECKLIST_ACTIONS.override, async ({ ack, body, action, respond, client }) => {
    await ack();
    await answerClick(deps.log, respond, { action: CHECKLIST_ACTIONS.override, value: action.value }, async () => {
      const planId = parsePlanValue(action.value);
      if (!planId) return UNREADABLE_VALUE;
      const plan = await deps.plans.find(planId);
      if (!plan) return '🚫 This planned release no longer exists.';
      const refusal = checklistsClosedReason(plan) ?? (await checkOverrider(deps, plan.type, body.user.id));
      if (refusal) return `🚫 ${refusal}`;
      await client.views.open({ trigger_id: body.trigger_id, view: overrideModal(plan.id, plan.version) });
      return undefined;
    });
  });

  routes.view(CHECKLIST_ACTIONS.overrideModal, async ({ ack, view, body }) => {
    const reason = view.state.values.reason?.reason?.value?.trim() ?? '';
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Say why the release starts without its checklists.' } });
      return;
    }
    const planId = parsePlanValue(view.private_metadata);
    if (!planId) {
      await ack({ response_action: 'errors', errors: { reason: UNREADABLE_VALUE } });
      return;
    }
    let plan: ReleasePlan | undefined;
    let refusal: string | undefined;
    try {
      plan = await deps.plans.find(planId);
      refusal = plan ? (checklistsClosedReason(plan) ?? (await checkOverrider(deps, plan.type, body.user.id))) : 'This planned release no longer exists.';
    } catch (err) {
      deps.log.error({ err, planId }, 'checklist override failed');
      refusal = CLICK_FAILED;
    }
    if (refusal || !plan) {
      await ack({ response_action: 'errors', errors: { reason: refusal ?? CLICK_FAILED } });
      return;
    }
    await ack();
    const missing = await missingAtStartCount(deps, plan);
    await deps.jobs.add('plan-event', { planId: plan.id, event: 'start', attempt: 0, override: { by: body.user.id, reason, missing } });
  });
}

async function checkOverrider(deps: ChecklistActionDeps, type: string, userId: string): Promise<string | undefined> {
  if (type !== 'patch' && type !== 'minor' && type !== 'major') return `only planned patch, minor and major releases have checklists.`;
  const gate = releaseGate(deps.policy, type);
  // A type without approvers has nobody to override: engineering leadership decides then.
  const roles = gate.roles.length > 0 ? gate.roles : (['engineeringLeadership'] as const);
  const held = await deps.roles.rolesOf(userId);
  if (roles.some((r) => held.includes(r))) return undefined;
  return `you can't override the checklists: it needs ${gate.roles.length > 0 ? describeGate(gate) : 'engineering leadership'}.`;
}

/** How many items of the checklists due by now are not ticked: recorded with an override. */
async function missingAtStartCount(deps: ChecklistActionDeps, plan: ReleasePlan): Promise<number> {
  const ticks = await deps.plans.ticks(plan.id);
  return checklistsDue(planEvents(deps.policy, plan), deps.clock()).reduce((n, key) => n + missingItems(checklistItems(deps.policy.checklists[key], plan.version), ticks, key).length, 0);
}
