import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { RELEASES_CHANNEL, runUpPolicy, startRunUpBot, startRunUpWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * The guide's minor-release weeks in seconds: the plan's events fall due in the 55 s before its slot,
 * Thursday 10 December 2026 at 14:00 UTC (a minor slot), on a clock that starts 60 s before it.
 */
const POLICY = runUpPolicy();

describe('a planned minor release, from /release plan to its slot', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startRunUpWorld();
    bot = await startRunUpBot(world, POLICY);
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const planThread = (ts: string) => world.slack.thread(RELEASES_CHANNEL, ts);

  /** Ticks every open item of a checklist message, as a QA lead would, section by section. */
  async function tickAll(message: StoredMessage, userId: string): Promise<void> {
    for (const block of message.blocks as { type: string; elements?: { type: string; action_id: string; options: { value: string }[] }[] }[]) {
      for (const element of block.type === 'actions' ? (block.elements ?? []) : []) {
        if (element.type !== 'checkboxes') continue;
        await world.slack.sendBlockAction(bot.eventsUrl, {
          userId,
          channelId: RELEASES_CHANNEL,
          messageTs: message.ts,
          actionId: element.action_id,
          selectedOptions: element.options.map((o) => ({ value: o.value })),
        });
      }
    }
  }

  it('plans, cuts the branch, posts the three checklists and the announcement, and starts at its slot', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'plan v1.3.0 2026-12-10 14:00', userId: 'U0ENG' });
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain('Planning v1.3.0');
    const card = await waitFor('the release-plan card', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('v1.3.0') && m.text.toLowerCase().includes('plan')));
    expect(visibleText(card)).toContain('admin portal search');

    await waitFor('the release branch', () => world.github.headOf('release/v1.3.0'));
    const titles = ['72 Hours Before Release', '24 Hours Before Release', 'Release Day (4 Hours Before)'];
    for (const title of titles) {
      const checklist = await waitFor(`the ${title} checklist`, () => planThread(card.ts).find((m) => m.text.startsWith(title)), 60_000);
      await tickAll(checklist, 'U0QA');
    }
    const announcement = await waitFor('the announcement', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('Scheduled Maintenance')), 60_000);
    expect(visibleText(announcement)).toContain('v1.3.0');

    const release = await waitFor('the release to start at its slot', () => bot.tminus.store.findByVersion('v1.3.0'), 90_000);
    expect(release.startedAt.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-12-10T14:00:00Z'));
    expect(release.startedAt.getTime()).toBeLessThan(Date.parse('2026-12-10T14:01:00Z'));
    await waitFor('the release to complete', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'completed'), 60_000);
    expect(world.github.tags().some((t) => t.name === 'v1.3.0')).toBe(true);

    // Each scheduled post happened once.
    for (const title of titles) expect(planThread(card.ts).filter((m) => m.text.startsWith(title))).toHaveLength(1);
    expect(world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith('Scheduled Maintenance'))).toHaveLength(1);
  }, 180_000);
});
