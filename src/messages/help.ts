import { context, section } from './format.js';
import { fitMrkdwn, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export const COMMANDS: { usage: string; what: string }[] = [
  { usage: '/release start vX.Y.Z [--override "<reason>"]', what: 'Start a release: tag, follow the deploy workflow, post T+N updates in its thread.' },
  { usage: '/release status [vX.Y.Z]', what: 'Where a release stands (the one in flight, or the latest, when no version is given).' },
  {
    usage: '/release hotfix vX.Y.Z <what is broken> [--severity high] [--detected HH:MM] [--from <branch|sha>]',
    what: "The emergency lane in the guide's order, its deadlines counted from detection: cut from what production runs (`hotfix/vX.Y.Z`), tested (by a person or CI), approved by the VP Eng, deployed at once.",
  },
  { usage: '/release log vX.Y.Z', what: "The release's audit trail: every state change, approval and rejection, with who and when." },
  { usage: '/release rollback vX.Y.Z [--detected HH:MM] [what happened]', what: 'Emergency rollback to the previous version (on-call or a release approver), also while a deploy that reached production still runs. The guide\'s 5 minutes count from detection (`--detected`, else the breach); your words are the Rollback Notice\'s "What happened".' },
  { usage: '/release rollback vX.Y.Z --coordinated [reason]', what: 'Coordinated rollback: after the VP Eng approves, a revert pull request to ship as the next patch.' },
  { usage: '/release confirm vX.Y.Z <what you checked>', what: 'Complete a release whose post-deploy checks tminus cannot read (Datadog down, no data), saying what you checked on the dashboards.' },
  { usage: '/release waive vX.Y.Z <checklists|cadence|freeze> <reason>', what: 'An approver of the type lets a release held at its readiness gate go on without that line (CI and the production gate are fixed, not waived).' },
  { usage: '/release freeze <reason> [--until YYYY-MM-DD[ HH:MM]]', what: 'Declare a deploy freeze: releases (not hotfixes) wait at their readiness gate until unfrozen or the date given.' },
  { usage: '/release unfreeze [reason]', what: 'End the ad-hoc freezes in force: the releases they held go on at once.' },
  { usage: '/release abort vX.Y.Z <reason>', what: 'End a release that is not over (stuck, waiting on a gate nobody will press, no longer wanted): gates close, updates stop, a deploy that has not reached production is cancelled.' },
  { usage: '/release incident <severity> <issue>', what: 'What the decision matrix says to do, and by when.' },
  { usage: '/release plan vX.Y.Z [date]', what: 'Plan a release: the plan card and a release-notes draft from what was merged, on the next slot of its type (or the date given).' },
  { usage: '/release plan move vX.Y.Z <date> [HH:MM] | /release plan cancel vX.Y.Z <reason>', what: 'Move a planned release to another date, or cancel it.' },
  { usage: '/release schedule', what: 'The coming minor and major slots, the releases planned in them, and the deploy freezes.' },
  { usage: '/release stats [30d|90d|12w]', what: 'The four DORA figures (deployment frequency, lead time, change failure rate, time to restore) with their band, the trend and a chart, posted in this channel.' },
  { usage: '/release roles', what: 'Who holds each role (engineering lead, VP Eng, CTO, …) that approves releases.' },
  { usage: '/release help', what: 'This list.' },
];

/** The command list, with an opening line saying why it is shown. */
export function helpMessage(lead?: string): SlackMessage {
  // The usages name their arguments in <angle brackets>: escaped, as all mrkdwn.
  const lines = COMMANDS.map((c) => `• \`${slackMrkdwn(c.usage)}\` — ${c.what}`);
  return {
    text: fitMrkdwn(`${lead ? `${lead}\n` : ''}tminus commands: ${COMMANDS.map((c) => slackMrkdwn(c.usage)).join(', ')}`, 4000),
    blocks: [
      ...(lead ? [section(lead)] : []),
      section(`*tminus runs releases by the release management guide.*\n${lines.join('\n')}`),
      context('Versions may be written with or without `v`; pre-releases like `v1.3.0-rc.1` are allowed.'),
    ],
  };
}

/** A plain ephemeral answer; `text` is mrkdwn, with whatever a person or GitHub wrote already escaped. */
export function noticeMessage(text: string): SlackMessage {
  return { text: fitMrkdwn(text, 4000), blocks: [section(text)] };
}
