import type { App, BlockAction, ButtonAction, CheckboxesAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { ROLLBACK_CHECKLIST_ACTION } from '../messages/rollback.js';
import { ROLLBACK_NOW_ACTION } from '../messages/verification.js';
import { startEmergencyRollback, tickRollbackItems, type RollbackDeps } from '../services/rollback.js';

/** "Roll back now" on a critical alert, and the rollback verification checklist's checkboxes. */
export function registerRollbackActions(app: App, deps: RollbackDeps & { log: Logger }): void {
  app.action<BlockAction<ButtonAction>>(ROLLBACK_NOW_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    const release = await deps.store.findById(action.value ?? '');
    if (!release) return;
    const outcome = await startEmergencyRollback(deps, { release, by: body.user.id, reason: 'critical breach in post-release verification ("Roll back now")' });
    if (outcome.kind === 'refused') await respond({ response_type: 'ephemeral', replace_original: false, text: `🚫 ${outcome.reason}` });
  });

  app.action<BlockAction<CheckboxesAction>>(ROLLBACK_CHECKLIST_ACTION, async ({ ack, body, action }) => {
    await ack();
    const picked = action.selected_options.map((o) => (o.value ?? '').split('|'));
    const releaseId = picked[0]?.[0];
    if (!releaseId) return;
    const ticked = await tickRollbackItems(deps, { releaseId, items: picked.map((p) => p[1]!), by: body.user.id });
    if (ticked > 0) await deps.jobs.add('refresh-rollback-checklist', { releaseId, change: Date.now() });
  });
}
