import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTminus } from '../../src/app.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { openDatabase } from '../../src/integrations/database/client.js';
import { createObservability } from '../../src/integrations/datadog.js';
import { createReleaseRepository } from '../../src/integrations/github.js';
import { createStatuspage } from '../../src/integrations/status-page.js';
import { StatuspageStandIn, type SpIncident } from '../../src/sandbox/statuspage.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import {
  BOT_TOKEN,
  clockFrom,
  DEPLOY_WORKFLOW,
  DD_API_KEY,
  DD_APP_KEY,
  FAST_POLICY,
  mergePullRequest,
  RELEASES_CHANNEL,
  SIGNING_SECRET,
  startWorld,
  visibleText,
  waitFor,
  withTestTimings,
  type World,
  BEFORE_MINOR_SLOT,
  startRunUpWorld,
  runUpPolicy,
} from '../support/harness.js';

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
async function startBot(world: World, page: StatuspageStandIn, options: { policy?: string; clock?: () => Date; planScheduleCron?: string } = {}) {
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
    policy: loadPolicy(withTestTimings(options.policy ?? POLICY), 'test policy'),
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.planScheduleCron ? { planScheduleCron: options.planScheduleCron } : {}),
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

  it('a rollback that itself fails leaves the incident identified, saying a person is restoring service', async () => {
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Start previous version'], durationMs: 500, outcome: 'failure' }] });
    const before = page.writes().length;
    await world.slack.sendCommand(bot.eventsUrl, { text: 'rollback v1.3.1 Totals were wrong on invoices', userId: 'U0ONCALL' });
    await waitFor('v1.3.1 to end failed', () => bot.tminus.store.findByVersion('v1.3.1').then((r) => r?.state === 'failed' && r.rollback?.gaveUp), 60_000);
    const said = await waitFor('the incident to say the rollback did not complete', () =>
      page.incidents().find((i) => /^Rolling back v1\.3\.1 to /.test(i.name) && i.incident_updates[0]?.body.includes('did not complete')),
    60_000);
    expect(said.status).toBe('identified');
    expect(said.incident_updates.map((u) => u.status)).toEqual(['identified', 'identified']);
    expect(said.incident_updates[0]!.body).toContain('Our engineers are restoring the service by hand now');
    expect(said.incident_updates.at(-1)!.body).toContain('What happened:\nTotals were wrong on invoices');
    // The team sees the manual rollback in Slack; the page is not resolved, nor left at "rolling back".
    expect(page.components()[0]!.status).toBe('degraded_performance');
    // Once each: the incident created, updated once; the release's completed maintenance left alone.
    expect(writesTo(said.name, 'POST')).toHaveLength(1);
    expect(writesTo(said.id, 'PATCH')).toHaveLength(1);
    await bot.tminus.jobs.add('reconcile', {});
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(page.writes().length - before).toBe(2);
  });
});

/**
 * A planned release's run-up in seconds (as planned-release.test.ts): the announcement and the checklists
 * fall due in the minute before the slot, Thursday 10 December 2026 at 14:00 UTC.
 */
const plannedPolicy = (announceBefore = 45) =>
  runUpPolicy({ announceBefore, communication: ['  supportContact: support@acme.example', `  statusPage:\n    componentIds: [${API}]`], planning: ['  enforceCadence: false'] });
const PLANNED_POLICY = plannedPolicy();

type Written = { incident: { status?: string; name?: string; body?: string; scheduled_for?: string; scheduled_until?: string } };
const patchesTo = (page: StatuspageStandIn, id: string) => page.writes().filter((w) => w.method === 'PATCH' && w.path.endsWith(`/${id}`)).map((w) => (w.body as Written).incident);
const creates = (page: StatuspageStandIn, name: RegExp) => page.writes().filter((w) => w.method === 'POST' && name.test((w.body as Written).incident.name ?? ''));

describe('a planned release on the status page: announced, in progress at T-0, completed', () => {
  let world: World;
  let page: StatuspageStandIn;
  let bot: Awaited<ReturnType<typeof startBot>>;
  let clock: () => Date;
  const start = () => startBot(world, page, { policy: PLANNED_POLICY, clock, planScheduleCron: '*/1 * * * * *' });

  beforeAll(async () => {
    world = await startRunUpWorld();
    page = await StatuspageStandIn.start({ apiKey: 'sp-planned-key', components: [{ id: API, name: 'API' }] });
    clock = clockFrom(BEFORE_MINOR_SLOT);
    bot = await start();
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await page?.close();
    await world?.close();
  });

  /** Ticks every open item of a checklist message, as a QA lead would. */
  async function tickAll(message: StoredMessage): Promise<void> {
    for (const block of message.blocks as { type: string; elements?: { type: string; action_id: string; options: { value: string }[] }[] }[]) {
      for (const element of block.type === 'actions' ? (block.elements ?? []) : []) {
        if (element.type !== 'checkboxes') continue;
        await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0QA', channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId: element.action_id, selectedOptions: element.options.map((o) => ({ value: o.value })) });
      }
    }
  }

  it('the pre-release announcement is the scheduled maintenance; T-0 and completion move it on, each call once across a restart', async () => {
    await world.slack.sendCommand(bot.eventsUrl, { text: 'plan v1.3.0 2026-12-10 14:00', userId: 'U0ENG' });
    const card = await waitFor('the release-plan card', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('v1.3.0') && m.text.toLowerCase().includes('plan')));

    // T-45 s: the announcement in #releases, and the same words for customers as a scheduled maintenance.
    const announcement = await waitFor('the announcement', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('Scheduled Maintenance')), 60_000);
    expect(visibleText(announcement)).toContain('v1.3.0');
    const scheduled = await waitFor('the scheduled maintenance', () => page.incidents().find((i) => i.name === 'Scheduled Maintenance: Thursday, 10 December 2026 v1.3.0 Release'));
    expect(scheduled).toMatchObject({ status: 'scheduled', impact: 'maintenance', scheduled_for: '2026-12-10T14:00:00.000Z', scheduled_until: '2026-12-10T15:30:00.000Z', scheduled_remind_prior: true });
    const body = scheduled.incident_updates[0]!.body;
    expect(body).toContain('We are planning to release version v1.3.0 on Thursday, 10 December 2026 at 14:00 UTC.');
    expect(body.toLowerCase()).toContain('admin portal search');
    expect(body).toContain('Planned window: 14:00 - 15:30 UTC');
    expect(body).toContain('Questions? Contact: support@acme.example');
    expect(body).not.toMatch(/<@|<!|\*/);

    // The checklists are ticked; the in-progress update is made at T-0, but its answer is lost, and tminus restarts.
    for (const title of ['72 Hours Before Release', '24 Hours Before Release', 'Release Day (4 Hours Before)']) {
      await tickAll(await waitFor(`the ${title} checklist`, () => world.slack.thread(RELEASES_CHANNEL, card.ts).find((m) => m.text.startsWith(title)), 60_000));
    }
    page.loseNextAnswer(new RegExp(`/incidents/${scheduled.id}$`), 1, 'PATCH');
    await waitFor('the maintenance in progress', () => page.incidents().find((i) => i.id === scheduled.id && i.status === 'in_progress'), 90_000);
    const release = await waitFor('the release started at its slot', () => bot.tminus.store.findByVersion('v1.3.0'));
    expect(release.startedAt.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-12-10T14:00:00Z'));
    expect(page.components()[0]!.status).toBe('under_maintenance');
    await bot.stop();
    bot = await start();

    await waitFor('v1.3.0 to complete', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'completed'), 60_000);
    const done = await waitFor('the maintenance completed', () => page.incidents().find((i) => i.id === scheduled.id && i.status === 'completed'), 60_000);
    expect(done.incident_updates[0]!.body).toContain('✅ Released: version v1.3.0 is live');
    expect(page.components()[0]!.status).toBe('operational');
    // Exactly once each, counted at the page: one create (the announcement), one in progress, one completed.
    expect(creates(page, /v1\.3\.0/)).toHaveLength(1);
    expect(patchesTo(page, scheduled.id).map((p) => p.status)).toEqual(['in_progress', 'completed']);
    expect(page.incidents()).toHaveLength(1);
    expect(done.incident_updates.map((u) => u.status)).toEqual(['completed', 'in_progress', 'scheduled']);
  }, 180_000);
});

describe('a planned release moved and cancelled on the status page', () => {
  let world: World;
  let page: StatuspageStandIn;
  let bot: Awaited<ReturnType<typeof startBot>>;
  let clock: () => Date;
  const policy = plannedPolicy(115);
  const start = () => startBot(world, page, { policy, clock, planScheduleCron: '*/1 * * * * *' });
  const command = (text: string) => world.slack.sendCommand(bot.eventsUrl, { text, userId: 'U0ENG' });

  beforeAll(async () => {
    world = await startWorld();
    await mergePullRequest(world, 'feat/search', 'feat: admin portal search', { 'src/search.ts': 'export const search = true;\n' });
    page = await StatuspageStandIn.start({ apiKey: 'sp-moved-key', components: [{ id: API, name: 'API' }] });
    // A plan for 14:00 is announced as soon as it is made (announceBefore reaches back to now).
    clock = clockFrom('2026-12-10T13:58:00Z');
    bot = await start();
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await page?.close();
    await world?.close();
  });

  it('a move changes the window and says so; a cancel completes it with a note; each once across restarts', async () => {
    await command('plan v1.3.0 2026-12-10 14:00');
    const scheduled = await waitFor('the scheduled maintenance', () => page.incidents().find((i) => /v1\.3\.0 Release$/.test(i.name) && i.status === 'scheduled'), 60_000);
    expect(scheduled.scheduled_for).toBe('2026-12-10T14:00:00.000Z');

    // Moved a week on; the page's answer is lost and tminus restarts before it hears.
    page.loseNextAnswer(new RegExp(`/incidents/${scheduled.id}$`), 1, 'PATCH');
    const moved = await command('plan move v1.3.0 2026-12-17 14:00 waiting for the payments fix');
    expect(JSON.stringify(moved.body)).toContain('moved from');
    await waitFor('the move to reach the page', () => page.requests.some((r) => r.method === 'PATCH' && r.answered === 'lost'));
    await bot.stop();
    bot = await start();
    const rescheduled = await waitFor('the window moved', () => page.incidents().find((i) => i.id === scheduled.id && i.scheduled_for === '2026-12-17T14:00:00.000Z'));
    expect(rescheduled).toMatchObject({ status: 'scheduled', scheduled_until: '2026-12-17T15:30:00.000Z' });
    expect(rescheduled.name).toBe('Scheduled Maintenance: Thursday, 17 December 2026 v1.3.0 Release');
    expect(rescheduled.incident_updates[0]!.body).toContain('has moved from Thursday, 10 December 2026 at 14:00 UTC to Thursday, 17 December 2026 at 14:00 UTC');
    expect(rescheduled.incident_updates[0]!.body).toContain('New planned window: 14:00 - 15:30 UTC');
    // The team's reason stays in Slack.
    expect(rescheduled.incident_updates[0]!.body).not.toContain('payments fix');

    // Cancelled: completed with a note (Statuspage has no cancelled status), its answer lost, and a restart.
    page.loseNextAnswer(new RegExp(`/incidents/${scheduled.id}$`), 1, 'PATCH');
    const cancelled = await command('plan cancel v1.3.0 the payments fix needs a new release');
    expect(JSON.stringify(cancelled.body)).toContain('cancelled');
    await waitFor('the cancel to reach the page', () => page.requests.filter((r) => r.method === 'PATCH' && r.answered === 'lost').length === 2);
    await bot.stop();
    bot = await start();
    const closed = await waitFor('the maintenance completed', () => page.incidents().find((i) => i.id === scheduled.id && i.status === 'completed'));
    expect(closed.incident_updates[0]!.body).toContain('The release of version v1.3.0 planned for Thursday, 17 December 2026 at 14:00 UTC is cancelled');
    expect(patchesTo(page, scheduled.id).map((p) => p.status)).toEqual(['scheduled', 'completed']);
    expect(patchesTo(page, scheduled.id)[0]).toMatchObject({ scheduled_for: '2026-12-17T14:00:00.000Z', scheduled_until: '2026-12-17T15:30:00.000Z' });
    expect(page.components()[0]!.status).toBe('operational');

    // The lost answers were read back from the page, not sent again.
    await waitFor('tminus to read the cancel back', () => page.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/${scheduled.id}`)));
    expect(patchesTo(page, scheduled.id)).toHaveLength(2);
    // Started by hand after all, the version opens a maintenance of its own: the cancelled one is left as it is.
    await command('start v1.3.0');
    const own = await waitFor('a maintenance of the release', () => page.incidents().find((i) => i.name === 'v1.3.0 Release' && i.status === 'completed'), 60_000);
    expect(own.id).not.toBe(scheduled.id);
    expect(own.incident_updates.map((u) => u.status)).toEqual(['completed', 'in_progress']);
    expect(creates(page, /v1\.3\.0/)).toHaveLength(2);
    expect(patchesTo(page, scheduled.id)).toHaveLength(2);
    expect(page.incidents().find((i) => i.id === scheduled.id)!.status).toBe('completed');
  }, 180_000);
});

describe('a release that fails before production on the status page', () => {
  let world: World;
  let page: StatuspageStandIn;
  let bot: Awaited<ReturnType<typeof startBot>>;

  beforeAll(async () => {
    world = await startWorld();
    // The build fails at once: the failure races T-0's "in progress" on the status page.
    world.github.defineWorkflow(DEPLOY_WORKFLOW, {
      trigger: 'tag',
      jobs: [
        { name: 'build-images', steps: ['Build admin-portal'], durationMs: 50, outcome: 'failure' },
        { name: 'deploy-production', steps: ['Deploy new containers'], durationMs: 500, environment: 'production' },
      ],
    });
    world.github.setRunListingDelay(0);
    page = await StatuspageStandIn.start({ apiKey: 'sp-integration-key', components: [{ id: API, name: 'API' }] });
    bot = await startBot(world, page);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await page?.close();
    await world?.close();
  });

  it('completes its maintenance saying nothing changed, whichever of T-0 and the failure is told first, the page up or not', async () => {
    for (const [version, slow] of [['v1.3.0', false], ['v1.3.1', true]] as const) {
      // A page that turns T-0's create away once: it is made again after the failure was already known.
      if (slow) page.failNext(/\/incidents$/, 503, 1, { method: 'POST', retryAfter: 1 });
      await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
      await waitFor(`${version} to fail`, () => bot.tminus.store.findByVersion(version).then((r) => r?.state === 'failed'), 60_000);
      const name = new RegExp(`^${version.replace(/\./g, '\\.')} Release$`);
      const done = await waitFor(`the ${version} maintenance completed`, () => page.incidents().find((i) => name.test(i.name) && i.status === 'completed'), 60_000);
      expect(done.incident_updates[0]!.body).toContain(`The release of version ${version} did not go ahead: it was stopped before it reached our production systems`);
      expect(page.components()[0]!.status).toBe('operational');
      expect(page.incidents().filter((i) => name.test(i.name))).toHaveLength(1);
    }
  }, 150_000);
});
