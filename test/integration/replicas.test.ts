import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASES_CHANNEL, startBot, startWorld, waitFor, type Bot, type World } from '../support/harness.js';

describe('two replicas side by side behave as one', () => {
  let world: World;
  let bots: Bot[];

  beforeAll(async () => {
    world = await startWorld();
    bots = [await startBot(world), await startBot(world)];
    await waitFor('the tags to be read', () => bots[0]!.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    for (const bot of bots ?? []) await bot.stop();
    await world?.close();
  });

  it('the same command reaching both at once starts one release, and every post happens once', async () => {
    const [a, b] = await Promise.all([
      world.slack.sendCommand(bots[0]!.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' }),
      world.slack.sendCommand(bots[1]!.eventsUrl, { text: 'start v1.3.0', userId: 'U0LEAD' }),
    ]);
    const answers = [JSON.stringify(a.body), JSON.stringify(b.body)];
    expect(answers.filter((t) => t.includes('Starting minor release v1.3.0'))).toHaveLength(1);
    expect(answers.filter((t) => t.includes('already in flight') || t.includes('still in flight'))).toHaveLength(1);

    const top = await waitFor('the release message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0')));
    await waitFor('the complete message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')));

    expect(world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.includes('Release v1.3.0'))).toHaveLength(1);
    const thread = world.slack.thread(RELEASES_CHANNEL, top.ts);
    const labels = thread.filter((m) => m.text.includes('IN PROGRESS')).map((m) => m.text.match(/T\+(\S+)/)![1]);
    expect(labels.length).toBeGreaterThanOrEqual(2);
    expect(labels).toEqual(labels.map((_, i) => `${2 * (i + 1)}s`));
    expect(thread.filter((m) => m.text.includes('COMPLETED'))).toHaveLength(1);
    expect(world.github.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/refs'))).toHaveLength(1);
    expect(world.github.releases().filter((r) => r.tag_name === 'v1.3.0')).toHaveLength(1);
  });
});
