import { randomBytes } from 'node:crypto';
import { signSlackRequest } from '../../src/sandbox/slack.js';
import { RELEASES_CHANNEL, SIGNING_SECRET, visibleText } from '../support/harness.js';
import { note, type Answer, type Real } from './world-model.js';

/** Acting as people in Slack: slash commands, clicks (on messages as shown, or on old copies of them), and their answers. */

export interface Button {
  actionId: string;
  value: string | undefined;
}

/** The buttons of a message's blocks. */
export function buttonsOf(blocks: unknown): Button[] {
  const found: Button[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.type === 'button' && typeof record.action_id === 'string') found.push({ actionId: record.action_id, value: typeof record.value === 'string' ? record.value : undefined });
      else Object.values(record).forEach(walk);
    }
  };
  walk(blocks);
  return found;
}

export function hasButton(message: { blocks: unknown[] }, actionId: string): boolean {
  return buttonsOf(message.blocks).some((b) => b.actionId === actionId);
}

function textOf(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { text?: unknown }).text === 'string') {
    const message = body as { text: string; blocks?: unknown[] };
    return visibleText({ text: message.text, blocks: message.blocks ?? [] });
  }
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** `/release <text>` as `userId`, the answer recorded. */
export async function command(real: Real, text: string, userId: string, options: { triggerId?: string; retryNum?: number } = {}): Promise<Answer> {
  const response = await real.world.slack.sendCommand(
    real.bot.eventsUrl,
    { text, userId, ...(options.triggerId ? { triggerId: options.triggerId } : {}) },
    options.retryNum !== undefined ? { retryNum: options.retryNum, retryReason: 'http_timeout' } : {},
  );
  const answer = { what: `/release ${text} (${userId})`, status: response.status, text: textOf(response.body) };
  real.answers.push(answer);
  note(real, `${answer.what} → ${response.status} ${answer.text.split('\n')[0]!.slice(0, 140)}`);
  return answer;
}

/**
 * A click on a button that the message shows (as last read), through the Slack stand-in. When the message
 * changed meanwhile and lost the button, the person's client still showed it: the click is delivered from
 * that copy.
 */
export async function click(
  real: Real,
  userId: string,
  message: { ts: string; threadTs?: string; blocks: unknown[] },
  actionId: string,
  ephemeral = false,
): Promise<void> {
  let status: number;
  try {
    status = (await real.world.slack.sendBlockAction(real.bot.eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId })).status;
  } catch (error) {
    const button = buttonsOf(message.blocks).find((b) => b.actionId === actionId);
    if (!button || !/no element|no message/.test(String(error))) throw error;
    return clickStaleCopy(real, userId, { ts: message.ts, ...(message.threadTs ? { threadTs: message.threadTs } : {}), ephemeral }, button);
  }
  real.answers.push({ what: `click ${actionId} on ${message.ts} (${userId})`, status, text: '' });
  note(real, `click ${actionId} on ${message.ts} by ${userId} → ${status}`);
}

/**
 * A click on a button of an old copy of a message (a client that did not redraw it): Slack delivers it all
 * the same. Signed like Slack signs it; the answer goes to the collector.
 */
export async function clickStaleCopy(
  real: Real,
  userId: string,
  message: { ts: string; threadTs?: string; ephemeral?: boolean },
  button: Button,
): Promise<void> {
  const payload = {
    type: 'block_actions',
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: real.world.slack.teamId },
    api_app_id: real.world.slack.appId,
    token: 'stale-client',
    container: { type: 'message', message_ts: message.ts, channel_id: RELEASES_CHANNEL, is_ephemeral: message.ephemeral === true, ...(message.threadTs ? { thread_ts: message.threadTs } : {}) },
    trigger_id: `${Date.now()}.stale.${randomBytes(4).toString('hex')}`,
    team: { id: real.world.slack.teamId, domain: 'sandbox' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: RELEASES_CHANNEL, name: 'releases' },
    state: { values: {} },
    response_url: real.collector.url(),
    actions: [{ type: 'button', block_id: 'stale', action_id: button.actionId, ...(button.value !== undefined ? { value: button.value } : {}), action_ts: `${Date.now() / 1000}` }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const { signature, timestamp } = signSlackRequest(SIGNING_SECRET, body, Date.now() / 1000);
  const response = await fetch(real.bot.eventsUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
    body,
  });
  await response.text();
  real.answers.push({ what: `stale click ${button.actionId} on ${message.ts} (${userId})`, status: response.status, text: '' });
  note(real, `stale click ${button.actionId} on an old copy of ${message.ts} by ${userId} → ${response.status}`);
}
