import { formatValue } from '../domain/verification.js';
import type { HowVerified, Reading } from '../domain/verified-by.js';
import { mention } from './format.js';
import { slackMrkdwn } from './text.js';

const limitOf = (r: Reading) =>
  r.threshold !== undefined && r.direction !== undefined
    ? ` ${r.direction === 'above' ? '>' : '<'} ${formatValue({ value: r.threshold, unit: r.unit })}`
    : r.limit !== undefined
      ? ` ≤ ${formatValue({ value: r.limit, unit: r.unit })}`
      : '';

/** "Error rate 0.020 % < 0.100 %": a reading and its limit, in plain text. */
export function readingText(r: Reading): string {
  return `${r.label} ${formatValue({ value: r.value ?? undefined, unit: r.unit })}${limitOf(r)}`;
}

/**
 * How the release was verified, for the team (Slack mrkdwn, in its thread): "✅ Verified by Datadog checks
 * (Error rate 0.020 % < 0.100 %, …)", "👀 Confirmed by @erin: what they checked", or "⚠️ Not verified (…)".
 */
export function verifiedByForTeam(how: HowVerified): string {
  switch (how.kind) {
    case 'checks':
      return `✅ Verified by Datadog checks${how.readings.length > 0 ? ` (${slackMrkdwn(how.readings.map(readingText).join(', '), 1000)})` : ''}`;
    case 'person':
      return `👀 Confirmed by ${mention(how.by)}: ${slackMrkdwn(how.checked, 1000)}`;
    case 'none':
      return `⚠️ Not verified (${slackMrkdwn(how.why, 300)})`;
  }
}

/** The same in a few words, for a message's notification text. */
export function verifiedByShort(how: HowVerified): string {
  return how.kind === 'checks' ? 'verified by Datadog checks' : how.kind === 'person' ? `confirmed by ${mention(how.by)}` : 'not verified';
}

/**
 * How the release was verified, for customers (the customer channel and the status page): plain words, no
 * metric names, no names of people, nothing a person typed; as true as the team's wording.
 */
export function verifiedByForCustomers(how: HowVerified): string {
  switch (how.kind) {
    case 'checks':
      return 'Verified after the deploy by our automated health checks.';
    case 'person':
      return 'Checked after the deploy by our engineers.';
    case 'none':
      return 'Not verified after the deploy.';
  }
}
