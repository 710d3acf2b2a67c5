import type { BlockAction, ButtonAction } from '@slack/bolt';
import { ABORT_CONFIRM_ACTION, parseAbortConfirmValue } from '../messages/abort.js';
import { abortRelease, type AbortDeps } from '../services/abort-release.js';
import type { SlackRoutes } from './slack-routes.js';

/** "Abort anyway" under the private question `/release abort` asks when production was touched. */
export function registerAbortActions(routes: SlackRoutes, deps: AbortDeps): void {
  routes.action<BlockAction<ButtonAction>>(ABORT_CONFIRM_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    const value = parseAbortConfirmValue(action.value);
    if (!value) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: '🚫 That button is not one tminus made: nothing was changed.' });
      return;
    }
    const outcome = await abortRelease(deps, { releaseId: value.releaseId, by: body.user.id, reason: value.reason, confirmed: true });
    const text =
      outcome.kind === 'aborted'
        ? `⏹️ ${outcome.release.version} is aborted. Follow it in <#${outcome.release.channelId}>.`
        : outcome.kind === 'refused'
          ? `🚫 ${outcome.reason}`
          : `🚫 ${outcome.release.version} could not be aborted: try again.`;
    await respond({ response_type: 'ephemeral', replace_original: true, text });
  });
}
