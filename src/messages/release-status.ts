import type { MilestoneProgress } from '../domain/milestones.js';
import { STATE_LABELS, type ReleaseState } from '../domain/release.js';
import { clockTime, context, elapsed, fields, header, link, mention, section } from './format.js';
import { slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface ReleaseStatusInput {
  version: string;
  type: string;
  state: ReleaseState;
  requestedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  expectedCompletion: Date;
  runUrl: string | null;
  releaseUrl: string | null;
  failureReason: string | null;
  threadUrl: string | null;
  milestones: MilestoneProgress[];
  now: Date;
  timeZone: string;
}

const ICON: Record<MilestoneProgress['state'], string> = { done: '✅', running: '⏳', failed: '❌', pending: '⚪', skipped: '⏭️', absent: '➖' };

/** `/release status`: one release, where it stands, with links to its thread, run and notes. */
export function releaseStatusMessage(input: ReleaseStatusInput): SlackMessage {
  const tz = input.timeZone;
  const end = input.finishedAt ?? input.now;
  const timing = input.finishedAt
    ? `Took ${elapsed(end.getTime() - input.startedAt.getTime())}, ended ${clockTime(end, tz)}`
    : `T+${Math.floor((input.now.getTime() - input.startedAt.getTime()) / 60_000)} · ETA ${clockTime(input.expectedCompletion, tz)}`;
  const links = [
    input.threadUrl ? link(input.threadUrl, 'Thread') : null,
    input.runUrl ? link(input.runUrl, 'Deploy run') : null,
    input.releaseUrl ? link(input.releaseUrl, 'Release notes') : null,
  ].filter((l): l is string => l !== null);
  return {
    text: `Release ${input.version}: ${STATE_LABELS[input.state]}`,
    blocks: [
      header(`Release ${input.version}: ${STATE_LABELS[input.state]}`),
      fields(`*Type*\n${input.type}`, `*Started by*\n${mention(input.requestedBy)}`, `*Started*\n${clockTime(input.startedAt, tz)}`, `*Timing*\n${timing}`),
      ...(input.failureReason ? [section(`*Why it failed:* ${slackMrkdwn(input.failureReason, 2900)}`)] : []),
      section(input.milestones.map((m) => `${ICON[m.state]} ${m.label}`).join('\n') || '_No milestones yet._'),
      ...(links.length > 0 ? [context(links.join(' · '))] : []),
    ],
  };
}
