import type { App, BlockAction, ButtonAction, CheckboxesAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { releaseGate, describeGate } from '../domain/approvals.js';
import { CHECKLIST_KEYS } from '../domain/plan-schedule.js';
import type { PlanScheduleStore } from '../integrations/database/plan-schedule-store.js';
import type { ReleaseStore } from '../integrations/database/release-store.js';
import type { Policy } from '../domain/policy.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import { CHECKLIST_ACTIONS, overrideModal } from '../messages/checklist.js';
import type { RoleDirectory } from '../services/roles.js';
import { checklistItems, missingItems } from '../domain/checklist.js';
import { checklistsDue, planEvents } from '../domain/plan-schedule.js';
import type { ReleasePlan } from '../integrations/database/plan-schedule-store.js';

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
 * release type may override, with a reason.
 */
export function registerChecklistActions(app: App, deps: ChecklistActionDeps): void {
  app.action<BlockAction<CheckboxesAction>>(new RegExp(`^${CHECKLIST_ACTIONS.tick}:`), async ({ ack, body, action }) => {
    await ack();
    const [, planId = '', key = ''] = action.block_id.split(':');
    if (!(CHECKLIST_KEYS as readonly string[]).includes(key)) return;
    const plan = await deps.plans.find(planId);
    if (!plan) return;
    const already = new Set((await deps.plans.ticks(plan.id)).filter((t) => t.checklist === key).map((t) => t.item));
    for (const option of action.selected_options ?? []) {
      const item = option.value ?? '';
      if (already.has(item) || !/^\d+\.\d+$/.test(item)) continue;
      const at = deps.clock();
      if ((await deps.plans.tick(plan.id, key, item, body.user.id, null, at)) && plan.releaseId) {
        await deps.store.audit(plan.releaseId, 'checklist.ticked', { checklist: key, item }, body.user.id);
      }
    }
    await deps.jobs.add('refresh-checklist', { planId: plan.id, checklist: key, change: Date.now() });
  });

  app.action<BlockAction<ButtonAction>>(CHECKLIST_ACTIONS.override, async ({ ack, body, action, respond, client }) => {
    await ack();
    const plan = await deps.plans.find(action.value ?? '');
    if (!plan) return;
    const refusal = await checkOverrider(deps, plan.type, body.user.id);
    if (refusal) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: `🚫 ${refusal}` });
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: overrideModal(plan.id, plan.version) });
  });

  app.view(CHECKLIST_ACTIONS.overrideModal, async ({ ack, view, body }) => {
    const reason = view.state.values.reason?.reason?.value?.trim() ?? '';
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Say why the release starts without its checklists.' } });
      return;
    }
    const plan = await deps.plans.find(view.private_metadata);
    if (!plan) {
      await ack({ response_action: 'errors', errors: { reason: 'This planned release no longer exists.' } });
      return;
    }
    const refusal = await checkOverrider(deps, plan.type, body.user.id);
    if (refusal) {
      await ack({ response_action: 'errors', errors: { reason: refusal } });
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
