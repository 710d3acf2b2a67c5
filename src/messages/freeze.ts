import { dateAndTime, mention, section } from './format.js';
import { fitMrkdwn, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface FreezeNotice {
  reason: string;
  by: string;
  until: Date | null;
  /** Set when it ended: who ended it, and why if they said. */
  ended?: { by: string; reason: string | null };
  /** Releases held at their readiness gate when it was said. */
  held: string[];
  timeZone: string;
}

/** #releases: an ad-hoc deploy freeze was declared, or it ended. What people wrote is escaped here. */
export function freezeNotice(n: FreezeNotice): SlackMessage {
  const reason = slackMrkdwn(n.reason, 500);
  const held = n.held.length > 0 ? ` Held at the readiness gate: ${n.held.join(', ')}.` : '';
  if (n.ended) {
    const why = n.ended.reason ? `: ${slackMrkdwn(n.ended.reason, 500)}` : '';
    const text = `✅ *Deploy freeze ended* by ${mention(n.ended.by)}${why}. It was: ${reason}. Releases held by it go on.`;
    return { text: fitMrkdwn(text, 3000), blocks: [section(fitMrkdwn(text, 3000))] };
  }
  const until = n.until ? `until ${dateAndTime(n.until, n.timeZone)} (or \`/release unfreeze\`)` : 'until `/release unfreeze`';
  const text = `🧊 *Deploy freeze* by ${mention(n.by)}, ${until}: ${reason}. Every release but a hotfix waits at its readiness gate.${held}`;
  return { text: fitMrkdwn(text, 3000), blocks: [section(fitMrkdwn(text, 3000))] };
}
