import type { KnownBlock } from '@slack/web-api';
import { formatDuration } from '../domain/duration.js';
import { ROLLBACK_CHECKLIST } from '../domain/rollback.js';
import { rollbackItemValue } from './button-values.js';
import { clockTime, context, link, mention, section } from './format.js';
import { WHAT_HAPPENED_FALLBACK, type Audience } from './plain-words.js';
import { codeBlock, plainText, slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export const ROLLBACK_CHECKLIST_ACTION = 'rollback_checklist';

export interface RollbackNoticeInput {
  version: string;
  toVersion: string;
  /** The reason as given (typed, or tminus's own for an automatic rollback): shown to the team only, never as "What happened". */
  reason: string;
  /**
   * "What happened" in plain words, without technical jargon (`whatHappened(issue)` in plain-words.ts for a
   * decision-matrix issue, or what a person wrote for customers). Without it, the generic plain sentence.
   */
  whatHappened?: string;
  by: string;
  startedAt: Date;
  /** When the problem was detected: the guide's limit counts from it ("within 5 minutes of detection"). */
  detectedAt?: Date;
  /** The rollback time limit (`rollback.timeLimit`): the guide's deadline is detection plus this (never shown as an ETA). */
  limit: number;
  /** What this rollback is expected to take, from the team's earlier rollbacks (RollbackDetails.expected); absent: no ETA. */
  expected?: { typicalMs: number; from: number };
  runUrl?: string;
  state: 'running' | 'done' | 'failed';
  restoredAt?: Date;
  now: Date;
  timeZone: string;
  supportContact?: string;
  /** `team` (#releases, the default: countdown, who started it, the run) or `customers` (the guide's notice alone). */
  audience?: Audience;
}

/**
 * "Expected completion" and "ETA" from what the team's earlier rollbacks took; with none to judge by, no ETA:
 * the guide's deadline is a target, never an estimate.
 */
function expectation(input: RollbackNoticeInput, deadline: Date): string[] {
  const tz = input.timeZone;
  const team = (input.audience ?? 'team') === 'team';
  if (!input.expected) {
    return [team ? `Expected completion: not estimated yet (no earlier rollback to judge by); the target is ${clockTime(deadline, tz)}` : `Expected completion: as soon as possible; we aim for ${clockTime(deadline, tz)}`];
  }
  const at = new Date(input.startedAt.getTime() + input.expected.typicalMs);
  const basis = team ? ` (the median of the last ${input.expected.from === 1 ? 'rollback' : `${input.expected.from} rollbacks`})` : '';
  return [`Expected completion: ${clockTime(at, tz)}`, `ETA: ${formatDuration(input.expected.typicalMs)}${basis}`];
}

/** The guide's "Rollback Notice"; the team's version has a countdown against the time limit while it runs. */
export function rollbackNoticeMessage(input: RollbackNoticeInput): SlackMessage {
  const tz = input.timeZone;
  const team = (input.audience ?? 'team') === 'team';
  const detectedAt = input.detectedAt ?? input.startedAt;
  const deadline = new Date(Math.max(detectedAt.getTime() + input.limit, input.startedAt.getTime()));
  const restoredAt = input.restoredAt ?? input.now;
  const notice = [
    '*⚠️ ROLLBACK NOTICE*',
    '',
    `We've identified an issue with ${input.version} and are rolling back to ${input.toVersion}.`,
    '',
    `Time: ${clockTime(input.startedAt, tz)}`,
    ...expectation(input, deadline),
    '',
    '*What happened:*',
    slackMrkdwn(input.whatHappened?.trim() || WHAT_HAPPENED_FALLBACK, 1000),
    '',
    "*What we're doing:*",
    '- Rolling back to stable version',
    '- Investigating root cause',
    '- Preventing recurrence',
    '',
    '*Next steps:*',
    '- Post-mortem analysis',
    '- Fix for next release',
    '- Communication with affected customers',
  ];
  const thanks = ['Thank you for your patience.', ...(input.supportContact ? [slackMrkdwn(input.supportContact, 300)] : [])].join('\n');
  if (!team) {
    const outcome =
      input.state === 'done'
        ? `✅ Rolled back to ${input.toVersion} at ${clockTime(restoredAt, tz)}.`
        : input.state === 'failed'
          ? 'The rollback is taking longer than expected. We will post an update here.'
          : undefined;
    return {
      text: slackFallback(`⚠️ ROLLBACK NOTICE: we are rolling back ${input.version} to ${input.toVersion}`),
      blocks: [section(notice.join('\n')), ...(outcome ? [section(outcome)] : []), section(thanks)],
    };
  }
  const left = deadline.getTime() - input.now.getTime();
  const countdown =
    input.state === 'done'
      ? `✅ Rolled back at ${clockTime(restoredAt, tz)}: time to restore ${formatDuration(restoredAt.getTime() - detectedAt.getTime())} from detection (limit ${formatDuration(input.limit)})`
      : input.state === 'failed'
        ? '❌ The rollback run failed: act now, by hand (see the thread).'
        : left >= 0
          ? `⏳ ${formatDuration(left)} left of the guide's ${formatDuration(input.limit)} limit`
          : `⏰ ${formatDuration(-left)} over the guide's ${formatDuration(input.limit)} limit`;
  const detected = input.detectedAt && input.detectedAt.getTime() !== input.startedAt.getTime() ? ` · detected at ${clockTime(input.detectedAt, tz)}` : '';
  const who = `Started by ${input.by === 'tminus' ? 'tminus (automatic rollback)' : mention(input.by)}${detected}${input.runUrl ? ` · ${link(input.runUrl, 'rollback run')}` : ''}`;
  const reason = input.reason.trim() ? `Reason given: ${slackMrkdwn(input.reason, 1000)}` : '';
  return {
    text: `⚠️ ROLLBACK NOTICE: ${input.version} → ${input.toVersion}`,
    blocks: [section(notice.join('\n')), section(thanks), section(countdown), context(who, reason)],
  };
}

export interface RollbackChecklistInput {
  releaseId: string;
  version: string;
  ticked: Record<string, { at: string; by: string; evidence?: string }>;
  timeZone: string;
}

const ROLLBACK_CHECKLIST_BLOCK = 'rollback-checklist:';

/** The release a rollback checklist's block names: what a click that unticked every box still says. */
export function releaseOfRollbackChecklist(blockId: string): string | undefined {
  return blockId.startsWith(ROLLBACK_CHECKLIST_BLOCK) ? blockId.slice(ROLLBACK_CHECKLIST_BLOCK.length) || undefined : undefined;
}

/**
 * The guide's Rollback Verification Checklist as one list of checkboxes: an item tminus (or a person) ticked is
 * shown ticked, with who and when (and tminus's evidence under it); the others are the boxes a person ticks.
 */
export function rollbackChecklistMessage(input: RollbackChecklistInput): SlackMessage {
  const done = ROLLBACK_CHECKLIST.filter((i) => input.ticked[i.key]).length;
  const title = `Rollback verification checklist for ${input.version}`;
  const options = ROLLBACK_CHECKLIST.map((item) => {
    const ticked = input.ticked[item.key];
    const by = ticked ? ` — ${ticked.by === 'tminus' ? 'tminus' : mention(ticked.by)} at ${clockTime(new Date(ticked.at), input.timeZone)}` : '';
    return {
      text: { type: 'mrkdwn' as const, text: `${slackMrkdwn(item.label, 75 - by.length)}${by}`, verbatim: true },
      value: rollbackItemValue({ releaseId: input.releaseId, item: item.key }),
      // tminus's evidence ("HTTP 200 from /health"), under the item: a description is plain text of 75 characters at most.
      ...(ticked?.evidence ? { description: { type: 'plain_text' as const, text: plainText(ticked.evidence, 75) } } : {}),
    };
  });
  const initial = options.filter((_, i) => input.ticked[ROLLBACK_CHECKLIST[i]!.key]);
  const blocks: KnownBlock[] = [
    section(`*${title}* (${done} of ${ROLLBACK_CHECKLIST.length})${done === ROLLBACK_CHECKLIST.length ? ' ✅' : ''}`),
    {
      type: 'actions',
      block_id: `${ROLLBACK_CHECKLIST_BLOCK}${input.releaseId}`,
      elements: [{ type: 'checkboxes', action_id: ROLLBACK_CHECKLIST_ACTION, options, ...(initial.length > 0 ? { initial_options: initial } : {}) }],
    },
  ];
  return { text: `${title}: ${done} of ${ROLLBACK_CHECKLIST.length}`, blocks };
}

export interface ManualRollbackInput {
  version: string;
  toVersion: string;
  /** Why tminus gave up (may carry GitHub's error message). */
  why: string;
  /** The policy's rollback command, filled in; null when there is none. */
  command: string | null;
  runUrl?: string;
  /** Who is paged: the on-call engineer and the approvers. */
  people: string[];
}

/** The rollback did not complete: how to roll back by hand, and who must act. */
export function manualRollbackMessage(input: ManualRollbackInput): SlackMessage {
  const lines = [
    `❌ *The rollback of ${input.version} to ${input.toVersion} did not complete*: ${slackMrkdwn(input.why, 1000)}.`,
    input.command ? `Roll back by hand now:\n${codeBlock(input.command, 'slack', 1000)}` : `Roll back to ${input.toVersion} by hand now, with your runbook.`,
    input.runUrl ? `A rollback run exists (${link(input.runUrl, 'run')}): check whether it is still running before you act.` : '',
    `Once production is safe, \`/release rollback ${input.version}\` tries tminus's rollback again.`,
    input.people.length > 0 ? `Paging ${input.people.map(mention).join(', ')}.` : '_Nobody holds the on-call or approver roles in the policy: page your on-call engineer._',
  ].filter(Boolean);
  return { text: `❌ The rollback of ${input.version} did not complete: roll back by hand`, blocks: [section(lines.join('\n'))] };
}

/** The VP Eng turned the coordinated rollback down. */
export function rollbackTurnedDownMessage(version: string, userId: string, reason: string | null): SlackMessage {
  return {
    text: `The coordinated rollback of ${version} was turned down`,
    blocks: [section(`🚫 The coordinated rollback of ${version} was turned down by ${mention(userId)}: ${slackMrkdwn(reason ?? '', 2000)}`)],
  };
}

/** The coordinated rollback was approved and its revert pull request opened. */
export function revertOpenedMessage(input: { version: string; previous: string; approver: string; pullRequest: { url: string; number: number }; patch: string }): SlackMessage {
  const pr = input.pullRequest;
  return {
    text: `Revert pull request for ${input.version}: ${slackFallback(pr.url)}`,
    blocks: [
      section(
        `↩️ *Coordinated rollback approved* by ${mention(input.approver)}: ${link(pr.url, `pull request #${pr.number}`)} reverts ${input.version} to ${input.previous}. Merge it and ship it as the next patch release: \`/release start ${input.patch}\`.`,
      ),
    ],
  };
}
