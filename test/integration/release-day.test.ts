import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

describe('/release start runs a release end to end', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world);
    await waitFor('the tags to be read from GitHub', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('tags, follows the deploy, posts T+N updates and completes', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    expect(answer.status).toBe(200);
    expect(answer.durationMs).toBeLessThan(3_000);
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain('Starting minor release v1.3.0');

    const top = await waitFor('the release-started message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 started')));
    const tag = await waitFor('the tag on GitHub', () => world.github.tags().find((t) => t.name === 'v1.3.0'));
    expect(tag.sha).toBe(world.github.headOf('main'));

    const completed = await waitFor(
      'the complete message',
      () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')),
      30_000,
    );
    const thread = world.slack.thread(RELEASES_CHANNEL, top.ts);
    const updates = thread.filter((m) => m.text.includes('IN PROGRESS'));
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates.map((m) => m.text.match(/T\+\S+/)?.[0])).toEqual(updates.map((_, i) => `T+${2 * (i + 1)}s`));
    expect(thread.at(-1)?.ts).toBe(completed.ts);
    expect(visibleText(completed)).toMatch(/Deployment time: \d+ minutes?/);
    expect(visibleText(completed)).toContain('admin portal search');

    const release = world.github.releases().find((r) => r.tag_name === 'v1.3.0');
    expect(release?.body).toContain("What's Changed");

    // The top message was edited in place into the finished progress view.
    const finalTop = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts)!;
    expect(finalTop.history.length).toBeGreaterThan(1);
    expect(visibleText(finalTop)).toContain('Release v1.3.0 completed');
    expect(visibleText(finalTop)).toMatch(/✅ Deployed to production/);

    // Nothing arrives after the end: wait past two more update intervals.
    const count = world.slack.thread(RELEASES_CHANNEL, top.ts).length;
    const stored = await bot.tminus.store.findByVersion('v1.3.0');
    expect(stored?.state).toBe('completed');
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(world.slack.thread(RELEASES_CHANNEL, top.ts).length).toBe(count);
  });
});
