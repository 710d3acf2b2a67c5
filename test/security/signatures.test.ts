import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_POLICY, RELEASES_CHANNEL, startBot, startWorld, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * Slack's signature is what tminus trusts: a forged request (another secret), a replayed one (a timestamp
 * minutes old) or one with no signature at all changes nothing, in Postgres, on GitHub or in Slack.
 */
describe('forged and stale Slack requests', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { policy: FAST_POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  async function nothingChanged(): Promise<void> {
    expect(await bot.tminus.store.findByVersion('v1.3.0')).toBeUndefined();
    expect(world.slack.topLevel(RELEASES_CHANNEL)).toHaveLength(0);
    expect(world.github.tags().map((t) => t.name)).toEqual(['v1.2.0']);
  }

  it('a command signed with another secret is refused with 401', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' }, { signingSecret: 'not-the-secret' });
    expect(answer.status).toBe(401);
    await nothingChanged();
  });

  it('a command signed ten minutes ago (a replay) is refused with 401', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' }, { timestampSeconds: Math.floor(Date.now() / 1000) - 600 });
    expect(answer.status).toBe(401);
    await nothingChanged();
  });

  it('a request with no signature is refused', async () => {
    const body = new URLSearchParams({ command: '/release', text: 'start v1.3.0', user_id: 'U0ENG', channel_id: RELEASES_CHANNEL, trigger_id: 't', response_url: 'http://127.0.0.1:1/x' }).toString();
    const answer = await fetch(bot.eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    await nothingChanged();
  });

  it('the same command, signed properly, is accepted: the refusals above were the signature', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    expect(answer.status).toBe(200);
    await waitFor('the release', () => bot.tminus.store.findByVersion('v1.3.0'));
  });
});
