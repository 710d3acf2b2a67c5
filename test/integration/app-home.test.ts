import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { checklistTicks, releasePlans } from '../../src/integrations/database/schema.js';
import { FAST_TIMINGS, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const SLOW = 120_000;

/** Three viewers with different roles, and an engineer who starts releases and never opens the Home. */
const POLICY = `${FAST_TIMINGS}
roles:
  engineeringLead: { users: [U0LEAD] }
  engineeringLeadership: { users: [U0LEAD] }
  vpEng: { users: [U0VP] }
  onCall: { users: [U0ONCALL] }
  releaseEngineer: { users: [U0ENG] }
`;
const VIEWERS = ['U0LEAD', 'U0VP', 'U0ONCALL'] as const;

/** What a person's Home tab shows now (empty when nothing was published to them). */
function homeText(world: World, userId: string): string {
  const h = world.slack.homes.home(userId);
  return h ? visibleText({ text: '', blocks: h.view.blocks as unknown[] }) : '';
}

describe('App Home: each viewer sees what needs them, kept current without a timer', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    // CI still runs on main: the hotfix waits for its test, which on-call ticks from the Home.
    world.github.setCheckRuns('main', [{ name: 'test', status: 'in_progress', conclusion: null }]);
    world.slack.addUser({ id: 'U0VP', name: 'vera', realName: 'Vera VP Eng' });
    world.slack.addUser({ id: 'U0ONCALL', name: 'otto', realName: 'Otto On-call' });
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const home = (userId: string) => homeText(world, userId);
  const publishes = (userId: string) => world.slack.homes.home(userId)?.publishes ?? 0;
  const publishCalls = (userId: string) => world.slack.calls.filter((c) => c.method === 'views.publish' && c.args.user_id === userId).length;
  const homeShows = (userId: string, text: string, timeoutMs = 30_000) => waitFor(`${userId}'s Home to show "${text}"`, () => home(userId).includes(text), timeoutMs);
  const actionIds = (userId: string) => JSON.stringify(world.slack.homes.home(userId)?.view.blocks ?? []).match(/"action_id":"[^"]+"/g) ?? [];
  const command = async (text: string, userId = 'U0ENG') => visibleText((await world.slack.sendCommand(bot.eventsUrl, { text, userId })).body as { text: string; blocks: unknown[] });
  const state = async (version: string) => (await bot.tminus.store.findByVersion(version))?.state;
  /** Waits until no Home has been published for `quietMs`: the debounced refreshes are done. */
  const settled = async (quietMs = 3_000) => {
    let last = JSON.stringify(VIEWERS.map(publishCalls));
    let since = Date.now();
    await waitFor('the Homes to settle', () => {
      const now = JSON.stringify(VIEWERS.map(publishCalls));
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    }, 60_000);
  };

  it('app_home_opened is acked at once and publishes that viewer’s own Home', async () => {
    for (const user of VIEWERS) {
      const answer = await world.slack.homes.sendAppHomeOpened(bot.eventsUrl, user);
      expect(answer.status).toBe(200);
      expect(answer.durationMs).toBeLessThan(3_000);
    }
    for (const user of VIEWERS) await homeShows(user, 'Nothing needs you right now.');
    expect(home('U0LEAD')).toContain('For <@U0LEAD>, an engineering lead, engineering leadership');
    expect(home('U0VP')).toContain('For <@U0VP>, the VP Eng');
    const lead = home('U0LEAD');
    expect(lead).toContain('No release in flight.');
    expect(lead).toContain('Coming up');
    expect(lead).toContain('*minor*');
    expect(lead).toContain('No release yet.');
    expect(lead).toContain('*Deployment frequency:* 0 deployments');
    expect(world.slack.homes.home('U0LEAD')!.view.type).toBe('home');
  });

  it('the lead sees the minor’s gate, the VP Eng the hotfix approval, on-call the overdue step', async () => {
    expect(await command('start v1.3.0')).toContain('Starting minor release v1.3.0');
    const detected = new Date(Date.now() - 40 * 60_000);
    expect(await command(`hotfix v1.2.1 checkout double-charges cards --detected ${detected.toISOString()}`)).toContain('Hotfix v1.2.1 raised');
    // The fix pushed to the branch tminus cut from production's tag; its CI still runs.
    await waitFor('the hotfix branch cut', () => world.github.headOf('hotfix/v1.2.1'));
    world.github.setCheckRuns(world.github.commit('hotfix/v1.2.1', 'fix: charge cards once'), [{ name: 'test', status: 'in_progress', conclusion: null }]);

    await homeShows('U0LEAD', 'Minor release v1.3.0 needs approval* from engineering leadership (0 of 1)');
    await homeShows('U0VP', 'Hotfix release v1.2.1 needs approval* from the VP Eng (0 of 1) · waiting for the test');
    await homeShows('U0ONCALL', 'Emergency call initiated* — hotfix v1.2.1, overdue since');
    // Each sees only their own: the lead no hotfix approval, the VP Eng no minor's gate, on-call no gate at all.
    expect(home('U0LEAD')).not.toContain('Hotfix release v1.2.1 needs approval');
    expect(home('U0VP')).not.toContain('Minor release v1.3.0 needs approval');
    expect(actionIds('U0ONCALL').filter((a) => a.includes('gate_'))).toEqual([]);
    expect(actionIds('U0ONCALL')).toEqual(['"action_id":"hotfix_step:emergencyCall"', '"action_id":"hotfix_step:hotfixTested"']);
    // The releases waiting show with the progress view's own words, without the thread's buttons.
    expect(home('U0ONCALL')).toContain('Release v1.3.0 waiting for approval');
    expect(home('U0ONCALL')).toContain('Hotfix v1.2.1');
  }, SLOW);

  it('a burst of changes gives one publish per viewer', async () => {
    await settled();
    const before = VIEWERS.map(publishes);
    // On-call ticks two overdue steps from the Home, one right after the other.
    const tick = (step: string) => world.slack.homes.sendHomeAction(bot.eventsUrl, { userId: 'U0ONCALL', actionId: `hotfix_step:${step}` });
    expect((await tick('emergencyCall')).status).toBe(200);
    expect((await tick('hotfixTested')).status).toBe(200);
    await waitFor('both steps ticked', async () => {
      const steps = (await bot.tminus.store.findByVersion('v1.2.1'))?.hotfix?.steps ?? {};
      return Boolean(steps.emergencyCall && steps.hotfixTested);
    });
    for (const user of VIEWERS) await homeShows(user, '✅ Emergency call initiated — <@U0ONCALL>');
    await homeShows('U0VP', 'Hotfix release v1.2.1 needs approval* from the VP Eng (0 of 1).');
    await settled();
    expect(VIEWERS.map(publishes)).toEqual(before.map((n) => n + 1));
    expect(home('U0ONCALL')).toContain('Nothing needs you right now.');
  }, SLOW);

  it('Approve from the Home works like the thread’s, and every Home follows the release', async () => {
    const shown = world.slack.homes.home('U0VP')!;
    const blockId = (shown.view.blocks as { block_id?: string }[]).find((b) => b.block_id?.startsWith('gate:'))!.block_id!;
    const answer = await world.slack.homes.sendHomeAction(bot.eventsUrl, { userId: 'U0VP', actionId: 'gate_approve', blockId });
    expect(answer.status).toBe(200);
    await waitFor('the hotfix tag', () => world.github.tags().find((t) => t.name === 'v1.2.1'));
    const release = (await bot.tminus.store.findByVersion('v1.2.1'))!;
    const approvals = (await bot.tminus.store.events(release.id)).filter((e) => e.action === 'approval.approved');
    expect(approvals.map((e) => e.actor)).toEqual(['U0VP']);
    await waitFor('v1.2.1 completed', () => state('v1.2.1').then((s) => s === 'completed'), 60_000);
    for (const user of VIEWERS) await homeShows(user, '✅ *v1.2.1* hotfix — completed');
    await homeShows('U0VP', 'Nothing needs you right now.');

    // The same Approve from a Home drawn before the decision (a tab left open): refused by the thread's stale-click
    // check, and said privately in the VP Eng's direct messages with tminus (a Home click has no response_url).
    expect((await world.slack.homes.sendHomeAction(bot.eventsUrl, { userId: 'U0VP', actionId: 'gate_approve', blockId, shown })).status).toBe(200);
    const dm = await waitFor('the refusal in a direct message', () => world.slack.messages().find((m) => m.channel.startsWith('D') && m.text.includes('This approval for v1.2.1 was already approved by <@U0VP>')));
    expect(dm.text).toContain('Current state: completed.');
    expect((await bot.tminus.store.events(release.id)).filter((e) => e.action === 'approval.approved')).toHaveLength(1);

    // CI on main has finished, green: the minor passes its readiness gate once the lead approves it.
    world.github.setCheckRuns('main', [{ name: 'test' }]);
    // The lead approves the minor from the Home: it starts, deploys and completes; every Home shows it.
    const leadBlocks = world.slack.homes.home('U0LEAD')!.view.blocks as { block_id?: string }[];
    const minorGate = leadBlocks.find((b) => b.block_id?.startsWith('gate:'))!.block_id!;
    await world.slack.homes.sendHomeAction(bot.eventsUrl, { userId: 'U0LEAD', actionId: 'gate_approve', blockId: minorGate });
    await waitFor('v1.3.0 completed', () => state('v1.3.0').then((s) => s === 'completed'), 60_000);
    for (const user of VIEWERS) await homeShows(user, '✅ *v1.3.0* minor — completed');
    await homeShows('U0LEAD', 'Nothing needs you right now.');
    await homeShows('U0LEAD', '*Deployment frequency:* 2 deployments');
  }, SLOW);

  it('a 429 from views.publish is waited out as Retry-After says, then published', async () => {
    await settled();
    const calls = publishCalls('U0LEAD');
    const before = publishes('U0LEAD');
    world.slack.rateLimitNext('views.publish', 1);
    const started = Date.now();
    await world.slack.homes.sendAppHomeOpened(bot.eventsUrl, 'U0LEAD');
    await waitFor('the Home published after the 429', () => publishes('U0LEAD') === before + 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(publishCalls('U0LEAD')).toBe(calls + 2);
  }, SLOW);

  it('nothing is ever published to someone who never opened the Home', () => {
    expect(world.slack.homes.home('U0ENG')).toBeUndefined();
    expect(publishCalls('U0ENG')).toBe(0);
  });
});

describe('App Home: checklist items for your roles, ticked from the Home', () => {
  let world: World;
  let bot: Bot;

  /** The 24 h checklist names QA for two items; the rest anyone may tick, so they are nobody's in particular. */
  const CHECKLIST_POLICY = `${FAST_TIMINGS}
roles:
  qaLead: { users: [U0QA] }
  releaseEngineer: { users: [U0ENG] }
permissions:
  checklist: anyone
checklists:
  before24h:
    title: 24 Hours Before Release
    before: 40s
    appliesTo: [minor]
    sections:
      - title: Testing
        items:
          - { text: Load test results acceptable, roles: [qaLead] }
          - { text: Rollback procedure rehearsed, roles: [qaLead] }
          - Release notes drafted
`;

  beforeAll(async () => {
    world = await startWorld();
    world.slack.addUser({ id: 'U0QA', name: 'quinn', realName: 'Quinn QA' });
    bot = await startBot(world, { policy: CHECKLIST_POLICY, planScheduleCron: '*/1 * * * * *' });
    // T-0 in ten minutes: the 24 h checklist (40 s before) is not due yet, so the Home starts empty.
    await bot.database.db
      .insert(releasePlans)
      .values({ version: 'v1.3.0', type: 'minor', plannedAt: new Date(Date.now() + 10 * 60_000), requestedBy: 'U0ENG', channelId: RELEASES_CHANNEL, state: 'planned' });
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const home = (userId: string) => homeText(world, userId);
  const homeShows = (userId: string, text: string) => waitFor(`${userId}'s Home to show "${text}"`, () => home(userId).includes(text), 30_000);
  /** The value of the Home's checkbox for an item, as Slack sends it back. */
  const optionOf = (userId: string, text: string) => {
    const options = (world.slack.homes.home(userId)!.view.blocks as { elements?: { options?: { value: string; text: { text: string } }[] }[] }[]).flatMap((b) => (b.elements ?? []).flatMap((e) => e.options ?? []));
    return options.find((o) => o.text.text === text)?.value;
  };

  it('QA ticks an item from the Home: the thread’s checklist shows who and when, and the Home offers what is left', async () => {
    expect((await world.slack.homes.sendAppHomeOpened(bot.eventsUrl, 'U0QA')).status).toBe(200);
    await homeShows('U0QA', 'Nothing needs you right now.');

    // The checklist falls due: its message goes out, and QA's Home is republished with QA's two items.
    await bot.database.db.update(releasePlans).set({ plannedAt: new Date(Date.now() + 35_000) }).where(eq(releasePlans.version, 'v1.3.0'));
    const thread = () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('24 Hours Before Release'));
    await waitFor('the 24 h checklist in #releases', thread, 30_000);
    await homeShows('U0QA', '24 Hours Before Release* for v1.3.0');
    expect(home('U0QA')).toContain('2 items for your roles');
    expect(home('U0QA')).not.toContain('Release notes drafted');
    const shown = world.slack.homes.home('U0QA')!;

    const loadTest = optionOf('U0QA', 'Load test results acceptable');
    expect(loadTest).toBeDefined();
    const tick = await world.slack.homes.sendHomeAction(bot.eventsUrl, { userId: 'U0QA', actionId: 'checklist-tick:before24h:0:0', selectedOptions: [{ value: loadTest! }] });
    expect(tick.status).toBe(200);

    await waitFor("the thread's checklist to show QA's tick", () => /Load test results acceptable: <@U0QA> at \d\d:\d\d UTC/.test(visibleText(thread()!)));
    await homeShows('U0QA', '1 item for your roles');
    expect(optionOf('U0QA', 'Load test results acceptable')).toBeUndefined();
    expect(optionOf('U0QA', 'Rollback procedure rehearsed')).toBeDefined();

    // The same tick again from the Home as it was drawn before (a tab left open): recorded once, nothing said.
    expect((await world.slack.homes.sendHomeAction(bot.eventsUrl, { userId: 'U0QA', actionId: 'checklist-tick:before24h:0:0', selectedOptions: [{ value: loadTest! }], shown })).status).toBe(200);
    // It changes nothing, so nothing shows it: wait until tminus has made no Slack call for two seconds.
    let calls = world.slack.calls.length;
    let since = Date.now();
    await waitFor('tminus to go quiet after the second click', () => {
      if (world.slack.calls.length !== calls) [calls, since] = [world.slack.calls.length, Date.now()];
      return Date.now() - since >= 2_000;
    });
    const plan = (await bot.database.db.select().from(releasePlans).where(eq(releasePlans.version, 'v1.3.0')))[0]!;
    const ticks = await bot.database.db.select().from(checklistTicks).where(eq(checklistTicks.planId, plan.id));
    expect(ticks.filter((t) => t.item === '0.0').map((t) => t.tickedBy)).toEqual(['U0QA']);
    expect(world.slack.messages().filter((m) => m.channel.startsWith('D'))).toEqual([]);
  }, SLOW);
});
