import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { deployWorkflow, RELEASES_CHANNEL, serveHealthyService, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * The guide's T+60 "Post-Deployment Verification" gates "complete": error rate < 0.1 %, p99 < 400 ms and
 * cache hit rate > 90 % are read once production runs the new version. Readings every 300 ms over the
 * last 2 s, 4 s to pass (T+60 → T+90 shrunk).
 */
const POLICY = `
statusUpdates: { interval: 2s }
deploy:
  pollInterval: 200ms
  runAppearTimeout: 4s
  postDeployChecks: { retryEvery: 300ms, window: 2s, deadline: 4s }
releaseTypes:
  patch: { approvers: [] }
  minor: { approvers: [] }
roles:
  onCall: { users: [U0ONCALL] }
  engineeringLead: { users: [U0LEAD] }
rollback: { pollInterval: 200ms }
planning: { enforceCadence: false }
`;

const steady = (value: number) => (from: number, to: number) => [
  { scope: '*', points: Array.from({ length: Math.max(1, Math.floor((to - from) / 1000)) }, (_, i) => [to - i * 1000, value] as [number, number]) },
];

describe('T+60 post-deploy checks gate "complete"', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Stop new version', 'Start previous version'], durationMs: 600 }] });
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const thread = (top: StoredMessage) => world.slack.thread(RELEASES_CHANNEL, top.ts);
  const completed = (top: StoredMessage) => thread(top).filter((m) => m.text.includes('COMPLETED'));
  const stateOf = async (version: string) => (await bot.tminus.store.findByVersion(version))?.state;
  const actions = async (version: string) => (await bot.tminus.store.events((await bot.tminus.store.findByVersion(version))!.id)).map((e) => e.action);

  async function start(version: string, fix: string): Promise<StoredMessage> {
    world.github.commit('main', fix);
    await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    return waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
  }

  it('healthy: the checks are read first, then the release is complete, published and marked in Datadog', async () => {
    serveHealthyService(world.datadog);
    const top = await start('v1.2.1', 'fix: receipts (#20)');
    await waitFor('v1.2.1 to complete', async () => (await stateOf('v1.2.1')) === 'completed');
    const complete = await waitFor('the complete message', () => completed(top)[0]);
    expect(complete.text).toContain('✅ Release v1.2.1 COMPLETED');
    // It says how it was verified: the readings that passed, with their limits.
    expect(visibleText(complete)).toContain('✅ Verified by Datadog checks (Error rate 0.020 % < 0.100 %, Latency p99 210 ms < 400 ms, Cache hit rate 96.0 % > 90.0 %)');
    const log = await actions('v1.2.1');
    // Production deployed → checks read → complete → GitHub release: in that order, nothing published before.
    const order = ['release.deploy_succeeded', 'post_deploy_checks.read', 'release.post_deploy_checks_passed', 'github.release_published'].map((a) => log.indexOf(a));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const release = (await bot.tminus.store.findByVersion('v1.2.1'))!;
    expect(release.completedAt!.getTime()).toBeGreaterThan(release.finishedAt!.getTime());
    await waitFor('the completed marker', () => world.datadog.events().some((e) => e.title === 'Release v1.2.1 completed'));
    expect(thread(top).some((m) => m.text.startsWith('🔎 Post-deploy checks'))).toBe(false);
  });

  it('a breach at T+60: the decision matrix alerts, "Roll back now" is offered, and no COMPLETED is ever posted', async () => {
    serveHealthyService(world.datadog);
    world.datadog.setSeries(/trace\.web\.request\.errors/, steady(0.6));
    const top = await start('v1.2.2', 'fix: totals (#21)');
    const checks = await waitFor('the post-deploy checks message', () => thread(top).find((m) => m.text.startsWith('🔎 Post-deploy checks of v1.2.2')));
    expect(visibleText(checks)).toMatch(/❌ Error rate: 0\.600 %/);
    expect(visibleText(checks)).toMatch(/✅ Latency p99: 210 ms/);
    expect(JSON.stringify(checks.blocks)).toContain('rollback_now');
    expect(await stateOf('v1.2.2')).toBe('verifying');
    const alert = await waitFor('the matrix alert', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('🚨') && m.text.includes('v1.2.2')));
    expect(visibleText(alert)).toMatch(/Rollback or hotfix/);
    // Status updates go on while the checks run: release day is not over.
    await waitFor('the deadline to pass', async () => (await stateOf('v1.2.2')) === 'failed', 20_000);
    const failed = await waitFor('the failure message', () => thread(top).find((m) => m.text.startsWith('❌ Release v1.2.2 FAILED')));
    expect(visibleText(failed)).toContain('post-deploy checks still breach at their deadline: Error rate 0.600 %');
    expect(visibleText(failed)).toContain('Production was touched. Roll back to v1.2.1');
    expect(JSON.stringify(failed.blocks)).toContain('"action_id":"rollback_now"');
    expect(completed(top)).toEqual([]);
    expect(world.github.releases().some((r) => r.tag_name === 'v1.2.2')).toBe(false);
    expect(world.datadog.events().some((e) => e.title === 'Release v1.2.2 completed')).toBe(false);
    // One message per change of what is wrong, not one per reading.
    expect(thread(top).filter((m) => m.text.startsWith('🔎 Post-deploy checks of v1.2.2'))).toHaveLength(1);

    // The Roll back button of the failure message: the rollback's clock runs from the breach's first reading.
    serveHealthyService(world.datadog);
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0ONCALL', channelId: RELEASES_CHANNEL, messageTs: failed.ts, actionId: 'rollback_now' });
    await waitFor('rolled back', async () => (await stateOf('v1.2.2')) === 'rolled_back');
    const rolledBack = (await bot.tminus.store.findByVersion('v1.2.2'))!;
    const breach = (await bot.tminus.store.events(rolledBack.id)).find((e) => e.action === 'post_deploy_checks.read')!;
    expect(Date.parse(rolledBack.rollback!.detectedAt!)).toBeLessThanOrEqual(Date.parse(rolledBack.rollback!.startedAt));
    expect(Date.parse(rolledBack.rollback!.detectedAt!)).toBeGreaterThanOrEqual(breach.at.getTime() - 1_000);
    expect(rolledBack.rollback!.whatHappened).not.toMatch(/error rate|breach/i);
    expect(world.github.dispatches().filter((d) => d.workflow === 'rollback.yml' && d.inputs.version === 'v1.2.1')).toHaveLength(1);
  });

  it('a breach that recovers before the deadline: resolved, then complete', async () => {
    serveHealthyService(world.datadog);
    world.datadog.setSeries(/^p99:trace\.web\.request/, steady(700));
    const top = await start('v1.2.3', 'fix: search (#22)');
    await waitFor('the post-deploy checks message', () => thread(top).find((m) => m.text.startsWith('🔎 Post-deploy checks of v1.2.3')));
    expect(await stateOf('v1.2.3')).toBe('verifying');
    serveHealthyService(world.datadog);
    await waitFor('v1.2.3 to complete', async () => (await stateOf('v1.2.3')) === 'completed');
    await waitFor('the resolved note', () => thread(top).find((m) => m.text.includes('Latency p99 is healthy again')));
    await waitFor('the complete message', () => completed(top)[0]);
  });

  it('Datadog down past the deadline: never complete on missing data; a person confirms, named in the audit log', async () => {
    serveHealthyService(world.datadog);
    const top = await start('v1.2.4', 'fix: export (#23)');
    world.datadog.outage(true);
    try {
      const unread = await waitFor('the could-not-read notice', () => thread(top).find((m) => m.text.includes('could not be read: confirm by hand or roll back')), 30_000);
      expect(visibleText(unread)).toContain('/release confirm v1.2.4');
      expect(await stateOf('v1.2.4')).toBe('verifying');
      expect(completed(top)).toEqual([]);
      const status = await world.slack.sendCommand(bot.eventsUrl, { text: 'status v1.2.4', userId: 'U0ENG' });
      expect(JSON.stringify(status.body)).toContain('waiting for a person to confirm the post-deploy checks');
      const refused = await world.slack.sendCommand(bot.eventsUrl, { text: 'confirm v1.2.4 looked fine', userId: 'U0ENG' });
      expect(JSON.stringify(refused.body)).toContain("can't confirm the post-deploy checks of v1.2.4");
      const empty = await world.slack.sendCommand(bot.eventsUrl, { text: 'confirm v1.2.4', userId: 'U0ONCALL' });
      expect(JSON.stringify(empty.body)).toContain('Say what you checked');
      const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'confirm v1.2.4 error rate 0.02 %, p99 210 ms on the APM dashboard', userId: 'U0ONCALL' });
      expect(JSON.stringify(answer.body)).toContain('You confirmed the post-deploy checks of v1.2.4');
      const complete = await waitFor('the complete message', () => completed(top)[0]);
      expect(visibleText(complete)).toContain('👀 Confirmed by <@U0ONCALL>: error rate 0.02 %, p99 210 ms on the APM dashboard');
      const events = await bot.tminus.store.events((await bot.tminus.store.findByVersion('v1.2.4'))!.id);
      expect(events.find((e) => e.action === 'release.post_deploy_checks_confirmed')).toMatchObject({ actor: 'U0ONCALL', details: { checked: 'error rate 0.02 %, p99 210 ms on the APM dashboard' } });
      const again = await world.slack.sendCommand(bot.eventsUrl, { text: 'confirm v1.2.4 again', userId: 'U0ONCALL' });
      expect(JSON.stringify(again.body)).toContain('only a release whose post-deploy checks are running can be confirmed');
    } finally {
      world.datadog.outage(false);
    }
  });

  it('rollback while the deploy still runs once production was touched: the run is cancelled, the clock starts at --detected', async () => {
    serveHealthyService(world.datadog);
    world.github.defineWorkflow('deploy-production.yml', deployWorkflow({ images: 300, staging: 300, production: 300, verify: 8_000 }));
    const top = await start('v1.2.5', 'fix: wallet (#24)');
    const tooEarly = await world.slack.sendCommand(bot.eventsUrl, { text: 'rollback v1.2.5 checkout is broken', userId: 'U0ONCALL' });
    expect(JSON.stringify(tooEarly.body)).toMatch(/has not reached production yet|no release v1\.2\.5|only a deployed/);
    await waitFor('production to be deployed', async () => {
      const release = await bot.tminus.store.findByVersion('v1.2.5');
      return release?.state === 'deploying' && release.progress?.some((m) => m.key === 'production' && m.state === 'done');
    });
    const detected = new Date(Date.now() - 2 * 60_000);
    const hhmm = detected.toISOString().slice(11, 16);
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: `rollback v1.2.5 --detected ${hhmm} People could not pay at checkout`, userId: 'U0ONCALL' });
    expect(JSON.stringify(answer.body)).toContain('Rolling v1.2.5 back to v1.2.4');
    const release = (await bot.tminus.store.findByVersion('v1.2.5'))!;
    expect(release.rollback).toMatchObject({ whatHappened: 'People could not pay at checkout', duringDeploy: true });
    expect(release.rollback!.detectedAt!.slice(11, 16)).toBe(hhmm);
    await waitFor('the deploy run cancelled', () => world.github.runs().find((r) => r.id === release.deployRunId && r.conclusion === 'cancelled'));
    await waitFor('rolled back', async () => (await stateOf('v1.2.5')) === 'rolled_back');
    const restored = (await bot.tminus.store.events(release.id)).find((e) => e.action === 'release.rollback_succeeded')!;
    // Time to restore counts from detection: at least the two minutes before the command.
    expect(Number(restored.details.timeToRestoreSeconds)).toBeGreaterThanOrEqual(60);
    expect(completed(top)).toEqual([]);
    world.github.defineWorkflow('deploy-production.yml', deployWorkflow());
  });

  it('/release incident records the detection on the release production runs; its rollback counts from it', async () => {
    serveHealthyService(world.datadog);
    await start('v1.2.6', 'fix: refunds (#25)');
    await waitFor('v1.2.6 to complete', async () => (await stateOf('v1.2.6')) === 'completed');
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'incident high refunds are failing', userId: 'U0ONCALL' });
    expect(JSON.stringify(answer.body)).toContain('Recorded on v1.2.6');
    const reported = (await bot.tminus.store.events((await bot.tminus.store.findByVersion('v1.2.6'))!.id)).find((e) => e.action === 'incident.reported')!;
    expect(reported).toMatchObject({ actor: 'U0ONCALL', details: { severity: 'high', issue: 'refunds are failing' } });
    await world.slack.sendCommand(bot.eventsUrl, { text: 'rollback v1.2.6', userId: 'U0ONCALL' });
    await waitFor('rolled back', async () => (await stateOf('v1.2.6')) === 'rolled_back');
    const release = (await bot.tminus.store.findByVersion('v1.2.6'))!;
    expect(Date.parse(release.rollback!.detectedAt!)).toBe(reported.at.getTime());
  });
});
