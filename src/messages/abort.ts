import { link, mention, section } from './format.js';
import { cut, slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export const ABORT_CONFIRM_ACTION = 'abort_confirm';

/** The confirm button carries the release and the reason given with the command, cut so the value stays within Slack's 2000 characters. */
export function abortConfirmValue(releaseId: string, reason: string): string {
  const room = 2_000 - JSON.stringify({ releaseId, reason: '' }).length;
  return JSON.stringify({ releaseId, reason: cut(reason, room, (r) => JSON.stringify(r).length - 2) });
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
    `Abort anyway, because: ${slackMrkdwn(input.reason, 2000)}?`;
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

/** What became of the deploy when a release was aborted. */
export type AbortedDeploy =
  | { kind: 'cancelled'; runUrl: string | null }
  | { kind: 'already-ended' }
  | { kind: 'cancel-refused'; error: string; runUrl: string | null }
  | { kind: 'production-touched' | 'production-unknown'; runUrl: string | null; previousVersion: string | null }
  | { kind: 'rolling-back'; toVersion: string; runUrl?: string }
  | { kind: 'tagged' }
  | { kind: 'nothing' };

function deployLine(version: string, deploy: AbortedDeploy): string {
  switch (deploy.kind) {
    case 'cancelled':
      return `The deploy run was cancelled on GitHub (${link(deploy.runUrl, 'run')}).`;
    case 'already-ended':
      return 'The deploy run had already ended on GitHub.';
    case 'cancel-refused':
      return `tminus could not cancel the deploy run (${slackMrkdwn(deploy.error, 500)}): cancel it on GitHub (${link(deploy.runUrl, 'run')}).`;
    case 'production-touched':
      return `Production was touched, so the deploy run was left as it is (${link(deploy.runUrl, 'run')}): check what production runs, and \`/release rollback ${version}\` to go back to ${deploy.previousVersion ?? 'the previous version'}.`;
    case 'production-unknown':
      return (
        `tminus could not tell whether production was touched, so the deploy run was left as it is (${link(deploy.runUrl, 'run')}): ` +
        `check what production runs, and \`/release rollback ${version}\` to go back to ${deploy.previousVersion ?? 'the previous version'} if it runs ${version}.`
      );
    case 'rolling-back':
      return `The rollback to ${deploy.toVersion} was being carried out${deploy.runUrl ? ` (${link(deploy.runUrl, 'rollback run')})` : ''}: check what production runs now.`;
    case 'tagged':
      return `The tag ${version} stays on GitHub; no deploy run was found for it.`;
    case 'nothing':
      return 'Nothing was tagged or deployed.';
  }
}

/** In the release's thread after `/release abort`: who aborted it, why, and what became of the deploy. */
export function abortedMessage(input: { version: string; by: string; reason: string; deploy: AbortedDeploy }): SlackMessage {
  return {
    text: `⏹️ ${input.version} was aborted: ${slackFallback(input.reason)}`,
    blocks: [
      section(
        `⏹️ *${input.version} was aborted* by ${mention(input.by)}: ${slackMrkdwn(input.reason, 1500)}\n${deployLine(input.version, input.deploy)}\nNo more updates will be posted; a new release can start.`,
      ),
    ],
  };
}
