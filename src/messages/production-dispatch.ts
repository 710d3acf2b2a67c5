import { escape, link, mention, section } from './format.js';
import { githubMarkdown, slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

/**
 * `productionApproval.mode: dispatch`: the tag's run stopped at staging, and tminus dispatches the production
 * workflow once the production gate is met (or at once for a type the gate leaves out).
 */

export interface ProductionDispatched {
  version: string;
  workflow: string;
  approvers: string[];
  /** Set when the policy's gate does not apply to the type (a hotfix): who approved the release let it go. */
  byPolicy?: { type: string; deployment: string };
  runUrl?: string;
}

/** The production workflow was dispatched: by whose approval, and the run tminus follows. */
export function productionDispatchedMessage(input: ProductionDispatched): SlackMessage {
  const by = input.approvers.length > 0 ? input.approvers.map(mention).join(' and ') : 'its approvers';
  const policy = input.byPolicy;
  const why = policy
    ? ` The guide deploys a ${policy.type} “${slackMrkdwn(policy.deployment, 200)}”: ` +
      `the two-person production gate does not apply (\`productionApproval.appliesTo\` leaves ${policy.type} out).`
    : '';
  const run = input.runUrl ? ` tminus follows its ${link(input.runUrl, 'run')}.` : ' tminus follows its run.';
  const workflow = slackMrkdwn(input.workflow, 200);
  return {
    text: `🚀 Production deploy of ${input.version}: tminus dispatched ${input.workflow}`,
    blocks: [section(`🚀 *Production deploy of ${input.version}*: tminus dispatched \`${workflow}\` on the approval of ${by}.${why}${run}`)],
  };
}

/** The production gate was rejected in dispatch mode: nothing was dispatched, production was not touched. */
export function productionWithheldMessage(version: string, userId: string, reason: string, workflow: string): SlackMessage {
  const text =
    `🚫 *${version} was rejected* by ${mention(userId)}: ${slackMrkdwn(reason, 2000)}\n` +
    `\`${slackMrkdwn(workflow, 200)}\` was not dispatched: production still runs the previous version (staging has ${version}).`;
  return { text: `🚫 ${version} was rejected: ${slackFallback(reason)}`, blocks: [section(text)] };
}

/** Both layers: GitHub would not take tminus's approval of the dispatched run (its token is no required reviewer). */
export function dispatchedRunRefusedMessage(version: string, environment: string, error: string): SlackMessage {
  return {
    text: `⚠️ tminus could not approve the production run of ${version} on GitHub`,
    blocks: [
      section(
        `⚠️ *tminus could not approve the production run of ${version} on GitHub* (${escape(error.slice(0, 500))}). ` +
          `The production gate was met in Slack: approve the run's \`${slackMrkdwn(environment, 100)}\` deployment on GitHub; tminus follows the run.`,
      ),
    ],
  };
}

/** GitHub would not start the production workflow (a 4xx): nothing was dispatched. */
export function dispatchRefusedReason(workflow: string, message: string): string {
  return `GitHub refused to dispatch the production workflow ${workflow} (${message.slice(0, 300)}): production was not deployed`;
}

/** The review comment when tminus answers the dispatched run's environment with its gate's approvers. */
export function dispatchedReviewComment(version: string, approvers: string[]): string {
  return `${githubMarkdown(version, 50)}: production gate met in Slack, approved by ${githubMarkdown(approvers.join(', ') || 'nobody', 500)} (tminus)`;
}
