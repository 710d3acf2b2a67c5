import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/** The watch in seconds: a run every second for 20 s; Datadog answers a point every 100 ms. */
const POLICY = `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, runAppearTimeout: 4s }
releaseTypes:
  minor: { approvers: [], stableAfter: 30s }
roles:
  onCall: { users: [U0ONCALL] }
verification:
  schedule:
    - { label: First minutes, until: 20s, every: 1s }
  retryAfter: 1s
  checks:
    errorRate: { every: 1s }
    latencyP99: { every: 1s }
    cpu: { every: 1s }
    memory: { every: 1s }
    cacheHitRate: { every: 1s }
    connectionPool: { every: 1s }
planning: { enforceCadence: false }
`;

/**
 * The error rate at ten points a second, its newest point `newest()` (production breaking right now); the
 * other checks answer as the world's healthy service does (serveHealthyService).
 */
function errorRate(world: World, newest: () => number): void {
  world.datadog.setSeries(/trace\.web\.request\.errors/, (from, to) => [
    { scope: '*', points: Array.from({ length: Math.max(1, Math.floor((to - from) / 100)) }, (_, i) => [to - i * 100, i === 0 ? newest() : 0.02] as [number, number]) },
  ]);
}

describe('a critical reading is alerted as critical at once', () => {
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

  it('production going from healthy to 12× the error-rate threshold: the first alert is CRITICAL with "Roll back now"', async () => {
    let newest = 0.02;
    errorRate(world, () => newest);
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    await waitFor('v1.3.0 to complete', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'completed'), 60_000);
    // Production breaks now: the newest reading is 12× the 0.1 % threshold (critical from 10×), while the window's
    // mean, its other points healthy, is only just over it (a HIGH alert, a run or an hour later the critical one).
    newest = 1.2;
    const first = await waitFor('the first alert', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('🚨') && m.text.includes('v1.3.0')), 30_000);
    expect(visibleText(first)).toMatch(/CRITICAL: Feature broken after v1\.3\.0\* — ❌ Error rate: 1\.20 % at the latest reading \(threshold < 0\.100 %\), 12× its threshold/);
    expect(JSON.stringify(first.blocks)).toContain('rollback_now');
    expect(world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith('🚨') && m.text.includes('HIGH'))).toEqual([]);
  }, 120_000);
});
