import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { deployWorkflow, FAST_POLICY, FAST_TIMINGS, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

// Tags are not production: what a release replaces is what tminus last deployed and did not roll back.

/** Each story waits for several deploys in turn. */
const SLOW = 180_000;

const ROLLBACK_POLICY = `${FAST_POLICY}
roles:
  onCall: { users: [U0ONCALL] }
  releaseEngineer: { users: [U0ENG] }
rollback: { pollInterval: 200ms }
`;

const GATES_POLICY = `${FAST_TIMINGS}
roles:
  engineeringLeadership: { users: [U0HEAD] }
  vpEng: { users: [U0VP] }
  onCall: { users: [U0ONCALL] }
  releaseEngineer: { users: [U0ENG] }
`;

const hasAction = (m: StoredMessage, prefix: string) => JSON.stringify(m.blocks).includes(`"action_id":"${prefix}`);

function commands(getWorld: () => World, getBot: () => Bot) {
  return async (text: string, userId = 'U0ENG') =>
    visibleText((await getWorld().slack.sendCommand(getBot().eventsUrl, { text, userId })).body as { text: string; blocks: unknown[] });
}

describe('a failed or rolled-back release is not production', () => {
  let world: World;
  let bot: Bot;
  const command = commands(() => world, () => bot);
  const release = (version: string) => bot.tminus.store.findByVersion(version);
  const reaches = (version: string, ...states: string[]) =>
    waitFor(`${version} to be ${states.join(' or ')}`, () => release(version).then((r) => (r && states.includes(r.state) ? r : undefined)), 60_000);

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Stop new version', 'Start previous version', 'Verify rollback'], durationMs: 800 }] });
    bot = await startBot(world, { policy: ROLLBACK_POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('a minor that failed in deploy is retried as the next patch, still a minor replacing v1.2.0', async () => {
    const failing = deployWorkflow();
    failing.jobs[2]!.outcome = 'failure';
    world.github.defineWorkflow('deploy-production.yml', failing);
    expect(await command('start v1.3.0')).toContain('Starting minor release v1.3.0');
    await reaches('v1.3.0', 'failed');
    // The failed version's tag is read like any other: it still is not production.
    await waitFor('the failed tag to be read', async () => {
      await bot.tminus.jobs.add('sync-released-versions', {});
      return (await bot.tminus.store.releasedVersions()).includes('v1.3.0');
    });

    expect(await command('start v1.3.0')).toMatch(/v1\.3\.0 was attempted and failed .*Ship it as the next version instead: `\/release start v1\.3\.1`/s);
    world.github.defineWorkflow('deploy-production.yml', deployWorkflow());
    expect(await command('start v1.3.1')).toContain('Starting minor release v1.3.1');
    const retried = await reaches('v1.3.1', 'completed', 'stable');
    expect(retried).toMatchObject({ type: 'minor', previousVersion: 'v1.2.0' });
    const actions = (await bot.tminus.store.events(retried.id)).map((e) => e.action);
    expect(actions).not.toContain('release.previous_version_fixed');
  }, SLOW);

  it('a rolled-back release is not what the next release replaces, nor the hotfix baseline', async () => {
    expect(await command('start v1.4.0')).toContain('Starting minor release v1.4.0');
    expect(await reaches('v1.4.0', 'completed', 'stable')).toMatchObject({ previousVersion: 'v1.3.1' });
    expect(await command('rollback v1.4.0 checkout totals are off', 'U0ONCALL')).not.toMatch(/can't|cannot/);
    await reaches('v1.4.0', 'rolled_back');
    expect(world.github.dispatches()).toEqual([expect.objectContaining({ workflow: 'rollback.yml', inputs: expect.objectContaining({ version: 'v1.3.1' }) })]);

    expect(await command('start v1.4.0')).toContain('v1.4.0 was released and rolled back. Ship the fix as the next version: `/release start v1.4.1`');
    expect(await command('hotfix v1.4.1 checkout is down')).toContain('A hotfix is a patch above what production runs (v1.3.1): use v1.3.2, not v1.4.1');
    expect(await command('start v1.4.1')).toContain('Starting minor release v1.4.1');
    const next = await waitFor('v1.4.1 to be tagged', () => release('v1.4.1').then((r) => (r?.taggedAt ? r : undefined)), 60_000);
    expect(next).toMatchObject({ type: 'minor', previousVersion: 'v1.3.1' });
    await reaches('v1.4.1', 'completed', 'stable');
  }, SLOW);
});

describe('the previous version is fixed when the deploy starts', () => {
  let world: World;
  let bot: Bot;
  const command = commands(() => world, () => bot);
  const click = (userId: string, message: StoredMessage) =>
    world.slack.sendBlockAction(bot.eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId: 'gate_approve' });

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { policy: GATES_POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('a hotfix shipped while a minor waits for approval becomes what the minor replaces, audited', async () => {
    expect(await command('start v1.3.0')).toContain('Starting minor release v1.3.0');
    expect(await bot.tminus.store.findByVersion('v1.3.0')).toMatchObject({ state: 'awaiting_approval', previousVersion: 'v1.2.0' });
    const top = await waitFor('the v1.3.0 message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 ')));
    const gate = await waitFor('the v1.3.0 gate', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => hasAction(m, 'gate_approve')));

    // The guide's order: the fix pushed to the hotfix's branch (cut from production's tag), CI passing on it
    // ticks "tested", then the VP Eng approves.
    expect(await command('hotfix v1.2.1 checkout double-charges cards')).toContain('Hotfix v1.2.1 raised');
    await waitFor('the hotfix branch cut', () => world.github.headOf('hotfix/v1.2.1'));
    world.github.setCheckRuns(world.github.commit('hotfix/v1.2.1', 'fix: charge cards once'), [{ name: 'unit' }]);
    const hotfix = await waitFor('the tested hotfix', () =>
      world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('🚨 Hotfix v1.2.1') && hasAction(m, 'gate_approve') && JSON.stringify(m.blocks).includes('tested: CI passed on')),
    );
    await click('U0VP', hotfix);
    await waitFor('the hotfix to complete', () => bot.tminus.store.findByVersion('v1.2.1').then((r) => r?.state === 'completed' || r?.state === 'stable'), 60_000);

    await click('U0HEAD', gate);
    const minor = await waitFor('v1.3.0 to be tagged', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => (r?.taggedAt ? r : undefined)), 60_000);
    expect(minor).toMatchObject({ type: 'minor', previousVersion: 'v1.2.1' });
    const fixed = (await bot.tminus.store.events(minor.id)).filter((e) => e.action === 'release.previous_version_fixed');
    expect(fixed).toEqual([expect.objectContaining({ actor: 'tminus', details: { from: 'v1.2.0', to: 'v1.2.1' } })]);
    await waitFor('v1.3.0 to complete', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'completed' || r?.state === 'stable'), 60_000);
  }, SLOW);
});
