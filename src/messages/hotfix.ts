import type { KnownBlock } from '@slack/web-api';
import { isOpen } from '../domain/release.js';
import type { HotfixDetails } from '../integrations/database/schema.js';
import { ACTIONS, gateButtons } from './approval-gate.js';
import { hotfixStepValue } from './button-values.js';
import { clockTime, context, divider, fields, header, mention, section } from './format.js';
import { githubMarkdown, plainText, slackFallback, slackMrkdwn } from './text.js';
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

const short = (sha: string) => sha.slice(0, 7);

/** Who ticked a step, as the checklist shows it: a person, CI on GitHub (with what it passed on), or tminus. */
function tickedBy(step: string, done: { by: string }, details: HotfixDetails): string {
  if (done.by === 'github:ci') return step === 'hotfixTested' && details.ci ? `tested: CI passed on \`${short(details.ci.sha)}\` ` : 'CI on GitHub ';
  if (step === 'monitored' && done.by === 'tminus') return 'first post-release verification ran ';
  return done.by === 'tminus' ? '' : `${mention(done.by)} `;
}

/** What a step still waits for, beyond its deadline: CI's last word on "tested", the test before the approval. */
function waitingFor(step: string, input: HotfixMessageInput): string {
  const ci = input.details.ci;
  if (step === 'hotfixTested' && ci?.state === 'failure') return ` · CI failed on \`${short(ci.sha)}\`${ci.failing.length > 0 ? ` (${slackMrkdwn(ci.failing.join(', '), 300)})` : ''}`;
  if (step === 'hotfixApproved' && !input.details.steps.hotfixTested) return ' · waiting for the test';
  return '';
}

/** The production milestone, once its job is done: the "deployed" step as the deploy view shows it. */
function productionDeployed(input: HotfixMessageInput): { at: string; by: string } | undefined {
  const production = input.milestones.find((m) => m.key === 'production');
  return production?.state === 'done' && production.finishedAt ? { at: production.finishedAt.toISOString(), by: 'tminus' } : undefined;
}

/** The guide's hotfix timeline as a live checklist, with the VP Eng's Approve button while it is open. */
export function hotfixMessage(input: HotfixMessageInput): SlackMessage {
  const tz = input.timeZone;
  const title = `🚨 Hotfix ${input.version} (${input.details.severity})`;
  const lines = input.steps.map((step) => {
    // "Deployed" is the production milestone the deploy view below shows: done when that job is, not only at the run's end.
    const done = input.details.steps[step.key] ?? (step.key === 'deployed' ? productionDeployed(input) : undefined);
    if (done) return `✅ ${step.label} — ${tickedBy(step.key, done, input.details)}at ${clockTime(new Date(done.at), tz)}`;
    if (step.dueAt && step.dueAt.getTime() < input.now.getTime()) return `❗ ${step.label} — overdue since ${clockTime(step.dueAt, tz)}${waitingFor(step.key, input)}`;
    return `⏳ ${step.label}${step.dueAt ? ` — due by ${clockTime(step.dueAt, tz)}` : ''}${waitingFor(step.key, input)}`;
  });
  const tickable = input.steps.filter((s) => s.byButton && !input.details.steps[s.key]);
  // An ended hotfix (failed, rejected, aborted…) takes no more ticks: its buttons go; a deployed one may still be "monitored".
  const ended = !isOpen(input.state);
  const blocks: KnownBlock[] = [
    header(title),
    section(`*What is broken:* ${slackMrkdwn(input.details.issue, 2900)}`),
    // What it ships (its commit, and what that carries beyond production): drawn by the jobs, already made safe.
    ...(input.details.ships ? [section(`*Ships:* ${input.details.ships.text.slice(0, 2900)}`)] : []),
    fields(`*Severity*\n${slackMrkdwn(input.details.severity, 100)}`, `*Raised by*\n${mention(input.requestedBy)}`, `*Detected at*\n${clockTime(input.detectedAt, tz)}`, `*State*\n${input.state.replace(/_/g, ' ')}`),
    section(lines.join('\n')),
  ];
  const buttons = tickable.filter((s) => !ended || s.key === 'monitored');
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
    blocks.push(
      context(
        input.details.steps.hotfixTested
          ? 'Tested: once the VP Eng approves, the hotfix deploys immediately through the release pipeline.'
          : "The VP Eng approves once the hotfix is tested: CI passing on its commit ticks it, or a person does. Then it deploys immediately.",
      ),
    );
  }
  return { text: `${title}: ${slackFallback(input.details.issue)}`, blocks };
}

/** CI passed on the hotfix's commit: "tested" is ticked, the VP Eng may approve. */
export function hotfixTestedMessage(version: string, branch: string, sha: string, checks: number): SlackMessage {
  return {
    text: `✅ Hotfix ${version} tested: CI passed on ${short(sha)}`,
    blocks: [section(`✅ *Hotfix ${version} tested:* CI passed on \`${short(sha)}\` (${slackMrkdwn(branch, 200)}, ${checks} ${checks === 1 ? 'check' : 'checks'}). The VP Eng may approve it now.`)],
  };
}

/** CI failed on the hotfix's commit: said once per commit; a new commit (or a re-run) is read again. */
export function hotfixCiFailedMessage(version: string, branch: string, sha: string, failing: string[]): SlackMessage {
  const what = failing.length > 0 ? `: ${slackMrkdwn(failing.join(', '), 1000)}` : '';
  return {
    text: `❌ Hotfix ${version}: CI failed on ${short(sha)}`,
    blocks: [
      section(
        `❌ *Hotfix ${version}: CI failed on \`${short(sha)}\`* (${slackMrkdwn(branch, 200)})${what}. It is not tested, so the VP Eng cannot approve it yet. Push a fix (tminus reads CI on the new commit), or tick “tested” by hand if the failure is unrelated.`,
      ),
    ],
  };
}

/** The policy's reason, as the thread and GitHub are told it, for deploying a type without the production gate. */
export interface ProductionByPolicy {
  version: string;
  type: string;
  /** Who approved the release at its own gate (the VP Eng for a hotfix). */
  approvers: string[];
  deployment: string;
}

/** tminus answered GitHub's production review itself: the type is not in `productionApproval.appliesTo`. */
export function productionByPolicyMessage(input: ProductionByPolicy): SlackMessage {
  const by = input.approvers.length > 0 ? input.approvers.map(mention).join(' and ') : 'its approvers';
  return {
    text: `🚀 Production deploy of ${input.version} approved by tminus: no production gate for a ${input.type}`,
    blocks: [
      section(
        `🚀 *Production deploy of ${input.version} approved by tminus* on the approval of ${by}. The guide deploys a ${input.type} “${slackMrkdwn(input.deployment, 200)}”: the two-person production gate does not apply (\`productionApproval.appliesTo\` leaves ${input.type} out).`,
      ),
    ],
  };
}

/** The comment on GitHub's deployment review: who approved in Slack (GitHub records tminus's token), and the policy key. */
export function productionByPolicyComment(input: ProductionByPolicy & { gate: string }): string {
  const by = input.approvers.length > 0 ? input.approvers.join(', ') : 'nobody';
  return `${githubMarkdown(input.version, 50)} (${input.type}) approved in Slack by ${githubMarkdown(`${input.gate}: ${by}`, 500)}. Deployed without the production gate by policy: productionApproval.appliesTo leaves ${input.type} out (tminus)`;
}
