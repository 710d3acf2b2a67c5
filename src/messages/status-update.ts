import { formatDuration } from '../domain/duration.js';
import type { ReleaseState } from '../domain/release.js';
import { clockTime, context, link, section } from './format.js';
import { deployRunStatus } from './run-status.js';
import type { Audience } from './plain-words.js';
import { slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface StatusUpdateInput {
  version: string;
  /** Time since T-0 for this update's slot, in ms. */
  sinceStart: number;
  startedAt: Date;
  /** T-0 plus `deploy.completeAt`: the one ETA every message gives. */
  expectedCompletion: Date;
  runUrl: string | null;
  statusPageUrl?: string;
  /** In the present tense while the step runs ("Deploying to production"): see `currentStep`. */
  currentStep: string;
  interval: number;
  timeZone: string;
  /** Set when this update is posted late, after tminus was down during its slot. */
  postedLate?: boolean;
  /** Where the release stands: without a run link, the status line says what the run waits for. */
  state?: ReleaseState;
  /** `team` (the release's thread, the default) or `customers` (no T+N, no run link, no note about tminus). */
  audience?: Audience;
}

/** The guide's "Release In Progress" template, posted in the release's thread every interval. */
export function statusUpdateMessage(input: StatusUpdateInput): SlackMessage {
  const tz = input.timeZone;
  const team = (input.audience ?? 'team') === 'team';
  const title = team ? `📌 Release ${input.version} IN PROGRESS · ${tPlus(input.sinceStart)}` : `📌 Release ${input.version} IN PROGRESS`;
  // Customers get the status page or no link: the deploy run is the team's.
  const status = input.statusPageUrl
    ? link(input.statusPageUrl, input.statusPageUrl)
    : !team
      ? undefined
      : deployRunStatus(input.state, input.runUrl);
  const lines = [
    `*${title}*`,
    '',
    `⏱️ Started: ${clockTime(input.startedAt, tz)}`,
    `🎯 Expected completion: ${clockTime(input.expectedCompletion, tz)}`,
    ...(status ? [`🔗 Status: ${status}`] : []),
    '',
    `Current step: ${slackMrkdwn(input.currentStep, 500)}`,
  ];
  const footer = [team ? `We'll update this thread every ${every(input.interval)}.` : `We'll post an update here every ${every(input.interval)}.`];
  if (team && input.postedLate) footer.push('Posted late: tminus was not running when the last update was due; the updates missed meanwhile are not posted afterwards.');
  return { text: `${title} — ${slackFallback(input.currentStep)}`, blocks: [section(lines.join('\n')), context(...footer)] };
}

/** "T+15" as the guide writes it; intervals shorter than a minute (tests, demos) as "T+30s". */
export function tPlus(ms: number): string {
  return ms % 60_000 === 0 ? `T+${ms / 60_000}` : `T+${formatDuration(ms)}`;
}

function every(ms: number): string {
  return formatDuration(ms);
}
