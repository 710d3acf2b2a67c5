import { escape, section } from './format.js';
import type { SlackMessage } from './types.js';

export const ABORT_CONFIRM_ACTION = 'abort_confirm';

/** The confirm button carries the release and the reason given with the command (Slack allows 2000 characters). */
export function abortConfirmValue(releaseId: string, reason: string): string {
  return JSON.stringify({ releaseId, reason: reason.slice(0, 1_500) });
}

export function parseAbortConfirmValue(value: string | undefined): { releaseId: string; reason: string } | undefined {
  try {
    const parsed = JSON.parse(value ?? '') as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { releaseId, reason } = parsed as Record<string, unknown>;
    return typeof releaseId === 'string' && typeof reason === 'string' ? { releaseId, reason } : undefined;
  } catch {
    return undefined;
  }
}

/** `/release abort` of a release whose deploy has touched production: what it means, and the way to confirm. */
export function abortConfirmMessage(input: { releaseId: string; version: string; previousVersion: string | null; reason: string }): SlackMessage {
  const text =
    `⚠️ *${input.version} has already touched production.* Aborting stops tminus following it, but does not undo the deploy: ` +
    `production may run ${input.version} or be half way. To go back to ${input.previousVersion ?? 'the previous version'}, use \`/release rollback ${input.version}\` instead.\n` +
    `Abort anyway, because: ${escape(input.reason)}?`;
  return {
    text: `${input.version} has already touched production: abort anyway?`,
    blocks: [
      section(text),
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: ABORT_CONFIRM_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Abort anyway' }, value: abortConfirmValue(input.releaseId, input.reason) },
        ],
      },
    ],
  };
}
