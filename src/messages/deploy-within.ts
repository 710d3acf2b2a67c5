import { formatDuration } from '../domain/duration.js';
import type { LateFix } from '../domain/deploy-within.js';
import { clockTime, dateAndTime, context, link, section } from './format.js';
import { slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

/** #releases: merged bug fixes that no released version carries, past the patch's "within 24 hours of merge". */
export function unreleasedFixesMessage(input: {
  fixes: readonly LateFix[];
  within: number;
  deployment: string;
  production: string;
  nextPatch: string;
  timeZone: string;
}): SlackMessage {
  const count = input.fixes.length === 1 ? 'A bug fix has' : `${input.fixes.length} bug fixes have`;
  const lines = input.fixes.map((fix) => {
    return `• ${link(fix.url, `#${fix.number} ${fix.title}`)}: merged ${dateAndTime(fix.mergedAt, input.timeZone)}, ${formatDuration(fix.lateBy)} late`;
  });
  const deadline = formatDuration(input.within);
  return {
    text: slackFallback(`⏰ ${count} waited longer than ${deadline} for a release: ${input.fixes.map((f) => `#${f.number}`).join(', ')}`),
    blocks: [
      section(`⏰ *${count} waited longer than the guide allows for a patch release*\nPatch deployment: ${slackMrkdwn(input.deployment, 200)} (${deadline}). Not in any released version yet (production runs ${slackMrkdwn(input.production, 50)}):`),
      section(lines.join('\n')),
      context(`Ship them with \`/release start ${slackMrkdwn(input.nextPatch, 50)}\`. Policy: \`releaseTypes.patch.deployWithin\`.`),
    ],
  };
}

/** In the thread and #releases: a release day still running past its type's deadline counted from T-0. */
export function releaseDayLateMessage(input: {
  version: string;
  type: string;
  deployment: string;
  within: number;
  startedAt: Date;
  now: Date;
  state: string;
  timeZone: string;
}): SlackMessage {
  const late = formatDuration(input.now.getTime() - input.startedAt.getTime() - input.within);
  const rule = `${input.type} releases deploy ${slackMrkdwn(input.deployment.charAt(0).toLowerCase() + input.deployment.slice(1), 200)} (${formatDuration(input.within)})`;
  return {
    text: slackFallback(`⏰ Release ${input.version} has not completed within ${formatDuration(input.within)} of T-0: ${late} late`),
    blocks: [
      section(`⏰ *Release ${slackMrkdwn(input.version, 50)} has not completed in time*\nThe guide's ${rule}. T-0 was ${clockTime(input.startedAt, input.timeZone)}; it is ${late} late and still ${slackMrkdwn(input.state, 100)}.`),
      context(`Policy: \`releaseTypes.${input.type}.deployWithin\`.`),
    ],
  };
}
