import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { ACTIONS, rejectModal } from '../messages/approval-gate.js';
import { checkDecider, decide, tickHotfixStep, type ApprovalDeps } from '../services/approvals.js';

export interface ApprovalActionDeps extends ApprovalDeps {
  log: Logger;
}

/**
 * Approve and Reject buttons, the rejection modal, and the hotfix checklist's buttons. Clicks are acked at
 * once; a click that changes nothing (no role, a double click, a closed gate) gets a private answer.
 */
export function registerApprovalActions(app: App, deps: ApprovalActionDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTIONS.approve, async ({ ack, body, action, respond }) => {
    await ack();
    const outcome = await decide(deps, { gateId: action.value ?? '', userId: body.user.id, decision: 'approved' });
    if (outcome.kind === 'refused') await respond({ response_type: 'ephemeral', replace_original: false, text: `🚫 ${outcome.reason}` });
    else if (outcome.kind === 'repeat') await respond({ response_type: 'ephemeral', replace_original: false, text: 'You have already decided on this; it counts once.' });
  });

  app.action<BlockAction<ButtonAction>>(ACTIONS.reject, async ({ ack, body, action, respond, client }) => {
    await ack();
    const gateId = action.value ?? '';
    const check = await checkDecider(deps, gateId, body.user.id);
    if (!check.ok) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: `🚫 ${check.reason.replace("can't approve", "can't reject")}` });
      return;
    }
    const release = await deps.store.findById(check.gate.releaseId);
    // A trigger_id is valid for 3 seconds: the modal opens straight away, the rejection is recorded on submit.
    await client.views.open({ trigger_id: body.trigger_id, view: rejectModal(gateId, release?.version ?? 'this release') });
  });

  app.view(ACTIONS.rejectModal, async ({ ack, view, body }) => {
    const reason = view.state.values.reason?.reason?.value?.trim() ?? '';
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Say why the release is rejected.' } });
      return;
    }
    const outcome = await decide(deps, { gateId: view.private_metadata, userId: body.user.id, decision: 'rejected', reason });
    if (outcome.kind === 'refused') await ack({ response_action: 'errors', errors: { reason: outcome.reason } });
    else await ack();
  });

  app.action<BlockAction<ButtonAction>>(new RegExp(`^${ACTIONS.hotfixStep}:`), async ({ ack, body, action, respond }) => {
    await ack();
    const [releaseId = '', step = ''] = (action.value ?? '').split('|');
    const ticked = await tickHotfixStep(deps, { releaseId, step, userId: body.user.id });
    if (!ticked) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: 'That step was already ticked.' });
      return;
    }
    await deps.jobs.add('refresh-progress', { releaseId, change: Date.now() });
  });
}
