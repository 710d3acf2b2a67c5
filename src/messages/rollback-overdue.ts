import { formatDuration } from '../domain/duration.js';
import { clockTime, mention, section } from './format.js';
import { slackFallback } from './text.js';
import type { SlackMessage } from './types.js';

export interface RollbackOverdueInput {
  version: string;
  toVersion: string;
  /** The guide's limit (`rollback.timeLimit`) and the deadline it made: detection plus the limit. */
  limit: number;
  deadline: Date;
  lateBy: number;
  /** What is still running, in a sentence ("the rollback run … is in progress"). */
  still: string;
  /** Who must act now: on-call and the release's approvers. */
  people: string[];
  /** How to roll back by hand (the policy's `rollback.command`), when the team keeps one. */
  command: string | null;
  timeZone: string;
}

/** The guide's "Execute within 5 minutes of detection", missed: said once, in #releases and the release's thread. */
export function rollbackOverdueMessage(input: RollbackOverdueInput): SlackMessage {
  const who = input.people.length > 0 ? input.people.map(mention).join(' ') : 'On-call (no one holds the role in the policy)';
  const text =
    `🚨 *The rollback of ${input.version} to ${input.toVersion} is past the guide's ${formatDuration(input.limit)} limit*: ` +
    `${formatDuration(input.lateBy)} late (due by ${clockTime(input.deadline, input.timeZone)}, ${formatDuration(input.limit)} after detection). ` +
    `Still running: ${input.still}.\n${who}: take over now. ` +
    (input.command ? `Watch the run, or roll back by hand:\n\`${input.command}\`` : "Watch the run, or roll back by hand with the guide's emergency steps.");
  return {
    text: slackFallback(`🚨 The rollback of ${input.version} to ${input.toVersion} is ${formatDuration(input.lateBy)} past the guide's ${formatDuration(input.limit)} limit`),
    blocks: [section(text)],
  };
}
