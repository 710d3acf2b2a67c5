import { afterEach, describe, expect, it } from 'vitest';
import { createStatuspage } from '../../src/integrations/status-page.js';
import { freezes } from '../../src/integrations/database/schema.js';
import { StatuspageStandIn } from '../../src/sandbox/statuspage.js';
import { FAST_POLICY, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * Deploy freezes, driven as people, Datadog and the status page would: the policy's windows and dates, an
 * ad-hoc `/release freeze`, an alerting monitor and an open incident each hold a release at its readiness gate,
 * say until when, and let it go on when they end; an approver may waive one with a reason.
 */
describe('deploy freezes', () => {
  let world: World;
  let bot: Bot;
  let page: StatuspageStandIn | undefined;
  // The injected clock: real speed from `base`, moved on by `offset` when a test says time passed.
  let offset = 0;
  let base = 0;
  let started = 0;
  const clock = () => new Date(base + (Date.now() - started) + offset);

  const say = async (text: string, userId = 'U0ENG') => visibleText((await world.slack.sendCommand(bot.eventsUrl, { text, userId })).body as { text: string; blocks: unknown[] });
  const release = async (version: string) => (await bot.tminus.store.findByVersion(version))!;
  const card = async (version: string, showing: string | RegExp) =>
    waitFor(`the readiness card of ${version} to show ${String(showing)}`, async () => {
      const threadTs = (await bot.tminus.store.findByVersion(version))?.threadTs;
      if (!threadTs) return undefined;
      const found = world.slack.thread(RELEASES_CHANNEL, threadTs).find((m) => m.text.includes('T-0') && (typeof showing === 'string' ? visibleText(m).includes(showing) : showing.test(visibleText(m))));
      return found ? visibleText(found) : undefined;
    });
  const tagged = (version: string) => world.github.tags().find((t) => t.name === version);

  async function startAt(at: string, policy: string, options: { statusPage?: boolean } = {}) {
    base = Date.parse(at);
    started = Date.now();
    offset = 0;
    world = await startWorld();
    if (options.statusPage) page = await StatuspageStandIn.start({ apiKey: 'sp-freeze-key', components: [{ name: 'API' }] });
    bot = await startBot(world, {
      clock,
      policy: `${FAST_POLICY}\n${policy}`,
      ...(page ? { statusPage: createStatuspage({ apiKey: page.apiKey, pageId: page.pageId, apiUrl: page.url, timeoutMs: 1_000 }) } : {}),
    });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  }
  afterEach(async () => {
    await bot?.stop();
    await world?.close();
    await page?.close();
    page = undefined;
  });

  it("a policy freeze window holds a patch and says until when; it goes on by itself when the window ends", async () => {
    // Friday 11 December 2026, 16:30 in London (GMT): inside the Friday afternoon window.
    await startAt('2026-12-11T16:30:00Z', `
timezone: Europe/London
freezes:
  - { reason: Friday afternoon, weekly: { days: [friday], from: "16:00", until: "17:00" } }
`);
    expect(await say('start v1.2.1')).toContain('Starting patch release v1.2.1');
    const held = await card('v1.2.1', 'Deploy freeze: Friday afternoon');
    expect(held).toContain('Deploy freeze: Friday afternoon (until 2026-12-11 17:00 GMT); it goes on by itself when the freeze ends, or an approver waives it with a reason');
    expect(held).toContain('<checklists|cadence|freeze>');
    // Judged again every second, still inside the window: still held.
    const looks = () => world.github.requests.filter((r) => r.path.includes('/check-runs')).length;
    const seen = looks();
    await waitFor('three more judgements', () => looks() >= seen + 3);
    expect(tagged('v1.2.1')).toBeUndefined();
    expect((await release('v1.2.1')).state).toBe('started');

    offset = 31 * 60_000;
    await waitFor('the tag once the window ended', () => tagged('v1.2.1'));
    await card('v1.2.1', 'Deploy freeze: none in force');
    const judged = (await bot.tminus.store.events((await release('v1.2.1')).id)).filter((e) => e.action === 'readiness.judged');
    expect(judged.map((e) => e.details.held)).toEqual([['freeze:waiting'], []]);
  });

  it('an approver waives a freeze for one release with a reason, audited; someone else may not', async () => {
    await startAt('2026-12-23T12:00:00Z', `
freezes:
  - { reason: Holidays & year end, from: 2026-12-23, until: 2027-01-04 }
roles:
  engineeringLeadership: { users: [U0HEAD] }
permissions:
  waive: [engineeringLeadership]
`);
    expect(await say('start v1.2.1')).toContain('Starting patch release v1.2.1');
    expect(await card('v1.2.1', 'Deploy freeze: Holidays & year end')).toContain('(until 2027-01-04 00:00 UTC)');
    expect(await say('waive v1.2.1 freeze the fix for the outage', 'U0ENG')).toContain("You can't waive");
    expect(tagged('v1.2.1')).toBeUndefined();
    expect(await say('waive v1.2.1 freeze the fix for the outage', 'U0HEAD')).toContain('You waived the freeze of v1.2.1');
    await waitFor('the tag after the waiver', () => tagged('v1.2.1'));
    await card('v1.2.1', 'Deploy freeze (Holidays & year end (until 2027-01-04 00:00 UTC)) overridden by <@U0HEAD>: the fix for the outage');
    const waived = (await bot.tminus.store.events((await release('v1.2.1')).id)).find((e) => e.action === 'readiness.waived');
    expect(waived).toMatchObject({ actor: 'U0HEAD', details: { line: 'freeze', reason: 'the fix for the outage' } });
  });

  it('/release freeze holds the next release, only for those permitted; /release unfreeze lets it go on at once; the schedule shows freezes', async () => {
    // Thursday 10 December 2026, 10:00 UTC; judged again only every ten minutes, so going on at once is the unfreeze's doing.
    await startAt('2026-12-10T10:00:00Z', `
readiness: { recheckEvery: 10m }
freezes:
  - { reason: Friday afternoon, weekly: { days: [friday], from: "16:00", until: "18:00" } }
roles:
  onCall: { users: [U0ONCALL] }
`);
    const home = () => visibleText({ text: '', blocks: (world.slack.homes.home('U0ONCALL')?.view.blocks ?? []) as unknown[] });
    world.slack.addUser({ id: 'U0ONCALL', name: 'otto', realName: 'Otto On-call' });
    await world.slack.homes.sendAppHomeOpened(bot.eventsUrl, 'U0ONCALL');
    await waitFor('the Home to show the coming freeze', () => home().includes('Friday afternoon'));
    expect(home()).not.toContain('In force');
    expect(await say('freeze payments provider incident', 'U0ENG')).toContain("You can't freeze releases: it needs");
    expect(await say('freeze payments & cards incident --until 2026-12-10 09:00', 'U0ONCALL')).toContain('`--until` is in the past');
    const frozen = await say('freeze payments & cards incident', 'U0ONCALL');
    expect(frozen).toContain('You froze releases until `/release unfreeze`: payments & cards incident.');

    const said = await waitFor('the freeze said in #releases', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Deploy freeze* by')));
    expect(visibleText(said)).toContain('🧊 *Deploy freeze* by <@U0ONCALL>, until `/release unfreeze`: payments & cards incident.');
    await waitFor('the Home to show the freeze in force', () => home().includes('In force:* payments & cards incident (frozen by <@U0ONCALL>), until unfrozen'));
    const schedule = await say('schedule');
    expect(schedule).toContain('In force:* payments & cards incident (frozen by <@U0ONCALL>), until unfrozen');
    expect(schedule).toContain('• Fri, 11 Dec 2026 16:00 UTC: Friday afternoon, until 18:00 UTC\n• Fri, 18 Dec 2026 16:00 UTC: Friday afternoon, until 18:00 UTC');

    expect(await say('start v1.2.1')).toContain('Starting patch release v1.2.1');
    const held = await card('v1.2.1', 'Deploy freeze: payments & cards incident');
    expect(held).toContain('Deploy freeze: payments & cards incident (frozen by <@U0ONCALL>) (until unfrozen)');
    expect(tagged('v1.2.1')).toBeUndefined();

    expect(await say('unfreeze the provider recovered', 'U0ENG')).toContain("You can't unfreeze releases");
    const unfrozen = await say('unfreeze the provider recovered', 'U0ONCALL');
    expect(unfrozen).toContain('You ended the freeze (payments & cards incident). Judged again now: v1.2.1.');
    await waitFor('the tag after the unfreeze', () => tagged('v1.2.1'), 20_000);
    await card('v1.2.1', 'Deploy freeze: none in force');
    expect(await say('unfreeze again', 'U0ONCALL')).toContain('No ad-hoc freeze is in force.');
    const ended = await waitFor('the end said in #releases', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Deploy freeze ended')));
    expect(visibleText(ended)).toContain('✅ *Deploy freeze ended* by <@U0ONCALL>: the provider recovered. It was: payments & cards incident.');

    // The row is the freeze's audit trail: who froze it and why, who ended it, when and why, on tminus's clock.
    const [row, ...others] = await bot.database.db.select().from(freezes);
    expect(others).toHaveLength(0);
    expect(row).toMatchObject({ reason: 'payments & cards incident', createdBy: 'U0ONCALL', until: null, endedBy: 'U0ONCALL', endReason: 'the provider recovered' });
    expect(Math.abs(row!.createdAt.getTime() - Date.parse('2026-12-10T10:00:00Z'))).toBeLessThan(5 * 60_000);
    expect(row!.endedAt!.getTime()).toBeGreaterThan(row!.createdAt.getTime());
  });

  it('an alerting monitor named in freezeWhile.monitors holds a release, Datadog unreachable is not taken as quiet, and its recovery lets it go on', async () => {
    await startAt('2026-12-10T10:00:00Z', 'freezeWhile: { monitors: [Checkout error rate] }\n');
    world.datadog.setMonitors([
      { id: 1, name: 'Checkout error rate', overallState: 'Alert' },
      { id: 2, name: 'Search latency', overallState: 'Alert' },
    ]);
    expect(await say('start v1.2.1')).toContain('Starting patch release v1.2.1');
    const held = await card('v1.2.1', 'Deploy freeze: the Datadog monitor');
    expect(held).toContain('Deploy freeze: the Datadog monitor "Checkout error rate" is alerting (until it recovers)');
    expect(held).not.toContain('Search latency');

    world.datadog.outage(true);
    world.datadog.setMonitors([{ id: 1, name: 'Checkout error rate', overallState: 'OK' }]);
    await card('v1.2.1', 'Deploy freeze: Datadog could not be asked whether the monitors of `freezeWhile.monitors` alert; looking again');
    expect(tagged('v1.2.1')).toBeUndefined();

    world.datadog.outage(false);
    await waitFor('the tag once the monitor recovered', () => tagged('v1.2.1'));
    await card('v1.2.1', 'Deploy freeze: none in force');
  });

  it('an open status page incident holds a release (a maintenance does not); resolved, it goes on', async () => {
    await startAt('2026-12-10T10:00:00Z', 'freezeWhile: { statusPageIncident: true }\n', { statusPage: true });
    // Someone opens an incident on the page, as its own UI or API would.
    const statuspage = createStatuspage({ apiKey: page!.apiKey, pageId: page!.pageId, apiUrl: page!.url });
    const incident = await statuspage.create({ key: 'ops-1', name: 'Card payments failing', status: 'investigating', body: 'We are looking into it.' });
    await statuspage.create({
      key: 'ops-2',
      name: 'Database upgrade',
      status: 'in_progress',
      body: 'Planned work.',
      scheduled: { from: new Date('2026-12-10T09:00:00Z'), until: new Date('2026-12-10T12:00:00Z'), remindPrior: false, autoInProgress: false, autoCompleted: false },
    });
    expect(await say('start v1.2.1')).toContain('Starting patch release v1.2.1');
    const held = await card('v1.2.1', 'Deploy freeze: the status page incident');
    expect(held).toContain('Deploy freeze: the status page incident "Card payments failing" is open (investigating) (until it is resolved)');
    expect(held).not.toContain('Database upgrade');
    expect(tagged('v1.2.1')).toBeUndefined();

    await statuspage.update(incident.id, { status: 'resolved', body: 'Fixed.' });
    await waitFor('the tag once the incident was resolved', () => tagged('v1.2.1'));
  });
});
