import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest } from '../../src/sandbox/slack.js';
import { GITHUB_BODY_LIMIT, SLACK_BODY_LIMIT, UNSIGNED_IN_FLIGHT } from '../../src/handlers/http-limits.js';
import { FAST_POLICY, RELEASES_CHANNEL, SIGNING_SECRET, startWorld, waitFor, type World } from '../support/harness.js';
import { startWebhookBot } from '../support/webhook-bot.js';

type Bot = Awaited<ReturnType<typeof startWebhookBot>>;

/**
 * What a stranger can make tminus hold before any signature is checked: bodies over the routes' limits are
 * refused (by their declared length, unread, or once they pass it), a route reads a bounded number of unsigned
 * bodies at once (503 with Retry-After past it), slow headers are cut off, and a request properly signed but
 * from another workspace changes nothing.
 */
describe('bounded before authenticated', () => {
  let world: World;
  let bot: Bot;
  const port = () => new URL(bot.baseUrl).port;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startWebhookBot(world, FAST_POLICY, 'webhook-secret');
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  /** Sends headers claiming `length` bytes and `sent` bytes of body; resolves with the status, if one came. */
  function post(path: string, length: number | undefined, sent: number, contentType = 'application/json'): { req: ClientRequest; status: Promise<number | undefined> } {
    const headers = { 'content-type': contentType, ...(length === undefined ? {} : { 'content-length': String(length) }) };
    // A connection of its own each (no keep-alive socket a refused request's `connection: close` is ending).
    const req = httpRequest({ host: '127.0.0.1', port: port(), path, method: 'POST', headers, agent: false });
    const status = new Promise<number | undefined>((resolve) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(undefined));
    });
    if (sent > 0) req.write(Buffer.alloc(sent, 'a'));
    return { req, status };
  }

  it('refuses bodies declared over the limit without reading them (413)', async () => {
    const slack = post('/slack/events', 24 * 1024 * 1024, 1024, 'application/x-www-form-urlencoded');
    const github = post('/github/webhook', 24 * 1024 * 1024, 1024);
    expect(await slack.status).toBe(413);
    expect(await github.status).toBe(413);
    slack.req.destroy();
    github.req.destroy();
  });

  it('refuses a chunked body once it passes the limit', async () => {
    for (const [path, limit] of [['/slack/events', SLACK_BODY_LIMIT], ['/github/webhook', GITHUB_BODY_LIMIT]] as const) {
      const { req, status } = post(path, undefined, 0);
      for (let sent = 0; sent <= limit + 64 * 1024 && !req.destroyed; sent += 64 * 1024) req.write(Buffer.alloc(64 * 1024, 'a'));
      req.end();
      const answer = await status;
      // Bolt answers 413; the webhook route stops reading (413, or the connection closed before it is written).
      expect(answer === undefined || answer === 413).toBe(true);
    }
  });

  it(`reads at most ${UNSIGNED_IN_FLIGHT} unsigned bodies per route at once: the next is told 503 with Retry-After`, async () => {
    const held = Array.from({ length: UNSIGNED_IN_FLIGHT }, () => post('/github/webhook', 1000, 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const headers = { 'content-type': 'application/json', 'content-length': '2' };
    const extra = httpRequest({ host: '127.0.0.1', port: port(), path: '/github/webhook', method: 'POST', headers, agent: false });
    const answer = await new Promise<{ status?: number; retryAfter?: string }>((resolve) => {
      extra.on('response', (res) => (res.resume(), resolve({ status: res.statusCode, retryAfter: String(res.headers['retry-after']) })));
      extra.end('{}');
    });
    expect(answer.status).toBe(503);
    expect(Number(answer.retryAfter)).toBeGreaterThan(0);
    // Slack's route has its own share: a held GitHub route does not stop commands.
    const command = await world.slack.sendCommand(bot.eventsUrl, { text: 'help', userId: 'U0ENG' });
    expect(command.status).toBe(200);
    for (const h of held) h.req.destroy();
    // Freed: the route reads again (and refuses the unsigned body with 401).
    await waitFor('the route to read again', async () => (await fetch(`${bot.baseUrl}/github/webhook`, { method: 'POST', body: '{}' })).status === 401, 5_000);
  });

  it('counts only bodies still being read: 40 signed commands at once, each waiting for its ack, are all served', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => world.slack.sendCommand(bot.eventsUrl, { text: 'status', userId: 'U0ENG' })));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 40 }, () => 200));
  });

  it('closes a connection whose headers never finish (headersTimeout, seconds not minutes)', async () => {
    const socket = connect(Number(port()), '127.0.0.1');
    const t0 = Date.now();
    socket.write('POST /github/webhook HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const timer = setInterval(() => socket.write('a'), 500);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()).on('error', () => resolve()));
    clearInterval(timer);
    expect(Date.now() - t0).toBeLessThan(15_000);
  }, 20_000);

  it('refuses a signed command from another workspace (team_id), and does nothing', async () => {
    const fields = {
      team_id: 'T0STRANGER',
      team_domain: 'elsewhere',
      channel_id: RELEASES_CHANNEL,
      channel_name: 'releases',
      user_id: 'U0ENG',
      user_name: 'eng',
      command: '/release',
      text: 'start v1.3.0',
      api_app_id: 'A0TMINUS',
      is_enterprise_install: 'false',
      response_url: 'http://127.0.0.1:1/response',
      trigger_id: '1.2.3',
    };
    const body = new URLSearchParams(fields).toString();
    const { signature, timestamp } = signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000));
    const res = await fetch(bot.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('only the Slack workspace');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await bot.tminus.store.findByVersion('v1.3.0')).toBeUndefined();
    expect(world.slack.topLevel(RELEASES_CHANNEL)).toHaveLength(0);
    // The same command from the app's own workspace is served.
    const ours = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    expect(ours.status).toBe(200);
    await waitFor('the release', () => bot.tminus.store.findByVersion('v1.3.0'));
  });
});
