import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTminus } from '../../src/app.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { openDatabase } from '../../src/integrations/database/client.js';
import { createObservability } from '../../src/integrations/datadog.js';
import { createReleaseRepository } from '../../src/integrations/github.js';
import { createStatuspage } from '../../src/integrations/status-page.js';
import { StatuspageStandIn, type SpIncident } from '../../src/sandbox/statuspage.js';
import { BOT_TOKEN, DD_API_KEY, DD_APP_KEY, FAST_POLICY, RELEASES_CHANNEL, SIGNING_SECRET, startWorld, waitFor, withTestTimings, type World } from '../support/harness.js';

const API = 'cmpapi000001';
const POLICY = `${FAST_POLICY}
communication:
  supportContact: support@acme.example
  statusPage:
    componentIds: [${API}]
roles:
  onCall: { users: [U0ONCALL] }
rollback: { pollInterval: 200ms }
`;

/** tminus in this process, as the harness's startBot, with the status page wired to the stand-in. */
async function startBot(world: World, page: StatuspageStandIn) {
  const database = await openDatabase({ url: world.databaseUrl, dataDir: '' });
  const tminus = await startTminus({
    port: 0,
    slack: { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, apiUrl: world.slack.apiUrl, releasesChannel: RELEASES_CHANNEL },
    github: createReleaseRepository({ token: world.github.token, apiUrl: world.github.url, owner: world.github.owner, repo: world.github.repo, throttle: false }),
    observability: createObservability({ apiKey: DD_API_KEY, appKey: DD_APP_KEY, site: 'datadoghq.com', apiUrl: world.datadog.url, timeoutMs: 2_000 }),
    statusPage: createStatuspage({ apiKey: page.apiKey, pageId: page.pageId, apiUrl: page.url, timeoutMs: 1_000 }),
    database,
    redisUrl: world.redisUrl,
    queuePrefix: world.queuePrefix,
    policy: loadPolicy(withTestTimings(POLICY), 'test policy'),
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  return {
    tminus,
    eventsUrl: `http://127.0.0.1:${tminus.port}/slack/events`,
    stop: async () => {
      await tminus.stop();
      await database.close();
    },
  };
}

describe('the status page through a release', () => {
  let world: World;
  let page: StatuspageStandIn;
  let bot: Awaited<ReturnType<typeof startBot>>;

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Start previous version'], durationMs: 500 }] });
    page = await StatuspageStandIn.start({ apiKey: 'sp-integration-key', components: [{ id: API, name: 'API' }] });
    bot = await startBot(world, page);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await page?.close();
    await world?.close();
  });

  const incident = (name: RegExp): SpIncident | undefined => page.incidents().find((i) => name.test(i.name));
  const inStatus = (name: RegExp, status: string): SpIncident | undefined => page.incidents().find((i) => name.test(i.name) && i.status === status);
  const writesTo = (id: string | undefined, method: 'POST' | 'PATCH') =>
    page.writes().filter((w) => w.method === method && (method === 'POST' ? (w.body as { incident: { name: string } }).incident.name === id : w.path.endsWith(`/${id}`)));

  it('a release started by hand opens its maintenance in progress at T-0 and completes it at T+90, each call once across a restart', async () => {
    // The first create is carried out but its answer is lost: tminus must find it, not create another.
    page.loseNextAnswer(/\/incidents$/, 1, 'POST');
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const started = await waitFor('the maintenance in progress', () => incident(/^v1\.3\.0 Release$/));
    expect(started.status).toBe('in_progress');
    expect(started.incident_updates[0]!.body).toContain('The release of version v1.3.0 is in progress.');
    expect(page.components()[0]!.status).toBe('under_maintenance');
    // tminus stops mid-release and starts again on the same world.
    await bot.stop();
    bot = await startBot(world, page);
    await waitFor('v1.3.0 to complete', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'completed'), 60_000);
    const done = await waitFor('the maintenance completed', () => inStatus(/^v1\.3\.0 Release$/, 'completed'), 60_000);
    expect(done.incident_updates[0]!.body).toContain('✅ Released: version v1.3.0 is live');
    expect(done.incident_updates[0]!.body).toContain('support@acme.example');
    expect(page.components()[0]!.status).toBe('operational');
    // Each call once: one create (its answer lost and found again), one update to completed.
    expect(writesTo('v1.3.0 Release', 'POST')).toHaveLength(1);
    expect(writesTo(done.id, 'PATCH').map((w) => (w.body as { incident: { status: string } }).incident.status)).toEqual(['completed']);
    expect(page.incidents().filter((i) => i.name === 'v1.3.0 Release')).toHaveLength(1);
    // Settled: a reconcile pass later changes nothing.
    await bot.tminus.jobs.add('reconcile', {});
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(page.writes()).toHaveLength(2);
  });

  it('a rollback opens an incident with the Rollback Notice’s plain words and resolves it, through a status page outage', async () => {
    page.outage(true);
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'rollback v1.3.0 People could not pay at checkout', userId: 'U0ONCALL' });
    expect(JSON.stringify(answer.body)).toContain('Rolling v1.3.0 back to v1.2.0');
    // The page being down holds nothing up: the rollback completes.
    await waitFor('v1.3.0 to be rolled back', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'rolled_back'), 60_000);
    expect(incident(/^Rolling back/)).toBeUndefined();
    page.outage(false);
    const resolved = await waitFor('the rollback incident resolved', () => inStatus(/^Rolling back v1\.3\.0 to v1\.2\.0$/, 'resolved'), 90_000);
    const first = resolved.incident_updates.at(-1)!;
    expect(first.status).toBe('identified');
    expect(first.body).toContain("We've identified an issue with v1.3.0 and are rolling back to v1.2.0.");
    expect(first.body).toContain('What happened:\nPeople could not pay at checkout');
    expect(first.affected_components?.[0]).toMatchObject({ code: API, new_status: 'degraded_performance' });
    expect(resolved.incident_updates[0]!.body).toContain('✅ Rolled back to v1.2.0');
    expect(resolved.impact).toBe('major');
    expect(page.components()[0]!.status).toBe('operational');
    expect(writesTo(resolved.name, 'POST')).toHaveLength(1);
    expect(writesTo(resolved.id, 'PATCH')).toHaveLength(1);
    // The release's maintenance was already completed: left alone.
    expect(writesTo(incident(/^v1\.3\.0 Release$/)!.id, 'PATCH')).toHaveLength(1);
    const log = (await bot.tminus.store.events((await bot.tminus.store.findByVersion('v1.3.0'))!.id)).map((e) => e.action);
    expect(log).toContain('status_page.created');
  });

  it('a status page down for the whole release does not hold it up; the calls are made once it is back', async () => {
    world.github.commit('main', 'fix: totals (#31)');
    page.outage(true);
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.1', userId: 'U0ENG' });
    await waitFor('v1.3.1 to complete', () => bot.tminus.store.findByVersion('v1.3.1').then((r) => r?.state === 'completed'), 60_000);
    expect(incident(/^v1\.3\.1/)).toBeUndefined();
    page.outage(false);
    const done = await waitFor('the v1.3.1 maintenance completed', () => inStatus(/^v1\.3\.1 Release$/, 'completed'), 90_000);
    expect(writesTo('v1.3.1 Release', 'POST')).toHaveLength(1);
    expect(writesTo(done.id, 'PATCH')).toHaveLength(1);
    expect(done.incident_updates.map((u) => u.status)).toEqual(['completed', 'in_progress']);
  });
});
