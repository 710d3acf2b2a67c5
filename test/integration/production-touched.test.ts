import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployWorkflow, FAST_POLICY, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';

/**
 * Whether production was touched is what GitHub recorded (its deployments to the `production` environment),
 * not what the jobs are called: driven as a user would, from `/release start` to the failure in the thread.
 */
describe('a failed release says whether production was touched, as GitHub recorded it', () => {
  let world: World;
  let bot: Bot;

  beforeEach(async () => {
    world = await startWorld();
    // Not a test of the readiness gate: the checklists are advisory, so the release goes ahead at once.
    bot = await startBot(world, { policy: `${FAST_POLICY}readiness:\n  checklists: advisory\n` });
    await waitFor('the tags to be read from GitHub', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterEach(async () => {
    await bot?.stop();
    await world?.close();
  });

  /** A deploy workflow whose production job is called `ship`: no job name says "production". */
  function shipWorkflow(): void {
    const script = deployWorkflow({ images: 300, staging: 300, production: 300, verify: 300 });
    script.jobs[2] = { ...script.jobs[2]!, name: 'ship', environment: 'production', outcome: 'failure' };
    world.github.defineWorkflow('deploy-production.yml', script);
  }

  async function failureOf(version: string): Promise<{ top: StoredMessage; failed: StoredMessage }> {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain(`release ${version}`);
    const top = await waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
    const failed = await waitFor('the failure message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('FAILED')), 60_000);
    return { top, failed };
  }

  const offersRollback = (message: StoredMessage): boolean => JSON.stringify(message.blocks).includes('"action_id":"rollback_now"');

  async function recorded(version: string): Promise<Record<string, unknown> | undefined> {
    const release = await bot.tminus.store.findByVersion(version);
    return (await bot.tminus.store.events(release!.id)).find((e) => e.action === 'production.touch_read')?.details;
  }

  it('a production job called `ship` that fails after deploying: touched, the rollback offered, a post-mortem opened', { timeout: 90_000 }, async () => {
    shipWorkflow();
    const { top, failed } = await failureOf('v1.3.0');
    const text = visibleText(failed);
    expect(text).toContain('Production was touched. Roll back to v1.2.0');
    expect(text).toMatch(/GitHub shows deployment \d+ of v1\.3\.0 \([0-9a-f]{7}\) to `production` as `failure`/);
    expect(offersRollback(failed)).toBe(true);
    await waitFor('the post-mortem link', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('📝 Post-mortem')));
    expect(world.github.issues().filter((i) => i.title === 'Post-mortem: v1.3.0 failed after touching production')).toHaveLength(1);
    expect(await recorded('v1.3.0')).toMatchObject({ touch: 'touched', environment: 'production', attempt: 1 });
  });

  it('a build job that fails before any deployment: not touched, no rollback, no post-mortem', { timeout: 90_000 }, async () => {
    const script = deployWorkflow({ images: 300, staging: 300, production: 300, verify: 300 });
    script.jobs[0]!.outcome = 'failure';
    world.github.defineWorkflow('deploy-production.yml', script);
    const { failed } = await failureOf('v1.3.0');
    const text = visibleText(failed);
    expect(text).toContain('Production was not touched: v1.2.0 is still live');
    expect(text).toMatch(/GitHub shows no deployment of v1\.3\.0 \([0-9a-f]{7}\) to `production`/);
    expect(offersRollback(failed)).toBe(false);
    expect(await recorded('v1.3.0')).toMatchObject({ touch: 'untouched' });
    const release = await bot.tminus.store.findByVersion('v1.3.0');
    const failedTop = (m: StoredMessage): boolean => visibleText(m).includes('❌ Release v1.3.0 failed');
    await waitFor('the progress view to show the failure', () => world.slack.topLevel(RELEASES_CHANNEL).find(failedTop));
    expect((await bot.tminus.store.events(release!.id)).some((e) => e.action === 'post_mortem.scheduled')).toBe(false);
  });

  it('GitHub unreachable for the deployments read: "could not tell", and the rollback offered', { timeout: 90_000 }, async () => {
    shipWorkflow();
    // Only the deployments read fails: the run itself is followed as usual.
    world.github.failNext('GET', /\/deployments$/, 503, 20);
    const { failed } = await failureOf('v1.3.0');
    const text = visibleText(failed);
    expect(text).toContain('tminus could not tell whether production was touched');
    expect(text).toContain('GitHub could not be asked for the deployments of');
    expect(text).toContain('press *Roll back to v1.2.0*');
    expect(offersRollback(failed)).toBe(true);
    expect(await recorded('v1.3.0')).toMatchObject({ touch: 'unknown' });
  });
});
