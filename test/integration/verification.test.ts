import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { checkboxes, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/** The guide's watch in seconds: runs every second for 3 s, stable after 3.5 s. */
const POLICY = `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, runAppearTimeout: 4s }
releaseTypes:
  patch: { approvers: [], stableAfter: 3500ms }
  minor: { approvers: [], stableAfter: 3500ms }
roles:
  onCall: { users: [U0ONCALL] }
  vpEng: { users: [U0VP] }
verification:
  schedule:
    - { label: First minutes, until: 3s, every: 1s }
  retryAfter: 1s
  checks:
    errorRate: { every: 1s }
    latencyP99: { every: 1s }
    cpu: { every: 1s }
    memory: { every: 1s }
    cacheHitRate: { every: 1s }
    connectionPool: { every: 1s }
rollback: { pollInterval: 200ms }
planning: { enforceCadence: false }
`;

type Metrics = { errorRate: number; latency: number; cpu: [number, number]; memory: number | null; cache: number; pool: number };
const HEALTHY: Metrics = { errorRate: 0.02, latency: 210, cpu: [40, 55], memory: 60, cache: 96, pool: 50 };

/** Scripts Datadog: every query answers with one point a second, at these values. */
function setMetrics(world: World, m: Metrics): void {
  const series = (scope: string, value: number | null) => (from: number, to: number) =>
    value === null ? [] : [{ scope, points: Array.from({ length: Math.max(1, Math.floor((to - from) / 1000)) }, (_, i) => [to - i * 1000, value] as [number, number]) }];
  world.datadog.setSeries(/trace\.web\.request\.errors/, series('*', m.errorRate));
  world.datadog.setSeries(/^p99:trace\.web\.request/, series('*', m.latency));
  world.datadog.setSeries(/runtime\.node\.cpu/, (from, to) => [...series('host:web-1', m.cpu[0])(from, to), ...series('host:web-2', m.cpu[1])(from, to)]);
  world.datadog.setSeries(/container\.memory/, series('host:web-1', m.memory));
  world.datadog.setSeries(/keyspace_hits/, series('*', m.cache));
  world.datadog.setSeries(/percent_usage_connections/, series('*', m.pool));
}

describe('post-release verification, the decision matrix and rollback', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Stop new version', 'Start previous version', 'Verify rollback'], durationMs: 800 }] });
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const alerts = () => world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith('🚨'));
  /** The release's one live "Verification" message, and every version of it its runs showed. */
  const verifications = (top: StoredMessage) => world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.startsWith('🔎'));
  const shown = (top: StoredMessage) => verifications(top).flatMap((m) => [...m.history, m]);
  async function release(version: string) {
    await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    const top = await waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
    await waitFor(`${version} to complete`, () => bot.tminus.store.findByVersion(version).then((r) => r?.state === 'completed' || r?.state === 'stable'));
    return top;
  }

  it('a healthy release: verification in one live message, all ✅, the final summary with a graph, stable, no alert, markers in Datadog', async () => {
    setMetrics(world, HEALTHY);
    const top = await release('v1.3.0');
    const stable = await waitFor('the stable message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('v1.3.0 is stable')));
    expect(verifications(top)).toHaveLength(1);
    const runs = shown(top);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs) expect(run.text).toContain('✅ All checks healthy');
    const first = visibleText(runs[0]!);
    expect(first).toMatch(/✅ Error rate: 0\.020 % \(threshold < 0\.100 %\)/);
    expect(first).toMatch(/✅ Latency p99: 210 ms \(threshold < 400 ms\)/);
    expect(first).toMatch(/✅ CPU: 55\.0 % \(threshold < 80\.0 %\)/);
    const summary = world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('✅ v1.3.0 verified'))!;
    expect(visibleText(summary)).toMatch(/✅ Error rate: 0\.020 % \(threshold < 0\.100 %\)/);
    const image = summary.blocks.find((b) => (b as { type: string }).type === 'image') as { image_url: string } | undefined;
    expect(image?.image_url).toMatch(/\/snapshot\/view\/.*\.png$/);
    expect((await fetch(image!.image_url)).headers.get('content-type')).toBe('image/png');
    expect(world.slack.thread(RELEASES_CHANNEL, top.ts).at(-1)?.ts).toBe(stable.ts);
    expect(alerts()).toHaveLength(0);
    expect((await bot.tminus.store.findByVersion('v1.3.0'))?.state).toBe('stable');
    await waitFor('the Datadog markers', () => world.datadog.events().filter((e) => e.tags.includes('version:v1.3.0')).length === 2);
    expect(world.datadog.events().map((e) => e.title)).toEqual(expect.arrayContaining(['Release v1.3.0 started', 'Release v1.3.0 completed']));
    expect(world.datadog.events()[0]!.tags).toEqual(expect.arrayContaining(['service:shop', 'release_type:minor']));
    expect(world.datadog.doraDeployments().some((d) => d.version === 'v1.3.0')).toBe(true);
  });

  it('each threshold breached alerts once with the matrix\'s action; no data is never healthy', async () => {
    setMetrics(world, HEALTHY);
    const top = await release('v1.4.0');
    setMetrics(world, { errorRate: 0.5, latency: 900, cpu: [40, 92], memory: null, cache: 70, pool: 95 });
    await waitFor('five alerts', () => alerts().length === 5);
    await waitFor('a second run with breaches', () => shown(top).filter((m) => m.text.includes('breached')).length >= 2);
    const texts = alerts().map(visibleText);
    const alertFor = (label: string) => texts.find((t) => t.includes(label))!;
    expect(alertFor('Error rate')).toMatch(/HIGH: Feature broken after v1\.4\.0[\s\S]*Rollback or hotfix[\s\S]*deadline/);
    expect(alertFor('Latency p99')).toMatch(/HIGH: Performance issue[\s\S]*Investigate, maybe rollback/);
    expect(alertFor('CPU')).toContain('on `host:web-2`');
    expect(alertFor('Cache hit rate')).toMatch(/70\.0 % \(threshold > 90\.0 %\)/);
    expect(alertFor('Database connection pool')).toContain('95.0 %');
    for (const text of texts) expect(text).toContain('<@U0ONCALL>');
    expect(texts.some((t) => t.includes('Roll back now'))).toBe(false);
    const latest = visibleText(verifications(top).at(-1)!);
    expect(latest).toContain('⚠️ Memory: no data');
    const notStable = await waitFor('the not-stable notice', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('not marked stable')));
    expect(visibleText(notStable)).toMatch(/open breaches: .*errorRate \(high\)/);
    expect((await bot.tminus.store.findByVersion('v1.4.0'))?.state).toBe('completed');
  });

  it('/release incident answers from the matrix', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'incident critical data loss in wallets', userId: 'U0ENG' });
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain('CRITICAL: data loss in wallets* → *Rollback immediately* within 5m');
  });

  it('a critical error rate, "Roll back now": the previous version is redeployed, notice, checklist, rolled back, post-mortem', async () => {
    setMetrics(world, HEALTHY);
    const top = await release('v1.5.0');
    setMetrics(world, { ...HEALTHY, errorRate: 0.5 });
    const high = await waitFor('the high alert', () => alerts().find((m) => m.text.includes('HIGH: Feature broken after v1.5.0')));
    expect(JSON.stringify(high.blocks)).not.toContain('rollback_now');
    // The same breach getting far worse is escalated: a new alert, critical, with the button.
    setMetrics(world, { ...HEALTHY, errorRate: 2.5 });
    const alert = await waitFor('the critical alert', () => alerts().find((m) => m.text.includes('CRITICAL') && m.text.includes('v1.5.0')));
    // Critical by how far over its threshold the error rate is, in plain words: what was measured, never "data loss".
    expect(visibleText(alert)).toMatch(/CRITICAL: Feature broken after v1\.5\.0\* — ❌ Error rate: 2\.50 % \(threshold < 0\.100 %\), 25× its threshold[\s\S]*Rollback immediately/);
    expect(alert.text).toContain('Error rate 2.50 %');
    expect(visibleText(alert)).not.toMatch(/data loss/i);
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0ENG', channelId: RELEASES_CHANNEL, messageTs: alert.ts, actionId: 'rollback_now' });
    await waitFor('the refusal', () => world.slack.ephemerals('U0ENG').find((e) => e.text.includes("you can't roll back v1.5.0")));
    setMetrics(world, HEALTHY);
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0ONCALL', channelId: RELEASES_CHANNEL, messageTs: alert.ts, actionId: 'rollback_now' });

    const notice = await waitFor('the rollback notice', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('⚠️ ROLLBACK NOTICE: v1.5.0')));
    expect(visibleText(notice)).toContain("We've identified an issue with v1.5.0 and are rolling back to v1.4.0.");
    await waitFor('rolled back', () => bot.tminus.store.findByVersion('v1.5.0').then((r) => r?.state === 'rolled_back'));
    expect(world.github.dispatches()).toEqual([expect.objectContaining({ workflow: 'rollback.yml', inputs: expect.objectContaining({ version: 'v1.4.0' }) })]);
    const checklist = await waitFor('the checklist', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('Rollback verification checklist')));
    // One list of boxes, tminus's own ticks shown ticked with who and when: not a list and then the boxes again.
    expect(checkboxes(checklist)).toEqual(expect.arrayContaining([expect.stringMatching(/^☑ Metrics showing pre-rollback levels — tminus at /), expect.stringMatching(/^☑ Team notified — tminus/), '☐ Data integrity confirmed']));
    expect(checkboxes(checklist)).toHaveLength(8);
    expect(visibleText(checklist).match(/Data integrity confirmed/g)).toHaveLength(1);
    const id = (await bot.tminus.store.findByVersion('v1.5.0'))!.id;
    const shownNow = () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.ts === checklist.ts)!;
    // Slack sends every box still ticked: the ones tminus ticked, and the new one.
    const ticked = (items: string[]) => items.map((item) => ({ value: `${id}|${item}` }));
    await world.slack.sendBlockAction(bot.eventsUrl, {
      userId: 'U0ONCALL', channelId: RELEASES_CHANNEL, messageTs: checklist.ts, actionId: 'rollback_checklist',
      selectedOptions: ticked(['servicesResponding', 'metricsPreRollback', 'teamNotified', 'dataIntegrity']),
    });
    await waitFor('the ticked item', () => checkboxes(shownNow()).some((l) => l.startsWith('☑ Data integrity confirmed — <@U0ONCALL> at ')));
    // Unticking a box does not withdraw the tick: the message is drawn ticked again, and the person told why.
    const drawn = shownNow().history.length;
    await world.slack.sendBlockAction(bot.eventsUrl, {
      userId: 'U0ONCALL', channelId: RELEASES_CHANNEL, messageTs: checklist.ts, actionId: 'rollback_checklist',
      selectedOptions: ticked(['servicesResponding', 'metricsPreRollback', 'teamNotified']),
    });
    await waitFor('the answer', () => world.slack.ephemerals('U0ONCALL').find((e) => e.text.includes('Ticks stay once made') && e.text.includes('Data integrity confirmed')));
    await waitFor('the checklist redrawn', () => shownNow().history.length > drawn);
    expect(checkboxes(shownNow()).filter((l) => l.startsWith('☑ Data integrity confirmed — <@U0ONCALL>'))).toHaveLength(1);
    expect((await bot.tminus.store.findById(id))!.rollback!.checklist.dataIntegrity?.by).toBe('U0ONCALL');
    await waitFor('the notice to say rolled back', () => world.slack.topLevel(RELEASES_CHANNEL).some((m) => m.ts === notice.ts && visibleText(m).includes('✅ Rolled back at')));

    const postMortem = await waitFor('the post-mortem link', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('📝 Post-mortem')));
    const issue = world.github.issues().find((i) => i.title === 'Post-mortem: rollback of v1.5.0')!;
    expect(visibleText(postMortem)).toContain(issue.html_url);
    expect(issue.body).toContain('| U0ONCALL | release.start_rollback');
    expect(issue.body).toMatch(/errorRate \(critical, escalated from high\)/);
    const rolledBack = (await bot.tminus.store.findByVersion('v1.5.0'))!;
    expect(rolledBack.rollback?.restoredAt).toBeDefined();
    // `/release status` of the rolled-back release says so: production undone, the rollback, no ETA.
    const status = visibleText((await world.slack.sendCommand(bot.eventsUrl, { text: 'status v1.5.0', userId: 'U0ENG' })).body as { text: string; blocks: unknown[] });
    expect(status).toContain('⏪ Deployed to production, then rolled back');
    expect(status).toMatch(/⏪ Rolled back to v1\.4\.0 by <@U0ONCALL>: started \d\d:\d\d UTC, restored \d\d:\d\d UTC/);
    expect(status).not.toContain('✅ Deployed to production');
    expect(status).not.toContain('ETA');
    await waitFor('the DORA failure', () => world.datadog.doraFailures().some((f) => f.version === 'v1.5.0'));
  });

  it('coordinated rollback: after the VP Eng approves, a revert pull request with the previous tree on top of main', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'rollback v1.4.0 --coordinated checkout totals are off', userId: 'U0ONCALL' });
    expect(JSON.stringify(answer.body)).toContain("waits for the VP Eng's approval");
    const top = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.4.0 '))!;
    const gate = await waitFor('the rollback gate', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('Coordinated rollback of v1.4.0')));
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0ENG', channelId: RELEASES_CHANNEL, messageTs: gate.ts, actionId: 'gate_approve' });
    await waitFor('the refusal', () => world.slack.ephemerals('U0ENG').find((e) => e.text.includes('it needs the VP Eng')));
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0ONCALL', channelId: RELEASES_CHANNEL, messageTs: gate.ts, actionId: 'gate_approve' });
    await waitFor('the refusal of the asker', () => world.slack.ephemerals('U0ONCALL').find((e) => e.text.includes('you asked for this rollback')));
    const head = world.github.headOf('main')!;
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0VP', channelId: RELEASES_CHANNEL, messageTs: gate.ts, actionId: 'gate_approve' });
    const pr = await waitFor('the revert pull request', () => world.github.pulls().find((p) => p.head.ref === 'revert/v1.4.0'));
    const commit = world.github.commitInfo(pr.head.sha);
    expect(commit.parents).toEqual([head]);
    expect(commit.tree).toBe(world.github.commitInfo('v1.3.0').tree);
    const said = await waitFor('the PR link in the thread', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('Revert pull request')));
    // v1.5.0 was rolled back: production runs v1.4.0, so the revert ships as the patch above it.
    expect(visibleText(said)).toContain('/release start v1.4.1');
  });

  it('Datadog down: checks are ⚠️, tried again, and the release is never marked stable on missing data', async () => {
    setMetrics(world, HEALTHY);
    world.github.commit('main', 'fix: totals (#30)');
    const top = await release('v1.5.1');
    world.datadog.outage(true);
    const run = await waitFor('an unreachable run', () => shown(top).find((m) => m.text.includes('without data')));
    expect(visibleText(run)).toContain('⚠️ Error rate: Datadog unreachable');
    expect(visibleText(run)).toContain('tried again in 1s');
    await waitFor('a retry', () => shown(top).some((m) => visibleText(m).includes('(try 2)')));
    await waitFor('the not-stable notice', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('not marked stable')));
    expect((await bot.tminus.store.findByVersion('v1.5.1'))?.state).toBe('completed');
    expect(shown(top).some((m) => m.text.includes('All checks healthy'))).toBe(false);
    world.datadog.outage(false);
  });
});
