import { section } from './format.js';
import { slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

/** In the release's thread when one of its jobs gave up: what tminus does next (`advice`, its own words) and the error. */
export function jobGaveUpMessage(advice: string, error: string): SlackMessage {
  return { text: `⚠️ ${advice}`, blocks: [section(`⚠️ ${advice}\n_Error: ${slackMrkdwn(error, 500)}_`)] };
}

/** In the plan's thread when one of its scheduled steps could not run, and the ways out. */
export function planStepGaveUpMessage(version: string, event: string, error: string): SlackMessage {
  return {
    text: `⚠️ A scheduled step of ${version} (${event}) could not run`,
    blocks: [
      section(
        `⚠️ A scheduled step of ${version} (\`${event}\`) could not run: ${slackMrkdwn(error, 500)}. tminus tries again every minute while the plan stands; \`/release plan cancel ${version}\` or \`/release plan move ${version} YYYY-MM-DD\` are the ways out.`,
      ),
    ],
  };
}
