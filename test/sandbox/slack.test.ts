import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { ErrorCode, WebClient, type ConversationsHistoryResponse, type ConversationsRepliesResponse } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackStandIn, signSlackRequest, type SlackChange } from '../../src/sandbox/slack.js';

const SIGNING_SECRET = 'sandbox-signing-secret';
const BOT_TOKEN = 'xoxb-sandbox-token';
const CHANNEL = 'C0RELEASES';
const T0 = 1_732_624_000_000;

/** Independent of the module under test: the scheme from Slack's docs, with node:crypto. */
function nodeSign(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** The error a WebClient call threw, for assertions on its code and data. */
async function failure(promise: Promise<unknown>): Promise<{ code?: string; data?: { error?: string }; statusCode?: number; retryAfter?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; data?: { error?: string }; statusCode?: number; retryAfter?: number };
  }
  throw new Error('expected the call to fail');
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('signSlackRequest', () => {
  it("reproduces Slack's documented worked example", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', body, 1531420618)).toEqual({
      signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      timestamp: '1531420618',
    });
  });

  it('matches an independent HMAC over v0:ts:body', () => {
    const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
    const { signature, timestamp } = signSlackRequest('another-secret', body, 1732624000);
    expect(timestamp).toBe('1732624000');
    expect(signature).toBe(nodeSign('another-secret', '1732624000', body));
    expect(signature).not.toBe(nodeSign('another-secret', '1732624001', body));
  });
});

describe('SlackStandIn Web API, through a real WebClient', () => {
  let standIn: SlackStandIn;
  let client: WebClient;
  let now: number;

  beforeEach(async () => {
    now = T0;
    standIn = await SlackStandIn.start({
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      users: [
        { id: 'U0ALICE', name: 'alice', realName: 'Alice Example' },
        { id: 'U0BOB', name: 'bob' },
      ],
      userGroups: [{ id: 'S0ONCALL', handle: 'release-approvers', users: ['U0ALICE', 'U0BOB'] }],
      clock: () => now,
    });
    client = new WebClient(BOT_TOKEN, { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  });

  afterEach(async () => {
    await standIn.close();
  });

  it('serves on 127.0.0.1 with apiUrl ending in /api/', () => {
    expect(standIn.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(standIn.apiUrl).toBe(`${standIn.url}/api/`);
  });

  it('answers auth.test as the bot', async () => {
    const result = await client.auth.test();
    expect(result).toMatchObject({ ok: true, team_id: 'T0001', user_id: 'U0BOT', bot_id: 'B0BOT' });
  });

  it('posts a message with increasing Slack-form ts values from the clock', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*v1.2.3* T-10' } }];
    const first = await client.chat.postMessage({ channel: CHANNEL, text: 'Release v1.2.3', blocks });
    const second = await client.chat.postMessage({ channel: '#releases', text: 'second' });
    now += 1500;
    const third = await client.chat.postMessage({ channel: CHANNEL, text: 'third' });

    expect(first.ts).toBe('1732624000.000100');
    expect(second.ts).toBe('1732624000.000200');
    expect(third.ts).toBe('1732624001.500100');
    expect(first).toMatchObject({ ok: true, channel: CHANNEL, message: { type: 'message', text: 'Release v1.2.3', bot_id: 'B0BOT', user: 'U0BOT', blocks, ts: first.ts } });
    expect(second.channel).toBe(CHANNEL);
    expect(standIn.topLevel(CHANNEL).map((m) => [m.text, m.blocks])).toEqual([
      ['Release v1.2.3', blocks],
      ['second', []],
      ['third', []],
    ]);
    expect(standIn.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.postMessage']);
    expect(standIn.calls[0]?.args).toMatchObject({ channel: CHANNEL, text: 'Release v1.2.3', blocks });
    expect(standIn.calls[0]?.args).not.toHaveProperty('token');
  });

  it('threads replies under the parent, and a reply to a reply joins the same thread', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'parent' });
    const r1 = await client.chat.postMessage({ channel: CHANNEL, text: 'T-5', thread_ts: parent.ts! });
    const r2 = await client.chat.postMessage({ channel: CHANNEL, text: 'T-0', thread_ts: r1.ts!, reply_broadcast: true });
    const lost = await client.chat.postMessage({ channel: CHANNEL, text: 'wrong thread', thread_ts: '1.000001' });

    expect(r1.message).toMatchObject({ thread_ts: parent.ts, parent_user_id: 'U0BOT' });
    expect(standIn.thread(CHANNEL, parent.ts!).map((m) => [m.text, m.threadTs])).toEqual([
      ['T-5', parent.ts],
      ['T-0', parent.ts],
    ]);
    expect(standIn.thread(CHANNEL, parent.ts!)[1]?.replyBroadcast).toBe(true);
    // Like Slack, an unknown thread_ts posts to the channel.
    expect(standIn.topLevel(CHANNEL).map((m) => m.text)).toEqual(['parent', 'wrong thread']);
    expect(standIn.messages(CHANNEL).map((m) => m.ts)).toEqual([parent.ts, r1.ts, r2.ts, lost.ts]);
  });

  it('updates a message in place and keeps its history', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'T-10', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'T-10' } }] });
    const newBlocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'T-5' } }];
    const updated = await client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'T-5', blocks: newBlocks });
    await client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'T-0' });

    expect(updated).toMatchObject({ ok: true, channel: CHANNEL, ts: posted.ts, text: 'T-5', message: { text: 'T-5', blocks: newBlocks } });
    const [message, ...others] = standIn.messages(CHANNEL);
    expect(others).toEqual([]);
    expect(message).toMatchObject({ ts: posted.ts, text: 'T-0', blocks: newBlocks });
    expect(message?.history).toEqual([
      { text: 'T-10', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'T-10' } }] },
      { text: 'T-5', blocks: newBlocks },
    ]);
    expect(message?.edited?.ts).toMatch(/^\d{10}\.\d{6}$/);

    const missing = await failure(client.chat.update({ channel: CHANNEL, ts: '1732620000.000100', text: 'x' }));
    expect(missing.code).toBe(ErrorCode.PlatformError);
    expect(missing.data?.error).toBe('message_not_found');
  });

  it('answers chat.postEphemeral with message_ts and keeps it per user', async () => {
    const result = await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE', text: 'only you' });
    expect(result.ok).toBe(true);
    expect(result.message_ts).toMatch(/^1732624000\.\d{6}$/);
    expect(result).not.toHaveProperty('ts');
    expect(standIn.ephemerals('U0ALICE')).toEqual([{ channel: CHANNEL, user: 'U0ALICE', text: 'only you', blocks: [], ts: result.message_ts }]);
    expect(standIn.ephemerals('U0BOB')).toEqual([]);
    expect(standIn.messages()).toEqual([]);
  });

  it('deletes messages', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'oops' });
    await expect(client.chat.delete({ channel: CHANNEL, ts: posted.ts! })).resolves.toMatchObject({ ok: true, channel: CHANNEL, ts: posted.ts });
    expect(standIn.messages()).toEqual([]);
    expect((await failure(client.chat.delete({ channel: CHANNEL, ts: posted.ts! }))).data?.error).toBe('message_not_found');
  });

  it('returns metadata on history and replies only with include_all_metadata', async () => {
    const metadata = { event_type: 'release_started', event_payload: { release_id: 'r-42', version: '1.2.3' } };
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'release', metadata });
    await client.chat.postMessage({ channel: CHANNEL, text: 'reply 1', thread_ts: parent.ts! });
    await client.chat.postMessage({ channel: CHANNEL, text: 'reply 2', thread_ts: parent.ts!, metadata: { event_type: 'step', event_payload: { n: 2 } } });

    const plain = await client.conversations.history({ channel: CHANNEL });
    expect(plain.messages?.map((m) => m.text)).toEqual(['release']);
    expect(plain.messages?.[0]).not.toHaveProperty('metadata');
    expect(plain.messages?.[0]).toMatchObject({ reply_count: 2, thread_ts: parent.ts });

    const rich = await client.conversations.history({ channel: CHANNEL, include_all_metadata: true });
    expect(rich.messages?.[0]?.metadata).toEqual(metadata);

    const replies = await client.conversations.replies({ channel: CHANNEL, ts: parent.ts! });
    expect(replies.messages?.map((m) => m.text)).toEqual(['release', 'reply 1', 'reply 2']);
    expect(replies.messages?.some((m) => 'metadata' in m)).toBe(false);
    const richReplies = await client.conversations.replies({ channel: CHANNEL, ts: parent.ts!, include_all_metadata: true });
    expect(richReplies.messages?.map((m) => m.metadata?.event_type)).toEqual(['release_started', undefined, 'step']);
  });

  it('pages history newest first and replies oldest first, with cursors WebClient follows', async () => {
    const posted: string[] = [];
    for (let i = 1; i <= 5; i += 1) posted.push((await client.chat.postMessage({ channel: CHANNEL, text: `m${i}` })).ts!);
    const parent = posted[0]!;
    for (let i = 1; i <= 4; i += 1) await client.chat.postMessage({ channel: CHANNEL, text: `r${i}`, thread_ts: parent });

    const page1 = await client.conversations.history({ channel: CHANNEL, limit: 2 });
    expect(page1.messages?.map((m) => m.text)).toEqual(['m5', 'm4']);
    expect(page1.has_more).toBe(true);
    const cursor = page1.response_metadata?.next_cursor;
    expect(cursor).toBeTruthy();
    const page2 = await client.conversations.history({ channel: CHANNEL, limit: 2, cursor });
    expect(page2.messages?.map((m) => m.text)).toEqual(['m3', 'm2']);

    const texts: string[] = [];
    const hasMore: boolean[] = [];
    for await (const page of client.paginate('conversations.history', { channel: CHANNEL, limit: 2 })) {
      const { messages = [], has_more } = page as ConversationsHistoryResponse;
      texts.push(...messages.map((m) => m.text ?? ''));
      hasMore.push(Boolean(has_more));
    }
    expect(texts).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    expect(hasMore).toEqual([true, true, false]);

    const bounded = await client.conversations.history({ channel: CHANNEL, oldest: posted[1], latest: posted[4] });
    expect(bounded.messages?.map((m) => m.text)).toEqual(['m4', 'm3']);

    const threadTexts: string[] = [];
    for await (const page of client.paginate('conversations.replies', { channel: CHANNEL, ts: parent, limit: 2 })) {
      threadTexts.push(...((page as ConversationsRepliesResponse).messages ?? []).map((m) => m.text ?? ''));
    }
    expect(threadTexts).toEqual(['m1', 'r1', 'r2', 'r3', 'r4']);

    expect((await failure(client.conversations.history({ channel: CHANNEL, cursor: 'bm9wZQ==' }))).data?.error).toBe('invalid_cursor');
    expect((await failure(client.conversations.replies({ channel: CHANNEL, ts: '1732620000.000100' }))).data?.error).toBe('thread_not_found');
  });

  it('rejects a wrong token with invalid_auth and an unknown channel with channel_not_found', async () => {
    const stranger = new WebClient('xoxb-wrong', { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
    const auth = await failure(stranger.chat.postMessage({ channel: CHANNEL, text: 'hi' }));
    expect(auth.code).toBe(ErrorCode.PlatformError);
    expect(auth.data?.error).toBe('invalid_auth');

    const channel = await failure(client.chat.postMessage({ channel: 'C0NOPE', text: 'hi' }));
    expect(channel.data?.error).toBe('channel_not_found');
    expect((await failure(client.conversations.history({ channel: 'C0NOPE' }))).data?.error).toBe('channel_not_found');
    expect(standIn.messages()).toEqual([]);
  });

  it('accepts application/json bodies with a bearer token', async () => {
    const res = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${BOT_TOKEN}` },
      body: JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [{ type: 'divider' }], metadata: { event_type: 'x_y', event_payload: { a: 1 } } }),
    });
    const body = (await res.json()) as { ok: boolean; ts: string };
    expect(res.status).toBe(200);
    expect(body.ok).toBe(true);
    expect(standIn.messages()[0]).toMatchObject({ text: 'json', blocks: [{ type: 'divider' }], metadata: { event_type: 'x_y', event_payload: { a: 1 } } });
  });

  it('makes WebClient throw for failNext: platform error for {ok:false}, HTTP error for 500, then recovers', async () => {
    standIn.failNext('chat.postMessage', { error: 'is_archived' });
    const platform = await failure(client.chat.postMessage({ channel: CHANNEL, text: 'a' }));
    expect(platform.code).toBe(ErrorCode.PlatformError);
    expect(platform.data?.error).toBe('is_archived');

    standIn.failNext('chat.update', { status: 500 }, 2);
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'b' });
    for (let i = 0; i < 2; i += 1) {
      const http500 = await failure(client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'c' }));
      expect(http500.code).toBe(ErrorCode.HTTPError);
      expect(http500.statusCode).toBe(500);
    }
    await expect(client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'c' })).resolves.toMatchObject({ ok: true });
    expect(standIn.messages().map((m) => m.text)).toEqual(['c']);
    expect(standIn.calls.filter((c) => c.method === 'chat.update')).toHaveLength(3);
  });

  it('surfaces a 429 as a rate-limit error with rejectRateLimitedCalls', async () => {
    const strict = new WebClient(BOT_TOKEN, { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
    standIn.rateLimitNext('chat.postMessage', 7);
    const limited = await failure(strict.chat.postMessage({ channel: CHANNEL, text: 'fast' }));
    expect(limited.code).toBe(ErrorCode.RateLimitedError);
    expect(limited.retryAfter).toBe(7);
    await expect(strict.chat.postMessage({ channel: CHANNEL, text: 'later' })).resolves.toMatchObject({ ok: true });
    expect(standIn.messages().map((m) => m.text)).toEqual(['later']);
  });

  it('answers users.info, usergroups.list and usergroups.users.list', async () => {
    const alice = await client.users.info({ user: 'U0ALICE' });
    expect(alice.user).toMatchObject({ id: 'U0ALICE', name: 'alice', real_name: 'Alice Example', is_bot: false });
    expect((await failure(client.users.info({ user: 'U0NOBODY' }))).data?.error).toBe('user_not_found');
    standIn.addUser({ id: 'U0CAROL', name: 'carol' });
    expect((await client.users.info({ user: 'U0CAROL' })).user?.name).toBe('carol');

    const groups = await client.usergroups.list({ include_users: true });
    expect(groups.usergroups).toEqual([expect.objectContaining({ id: 'S0ONCALL', handle: 'release-approvers', users: ['U0ALICE', 'U0BOB'], user_count: 2 })]);
    const bare = await client.usergroups.list({});
    expect(bare.usergroups?.[0]).not.toHaveProperty('users');
    expect((await client.usergroups.users.list({ usergroup: 'S0ONCALL' })).users).toEqual(['U0ALICE', 'U0BOB']);
    expect((await failure(client.usergroups.users.list({ usergroup: 'S0NOPE' }))).data?.error).toBe('no_such_subteam');
  });

  it('refuses views.open with a trigger_id it never issued', async () => {
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Start' }, blocks: [] };
    expect((await failure(client.views.open({ trigger_id: '123.456.abc', view }))).data?.error).toBe('invalid_trigger_id');
    expect(standIn.views()).toEqual([]);
  });

  it("emits 'change' after each change", async () => {
    const changes: SlackChange[] = [];
    standIn.on('change', (c: SlackChange) => changes.push(c));
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'a' });
    await client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'b' });
    await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0BOB', text: 'c' });
    expect(changes.map((c) => [c.kind, c.channel])).toEqual([
      ['message_posted', CHANNEL],
      ['message_changed', CHANNEL],
      ['ephemeral', CHANNEL],
    ]);
  });
});

describe('SlackStandIn acting as Slack towards the app', () => {
  let standIn: SlackStandIn;

  beforeEach(async () => {
    standIn = await SlackStandIn.start({
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      users: [{ id: 'U0ALICE', name: 'alice' }],
    });
  });

  afterEach(async () => {
    await standIn.close();
  });

  it('sends a slash command exactly as Slack does: form fields, content-type, signature, retry headers', async () => {
    const seen: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const capture = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: 'got it' }));
      });
    });
    await new Promise<void>((r) => capture.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(capture.address() as AddressInfo).port}/slack/events`;
    try {
      const response = await standIn.sendCommand(url, { text: 'start v1.2.3', userId: 'U0ALICE' }, { retryNum: 1, retryReason: 'http_timeout' });
      expect(response).toMatchObject({ status: 200, body: { text: 'got it' } });
      expect(response.durationMs).toBeGreaterThanOrEqual(0);

      const [request] = seen;
      expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request?.headers['x-slack-retry-num']).toBe('1');
      expect(request?.headers['x-slack-retry-reason']).toBe('http_timeout');
      const timestamp = String(request?.headers['x-slack-request-timestamp']);
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
      expect(request?.headers['x-slack-signature']).toBe(nodeSign(SIGNING_SECRET, timestamp, request?.body ?? ''));

      const fields = new URLSearchParams(request?.body);
      expect([...fields.keys()]).toEqual([
        'token', 'team_id', 'team_domain', 'channel_id', 'channel_name', 'user_id', 'user_name',
        'command', 'text', 'api_app_id', 'is_enterprise_install', 'response_url', 'trigger_id',
      ]);
      expect(Object.fromEntries(fields)).toMatchObject({
        team_id: 'T0001', channel_id: CHANNEL, channel_name: 'releases', user_id: 'U0ALICE', user_name: 'alice',
        command: '/release', text: 'start v1.2.3', is_enterprise_install: 'false',
      });
      expect(fields.get('response_url')).toMatch(new RegExp(`^${standIn.url}/commands/`));
      // Slack shows a command's JSON answer to the user who ran it.
      expect(standIn.ephemerals('U0ALICE').map((e) => e.text)).toEqual(['got it']);
    } finally {
      await new Promise((r) => capture.close(r));
    }
  });

  describe('with a real Bolt App', () => {
    let app: App;
    let eventsUrl: string;
    let client: WebClient;

    beforeEach(async () => {
      app = new App({
        signingSecret: SIGNING_SECRET,
        token: BOT_TOKEN,
        botId: 'B0BOT',
        botUserId: 'U0BOT',
        logLevel: LogLevel.ERROR,
        clientOptions: { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } },
      });
      client = new WebClient(BOT_TOKEN, { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
    });

    afterEach(async () => {
      await app.stop();
    });

    async function startApp(): Promise<void> {
      const server = (await app.start(0)) as http.Server;
      eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    }

    it('delivers a command the app acks, and respond() lands in responses()', async () => {
      const done = deferred<{ text: string; retryNum?: number; responseUrl: string }>();
      app.command('/release', async ({ command, ack, respond, context }) => {
        await ack();
        await respond({ text: `Starting ${command.text}`, response_type: 'in_channel' });
        done.resolve({ text: command.text, retryNum: context.retryNum, responseUrl: command.response_url });
      });
      await startApp();

      const response = await standIn.sendCommand(eventsUrl, { text: 'start v1.2.3', userId: 'U0ALICE' }, { retryNum: 2, retryReason: 'http_error' });
      expect(response.status).toBe(200);
      expect(response.body).toBe('');
      const seen = await done.promise;
      expect(seen.text).toBe('start v1.2.3');
      expect(seen.retryNum).toBe(2);
      expect(standIn.responses()).toEqual([{ url: seen.responseUrl, body: { text: 'Starting start v1.2.3', response_type: 'in_channel' } }]);
      // in_channel responses are posted to the channel.
      expect(standIn.topLevel(CHANNEL).map((m) => m.text)).toEqual(['Starting start v1.2.3']);
    });

    it('rejects a forged signature and a stale timestamp with 401', async () => {
      let calls = 0;
      app.command('/release', async ({ ack }) => {
        calls += 1;
        await ack();
      });
      await startApp();
      const forged = await standIn.sendCommand(eventsUrl, { text: 'start', userId: 'U0ALICE' }, { signingSecret: 'not-the-secret' });
      expect(forged.status).toBe(401);
      const stale = await standIn.sendCommand(eventsUrl, { text: 'start', userId: 'U0ALICE' }, { timestampSeconds: Math.floor(Date.now() / 1000) - 600 });
      expect(stale.status).toBe(401);
      expect(calls).toBe(0);
      const good = await standIn.sendCommand(eventsUrl, { text: 'start', userId: 'U0ALICE' });
      expect(good.status).toBe(200);
      expect(calls).toBe(1);
    });

    it('delivers a block action on a stored message; the listener updates it and replaces it via respond()', async () => {
      const blocks = [
        { type: 'section', text: { type: 'mrkdwn', text: 'Approve v1.2.3?' } },
        {
          type: 'actions',
          block_id: 'approval',
          elements: [
            { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'r-42' },
            {
              type: 'static_select',
              action_id: 'env',
              options: [
                { text: { type: 'plain_text', text: 'Staging' }, value: 'staging' },
                { text: { type: 'plain_text', text: 'Production' }, value: 'production' },
              ],
            },
          ],
        },
      ];
      const posted = await client.chat.postMessage({
        channel: CHANNEL,
        text: 'Approve v1.2.3?',
        blocks,
        metadata: { event_type: 'release_approval', event_payload: { release_id: 'r-42' } },
      });

      const done = deferred<Record<string, unknown>>();
      app.action('approve', async ({ ack, body, action, respond, client: appClient }) => {
        await ack();
        const b = body as unknown as Record<string, unknown> & { container: { message_ts: string; channel_id: string } };
        await appClient.chat.update({ channel: b.container.channel_id, ts: b.container.message_ts, text: 'Approved by alice' });
        await respond({ replace_original: true, text: 'Approved' });
        done.resolve({ body: b, action });
      });
      await startApp();

      const response = await standIn.sendBlockAction(eventsUrl, { userId: 'U0ALICE', channelId: CHANNEL, messageTs: posted.ts!, actionId: 'approve' });
      expect(response.status).toBe(200);
      const { body, action } = (await done.promise) as { body: Record<string, unknown>; action: Record<string, unknown> };
      expect(body).toMatchObject({
        type: 'block_actions',
        user: { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T0001' },
        container: { type: 'message', message_ts: posted.ts, channel_id: CHANNEL, is_ephemeral: false },
        channel: { id: CHANNEL, name: 'releases' },
        team: { id: 'T0001' },
        message: { ts: posted.ts, text: 'Approve v1.2.3?', blocks, metadata: { event_type: 'release_approval', event_payload: { release_id: 'r-42' } } },
        state: { values: { approval: { env: { type: 'static_select', selected_option: null } } } },
      });
      expect(body.trigger_id).toEqual(expect.any(String));
      expect(action).toMatchObject({ type: 'button', action_id: 'approve', block_id: 'approval', value: 'r-42', text: { type: 'plain_text', text: 'Approve' } });
      expect(action.action_ts).toMatch(/^\d{10}\.\d{6}$/);

      expect(standIn.responses()).toEqual([{ url: body.response_url, body: { replace_original: true, text: 'Approved' } }]);
      const [message] = standIn.messages(CHANNEL);
      expect(message?.text).toBe('Approved');
      expect(message?.history.map((h) => h.text)).toEqual(['Approve v1.2.3?', 'Approved by alice']);
    });

    it('sends selected options for a select, and refuses an action the message does not have', async () => {
      const posted = await client.chat.postMessage({
        channel: CHANNEL,
        text: 'Where?',
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: 'Where?' },
            accessory: {
              type: 'static_select',
              action_id: 'env',
              options: [{ text: { type: 'plain_text', text: 'Production' }, value: 'production' }],
            },
          },
        ],
      });
      const done = deferred<Record<string, unknown>>();
      app.action('env', async ({ ack, action }) => {
        await ack();
        done.resolve(action as unknown as Record<string, unknown>);
      });
      await startApp();
      await standIn.sendBlockAction(eventsUrl, { userId: 'U0ALICE', channelId: CHANNEL, messageTs: posted.ts!, actionId: 'env', selectedOptions: [{ value: 'production' }] });
      const action = await done.promise;
      expect(action).toMatchObject({ type: 'static_select', selected_option: { value: 'production', text: { type: 'plain_text', text: 'Production' } } });
      expect(typeof action.block_id).toBe('string');

      await expect(
        standIn.sendBlockAction(eventsUrl, { userId: 'U0ALICE', channelId: CHANNEL, messageTs: posted.ts!, actionId: 'nope' }),
      ).rejects.toThrow(/no element with action_id nope/);
    });

    it('opens a modal from a command trigger and delivers its submission', async () => {
      const submitted = deferred<{ values: unknown; privateMetadata: string; callbackId: string }>();
      app.command('/release', async ({ ack, body, client: appClient }) => {
        await ack();
        await appClient.views.open({
          trigger_id: body.trigger_id,
          view: {
            type: 'modal',
            callback_id: 'start_release',
            private_metadata: 'r-42',
            title: { type: 'plain_text', text: 'Start a release' },
            submit: { type: 'plain_text', text: 'Start' },
            blocks: [{ type: 'input', block_id: 'version', label: { type: 'plain_text', text: 'Version' }, element: { type: 'plain_text_input', action_id: 'value' } }],
          },
        });
      });
      app.view('start_release', async ({ ack, view }) => {
        await ack();
        submitted.resolve({ values: view.state.values, privateMetadata: view.private_metadata, callbackId: view.callback_id });
      });
      await startApp();

      const opened = new Promise<void>((resolve) => standIn.on('change', (c: SlackChange) => c.kind === 'view' && resolve()));
      await standIn.sendCommand(eventsUrl, { text: '', userId: 'U0ALICE' });
      await opened;
      const [view] = standIn.views();
      expect(view?.view).toMatchObject({ type: 'modal', callback_id: 'start_release', private_metadata: 'r-42', state: { values: {} } });
      expect(view?.triggerId).toEqual(expect.any(String));

      const values = { version: { value: { type: 'plain_text_input', value: '1.2.3' } } };
      const response = await standIn.sendViewSubmission(eventsUrl, { userId: 'U0ALICE', viewId: view!.id, values });
      expect(response.status).toBe(200);
      expect(await submitted.promise).toEqual({ values, privateMetadata: 'r-42', callbackId: 'start_release' });
      expect(standIn.views()[0]?.closed).toBe(true);
    });
  });
});
