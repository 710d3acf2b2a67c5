import type { BlockAction, CheckboxesAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { parsePreDeploymentValue, UNREADABLE_VALUE, type PreDeploymentRef } from '../messages/button-values.js';
import { escape } from '../messages/format.js';
import { PRE_DEPLOYMENT_ACTIONS } from '../messages/pre-deployment-checks.js';
import { alreadyTicked, queueGateRedraw, tickPreDeploymentChecks, type PreDeploymentDeps } from '../services/pre-deployment-checks.js';
import { answerClick, replyTo } from './approval-actions.js';
import type { SlackRoutes } from './slack-routes.js';

export interface PreDeploymentActionDeps extends PreDeploymentDeps {
  log: Logger;
}

/**
 * The production gate's pre-deployment checkboxes. Acked at once; each new tick is checked and recorded once
 * (who, when), and the message redrawn. A click that records nothing (no role, tminus's own check, a closed
 * gate, an out-of-date message, a repeat) gets a private answer that says why; unticking changes nothing.
 */
export function registerPreDeploymentActions(routes: SlackRoutes, deps: PreDeploymentActionDeps): void {
  routes.action<BlockAction<CheckboxesAction>>(PRE_DEPLOYMENT_ACTIONS.tick, async ({ ack, body, action, respond, client }) => {
    await ack();
    const values = (action.selected_options ?? []).map((o) => o.value);
    await answerClick(deps.log, replyTo({ respond, client, body }), { action: action.action_id, value: values.join(',') }, async () => {
      const refs = values.map((value) => parsePreDeploymentValue(value));
      // Unticking every box leaves nothing selected: the block id still names the gate to redraw.
      const gateId = refs[0]?.gateId ?? /^pre-deployment:([0-9a-f-]{36})$/.exec(action.block_id)?.[1];
      if (!gateId || !refs.every((r): r is PreDeploymentRef => r?.gateId === gateId && r.releaseId === refs[0]!.releaseId)) return UNREADABLE_VALUE;
      // What this click changed: the boxes ticked in the message as the person saw it are not theirs to tick again.
      const before = initialValues(body.message, action.block_id);
      const clicked = refs.filter((r, i) => !before.includes(values[i]!));
      const labels = new Map(deps.policy.preDeploymentChecks.items.map((i) => [i.key, i.label]));
      if (clicked.length === 0) {
        // An untick: the message is redrawn with the tick, which stays.
        await queueGateRedraw(deps.jobs, gateId, false);
        const unticked = before.map((v) => parsePreDeploymentValue(v)?.key).filter((k): k is string => k !== undefined && !refs.some((r) => r.key === k));
        const named = unticked.map((k) => `“${escape(labels.get(k) ?? k)}”`).join(', ');
        return unticked.length > 0 ? `${named} stays ticked: a pre-deployment check cannot be unticked. Nothing was changed.` : undefined;
      }
      const input = { gateId, releaseId: clicked[0]!.releaseId, items: clicked.map((r) => r.key), userId: body.user.id };
      const outcome = await tickPreDeploymentChecks(deps, input);
      if (outcome.kind === 'refused') return `🚫 ${outcome.reason}`;
      // Nothing new (a box someone else ticked meanwhile, a second delivery): the message is redrawn as it stands.
      if (outcome.ticked.length === 0) await queueGateRedraw(deps.jobs, gateId, false);
      const refusals = outcome.refusals.map((r) => `🚫 ${r}`);
      const repeats = outcome.repeats.filter((r) => clicked.some((c) => c.key === r.item));
      return [...refusals, ...(repeats.length > 0 ? [alreadyTicked(repeats, labels, deps.policy.timezone)] : [])].join('\n') || undefined;
    });
  });
}

/** The option values ticked in the checkboxes of `blockId` in the message as the click saw it. */
function initialValues(message: unknown, blockId: string): string[] {
  const blocks = (message as { blocks?: { block_id?: string; elements?: { initial_options?: { value: string }[] }[] }[] } | undefined)?.blocks ?? [];
  return blocks.find((b) => b.block_id === blockId)?.elements?.[0]?.initial_options?.map((o) => o.value) ?? [];
}
