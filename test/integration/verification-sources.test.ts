import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatuspage } from '../../src/integrations/status-page.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { StatuspageStandIn } from '../../src/sandbox/statuspage.js';
import { FAST_POLICY, RELEASES_CHANNEL, serveHealthyService, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * Nothing is "complete" that nobody verified (`verification.source`): without Datadog, or with `manual`, the
 * release waits in `verifying` for `/release confirm` by a production approver or on-call; with `none` it
 * completes and every completion says "not verified". The thread, the customer channel and the status page
 * say how it was verified, from the same audit event.
 */
const CUSTOMERS = 'C0CUSTOMERS';
const COMPONENT = 'cmpverify001';
const policy = (verification: string) => `${FAST_POLICY}
roles:
  onCall: { users: [U0ONCALL] }
communication:
  customerChannel: ${CUSTOMERS}
  statusPage: { componentIds: [${COMPONENT}] }
${verification}
`;

interface Setup {
  world: World;
  page: StatuspageStandIn;
  bot: Bot;
}

async function setUp(options: { policy: string; datadog: boolean }): Promise<Setup> {
  const world = await startWorld({ slackChannels: [{ id: CUSTOMERS, name: 'customers' }] });
  serveHealthyService(world.datadog);
  const page = await StatuspageStandIn.start({ apiKey: 'sp-verify-key', components: [{ id: COMPONENT, name: 'API' }] });
  const statusPage = createStatuspage({ apiKey: page.apiKey, pageId: page.pageId, apiUrl: page.url, timeoutMs: 1_000 });
  const bot = await startBot(world, { policy: options.policy, datadog: options.datadog, statusPage });
  await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  return { world, page, bot };
}

async function tearDown(setup: Setup | undefined): Promise<void> {
  await setup?.bot.stop();
  await setup?.page.close();
  await setup?.world.close();
}

/** What an outside observer reads of one release: its thread, the customer channel, the status page, its audit log. */
function observer(setup: () => Setup) {
  const s = () => setup();
  return {
    async start(version: string): Promise<StoredMessage> {
      await s().world.slack.sendCommand(s().bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
      return waitFor(`the ${version} message`, () => s().world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
    },
    thread: (top: StoredMessage) => s().world.slack.thread(RELEASES_CHANNEL, top.ts),
    updatesAfter: (top: StoredMessage, ts: number) =>
      s().world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.includes('IN PROGRESS') && Number(m.ts) > ts).length,
    customerPosts: () => s().world.slack.topLevel(CUSTOMERS),
    maintenance: (version: string) => s().page.incidents().find((i) => i.name === `${version} Release`),
    stateOf: async (version: string) => (await s().bot.tminus.store.findByVersion(version))?.state,
    events: async (version: string) => s().bot.tminus.store.events((await s().bot.tminus.store.findByVersion(version))!.id),
    command: async (text: string, userId: string) => JSON.stringify((await s().world.slack.sendCommand(s().bot.eventsUrl, { text, userId })).body),
  };
}

const released = (body: string) => body.includes('Released');

describe('without Datadog, a person confirms the release', () => {
  let setup: Setup;
  const see = observer(() => setup);
  beforeAll(async () => {
    setup = await setUp({ policy: policy(''), datadog: false });
  });
  afterAll(() => tearDown(setup));

  it('waits in verifying with one clear ask; only someone allowed completes it, and every completion says who and what', async () => {
    const top = await see.start('v1.2.1');
    const ask = await waitFor('the ask to confirm by hand', () => see.thread(top).find((m) => m.text.startsWith('Nothing can verify v1.2.1 automatically')));
    const asked = visibleText(ask);
    expect(asked).toContain('Datadog is not configured');
    expect(asked).toMatch(/Error rate < 0\.100 %\n• Latency p99 < 400 ms\n• Cache hit rate > 90\.0 %/);
    expect(asked).toContain('/release confirm v1.2.1 <what you checked>');
    expect(asked).toContain("the production deploy's approvers or the on-call engineer");
    expect(await see.stateOf('v1.2.1')).toBe('verifying');

    // Well past the checks' deadline (3 s, withTestTimings), the release still waits: status updates go on, nothing is "released".
    const askedAt = Number(ask.ts);
    await waitFor('three status updates after the ask', () => see.updatesAfter(top, askedAt) >= 3, 30_000);
    expect(await see.stateOf('v1.2.1')).toBe('verifying');
    expect(see.thread(top).filter((m) => m.text.includes('COMPLETED'))).toEqual([]);
    expect(see.thread(top).filter((m) => m.text.startsWith('Nothing can verify'))).toHaveLength(1);
    expect(see.customerPosts().some((m) => m.text.includes('COMPLETED'))).toBe(false);
    expect(see.maintenance('v1.2.1')?.status).toBe('in_progress');
    expect(see.maintenance('v1.2.1')!.incident_updates.some((u) => released(u.body))).toBe(false);
    expect(see.maintenance('v1.2.1')!.incident_updates.length).toBeGreaterThan(0);
    expect((await see.events('v1.2.1')).filter((e) => e.action === 'post_deploy_checks.awaiting_confirmation')).toHaveLength(1);

    const status = await see.command('status v1.2.1', 'U0ENG');
    expect(status).toContain('Release v1.2.1: deployed: waiting for a person to confirm the post-deploy checks');
    expect(status).toContain('/release confirm v1.2.1 &lt;what you checked&gt;');

    expect(await see.command('confirm v1.2.1 looked fine to me', 'U0ENG')).toContain("can't confirm the post-deploy checks of v1.2.1");
    expect(await see.stateOf('v1.2.1')).toBe('verifying');
    expect(await see.command('confirm v1.2.1 error rate 0.02% on the dashboard', 'U0ONCALL')).toContain('You confirmed the post-deploy checks of v1.2.1');

    const complete = await waitFor('the complete message', () => see.thread(top).find((m) => m.text.includes('COMPLETED')));
    expect(visibleText(complete)).toContain('👀 Confirmed by <@U0ONCALL>: error rate 0.02% on the dashboard');
    expect(complete.text).toContain('confirmed by <@U0ONCALL>');
    const forCustomers = await waitFor('the customers told', () => see.customerPosts().find((m) => m.text.includes('COMPLETED')));
    expect(visibleText(forCustomers)).toContain('Checked after the deploy by our engineers.');
    expect(visibleText(forCustomers)).not.toMatch(/<@|dashboard/);
    const done = await waitFor('the maintenance completed', () => (see.maintenance('v1.2.1')?.status === 'completed' ? see.maintenance('v1.2.1') : undefined));
    expect(done.incident_updates[0]!.body).toMatch(/^✅ Released: version v1\.2\.1 is live since .*\nChecked after the deploy by our engineers\.\n/);
    const confirmed = (await see.events('v1.2.1')).find((e) => e.action === 'release.post_deploy_checks_confirmed');
    expect(confirmed).toMatchObject({ actor: 'U0ONCALL', details: { checked: 'error rate 0.02% on the dashboard' } });
  });
});

describe('verification.source: none', () => {
  let setup: Setup;
  const see = observer(() => setup);
  beforeAll(async () => {
    setup = await setUp({ policy: policy('verification: { source: none }'), datadog: true });
  });
  afterAll(() => tearDown(setup));

  it('completes without reading anything, and every completion says "not verified"', async () => {
    const top = await see.start('v1.2.1');
    await waitFor('v1.2.1 to complete', async () => (await see.stateOf('v1.2.1')) === 'completed');
    const complete = await waitFor('the complete message', () => see.thread(top).find((m) => m.text.includes('COMPLETED')));
    expect(visibleText(complete)).toContain('⚠️ Not verified (verification.source: none)');
    expect(complete.text).toContain('not verified');
    const forCustomers = await waitFor('the customers told', () => see.customerPosts().find((m) => m.text.includes('COMPLETED')));
    expect(visibleText(forCustomers)).toContain('Not verified after the deploy.');
    const done = await waitFor('the maintenance completed', () => (see.maintenance('v1.2.1')?.status === 'completed' ? see.maintenance('v1.2.1') : undefined));
    expect(done.incident_updates[0]!.body).toContain('Not verified after the deploy.');
    const log = (await see.events('v1.2.1')).map((e) => e.action);
    expect(log).not.toContain('post_deploy_checks.read');
    expect((await see.events('v1.2.1')).find((e) => e.action === 'release.post_deploy_checks_passed')?.details).toMatchObject({ source: 'none' });
  });
});

describe('verification.source: manual, with Datadog', () => {
  let setup: Setup;
  const see = observer(() => setup);
  beforeAll(async () => {
    setup = await setUp({ policy: policy('verification: { source: manual }'), datadog: true });
  });
  afterAll(() => tearDown(setup));

  it('waits for a person although Datadog is healthy; the confirmation completes it', async () => {
    const top = await see.start('v1.2.1');
    const ask = await waitFor('the ask to confirm by hand', () => see.thread(top).find((m) => m.text.startsWith('Nothing can verify v1.2.1 automatically')));
    expect(visibleText(ask)).toContain('verification.source: manual');
    const askedAt = Number(ask.ts);
    await waitFor('two status updates after the ask', () => see.updatesAfter(top, askedAt) >= 2, 30_000);
    expect(await see.stateOf('v1.2.1')).toBe('verifying');
    expect((await see.events('v1.2.1')).map((e) => e.action)).not.toContain('post_deploy_checks.read');
    expect(await see.command('confirm v1.2.1 p99 210 ms, errors 0.02 % in APM', 'U0ONCALL')).toContain('You confirmed');
    const complete = await waitFor('the complete message', () => see.thread(top).find((m) => m.text.includes('COMPLETED')));
    expect(visibleText(complete)).toContain('👀 Confirmed by <@U0ONCALL>: p99 210 ms, errors 0.02 % in APM');
  });
});
