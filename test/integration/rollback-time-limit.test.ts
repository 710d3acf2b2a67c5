import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_POLICY, RELEASES_CHANNEL, serveHealthyService, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';
import { formatDuration } from '../../src/domain/duration.js';
import { clockTime } from '../../src/messages/format.js';

/**
 * "Execute within 5 minutes of detection" (the guide's emergency rollback) is enforced: a rollback not done by
 * detection plus `rollback.timeLimit` pages on-call and the release's approvers once, in #releases and in the
 * release's thread, saying how late it is and what still runs. Here the limit is 2 s and the run takes 6 s.
 */
describe('the rollback time limit', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Start previous version'], durationMs: 6_000 }] });
    bot = await startBot(world, { policy: `${FAST_POLICY}\nroles:\n  onCall: { users: [U0ONCALL] }\nrollback: { pollInterval: 200ms, timeLimit: 2s }\n` });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const overdue = (text: string) => text.includes("past the guide's 2s limit");

  it('a slow rollback pages on-call once, in #releases and in the thread, and goes on to restore', async () => {
    serveHealthyService(world.datadog);
    world.github.commit('main', 'fix: totals (#21)');
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const completed = await waitFor('v1.3.0 to complete', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => (r?.state === 'completed' ? r : undefined)), 30_000);
    await world.slack.sendCommand(bot.eventsUrl, { text: 'rollback v1.3.0 checkout is broken', userId: 'U0ONCALL' });

    const page = await waitFor('the escalation in #releases', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => overdue(m.text)), 30_000);
    const shown = visibleText(page);
    expect(shown).toContain('The rollback of v1.3.0 to v1.2.0');
    expect(shown).toContain('<@U0ONCALL>');
    expect(shown).toMatch(/Still running: (the rollback run .* has not finished|`rollback\.yml` was dispatched)/);
    expect(shown).toMatch(/ late \(due by \d\d:\d\d UTC, 2s after detection\)/);

    await waitFor('v1.3.0 rolled back', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'rolled_back'), 30_000);
    const thread = world.slack.thread(RELEASES_CHANNEL, completed.threadTs!);
    expect(thread.filter((m) => overdue(m.text))).toHaveLength(1);
    expect(world.slack.topLevel(RELEASES_CHANNEL).filter((m) => overdue(m.text))).toHaveLength(1);
    const events = await bot.tminus.store.events(completed.id);
    expect(events.filter((e) => e.action === 'rollback.overdue')).toHaveLength(1);
    // The team's first rollback: nothing to estimate from, so no ETA; the limit is the target, never an ETA.
    const notice = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('⚠️ ROLLBACK NOTICE: v1.3.0'))!;
    expect(visibleText(notice)).toMatch(/Expected completion: not estimated yet \(no earlier rollback to judge by\); the target is \d\d:\d\d UTC/);
    expect(visibleText(notice)).not.toContain('ETA:');
  });

  it('the next rollback’s ETA is what the last one took, not the limit', async () => {
    const first = (await bot.tminus.store.findByVersion('v1.3.0'))!.rollback!;
    const took = Date.parse(first.restoredAt!) - Date.parse(first.startedAt);
    world.github.commit('main', 'fix: totals again (#22)');
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.1', userId: 'U0ENG' });
    await waitFor('v1.3.1 to complete', () => bot.tminus.store.findByVersion('v1.3.1').then((r) => r?.state === 'completed'), 30_000);
    await world.slack.sendCommand(bot.eventsUrl, { text: 'rollback v1.3.1 totals still wrong', userId: 'U0ONCALL' });
    const notice = await waitFor('the v1.3.1 notice', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('⚠️ ROLLBACK NOTICE: v1.3.1')), 30_000);
    expect(visibleText(notice)).toContain(`ETA: ${formatDuration(took)} (the median of the last rollback)`);
    const rollback = (await bot.tminus.store.findByVersion('v1.3.1'))!.rollback!;
    expect(rollback.expected).toEqual({ typicalMs: took, from: 1 });
    expect(visibleText(notice)).toContain(`Expected completion: ${clockTime(new Date(Date.parse(rollback.startedAt) + took), 'UTC')}`);
    await waitFor('v1.3.1 rolled back', () => bot.tminus.store.findByVersion('v1.3.1').then((r) => r?.state === 'rolled_back'), 30_000);
  }, 60_000);
});
