import type { KnownBlock } from '@slack/web-api';
import type { MilestoneProgress } from '../domain/milestones.js';
import { STATE_LABELS, type ReleaseState } from '../domain/release.js';
import { formatDuration } from '../domain/duration.js';
import { clockTime, context, fields, header, link, mention, section } from './format.js';
import { rollbackLine, type RollbackSummary } from './release-progress.js';
import { slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';
import { whyConfirmByHand, type ConfirmByHandReason } from './post-deploy-checks.js';

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
  /** Verifying, and waiting for `/release confirm`: why (audited when the wait began), and who may confirm. */
  awaitingConfirmation?: { reason: ConfirmByHandReason; confirmers: string };
  /** The emergency rollback, once started (rollbackSummary of the release row's). */
  rollback?: RollbackSummary;
}

/** What `verifying` means while nothing reads the checks: the release waits for a person, not for Datadog. */
export const AWAITING_CONFIRMATION_LABEL = 'deployed: waiting for a person to confirm the post-deploy checks';

function awaitingConfirmation(version: string, wait: NonNullable<ReleaseStatusInput['awaitingConfirmation']>): KnownBlock {
  const who = slackMrkdwn(wait.confirmers, 300);
  const command = `\`/release confirm ${version} &lt;what you checked&gt;\``;
  return section(`👀 *Waiting for a confirmation:* ${whyConfirmByHand(wait.reason)}. ${who}: check the dashboards, then ${command}.`);
}

const ICON: Record<MilestoneProgress['state'], string> = { done: '✅', running: '⏳', failed: '❌', pending: '⚪', skipped: '⏭️', absent: '➖' };

const ENDED: ReadonlySet<ReleaseState> = new Set(['completed', 'stable', 'failed', 'rejected', 'aborted', 'rolled_back']);

/** One line per milestone; after a rollback, production is shown as undone and the rollback follows. */
function milestoneLines(input: ReleaseStatusInput): string[] {
  const undone = input.rollback !== undefined && (input.state === 'rolled_back' || input.state === 'rolling_back');
  const lines = input.milestones.map((m) =>
    undone && m.key === 'production' && m.state === 'done' ? `⏪ ${m.label}, then rolled back` : `${ICON[m.state]} ${m.label}`,
  );
  return input.rollback ? [...lines, rollbackLine(input.rollback, input.timeZone)] : lines;
}

/** `/release status`: one release, where it stands, with links to its thread, run and notes. */
export function releaseStatusMessage(input: ReleaseStatusInput): SlackMessage {
  const tz = input.timeZone;
  const end = input.finishedAt ?? input.now;
  const timing = input.finishedAt || ENDED.has(input.state)
    ? `Took ${formatDuration(end.getTime() - input.startedAt.getTime())}, ended ${clockTime(end, tz)}`
    : `T+${Math.floor((input.now.getTime() - input.startedAt.getTime()) / 60_000)} · ETA ${clockTime(input.expectedCompletion, tz)}`;
  const links = [
    input.threadUrl ? link(input.threadUrl, 'Thread') : null,
    input.runUrl ? link(input.runUrl, 'Deploy run') : null,
    input.releaseUrl ? link(input.releaseUrl, 'Release notes') : null,
  ].filter((l): l is string => l !== null);
  const label = input.state === 'verifying' && input.awaitingConfirmation ? AWAITING_CONFIRMATION_LABEL : STATE_LABELS[input.state];
  return {
    text: `Release ${input.version}: ${label}`,
    blocks: [
      header(`Release ${input.version}: ${label}`),
      ...(input.state === 'verifying' && input.awaitingConfirmation ? [awaitingConfirmation(input.version, input.awaitingConfirmation)] : []),
      fields(`*Type*\n${input.type}`, `*Started by*\n${mention(input.requestedBy)}`, `*Started*\n${clockTime(input.startedAt, tz)}`, `*Timing*\n${timing}`),
      ...(input.failureReason ? [section(`*Why it failed:* ${slackMrkdwn(input.failureReason, 2900)}`)] : []),
      section(milestoneLines(input).join('\n') || '_No milestones yet._'),
      ...(links.length > 0 ? [context(links.join(' · '))] : []),
    ],
  };
}
