import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_DEFAULTS } from '../../src/domain/policy-defaults.js';
import { fillQuery } from '../../src/domain/verification.js';
import { createObservability } from '../../src/integrations/datadog.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { visibleText, waitFor } from '../support/harness.js';
import { QUICK_POLICY, approveWhatIsAsked, postJson, startTestSandbox, type TestSandbox } from './start-test-sandbox.js';

/** Release day at 1200× as in world.test.ts, then the guide's 5-minute verification runs for 6 hours (18 real seconds). */
const POLICY = `${QUICK_POLICY}
releaseTypes:
  minor: { stableAfter: 6h }
verification:
  schedule:
    - { label: First hours, until: 6h, every: 5m }
`;

interface PageState {
  messages: StoredMessage[];
  datadog: {
    outage: boolean;
    metrics: { key: string; threshold?: number; series: { scope: string; value: number }[] }[];
    events: { title: string; alertType: string; tags: string[] }[];
    deployments: { version: string | null }[];
    failures: { version: string | null; finishedAt: number | null }[];
  };
}

describe('Datadog in the sandbox', () => {
  let world: TestSandbox;

  beforeAll(async () => {
    world = await startTestSandbox({ speed: 1200, policy: POLICY });
    await waitFor('the tags to be read from GitHub', () => world.sandbox.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await world?.close();
  });

  const state = async () => (await (await fetch(`${world.base}/sandbox/state`)).json()) as PageState;
  const reading = (s: PageState, key: string) => Math.max(...s.datadog.metrics.find((m) => m.key === key)!.series.map((x) => x.value));
  const observability = () => createObservability({ apiKey: world.sandbox.datadog.apiKey, appKey: world.sandbox.datadog.appKey, site: 'datadoghq.com', apiUrl: world.sandbox.datadog.url });

  it('answers every default check query with healthy points, one a virtual minute, the same on every read', async () => {
    const dd = observability();
    const now = world.sandbox.clock.now();
    const tags = { service: 'platform', env: 'prod', version: 'v1.2.0' };
    const expected = { errorRate: [0.02, 0.04], latencyP99: [200, 240], cpu: [38, 53], memory: [55, 65], cacheHitRate: [93, 97], connectionPool: [35, 45] };
    for (const [key, [low, high]] of Object.entries(expected) as [keyof typeof expected, number[]][]) {
      const series = await dd.querySeries(fillQuery(POLICY_DEFAULTS.verification.checks[key].query, tags), now - 10 * 60_000, now);
      expect(series.length, key).toBe(key === 'cpu' || key === 'memory' ? 2 : 1);
      for (const s of series) {
        expect(s.values.length, key).toBeGreaterThanOrEqual(10);
        for (const v of s.values) expect(v, `${key} ${s.scope}`).toBeGreaterThanOrEqual(low!);
        for (const v of s.values) expect(v, `${key} ${s.scope}`).toBeLessThanOrEqual(high!);
      }
    }
    const errorRate = fillQuery(POLICY_DEFAULTS.verification.checks.errorRate.query, tags);
    const twice = await Promise.all([dd.querySeries(errorRate, now - 30 * 60_000, now), dd.querySeries(errorRate, now - 30 * 60_000, now)]);
    expect(twice[0]).toEqual(twice[1]);
    expect(new Set(twice[0][0]!.values).size).toBeGreaterThan(1);
    expect(reading(await state(), 'errorRate')).toBeLessThan(0.1);
  });

  it('verifies a release, alerts a critical error rate with "Roll back now", and rolls back when on-call presses it', async () => {
    const started = await postJson(`${world.base}/sandbox/slack/command`, { userId: 'U0ENG', text: '/release start v1.3.0' });
    expect(started.status).toBe(200);
    const clicked = new Set<string>();
    const top = await waitFor('the v1.3.0 release to complete', async () => {
      const { messages } = await state();
      await approveWhatIsAsked(world.base, messages, clicked);
      const found = messages.find((m) => !m.threadTs && m.text.includes('Release v1.3.0 '));
      return found && messages.some((m) => m.threadTs === found.ts && m.text.includes('COMPLETED')) ? found : undefined;
    }, 60_000);

    const verified = await waitFor('a verification run in the thread', async () =>
      (await state()).messages.find((m) => m.threadTs === top.ts && m.text.startsWith('🔎')), 30_000);
    expect(verified.text).toContain('✅ All checks healthy');
    expect(visibleText(verified)).toMatch(/✅ Error rate: 0\.0\d\d % \(threshold < 0\.100 %\)/);
    expect(visibleText(verified)).toMatch(/✅ Latency p99: 2\d\d ms \(threshold < 400 ms\)/);

    const critical = await postJson(`${world.base}/sandbox/datadog/metrics`, { preset: 'criticalErrorRate' });
    expect(critical.status).toBe(200);
    expect(reading(await state(), 'errorRate')).toBeGreaterThan(1);
    const alert = await waitFor('the critical alert in #releases', async () =>
      (await state()).messages.find((m) => !m.threadTs && m.text.startsWith('🚨') && m.text.includes('CRITICAL') && m.text.includes('v1.3.0')), 30_000);
    expect(visibleText(alert)).toMatch(/CRITICAL: Feature broken after v1\.3\.0[\s\S]*× its threshold[\s\S]*Rollback immediately/);
    expect(visibleText(alert)).not.toMatch(/data loss/i);
    const button = rollbackButton(alert);
    expect(button?.text).toBe('Roll back now');

    const pressed = await postJson(`${world.base}/sandbox/slack/action`, { userId: 'U0ONCALL', channelId: alert.channel, messageTs: alert.ts, actionId: button!.action_id, value: button!.value });
    expect(pressed.body.status).toBe(200);
    const notice = await waitFor('the rollback notice', async () => (await state()).messages.find((m) => !m.threadTs && m.text.startsWith('⚠️ ROLLBACK NOTICE: v1.3.0')), 30_000);
    expect(visibleText(notice)).toContain('rolling back to v1.2.0');
    await waitFor('v1.3.0 to be rolled back', () => world.sandbox.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'rolled_back'), 30_000);
    expect(world.sandbox.github.dispatches()).toEqual([expect.objectContaining({ workflow: 'rollback.yml', inputs: { version: 'v1.2.0', from: 'v1.3.0' } })]);

    // The previous version serves again: healthy values from the end of the rollback's start-previous-version job.
    expect(reading(await state(), 'errorRate')).toBeLessThan(0.1);
    const s = await waitFor('the rollback in Datadog', async () => {
      const current = await state();
      return current.datadog.failures.some((f) => f.version === 'v1.3.0') && current.datadog.events.some((e) => e.title === 'Release v1.3.0 rolled back') ? current : undefined;
    }, 30_000);
    expect(s.datadog.events.map((e) => e.title)).toEqual(expect.arrayContaining(['Release v1.3.0 started', 'Release v1.3.0 completed', 'Release v1.3.0 rolled back']));
    expect(s.datadog.events.find((e) => e.title.endsWith('rolled back'))?.tags).toEqual(expect.arrayContaining(['service:platform', 'env:prod', 'version:v1.3.0']));
    expect(s.datadog.deployments.map((d) => d.version)).toContain('v1.3.0');
  }, 120_000);

  it('takes Datadog down and back, and refuses what it cannot simulate', async () => {
    const dd = observability();
    const query = fillQuery(POLICY_DEFAULTS.verification.checks.latencyP99.query, { service: 'platform', env: 'prod', version: 'v1.3.0' });
    const now = world.sandbox.clock.now();
    expect((await postJson(`${world.base}/sandbox/datadog/outage`, { on: true })).body).toEqual({ outage: true });
    expect((await state()).datadog.outage).toBe(true);
    await expect(dd.querySeries(query, now - 5 * 60_000, now)).rejects.toThrow(/answered 503/);
    await postJson(`${world.base}/sandbox/datadog/outage`, { on: false });
    expect((await dd.querySeries(query, now - 5 * 60_000, now))[0]?.values.length).toBeGreaterThan(0);

    await postJson(`${world.base}/sandbox/datadog/metrics`, { preset: 'slowP99' });
    expect(reading(await state(), 'latencyP99')).toBeGreaterThan(800);
    await postJson(`${world.base}/sandbox/datadog/metrics`, { preset: 'healthy' });
    expect(reading(await state(), 'latencyP99')).toBeLessThan(400);

    expect((await postJson(`${world.base}/sandbox/datadog/metrics`, { preset: 'meteor' })).status).toBe(400);
    expect((await postJson(`${world.base}/sandbox/datadog/outage`, { on: 'yes' })).status).toBe(400);
  });
});

function rollbackButton(message: StoredMessage): { action_id: string; value?: string; text: string } | undefined {
  for (const block of message.blocks as { elements?: unknown[]; accessory?: unknown }[]) {
    for (const el of [...(block.elements ?? []), block.accessory] as { type?: string; action_id?: string; value?: string; text?: { text?: string } }[]) {
      if (el?.type === 'button' && el.action_id === 'rollback_now') return { action_id: el.action_id, value: el.value, text: el.text?.text ?? '' };
    }
  }
  return undefined;
}
