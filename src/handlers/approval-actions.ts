import type { BlockAction, ButtonAction, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Policy } from '../domain/policy.js';
import { ACTIONS, rejectModal } from '../messages/approval-gate.js';
import { parseGateValue, parseHotfixStepValue, UNREADABLE_VALUE } from '../messages/button-values.js';
import { escape } from '../messages/format.js';
import { checkDecider, decide, tickHotfixStep, type DecideDeps } from '../services/approvals.js';
import type { SlackRoutes } from './slack-routes.js';

export interface ApprovalActionDeps extends DecideDeps {
  log: Logger;
  /** Who may tick a hotfix's steps (`permissions.hotfix`). */
  policy: Policy;
}

/** What a person is told when tminus itself failed on their click. */
export const CLICK_FAILED = '⚠️ tminus could not handle this click: something went wrong on its side. Check `/release status` before trying again.';

/**
 * Approve and Reject buttons, the rejection modal, and the hotfix checklist's buttons. Clicks are acked at
 * once; a click that changes nothing (no role, a double click, a gate that closed, a value tminus cannot
 * read) gets a private answer that says why.
 */
export function registerApprovalActions(routes: SlackRoutes, deps: ApprovalActionDeps): void {
  routes.action<BlockAction<ButtonAction>>(ACTIONS.approve, async ({ ack, body, action, respond, client }) => {
    await ack();
    await answerClick(deps.log, replyTo({ respond, client, body }), { action: ACTIONS.approve, value: action.value }, async () => {
      const ref = parseGateValue(action.value);
      if (!ref) return UNREADABLE_VALUE;
      const outcome = await decide(deps, { ...ref, userId: body.user.id, decision: 'approved' });
      if (outcome.kind === 'refused') return `🚫 ${outcome.reason}`;
      if (outcome.kind === 'repeat') return 'You have already decided on this; it counts once.';
      // The approvals hold, the pre-deployment checks not yet: the gate stays open, and says what it waits on.
      if (outcome.waitingOn) {
        return `✅ Your approval counts. The production deploy goes on once these hold too: ${outcome.waitingOn.map((w) => `“${escape(w)}”`).join(', ')}.`;
      }
      return undefined;
    });
  });

  routes.action<BlockAction<ButtonAction>>(ACTIONS.reject, async ({ ack, body, action, respond, client }) => {
    await ack();
    await answerClick(deps.log, replyTo({ respond, client, body }), { action: ACTIONS.reject, value: action.value }, async () => {
      const ref = parseGateValue(action.value);
      if (!ref) return UNREADABLE_VALUE;
      const check = await checkDecider(deps, ref, body.user.id);
      if (!check.ok) return `🚫 ${check.reason.replace("can't approve", "can't reject")}`;
      // A trigger_id is valid for 3 seconds: the modal opens straight away, the rejection is recorded on submit.
      await client.views.open({ trigger_id: body.trigger_id, view: rejectModal({ releaseId: check.release.id, gateId: check.gate.id }, check.release.version) });
      return undefined;
    });
  });

  routes.view(ACTIONS.rejectModal, async ({ ack, view, body }) => {
    const reason = view.state.values.reason?.reason?.value?.trim() ?? '';
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Say why the release is rejected.' } });
      return;
    }
    const ref = parseGateValue(view.private_metadata);
    if (!ref) {
      await ack({ response_action: 'errors', errors: { reason: UNREADABLE_VALUE } });
      return;
    }
    try {
      const outcome = await decide(deps, { ...ref, userId: body.user.id, decision: 'rejected', reason });
      if (outcome.kind === 'refused') await ack({ response_action: 'errors', errors: { reason: outcome.reason } });
      else await ack();
    } catch (err) {
      deps.log.error({ err, gate: ref }, 'rejection failed');
      await ack({ response_action: 'errors', errors: { reason: CLICK_FAILED } });
    }
  });

  routes.action<BlockAction<ButtonAction>>(new RegExp(`^${ACTIONS.hotfixStep}:`), async ({ ack, body, action, respond, client }) => {
    await ack();
    await answerClick(deps.log, replyTo({ respond, client, body }), { action: action.action_id, value: action.value }, async () => {
      const ref = parseHotfixStepValue(action.value);
      if (!ref) return UNREADABLE_VALUE;
      const outcome = await tickHotfixStep(deps, { ...ref, userId: body.user.id });
      if (outcome.kind === 'refused') return `🚫 ${outcome.reason}`;
      if (outcome.kind === 'repeat') return 'That step was already ticked.';
      await deps.jobs.add('refresh-progress', { releaseId: ref.releaseId });
      return undefined;
    });
  });
}

/**
 * Where a click's answer goes: its `response_url` (Bolt's respond), or, for a click in the App Home (which
 * has none, nor a channel or message), the person's direct messages with tminus.
 */
export function replyTo(args: { respond?: RespondFn; client: WebClient; body: { user: { id: string } } }): (message: { text: string; response_type: 'ephemeral'; replace_original: false }) => Promise<unknown> {
  if (args.respond) return args.respond;
  return async (message) => args.client.chat.postMessage({ channel: args.body.user.id, text: message.text });
}

/**
 * Runs a click's work and tells the person privately what it returns. An error of tminus's own is logged
 * and answered too: a click never ends in silence.
 */
export async function answerClick(log: Logger, respond: ReturnType<typeof replyTo>, click: { action: string; value: string | undefined }, work: () => Promise<string | undefined>): Promise<void> {
  let text: string | undefined;
  try {
    text = await work();
  } catch (err) {
    log.error({ err, action: click.action, value: click.value?.slice(0, 200) }, 'click failed');
    text = CLICK_FAILED;
  }
  if (!text) return;
  await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: unknown) => log.warn({ err, action: click.action }, 'could not answer a click'));
}
