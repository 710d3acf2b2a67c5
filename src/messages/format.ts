import type { KnownBlock } from '@slack/web-api';
import { fitMrkdwn, plainText, slackMrkdwn } from './text.js';
import { calendarDate, dateFormat } from '../domain/time-zone.js';

/** "14:05 UTC" in the team's timezone, as the guide writes times. */
export function clockTime(at: Date, timeZone: string): string {
  const time = dateFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
  return `${time} ${timeZone === 'UTC' || timeZone === 'Etc/UTC' ? 'UTC' : zoneName(at, timeZone)}`;
}

/** "2026-12-10 14:05 UTC": the date and time in the team's timezone (the date too: 23:30 UTC is tomorrow in Sydney). */
export function dateAndTime(at: Date, timeZone: string): string {
  return `${calendarDate(at, timeZone)} ${clockTime(at, timeZone)}`;
}

function zoneName(at: Date, timeZone: string): string {
  const name = (locale: string) =>
    dateFormat(locale, { timeZone, timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value;
  // en-US knows American zone names (EST), en-GB the European ones (CET, BST); either may answer "GMT+1".
  const us = name('en-US');
  if (us && !us.startsWith('GMT')) return us;
  return name('en-GB') ?? us ?? timeZone;
}

/** A link tminus means to make; the label is escaped, and the URL cannot close the link or start another. */
export function link(url: string | null | undefined, label: string): string {
  return url ? `<${url.replace(/[<>|\s]/g, encodeURIComponent)}|${slackMrkdwn(label, 200)}>` : slackMrkdwn(label, 200);
}

/** The same as `slackMrkdwn`, under the name older callers use. */
export function escape(text: string): string {
  return slackMrkdwn(text);
}

/** A mention tminus means to make: only a Slack user id becomes one; anything else ("github:octocat") is shown as text. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : slackMrkdwn(userId, 100);
}

// tminus's own mrkdwn is verbatim: Slack then makes no links or mentions from plain words, only from the
// <…> syntax tminus writes itself (and escapes in everything else).
const mrkdwn = (text: string, max: number) => ({ type: 'mrkdwn' as const, text: fitMrkdwn(text, max), verbatim: true });

export const header = (text: string): KnownBlock => ({ type: 'header', text: { type: 'plain_text', text: plainText(text, 150), emoji: true } });
export const section = (text: string): KnownBlock => ({ type: 'section', text: mrkdwn(text, 3000) });
export const context = (...texts: string[]): KnownBlock => ({
  type: 'context',
  elements: texts
    .filter((text) => text.length > 0)
    .slice(0, 10)
    .map((text) => mrkdwn(text, 3000)),
});
export const fields = (...texts: string[]): KnownBlock => ({
  type: 'section',
  fields: texts.slice(0, 10).map((text) => mrkdwn(text, 2000)),
});
export const divider = (): KnownBlock => ({ type: 'divider' });
