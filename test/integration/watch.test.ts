import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * The guide's whole watch on a shortened clock: "First hour" 2 s, "First 24 hours" to 4 s, "First week" to
 * 8 s (runs at 1, 2, 3, 4, 6 and 8 s); the minor release is marked stable at 3 s and the watch goes on.
 * The decision matrix's deadlines are seconds too.
 */
const POLICY = `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, runAppearTimeout: 4s }
releaseTypes:
  minor: { approvers: [], stableAfter: 3s }
roles:
  onCall: { users: [U0ONCALL] }
verification:
  schedule:
    - { label: First hour, until: 2s, every: 1s }
    - { label: First 24 hours, until: 4s, every: 1s }
    - { label: First week, until: 8s, every: 2s }
  retryAfter: 1s
  checks:
    errorRate: { every: 1s }
    latencyP99: { every: 1s }
    cpu: { every: 1s }
    memory: { every: 1s }
    cacheHitRate: { every: 1s }
    connectionPool: { every: 1s }
    queueDepth: { every: 1s, issue: Feature broken }
    logErrors: { every: 1s }
decisionMatrix:
  - { severity: critical, issue: Data loss, action: Rollback immediately, timeline: 1s }
  - { severity: critical, issue: Security vuln, action: Rollback or hotfix, timeline: 24h }
  - { severity: high, issue: Feature broken, action: Rollback or hotfix, timeline: 3s }
  - { severity: high, issue: Performance issue, action: "Investigate, maybe rollback", timeline: 3s }
  - { severity: medium, issue: Minor bug, action: Patch in next minor, timeline: 2w }
  - { severity: low, issue: UI issue, action: Patch in next minor, timeline: 2w }
planning: { enforceCadence: false }
`;

const series = (scope: string, value: (t: number) => number) => (from: number, to: number) => [
  { scope, points: Array.from({ length: Math.max(1, Math.floor((to - from) / 250)) }, (_, i) => { const t = to - i * 250; return [t, value(t)] as [number, number]; }) },
];

describe('the whole watch: first hour, first 24 hours, first week', () => {
  let world: World;
  let bot: Bot;
  /** Queue depth and log errors change from this moment (set once a release is deployed). */
  let trouble = Number.POSITIVE_INFINITY;
  let queueInTrouble = 40;

  beforeAll(async () => {
    world = await startWorld();
    world.datadog.setSeries(/trace\.web\.request\.errors/, series('*', () => 0.02));
    world.datadog.setSeries(/^p99:trace\.web\.request/, series('*', () => 210));
    world.datadog.setSeries(/runtime\.node\.cpu/, series('host:web-1', () => 40));
    world.datadog.setSeries(/container\.memory/, series('host:web-1', () => 60));
    world.datadog.setSeries(/keyspace_hits/, series('*', () => 96));
    world.datadog.setSeries(/percent_usage_connections/, series('*', () => 50));
    world.datadog.setSeries('max:rabbitmq.queue.messages{service:shop,env:prod} by {rabbitmq_queue}', (from, to) => [
      ...series('rabbitmq_queue:orders', (t) => (t >= trouble ? queueInTrouble : 40))(from, to),
      ...series('rabbitmq_queue:mail', () => 5)(from, to),
    ]);
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const thread = (top: StoredMessage) => world.slack.thread(RELEASES_CHANNEL, top.ts);
  /** Every version of the release's live "Verification" message: one a run. */
  const runs = (top: StoredMessage) => thread(top).filter((m) => m.text.startsWith('🔎')).flatMap((m) => [...m.history, m]);
  /** The guide's milestones: the summaries at the end of each phase, the last one "verified". */
  const summaries = (top: StoredMessage) => thread(top).filter((m) => String(m.metadata?.event_payload.key).startsWith('verification-milestone:'));
  const finalSummary = (top: StoredMessage) => summaries(top).find((m) => / verified: /.test(m.text));
  const alerts = (version: string) => world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith('🚨') && m.text.includes(version));
  const overdue = (version: string) => world.slack.messages(RELEASES_CHANNEL).filter((m) => m.text.startsWith('⏰') && m.text.includes(version));
  /** Log lines of the service, `perSecond` a second over [from, to). */
  const logs = (status: string, from: number, to: number, perSecond: number) =>
    world.datadog.pushLogs(Array.from({ length: Math.round(((to - from) / 1000) * perSecond) }, (_, i) => ({ at: from + (i * 1000) / perSecond, service: 'shop', env: 'prod', status, message: `${status} ${i}` })));
  async function release(version: string) {
    await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    const top = await waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
    await waitFor(`${version} to be deployed`, () => bot.tminus.store.findByVersion(version).then((r) => r?.state === 'completed' || r?.state === 'stable'));
    return { top, finishedAt: (await bot.tminus.store.findByVersion(version))!.finishedAt!.getTime() };
  }

  it('runs to the end of the first week, after the stable mark too, each run in its phase; queue depth and logs judged against the baseline', async () => {
    // A few warnings a second before and after the deploy: normal.
    logs('warn', Date.now() - 10_000, Date.now() + 30_000, 2);
    const { top } = await release('v1.3.0');
    const last = await waitFor('the final summary of the first week', () => finalSummary(top));
    expect(last.text).toContain('8s after the deploy');
    await waitFor('the live message to show the last run', () => runs(top).some((m) => visibleText(m).includes('(8s after the deploy)')));
    const stable = thread(top).find((m) => m.text.includes('v1.3.0 is stable'))!;
    expect(stable).toBeDefined();
    const all = runs(top);
    expect(all.map((m) => /\((\d+)s after the deploy\) · run/.exec(visibleText(m))?.[1])).toEqual(['1', '2', '3', '4', '6', '8']);
    const phase = (m: { text: string; blocks: unknown[] }) => visibleText(m).split('\n').find((l) => /^First /.test(l));
    expect(all.map(phase)).toEqual(['First hour', 'First hour', 'First 24 hours', 'First 24 hours', 'First week', 'First week']);
    // One summary at the end of each phase; the watch goes on once the release is stable (at 3 s).
    expect(summaries(top).map((m) => /· (\d+)s after/.exec(m.text)?.[1])).toEqual(['2', '4', '8']);
    expect(Number(last.ts)).toBeGreaterThan(Number(stable.ts));
    expect((await bot.tminus.store.findByVersion('v1.3.0'))!.state).toBe('stable');
    for (const run of all) expect(run.text).toContain('All checks healthy');
    const text = visibleText(all[2]!);
    expect(text).toMatch(/✅ Queue depth: 40 messages \(limit ≤ 100 messages: 2× the 40 messages before the deploy, at least 100 messages\)/);
    expect(text).toMatch(/✅ Log analysis for warnings\/errors: [1-3] logs \(limit ≤ 10 logs: 2× the [1-3] logs before the deploy, at least 10 logs\)/);
    expect(alerts('v1.3.0')).toHaveLength(0);
    // Read through the Logs aggregate API, as the real client sends it.
    const search = world.datadog.requests.find((r) => r.path === '/api/v2/logs/analytics/aggregate');
    expect(search?.body).toMatchObject({ compute: [{ aggregation: 'count', type: 'total' }], filter: { query: 'service:shop env:prod status:(error OR warn)' } });
  });

  it('a queue that grows and errors in the logs breach; the deadline of the one still open is followed up once, the resolved one is not', { timeout: 60_000 }, async () => {
    world.datadog.clearLogs();
    queueInTrouble = 900;
    const { top, finishedAt } = await release('v1.4.0');
    // From the deploy on, the orders queue is long and stays so; errors come in a burst and stop.
    trouble = finishedAt;
    logs('error', finishedAt, finishedAt + 1_000, 40);
    const queueAlert = await waitFor('the queue alert', () => alerts('v1.4.0').find((m) => m.text.includes('Queue depth')));
    expect(visibleText(queueAlert)).toMatch(/HIGH: Feature broken after v1\.4\.0[\s\S]*❌ Queue depth: \d+ messages \(limit ≤ 100 messages: 2× the 40 messages before the deploy, at least 100 messages\) on `rabbitmq_queue:orders`[\s\S]*Rollback or hotfix/);
    const logAlert = await waitFor('the log alert', () => alerts('v1.4.0').find((m) => m.text.includes('Log analysis')));
    expect(visibleText(logAlert)).toMatch(/HIGH: Feature broken after v1\.4\.0[\s\S]*❌ Log analysis for warnings\/errors: \d+ logs \(limit ≤ 10 logs: 2× the 0 logs before the deploy, at least 10 logs\)/);
    await waitFor('the logs healthy again', () => thread(top).find((m) => m.text.includes('Log analysis for warnings/errors is healthy again')));

    // The queue's breach outlives its 3-second deadline: said once in the thread and once in #releases.
    const [inChannel] = await waitFor('the follow-up in #releases', () => {
      const top = world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith('⏰') && m.text.includes('v1.4.0'));
      return top.length > 0 ? top : undefined;
    });
    const inThread = await waitFor('the follow-up in the thread', () => thread(top).find((m) => m.text.startsWith('⏰')));
    for (const message of [inChannel!, inThread]) {
      const text = visibleText(message);
      expect(text).toMatch(/Deadline passed: Queue depth is still breached after v1\.4\.0/);
      expect(text).toMatch(/Rollback or hotfix[\s\S]*overdue/);
      expect(text).toContain('<@U0ONCALL>');
      expect(JSON.stringify(message.blocks)).toContain('rollback_now');
    }
    // The end of the watch: every deadline has passed by then.
    await waitFor('the final summary of the first week', () => summaries(top).find((m) => m.text.includes('8s after the deploy')));
    expect(overdue('v1.4.0')).toHaveLength(2);
    expect(overdue('v1.4.0').some((m) => m.text.includes('Log analysis'))).toBe(false);
    const events = await bot.tminus.store.events((await bot.tminus.store.findByVersion('v1.4.0'))!.id);
    expect(events.filter((e) => e.action === 'verification.deadline_passed').map((e) => e.details.check)).toEqual(['queueDepth']);
  });
});
