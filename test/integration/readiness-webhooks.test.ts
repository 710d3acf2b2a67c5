import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_GATES, startWorld, waitFor, type World } from '../support/harness.js';
import { startWebhookBot } from '../support/webhook-bot.js';

const SECRET = 'readiness-webhook-secret';

describe('a release held at the readiness gate hears CI through GitHub’s webhooks (recheckEvery 10 minutes)', () => {
  let world: World;
  let bot: Awaited<ReturnType<typeof startWebhookBot>>;

  beforeAll(async () => {
    world = await startWorld();
    // CI is still running on every commit until the test says it finished.
    world.github.runCiOnEveryCommit([{ name: 'test', status: 'in_progress', conclusion: null }]);
    bot = await startWebhookBot(world, `
statusUpdates: { interval: 1m }
deploy: { pollInterval: 200ms, runAppearTimeout: 20s }
planning: { enforceCadence: false }
readiness: { recheckEvery: 10m }
${NO_GATES}`, SECRET);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('is judged again within seconds of check_run/check_suite and status deliveries, and tagged when CI turns green', async () => {
    const head = world.github.headOf('main')!;
    world.github.setCommitStatus(head, 'ci/lint', 'pending');
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const judged = async () => {
      const release = await bot.tminus.store.findByVersion('v1.3.0');
      return release ? (await bot.tminus.store.events(release.id)).filter((e) => e.action === 'readiness.judged') : [];
    };
    await waitFor('the first judgement', async () => (await judged()).length === 1);
    expect((await judged())[0]!.details).toMatchObject({ ready: false, sha: head });

    // The check run finishes: judged again at once (still held by the pending commit status).
    const checksAt = Date.now();
    world.github.setCheckRuns(head, [{ name: 'test' }]);
    await waitFor('a judgement after the check run', async () => (await judged()).length === 2, 10_000);
    const rejudged = Date.now() - checksAt;
    expect((await judged())[1]!.details).toMatchObject({ ready: false });
    expect(world.github.tags().find((t) => t.name === 'v1.3.0')).toBeUndefined();
    const told = bot.hook.deliveries.filter((d) => d.payload.repository && ['check_run', 'check_suite'].includes(d.event) && d.status === 202);
    expect(told.map((d) => d.event)).toEqual(expect.arrayContaining(['check_run', 'check_suite']));

    // The commit status turns green: tagged within seconds.
    const greenAt = Date.now();
    world.github.setCommitStatus(head, 'ci/lint', 'success');
    const tag = await waitFor('the tag', () => world.github.tags().find((t) => t.name === 'v1.3.0'), 10_000);
    const tagged = Date.now() - greenAt;
    console.log(`CI finished → judged again: ${rejudged} ms (check_run/check_suite); green status → tagged: ${tagged} ms; recheckEvery 10m`);
    expect(tag.sha).toBe(head);
    expect(rejudged).toBeLessThan(5_000);
    expect(tagged).toBeLessThan(5_000);
    expect(bot.hook.deliveries.some((d) => d.event === 'status' && (d.payload as { state?: string }).state === 'success' && d.status === 202)).toBe(true);
  }, 60_000);
});
