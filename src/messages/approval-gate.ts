import type { KnownBlock, ModalView } from '@slack/web-api';
import { gateValue, type GateRef } from './button-values.js';
import { clockTime, context, mention, section } from './format.js';
import { checksCount, preDeploymentBlocks, type PreDeploymentView } from './pre-deployment-checks.js';
import { slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export const ACTIONS = {
  approve: 'gate_approve',
  reject: 'gate_reject',
  rejectModal: 'gate_reject_modal',
  hotfixStep: 'hotfix_step',
} as const;

export interface GateMessageInput {
  releaseId: string;
  gateId: string;
  kind: 'release' | 'production' | 'rollback';
  version: string;
  type: string;
  /** "engineering leadership", "2 different people from …" */
  needs: string;
  /** Slack ids of the people who hold a role the gate needs (shown so the right people are pinged). */
  approvers: string[];
  state: 'open' | 'approved' | 'rejected' | 'closed';
  /** Said when the gate was answered outside Slack or closed with its release ("approved on GitHub by @octocat"). */
  outcome?: string;
  decisions: { userId: string; decision: 'approved' | 'rejected'; at: Date; reason: string | null }[];
  counted: number;
  needed: number;
  testing: string;
  /** The type's rollback readiness by the guide ("Always prepared (5-minute recovery)"). */
  rollback?: string;
  timeZone: string;
  /** The production gate's T+60 pre-deployment checks, when the policy gives the release any. */
  checks?: PreDeploymentView;
  /** `productionApproval.mode: dispatch`: staging runs the release, and this workflow is dispatched once the gate is met. */
  dispatchWorkflow?: string;
}

/** The buttons of an open gate; the hotfix message carries them too. Each names the release and the gate. */
export function gateButtons(ref: GateRef, approveLabel = 'Approve'): KnownBlock {
  const value = gateValue(ref);
  return {
    type: 'actions',
    block_id: `gate:${ref.gateId}`,
    elements: [
      { type: 'button', action_id: ACTIONS.approve, text: { type: 'plain_text', text: approveLabel }, style: 'primary', value },
      { type: 'button', action_id: ACTIONS.reject, text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value },
    ],
  };
}

export function decisionLines(decisions: GateMessageInput['decisions'], timeZone: string): string[] {
  return decisions.map((d) =>
    d.decision === 'approved'
      ? `✅ Approved by ${mention(d.userId)} at ${clockTime(d.at, timeZone)}`
      : `🚫 Rejected by ${mention(d.userId)} at ${clockTime(d.at, timeZone)}${d.reason ? `: ${slackMrkdwn(d.reason, 1000)}` : ''}`,
  );
}

/** An approval gate in the release's thread: who may approve, who did, and the buttons while it is open. */
export function gateMessage(input: GateMessageInput): SlackMessage {
  const what =
    input.kind === 'production' ? `Production deploy of ${input.version}` : input.kind === 'rollback' ? `Coordinated rollback of ${input.version}` : `${capital(input.type)} release ${input.version}`;
  const status =
    input.state === 'approved'
      ? '✅ *Approved*'
      : input.state === 'rejected'
        ? '🚫 *Rejected*'
        : input.state === 'closed'
          ? `⏹️ *Closed*${input.outcome ? '' : ': the release ended before this was decided.'}`
          : waitingStatus(input);
  const lines = [
    `*${what} needs approval* from ${input.needs}.`,
    input.kind === 'release'
      ? `Testing by the guide: ${slackMrkdwn(input.testing, 500)}.${input.rollback ? ` Rollback: ${slackMrkdwn(input.rollback, 300)}.` : ''}`
      : input.kind === 'rollback'
        ? 'Once approved, tminus opens a pull request that reverts the release, to ship as the next patch release.'
        : input.dispatchWorkflow
          ? `Staging runs ${input.version}; tminus dispatches the production workflow \`${slackMrkdwn(input.dispatchWorkflow, 200)}\` once this gate is met.`
          : 'The deploy workflow is waiting at the production environment.',
    input.approvers.length > 0 ? `Can approve: ${input.approvers.map(mention).join(', ')}` : '_Nobody holds these roles yet: set them in the release policy._',
  ];
  const outcome = input.outcome ? [slackMrkdwn(input.outcome, 1000)] : [];
  const blocks: KnownBlock[] = [section(lines.join('\n')), section([status, ...decisionLines(input.decisions, input.timeZone), ...outcome].join('\n'))];
  if (input.checks && input.checks.items.length > 0) blocks.push(...preDeploymentBlocks(input.checks, input.state === 'open'));
  if (input.state === 'open') blocks.push(gateButtons({ releaseId: input.releaseId, gateId: input.gateId }));
  blocks.push(context('The person who started the release cannot approve it; each person counts once.'));
  return { text: `${what}: ${input.state === 'open' ? waitingText(input) : input.state}`, blocks };
}

/** An open gate's status: its approvals, and for the production gate the pre-deployment checks it waits on. */
function waitingStatus(input: GateMessageInput): string {
  const checks = input.checks && input.checks.items.length > 0 ? checksCount(input.checks) : undefined;
  if (!checks || checks.done === checks.total) return `⏳ *Waiting for approval (${input.counted} of ${input.needed})*`;
  const open = input.checks!.items.filter((i) => !i.tick).map((i) => slackMrkdwn(i.label, 100));
  const ticked = `the pre-deployment checks (${checks.done} of ${checks.total})`;
  if (input.counted >= input.needed) return `⏳ *Approved (${input.counted} of ${input.needed}): waiting on ${ticked}*: ${open.join(', ')}`;
  return `⏳ *Waiting for approval (${input.counted} of ${input.needed}) and ${ticked}*`;
}

function waitingText(input: GateMessageInput): string {
  const checks = input.checks && input.checks.items.length > 0 ? checksCount(input.checks) : undefined;
  const approvals = `waiting for approval (${input.counted} of ${input.needed})`;
  if (!checks || checks.done === checks.total) return approvals;
  const ticked = `the pre-deployment checks (${checks.done} of ${checks.total})`;
  return input.counted >= input.needed ? `approved (${input.counted} of ${input.needed}), waiting on ${ticked}` : `${approvals} and ${ticked}`;
}

/** The modal that asks why, before a rejection is recorded; it carries the gate's button value. */
export function rejectModal(ref: GateRef, version: string): ModalView {
  return {
    type: 'modal',
    callback_id: ACTIONS.rejectModal,
    private_metadata: gateValue(ref),
    title: { type: 'plain_text', text: 'Reject release' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(`Rejecting *${slackMrkdwn(version)}* stops the release. Say why: it is posted in the thread and kept in the audit log.`),
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: 'reason', multiline: true, min_length: 3, max_length: 500 },
      },
    ],
  };
}

export function rejectedNotice(version: string, userId: string, reason: string, nothingDeployed: boolean): SlackMessage {
  const text = `🚫 *${version} was rejected* by ${mention(userId)}: ${slackMrkdwn(reason, 2000)}\n${nothingDeployed ? 'Nothing was tagged or deployed.' : 'The production deploy was stopped; production still runs the previous version.'}`;
  return { text: `🚫 ${version} was rejected: ${slackFallback(reason)}`, blocks: [section(text)] };
}

/** A production rejection in Slack that GitHub no longer took: the run had been answered there first. */
export function rejectionTooLateMessage(version: string, userId: string): SlackMessage {
  const text = `⚠️ ${mention(userId)}'s rejection of the production deploy of ${version} came too late: the run no longer waited on GitHub (it was answered there first), so the deploy goes on as GitHub says. To stop it, \`/release abort ${version} <reason>\`; to undo it, \`/release rollback ${version}\`.`;
  return { text: `⚠️ The rejection of ${version}'s production deploy came too late: the deploy goes on`, blocks: [section(text)] };
}

export function approvedNotice(what: string, approvers: string[], next: string): SlackMessage {
  const text = `✅ *${what} approved* by ${approvers.map(mention).join(' and ')}. ${next}`;
  return { text: `✅ ${what} approved. ${next}`, blocks: [section(text)] };
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The production review was answered outside Slack: `outcome` says who did it where ("Rejected on GitHub by @octocat: “…”"). */
export function productionAnsweredMessage(version: string, rejected: boolean, outcome: string): SlackMessage {
  const icon = rejected ? '🚫' : '✅';
  return {
    text: `${icon} Production deploy of ${version}: ${slackFallback(outcome)}`,
    blocks: [
      section(
        `${icon} *Production deploy of ${version}*: ${slackMrkdwn(outcome, 1500)}. ` +
          (rejected ? 'Production still runs the previous version.' : 'The deploy continues; tminus goes on following it.'),
      ),
    ],
  };
}
