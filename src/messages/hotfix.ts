import type { KnownBlock } from '@slack/web-api';
import { isOpen } from '../domain/release.js';
import type { HotfixDetails } from '../integrations/database/schema.js';
import { ACTIONS, gateButtons } from './approval-gate.js';
import { hotfixStepValue } from './button-values.js';
import { clockTime, context, divider, fields, header, mention, section } from './format.js';
import { plainText, slackFallback, slackMrkdwn } from './text.js';
import { releaseProgressMessage, type ReleaseProgressInput } from './release-progress.js';
import type { SlackMessage } from './types.js';

export interface HotfixStepInput {
  key: string;
  label: string;
  /** Due this long after the issue was detected; undefined for steps with no deadline (deployed, monitored). */
  dueAt?: Date;
  /** Ticked by a person with a button (the others are ticked by tminus when the event happens). */
  byButton: boolean;
}

export interface HotfixMessageInput extends ReleaseProgressInput {
  releaseId: string;
  gateId?: string;
  gateOpen: boolean;
  details: HotfixDetails;
  detectedAt: Date;
  steps: HotfixStepInput[];
}

/** The guide's hotfix timeline as a live checklist, with the VP Eng's Approve button while it is open. */
export function hotfixMessage(input: HotfixMessageInput): SlackMessage {
  const tz = input.timeZone;
  const title = `🚨 Hotfix ${input.version} (${input.details.severity})`;
  const lines = input.steps.map((step) => {
    const done = input.details.steps[step.key];
    if (done) return `✅ ${step.label} — ${done.by === 'tminus' ? '' : `${mention(done.by)} `}at ${clockTime(new Date(done.at), tz)}`;
    if (step.dueAt && step.dueAt.getTime() < input.now.getTime()) return `❗ ${step.label} — overdue since ${clockTime(step.dueAt, tz)}`;
    return `⏳ ${step.label}${step.dueAt ? ` — due by ${clockTime(step.dueAt, tz)}` : ''}`;
  });
  const tickable = input.steps.filter((s) => s.byButton && !input.details.steps[s.key]);
  // An ended hotfix (completed, failed, rejected, aborted…) takes no more ticks: its buttons go.
  const ended = !isOpen(input.state);
  const blocks: KnownBlock[] = [
    header(title),
    section(`*What is broken:* ${slackMrkdwn(input.details.issue, 2900)}`),
    fields(`*Severity*\n${slackMrkdwn(input.details.severity, 100)}`, `*Raised by*\n${mention(input.requestedBy)}`, `*Detected*\n${clockTime(input.detectedAt, tz)}`, `*State*\n${input.state.replace(/_/g, ' ')}`),
    section(lines.join('\n')),
  ];
  const buttons = ended ? [] : tickable;
  if (buttons.length > 0) {
    blocks.push({
      type: 'actions',
      block_id: `hotfix-steps:${input.version}`,
      elements: buttons.map((s) => ({ type: 'button' as const, action_id: `${ACTIONS.hotfixStep}:${s.key}`, text: { type: 'plain_text' as const, text: plainText(`✔ ${s.label}`, 75) }, value: hotfixStepValue({ releaseId: input.releaseId, step: s.key }) })),
    });
  }
  if (input.gateOpen && input.gateId) blocks.push(gateButtons({ releaseId: input.releaseId, gateId: input.gateId }, 'Approve (VP Eng)'));
  if (input.state !== 'awaiting_approval') {
    const deploy = releaseProgressMessage(input).blocks.slice(4);
    blocks.push(divider(), ...deploy);
  } else {
    blocks.push(context('Once the VP Eng approves, the hotfix deploys immediately through the release pipeline.'));
  }
  return { text: `${title}: ${slackFallback(input.details.issue)}`, blocks };
}
