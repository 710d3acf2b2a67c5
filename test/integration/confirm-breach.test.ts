import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASES_CHANNEL, serveHealthyService, startBot, startWorld, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * `/release confirm` is for checks tminus could not read: while a check reads a breach, a person's word does
 * not complete the release. They roll back, or the breach clears.
 */
const POLICY = `
statusUpdates: { interval: 2s }
deploy:
  pollInterval: 200ms
  runAppearTimeout: 4s
  postDeployChecks: { retryEvery: 300ms, window: 2s, deadline: 30s }
releaseTypes:
  patch: { approvers: [] }
  minor: { approvers: [] }
roles:
  onCall: { users: [U0ONCALL] }
  engineeringLead: { users: [U0LEAD] }
planning: { enforceCadence: false }
`;

const steady = (value: number) => (from: number, to: number) => [
  { scope: '*', points: Array.from({ length: Math.max(1, Math.floor((to - from) / 1000)) }, (_, i) => [to - i * 1000, value] as [number, number]) },
];

describe('/release confirm while a post-deploy check shows a breach', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const stateOf = async (version: string) => (await bot.tminus.store.findByVersion(version))?.state;

  it('is refused, names the breach and the way out; once the breach clears the release completes', async () => {
    serveHealthyService(world.datadog);
    world.datadog.setSeries(/trace\.web\.request\.errors/, steady(0.6));
    world.github.commit('main', 'fix: totals (#21)');
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.2.1', userId: 'U0ENG' });
    await waitFor('the matrix alert', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('🚨') && m.text.includes('v1.2.1')), 30_000);
    const release = (await bot.tminus.store.findByVersion('v1.2.1'))!;
    expect(release.state).toBe('verifying');
    expect(await bot.tminus.store.openBreaches(release.id)).not.toEqual([]);

    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'confirm v1.2.1 error rate looked fine on the dashboard', userId: 'U0ONCALL' });
    const said = JSON.stringify(answer.body);
    expect(said).toContain('cannot be confirmed while its post-deploy checks show a breach');
    expect(said).toContain('/release rollback v1.2.1');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stateOf('v1.2.1')).toBe('verifying');
    const actions = (await bot.tminus.store.events(release.id)).map((e) => e.action);
    expect(actions).not.toContain('release.post_deploy_checks_confirmed');

    // The breach clears: the checks pass on their own, and the release completes.
    serveHealthyService(world.datadog);
    await waitFor('v1.2.1 to complete', async () => (await stateOf('v1.2.1')) === 'completed', 30_000);
  }, 90_000);
});
