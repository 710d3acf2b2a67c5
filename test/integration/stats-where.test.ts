import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseStore } from '../../src/integrations/database/release-store.js';
import { RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, realClock, type Bot, type World } from '../support/harness.js';

const DAY = 24 * 60 * 60_000;
const GENERAL = 'C0GENERAL';

let world: World;
let bot: Bot;

beforeAll(async () => {
  world = await startWorld({ slackChannels: [{ id: GENERAL, name: 'general' }] });
  bot = await startBot(world);
  const store = new ReleaseStore(bot.database.db, realClock);
  const deployedAt = new Date(Date.now() - 3 * DAY);
  const created = await store.create({ version: 'v1.3.0', type: 'patch', previousVersion: null, requestedBy: 'U0ENG', requestId: 'req-v1.3.0', channelId: RELEASES_CHANNEL, startedAt: new Date(deployedAt.getTime() - 3_600_000) });
  if (!created.ok) throw new Error(created.conflict);
  for (const event of ['tag_created', 'deploy_run_found'] as const) await store.apply(created.release.id, event);
  await store.apply(created.release.id, 'deploy_succeeded', { set: { finishedAt: deployedAt } });
  await store.apply(created.release.id, 'post_deploy_checks_passed');
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await world?.close();
});

/**
 * `/release stats` posts the team's figures only in #releases; typed anywhere else, only the asker sees them.
 * One person cannot make tminus draw chart after chart, and drawing does not hold Slack's acks up.
 */
describe('/release stats: where it answers, how often, and off the event loop', () => {
  it('typed in another channel: the asker alone gets the figures; nothing is posted or uploaded there', async () => {
    const ack = await world.slack.sendCommand(bot.eventsUrl, { text: 'stats', userId: 'U0LEAD', channelId: GENERAL });
    // One private answer, the figures: the ack itself says nothing (no "computing" notice before them).
    expect(ack.status).toBe(200);
    expect(JSON.stringify(ack.body ?? '')).not.toContain('DORA');
    const privately = await waitFor('the figures through response_url', () => world.slack.responses().find((r) => JSON.stringify(r.body).includes('DORA figures, last 30d')), 30_000);
    expect(privately.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(privately.body)).toContain('Only you can see these');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(world.slack.topLevel(GENERAL)).toEqual([]);
    expect(world.slack.calls.filter((c) => c.method.startsWith('files.'))).toEqual([]);
  });

  it('a person asks at most twice a minute', async () => {
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) texts.push(visibleText((await world.slack.sendCommand(bot.eventsUrl, { text: 'stats 90d', userId: 'U0ENG', channelId: RELEASES_CHANNEL })).body as { text: string; blocks: unknown[] }));
    expect(texts[0]).toContain('Computing the DORA figures');
    expect(texts[1]).toContain('Computing the DORA figures');
    expect(texts[2]).toMatch(/You asked for the DORA figures a moment ago: ask again in (\d+s|1m)\./);
    // Someone else is not held back by it.
    const other = await world.slack.sendCommand(bot.eventsUrl, { text: 'stats 90d', userId: 'U0OTHER', channelId: RELEASES_CHANNEL });
    expect(visibleText(other.body as { text: string; blocks: unknown[] })).toContain('Computing the DORA figures');
  });

  it('two replicas count one person together: the third ask in a minute is refused whichever replica takes it', async () => {
    const second = await startBot(world);
    try {
      // The answer is the ack, or (a loaded machine past the ack's 2.5 s) what follows through response_url.
      const ask = async (target: Bot) => {
        const before = world.slack.responses().length;
        const ack = await world.slack.sendCommand(target.eventsUrl, { text: 'stats', userId: 'U0TWICE', channelId: RELEASES_CHANNEL });
        const text = visibleText(ack.body as { text: string; blocks: unknown[] });
        if (!text.includes('Working on it')) return text;
        const late = await waitFor('the answer through response_url', () => world.slack.responses().slice(before).find((r) => JSON.stringify(r.body).includes('DORA figures')));
        return visibleText(late.body as { text: string; blocks: unknown[] });
      };
      expect(await ask(bot)).toContain('Computing the DORA figures');
      expect(await ask(second)).toContain('Computing the DORA figures');
      expect(await ask(second)).toMatch(/You asked for the DORA figures a moment ago: ask again in (\d+s|1m)\./);
      expect(await ask(bot)).toMatch(/You asked for the DORA figures a moment ago/);
    } finally {
      await second.stop();
    }
  });

  it('20 people at once in #releases: every chart is drawn and uploaded, and commands are acked within Slack’s 3 s meanwhile', async () => {
    // How long the event loop stalls meanwhile is a figure, not an assertion: `npm run bench` prints it (bench/charts.ts).
    const uploads = () => world.slack.calls.filter((c) => c.method.startsWith('files.completeUploadExternal')).length;
    const before = uploads();
    await Promise.all(Array.from({ length: 20 }, (_, i) => world.slack.sendCommand(bot.eventsUrl, { text: 'stats 12w', userId: `U0P${i}`, channelId: RELEASES_CHANNEL })));
    const acks: number[] = [];
    const probing = (async () => {
      for (let i = 0; i < 20; i++) acks.push((await world.slack.sendCommand(bot.eventsUrl, { text: 'help', userId: 'U0LEAD', channelId: GENERAL })).durationMs);
    })();
    await waitFor('20 charts uploaded', () => uploads() >= before + 20, 90_000);
    await probing;
    expect(Math.max(...acks)).toBeLessThan(3_000);
  }, 120_000);
});
