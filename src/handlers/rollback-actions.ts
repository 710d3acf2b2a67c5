import type { BlockAction, ButtonAction, CheckboxesAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { parseRollbackItemValue, parseRollbackNowValue, UNREADABLE_VALUE, type RollbackItemRef } from '../messages/button-values.js';
import { ROLLBACK_CHECKLIST } from '../domain/rollback.js';
import { releaseOfRollbackChecklist, ROLLBACK_CHECKLIST_ACTION } from '../messages/rollback.js';
import { ROLLBACK_NOW_ACTION } from '../messages/verification.js';
import { startEmergencyRollback, tickRollbackItems, type RollbackDeps } from '../services/rollback.js';
import { answerClick } from './approval-actions.js';
import type { SlackRoutes } from './slack-routes.js';

/** "Roll back now" (on a critical alert, a post-deploy check, a failed deploy), and the rollback verification checklist's checkboxes. */
export function registerRollbackActions(routes: SlackRoutes, deps: RollbackDeps & { log: Logger }): void {
  routes.action<BlockAction<ButtonAction>>(ROLLBACK_NOW_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    await answerClick(deps.log, respond, { action: ROLLBACK_NOW_ACTION, value: action.value }, async () => {
      const ref = parseRollbackNowValue(action.value);
      if (!ref) return UNREADABLE_VALUE;
      const release = await deps.store.findById(ref.releaseId);
      // The button names the version it was made for: an id that now holds another is not this button's.
      if (!release || (ref.version !== undefined && ref.version !== release.version)) return `🚫 The release this button was made for${ref.version ? ` (${ref.version})` : ''} no longer exists.`;
      const outcome = await startEmergencyRollback(deps, { release, by: body.user.id, reason: '"Roll back now" pressed' });
      return outcome.kind === 'refused' ? `🚫 ${outcome.reason}` : undefined;
    });
  });

  routes.action<BlockAction<CheckboxesAction>>(ROLLBACK_CHECKLIST_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    const values = (action.selected_options ?? []).map((o) => o.value);
    await answerClick(deps.log, respond, { action: ROLLBACK_CHECKLIST_ACTION, value: values.join(',') }, async () => {
      // Slack sends every box still ticked: the new ticks, and none at all when the last box was unticked.
      const refs = values.map(parseRollbackItemValue);
      if (!refs.every((r): r is RollbackItemRef => r !== undefined) || new Set(refs.map((r) => r.releaseId)).size > 1) return UNREADABLE_VALUE;
      const releaseId = refs[0]?.releaseId ?? releaseOfRollbackChecklist(action.block_id);
      if (!releaseId) return UNREADABLE_VALUE;
      const outcome = await tickRollbackItems(deps, { releaseId, items: refs.map((r) => r.item), by: body.user.id });
      if (outcome.kind === 'refused') return `🚫 ${outcome.reason}`;
      // A box unticked in Slack is drawn ticked again: a tick is the rollback's record, with who and when.
      if (outcome.count > 0 || outcome.kept.length > 0) await deps.jobs.add('refresh-rollback-checklist', { releaseId });
      if (outcome.kept.length === 0) return undefined;
      const labels = outcome.kept.map((key) => ROLLBACK_CHECKLIST.find((i) => i.key === key)?.label ?? key);
      return `Ticks stay once made, with who and when: the checklist is the rollback's record. Still ticked: ${labels.join(', ')}. If it no longer holds, say so in the thread.`;
    });
  });
}
