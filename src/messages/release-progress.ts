import { productionWaitingFor, type MilestoneProgress, type MilestoneState } from '../domain/milestones.js';
import type { ReleaseState } from '../domain/release.js';
import { formatDuration } from '../domain/duration.js';
import { clockTime, context, divider, fields, header, link, mention, section } from './format.js';
import { deployRunStatus } from './run-status.js';
import { slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface ReleaseProgressInput {
  version: string;
  type: string;
  state: ReleaseState;
  requestedBy: string;
  startedAt: Date;
  expectedCompletion: Date;
  taggedAt: Date | null;
  targetBranch: string | null;
  targetSha: string | null;
  runUrl: string | null;
  finishedAt: Date | null;
  failureReason: string | null;
  milestones: MilestoneProgress[];
  now: Date;
  timeZone: string;
  releaseGate?: GateSummary;
  productionGate?: GateSummary;
  /** The emergency rollback, once started: to which version, who asked, when, its run and when it restored. */
  rollback?: RollbackSummary;
}

export interface RollbackSummary {
  toVersion: string;
  by: string;
  startedAt: Date;
  restoredAt?: Date;
  runUrl?: string;
  /** Set when tminus gave up on it: why. */
  gaveUp?: string;
}

/** The stored rollback (ISO times, as the release row keeps them) as the progress view and `/release status` show it. */
export function rollbackSummary(r: { toVersion: string; by: string; startedAt: string; restoredAt?: string; runUrl?: string; gaveUp?: string }): RollbackSummary {
  return {
    toVersion: r.toVersion,
    by: r.by,
    startedAt: new Date(r.startedAt),
    ...(r.restoredAt ? { restoredAt: new Date(r.restoredAt) } : {}),
    ...(r.runUrl ? { runUrl: r.runUrl } : {}),
    ...(r.gaveUp ? { gaveUp: r.gaveUp } : {}),
  };
}

/** The states in which a release ended without shipping (or shipped and was undone): no ETA, no more updates. */
const ENDED_BADLY: ReadonlySet<ReleaseState> = new Set(['failed', 'rejected', 'aborted', 'rolled_back']);
const ENDED: ReadonlySet<ReleaseState> = new Set([...ENDED_BADLY, 'completed', 'stable']);

/** "⏪ Rolled back to v1.2.0 by @x at 14:50, restored in 3m (rollback run)": the rollback as it stands. */
export function rollbackLine(r: RollbackSummary, timeZone: string): string {
  const who = r.by === 'tminus' ? 'tminus (automatic)' : mention(r.by);
  const run = r.runUrl ? ` · ${link(r.runUrl, 'rollback run')}` : '';
  if (r.restoredAt) {
    return `⏪ Rolled back to ${slackMrkdwn(r.toVersion, 50)} by ${who}: started ${clockTime(r.startedAt, timeZone)}, restored ${clockTime(r.restoredAt, timeZone)} (${formatDuration(r.restoredAt.getTime() - r.startedAt.getTime())})${run}`;
  }
  if (r.gaveUp) return `❌ Rollback to ${slackMrkdwn(r.toVersion, 50)} by ${who}, started ${clockTime(r.startedAt, timeZone)}, did not complete: ${slackMrkdwn(r.gaveUp, 500)}${run}`;
  return `⏳ Rolling back to ${slackMrkdwn(r.toVersion, 50)} — started by ${who} at ${clockTime(r.startedAt, timeZone)}${run}`;
}

/** How a release that ended badly ended, and what to do now. */
function whatNow(input: ReleaseProgressInput): string {
  const v = input.version;
  if (input.state === 'rolled_back') return `Production runs ${input.rollback ? slackMrkdwn(input.rollback.toVersion, 50) : 'the previous version'} again. Next: the post-mortem, then a fixed release (\`/release start\`).`;
  if (input.state === 'aborted') return `Nothing more happens for ${v}. Start again with \`/release start\` when ready.`;
  if (input.state === 'rejected') return `${v} will not deploy. Address the concerns, then \`/release start\` again.`;
  return `The thread says what failed and what to do: roll back if production was touched (\`/release rollback ${v}\`), else fix it and start again.`;
}

/** Where an approval gate stands, for the progress view. */
export interface GateSummary {
  state: 'open' | 'approved' | 'rejected' | 'closed';
  counted: number;
  needed: number;
  needs: string;
  /** The production gate's T+60 pre-deployment checks, when it holds any: how many are ticked. */
  checks?: { done: number; total: number };
}

/** " and the pre-deployment checks (2 of 4)", while some are not ticked. */
function checksWaiting(gate: GateSummary): string {
  return gate.checks && gate.checks.done < gate.checks.total ? ` and the pre-deployment checks (${gate.checks.done} of ${gate.checks.total})` : '';
}

const ICONS: Record<MilestoneState, string> = {
  done: '✅',
  running: '⏳',
  failed: '❌',
  pending: '⚪',
  skipped: '⏭️',
  absent: '➖',
};

function titleFor(input: ReleaseProgressInput): string {
  if (input.state === 'completed') return `✅ Release ${input.version} completed`;
  if (input.state === 'failed') return `❌ Release ${input.version} failed`;
  if (input.state === 'rejected') return `🚫 Release ${input.version} rejected`;
  if (input.state === 'stable') return `✅ Release ${input.version} stable`;
  if (input.state === 'rolling_back') return `⚠️ Release ${input.version} rolling back`;
  if (input.state === 'rolled_back') return `⏪ Release ${input.version} rolled back`;
  if (input.state === 'aborted') return `⏹️ Release ${input.version} aborted`;
  if (input.state === 'awaiting_approval') return `📌 Release ${input.version} waiting for approval`;
  return `📌 Release ${input.version} started`;
}

function gateLine(gate: GateSummary, what: string): string {
  if (gate.state === 'approved') return `✅ ${what} approved`;
  if (gate.state === 'rejected') return `🚫 ${what} rejected`;
  if (gate.state === 'closed') return `⏹️ ${what}: closed`;
  return `⏸️ ${what}: waiting for approval (${gate.counted} of ${gate.needed}) from ${gate.needs}${checksWaiting(gate)}`;
}

function milestoneLine(m: MilestoneProgress, input: ReleaseProgressInput): string {
  if (m.key === 'production' && input.productionGate?.state === 'open' && m.state !== 'failed') {
    return `⏸️ ${m.label} — waiting for approval (${input.productionGate.counted} of ${input.productionGate.needed})${checksWaiting(input.productionGate)}`;
  }
  const expected = `T+${Math.round(m.expectedAt / 60_000)}`;
  const since = m.startedAt ?? input.startedAt;
  switch (m.state) {
    case 'done':
      return `${ICONS.done} ${m.label} — ${formatDuration((m.finishedAt ?? input.now).getTime() - input.startedAt.getTime())} after start (guide: ${expected})`;
    case 'running':
      return `${ICONS.running} ${m.label} — running for ${formatDuration(input.now.getTime() - since.getTime())} (guide: ${expected})`;
    case 'failed':
      return `${ICONS.failed} ${m.label} — ${m.failure ? `${link(m.failure.url, m.failure.job)} failed${m.failure.step ? ` at “${slackMrkdwn(m.failure.step, 200)}”` : ''}` : 'failed'}`;
    case 'skipped':
      return `${ICONS.skipped} ${m.label} — skipped`;
    case 'absent':
      return `${ICONS.absent} ${m.label} — no job in the deploy workflow`;
    case 'pending':
      return `${ICONS.pending} ${m.label} — expected at ${expected}`;
  }
}

/** The status under the milestones: how long it took and how it ended, or what it waits for and when it should end. */
function statusLine(input: ReleaseProgressInput, end: Date): string {
  const tz = input.timeZone;
  const took = formatDuration(end.getTime() - input.startedAt.getTime());
  switch (input.state) {
    case 'completed':
    case 'stable':
      return `Completed at ${clockTime(end, tz)} · took ${took}`;
    case 'rolled_back':
      return `Deployed, then rolled back${input.rollback?.restoredAt ? ` at ${clockTime(input.rollback.restoredAt, tz)}` : ''}`;
    case 'rolling_back':
      return `Deployed; rolling back since ${clockTime(input.rollback?.startedAt ?? end, tz)}`;
    case 'failed':
    case 'rejected':
    case 'aborted': {
      const how = { failed: 'Failed', rejected: 'Rejected', aborted: 'Aborted' }[input.state];
      return `${how} at ${clockTime(end, tz)} after ${took}${input.failureReason ? `: ${slackMrkdwn(input.failureReason, 1000)}` : ''}`;
    }
    case 'awaiting_approval':
      return 'Starts when approved';
    default: {
      const waiting = productionWaitingFor(input.productionGate, input.state);
      const elapsed = `Elapsed ${formatDuration(input.now.getTime() - input.startedAt.getTime())} · ETA ${clockTime(input.expectedCompletion, tz)}`;
      return waiting ? `${waiting} · ${elapsed}` : elapsed;
    }
  }
}

/** The release's top message in #releases, edited in place as the live progress view of release day. */
export function releaseProgressMessage(input: ReleaseProgressInput): SlackMessage {
  const tz = input.timeZone;
  const tagLine =
    input.taggedAt !== null
      ? `✅ Tag ${input.version} created${input.targetBranch ? ` on \`${slackMrkdwn(input.targetBranch, 200)}\`` : ''}${input.targetSha ? ` at \`${input.targetSha.slice(0, 7)}\`` : ''} — T+0`
      : input.state === 'failed' || input.state === 'rejected'
        ? `❌ Tag ${input.version} not created`
        : input.state === 'awaiting_approval'
          ? `⚪ Tag ${input.version} — after approval`
          : `⏳ Creating tag ${input.version}`;
  const lines = [
    ...(input.releaseGate ? [gateLine(input.releaseGate, `${input.type.charAt(0).toUpperCase()}${input.type.slice(1)} release`)] : []),
    tagLine,
    ...input.milestones.map((m) => milestoneLine(m, input)),
  ];
  if (input.rollback) lines.push(rollbackLine(input.rollback, tz));
  const end = input.finishedAt ?? input.now;
  const status = statusLine(input, end);
  const endedBadly = ENDED_BADLY.has(input.state);
  return {
    text: `${titleFor(input)} — ${status}`,
    blocks: [
      header(titleFor(input)),
      fields(
        `*Type*\n${input.type}`,
        `*Started by*\n${mention(input.requestedBy)}`,
        `*Started*\n${clockTime(input.startedAt, tz)}`,
        ENDED.has(input.state) ? `*Ended*\n${clockTime(end, tz)}` : `*⏱️ ETA*\n${clockTime(input.expectedCompletion, tz)}`,
      ),
      section(`🔗 Status: ${deployRunStatus(input.state, input.runUrl)}`),
      divider(),
      section(lines.join('\n')),
      context(status, endedBadly ? whatNow(input) : 'Updates arrive in this thread.'),
    ],
  };
}
