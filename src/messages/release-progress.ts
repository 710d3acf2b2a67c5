import type { MilestoneProgress, MilestoneState } from '../domain/milestones.js';
import type { ReleaseState } from '../domain/release.js';
import { clockTime, context, divider, elapsed, fields, header, link, mention, section } from './format.js';
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
      return `${ICONS.done} ${m.label} — ${elapsed((m.finishedAt ?? input.now).getTime() - input.startedAt.getTime())} after start (guide: ${expected})`;
    case 'running':
      return `${ICONS.running} ${m.label} — running for ${elapsed(input.now.getTime() - since.getTime())} (guide: ${expected})`;
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
  const end = input.finishedAt ?? input.now;
  const deployed = input.state === 'completed' || input.state === 'stable' || input.state === 'rolling_back' || input.state === 'rolled_back';
  const status =
    deployed
      ? `Completed at ${clockTime(end, tz)} · took ${elapsed(end.getTime() - input.startedAt.getTime())}`
      : input.state === 'failed' || input.state === 'rejected'
        ? `${input.state === 'failed' ? 'Failed' : 'Rejected'} at ${clockTime(end, tz)}${input.failureReason ? `: ${slackMrkdwn(input.failureReason, 1000)}` : ''}`
        : input.state === 'awaiting_approval'
          ? 'Starts when approved'
          : `Elapsed ${elapsed(input.now.getTime() - input.startedAt.getTime())} · ETA ${clockTime(input.expectedCompletion, tz)}`;
  return {
    text: `${titleFor(input)} — ${status}`,
    blocks: [
      header(titleFor(input)),
      fields(
        `*Type*\n${input.type}`,
        `*Started by*\n${mention(input.requestedBy)}`,
        `*Started*\n${clockTime(input.startedAt, tz)}`,
        `*⏱️ ETA*\n${clockTime(input.expectedCompletion, tz)}`,
      ),
      section(`🔗 Status: ${input.runUrl ? link(input.runUrl, 'GitHub Actions run') : 'waiting for the deploy workflow run'}`),
      divider(),
      section(lines.join('\n')),
      context(status, 'Updates arrive in this thread.'),
    ],
  };
}
