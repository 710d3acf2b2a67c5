import { WebClient, type KnownBlock } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { BOT_TOKEN, FAST_TIMINGS, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const ROLES = `
roles:
  engineeringLead: { users: [U0LEAD] }
  engineeringLeadership: { users: [U0HEAD] }
  devopsLead: { users: [U0OPS] }
  qaLead: { users: [U0QA] }
  onCall: { users: [U0ONCALL] }
  releaseEngineer: { users: [U0REL] }
`;

/**
 * The guide's two-person production gate with its T+60 pre-deployment checks (named, so the harness keeps them);
 * minors start without their release gate, so a release reaches production at once.
 */
const POLICY = `${FAST_TIMINGS}${ROLES}
releaseTypes:
  minor: { approvers: [] }
productionApproval: { appliesTo: [patch, minor, major] }
freezeWhile: { monitors: [] }
preDeploymentChecks:
  monitors: [Checkout errors]
  recheckEvery: 300ms
`;

const TICK = 'pre_deployment_tick';
const hasAction = (m: StoredMessage, actionId: string) => JSON.stringify(m.blocks).includes(`"action_id":"${actionId}"`);

interface Checkbox {
  block_id: string;
  elements: { options: { value: string }[]; initial_options?: { value: string }[] }[];
}

describe("the production gate's T+60 pre-deployment checks", () => {
  let world: World;
  let bot: Bot;
  let slack: WebClient;

  beforeAll(async () => {
    world = await startWorld();
    // GitHub guards production (tminus's account a required reviewer): the deploy run waits there at T+60.
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    world.datadog.setMonitors([{ id: 1, name: 'Checkout errors', overallState: 'Alert' }, { id: 2, name: 'Someone else', overallState: 'Alert' }]);
    bot = await startBot(world, { policy: POLICY });
    slack = new WebClient(BOT_TOKEN, { slackApiUrl: world.slack.apiUrl, retryConfig: { retries: 0 } });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const release = async (version: string) => (await bot.tminus.store.findByVersion(version))!;
  const stateOf = async (version: string) => (await bot.tminus.store.findByVersion(version))?.state;
  const events = async (version: string, action: string) => (await bot.tminus.store.events((await release(version)).id)).filter((e) => e.action === action);
  const runOf = (version: string) => world.github.runs().find((r) => r.head_branch === version)!;
  const current = (gate: StoredMessage) => world.slack.messages(RELEASES_CHANNEL).find((m) => m.ts === gate.ts)!;
  /** Waits until the gate's message, as it is now, shows `text`; returns it. */
  const shows = (gate: StoredMessage, text: string) =>
    waitFor(`the gate to show ${text}`, () => (visibleText(current(gate)).includes(text) ? current(gate) : undefined));
  const ticksOf = async (version: string) => (await events(version, 'pre_deployment.ticked')).map((e) => [e.actor, (e.details as { item: string }).item]);
  const boxOf = (message: StoredMessage) => (message.blocks as unknown as Checkbox[]).find((b) => b.block_id?.startsWith('pre-deployment:'))!.elements[0]!;
  const click = (userId: string, message: StoredMessage, actionId: string, selectedOptions?: { value: string }[]) =>
    world.slack.sendBlockAction(bot.eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId, selectedOptions });

  async function startToProductionGate(version: string): Promise<{ top: StoredMessage; gate: StoredMessage }> {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    expect(JSON.stringify(answer.body)).toContain(`release ${version}`);
    const top = await waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
    const isGate = (m: StoredMessage) => m.text.startsWith(`Production deploy of ${version}`) && hasAction(m, TICK);
    const gate = await waitFor(`the production gate of ${version}`, () => world.slack.thread(RELEASES_CHANNEL, top.ts).find(isGate), 60_000);
    expect(await stateOf(version)).toBe('awaiting_production_approval');
    return { top, gate };
  }

  /** Ticks `key` as Slack sends it: every box ticked in `message` as shown, and the one clicked. */
  function tick(userId: string, message: StoredMessage, key: string) {
    const box = boxOf(message);
    const initial = (box.initial_options ?? []).map((o) => o.value);
    const value = box.options.map((o) => o.value).find((v) => v.endsWith(`|${key}`))!;
    return click(userId, message, TICK, [...new Set([...initial, value])].map((v) => ({ value: v })));
  }

  const approve = (userId: string, gate: StoredMessage) => click(userId, gate, 'gate_approve');

  /** Acts, and returns the one private answer it got. */
  async function answerTo(userId: string, act: () => Promise<{ status: number }>): Promise<string> {
    const seen = world.slack.ephemerals(userId).length;
    expect((await act()).status).toBe(200);
    return (await waitFor(`the answer to ${userId}`, () => world.slack.ephemerals(userId)[seen])).text;
  }

  /** A message as someone's Slack still shows it: posted again as it was, its checkboxes included. */
  async function stillShown(message: StoredMessage): Promise<StoredMessage> {
    const { text, threadTs } = message;
    const posted = await slack.chat.postMessage({ channel: RELEASES_CHANNEL, text, blocks: message.blocks as KnownBlock[], thread_ts: threadTs! });
    return world.slack.messages(RELEASES_CHANNEL).find((m) => m.ts === posted.ts)!;
  }

  it('approvals first: the gate waits on the checks, the right people tick them, tminus ticks monitoring, GitHub is answered once', async () => {
    const { top, gate } = await startToProductionGate('v1.3.0');
    const run = runOf('v1.3.0');
    const shown = visibleText(gate);
    for (const label of ['Final go/no-go decision', 'All stakeholders ready', 'Support team standing by', 'Monitoring active']) expect(shown).toContain(label);

    // A monitor the policy names alerts: monitoring stays unticked, saying which (an unnamed one changes nothing).
    const alerting = await shows(gate, '"Checkout errors" is alerting');
    expect(visibleText(alerting)).not.toContain('Someone else');
    expect(visibleText(alerting)).toContain('⛔ *Monitoring active*');
    expect((await events('v1.3.0', 'pre_deployment.not_ticked')).at(0)?.details).toMatchObject({ item: 'monitoringActive', reading: 'alerting' });

    // Two approvals before the checks: the gate stays open, saying what it waits on; GitHub is not answered.
    await approve('U0OPS', gate);
    await waitFor('one approval', () => current(gate).text.includes('(1 of 2)'));
    expect(await answerTo('U0QA', () => approve('U0QA', gate))).toContain('The production deploy goes on once these hold too: “Final go/no-go decision”, ');
    const waiting = await shows(gate, 'Approved (2 of 2): waiting on the pre-deployment checks (0 of 4)*: Final go/no-go decision, All stakeholders ready');
    expect(waiting.text).toContain('approved (2 of 2), waiting on the pre-deployment checks (0 of 4)');
    const topNow = () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts)!;
    const inTop = 'waiting for approval (2 of 2) and the pre-deployment checks (0 of 4)';
    await waitFor('the top message to wait on the checks', () => visibleText(topNow()).includes(inTop));
    expect(hasAction(waiting, 'gate_approve')).toBe(true);
    expect(world.github.reviews(run.id)).toHaveLength(0);
    expect(await stateOf('v1.3.0')).toBe('awaiting_production_approval');

    // The wrong people are told who may, privately, and nothing is recorded; tminus's own check is not a person's.
    const wrongPerson = await answerTo('U0QA', () => tick('U0QA', waiting, 'goNoGo'));
    expect(wrongPerson).toContain("you can't tick “Final go/no-go decision”: it needs a release engineer or engineering leadership");
    const notAPersons = await answerTo('U0ONCALL', () => tick('U0ONCALL', waiting, 'monitoringActive'));
    expect(notAPersons).toContain('tminus ticks “Monitoring active” itself from Datadog: Datadog: "Checkout errors" is alerting');
    expect(await events('v1.3.0', 'pre_deployment.ticked')).toHaveLength(0);

    // A double click records one tick; the second is told it counts once.
    await Promise.all([tick('U0REL', waiting, 'goNoGo'), tick('U0REL', waiting, 'goNoGo')]);
    await waitFor('the repeat answered', () => world.slack.ephemerals('U0REL').find((e) => e.text.includes('was already ticked by <@U0REL>')));
    expect(await ticksOf('v1.3.0')).toEqual([['U0REL', 'goNoGo']]);
    const one = await shows(gate, '✅ *Final go/no-go decision*: <@U0REL> at');
    await tick('U0LEAD', one, 'stakeholdersReady');
    const two = await shows(gate, '✅ *All stakeholders ready*: <@U0LEAD>');
    // An untick takes nothing back.
    const untickAnswer = await answerTo('U0REL', () => click('U0REL', two, TICK, boxOf(two).initial_options!.slice(1)));
    expect(untickAnswer).toContain('“Final go/no-go decision” stays ticked');
    await tick('U0ONCALL', two, 'supportStandingBy');
    await waitFor('three checks ticked', () => current(gate).text.includes('(3 of 4)'));
    expect(world.github.reviews(run.id)).toHaveLength(0);
    expect(await stateOf('v1.3.0')).toBe('awaiting_production_approval');

    // The monitor recovers: tminus ticks monitoring with its evidence, the last check closes the gate as approved.
    world.datadog.setMonitors([
      { id: 1, name: 'Checkout errors', overallState: 'OK' },
      { id: 2, name: 'Someone else', overallState: 'Alert' },
    ]);
    await waitFor('the review on GitHub', () => world.github.reviews(run.id).length === 1);
    expect(world.github.reviews(run.id)[0]).toMatchObject({ state: 'approved', reviewer: world.github.tokenOwner });
    expect(world.github.reviews(run.id)[0]!.comment).toContain('U0OPS');
    const ticks = await events('v1.3.0', 'pre_deployment.ticked');
    expect(await ticksOf('v1.3.0')).toEqual([
      ['U0REL', 'goNoGo'],
      ['U0LEAD', 'stakeholdersReady'],
      ['U0ONCALL', 'supportStandingBy'],
      ['tminus', 'monitoringActive'],
    ]);
    expect(ticks[3]!.details).toMatchObject({ evidence: 'Datadog: none of "Checkout errors" alerting' });
    // Each tick is dated by tminus's clock, in the order they happened.
    expect(ticks.map((e) => e.at.getTime())).toEqual([...ticks.map((e) => e.at.getTime())].sort((a, b) => a - b));
    const closed = await shows(gate, 'Production deploy of v1.3.0: approved');
    expect(hasAction(closed, TICK)).toBe(false);
    expect(visibleText(closed)).toMatch(/✅ \*Monitoring active\*: tminus at \d\d:\d\d UTC \(Datadog: none of "Checkout errors" alerting\)/);
    expect((await events('v1.3.0', 'release.approve_production')).map((e) => e.actor)).toEqual(['tminus']);

    // A tick on the message as it was still shown somewhere: refused, saying the gate closed; nothing recorded.
    const old = await stillShown(two);
    const tooLate = await answerTo('U0ONCALL', () => tick('U0ONCALL', old, 'supportStandingBy'));
    expect(tooLate).toMatch(/^🚫 Too late to tick: This approval for the production deploy of v1\.3\.0 was already approved/);
    await waitFor('completion', () => stateOf('v1.3.0').then((s) => s === 'completed'));
    expect(world.github.reviews(run.id)).toHaveLength(1);
    expect(await events('v1.3.0', 'pre_deployment.ticked')).toHaveLength(4);
  }, 120_000);

  it('no Datadog: a person ticks monitoring; checks first, the last approval closes the gate; the ticks survive a restart', async () => {
    await bot.stop();
    bot = await startBot(world, { policy: POLICY, datadog: false });
    const { gate } = await startToProductionGate('v1.4.0');
    const run = runOf('v1.4.0');
    const cannot = 'Datadog is not configured (DD_API_KEY), so tminus cannot read the monitors. Ticked by the on-call engineer or the DevOps lead';
    expect(visibleText(gate)).toContain(cannot);
    await tick('U0OPS', gate, 'monitoringActive');
    const one = await shows(gate, '✅ *Monitoring active*: <@U0OPS>');
    await tick('U0REL', one, 'goNoGo');
    await waitFor('two checks ticked', () => current(gate).text.includes('(2 of 4)'));

    // Killed and started again: what was ticked is in Postgres, and the gate goes on from there.
    await bot.stop();
    bot = await startBot(world, { policy: POLICY, datadog: false });
    const two = current(gate);
    await tick('U0REL', two, 'stakeholdersReady');
    await waitFor('three checks ticked', () => current(gate).text.includes('(3 of 4)'));
    await tick('U0ONCALL', current(gate), 'supportStandingBy');
    const checked = await shows(gate, '*Pre-deployment checks* (4 of 4)');
    expect(checked.text).toBe('Production deploy of v1.4.0: waiting for approval (0 of 2)');
    expect(world.github.reviews(run.id)).toHaveLength(0);

    await approve('U0OPS', gate);
    await waitFor('one approval', () => current(gate).text.includes('(1 of 2)'));
    expect(world.github.reviews(run.id)).toHaveLength(0);
    await Promise.all([approve('U0QA', gate), approve('U0QA', gate)]);
    await waitFor('the review on GitHub', () => world.github.reviews(run.id).length === 1);
    expect((await events('v1.4.0', 'release.approve_production')).map((e) => e.actor)).toEqual(['U0QA']);
    // Without Datadog the release waits for a person to confirm it at T+60, as the README says.
    await waitFor('the deploy to finish', () => stateOf('v1.4.0').then((s) => s === 'verifying'));
    expect(world.github.reviews(run.id)).toHaveLength(1);
    await world.slack.sendCommand(bot.eventsUrl, { text: 'confirm v1.4.0 dashboards and error rates checked', userId: 'U0ONCALL' });
    await waitFor('completion', () => stateOf('v1.4.0').then((s) => s === 'completed'));
  }, 120_000);

  it('Datadog down at the gate: never taken as quiet, and a person may tick monitoring meanwhile', async () => {
    await bot.stop();
    bot = await startBot(world, { policy: POLICY });
    world.datadog.outage(true);
    const { gate } = await startToProductionGate('v1.5.0');
    const unread = await shows(gate, 'Datadog could not be read');
    expect(visibleText(unread)).toContain('Ticked by the on-call engineer or the DevOps lead');
    await tick('U0ONCALL', unread, 'monitoringActive');
    await shows(gate, '✅ *Monitoring active*: <@U0ONCALL>');
    world.datadog.outage(false);
    for (const [user, key] of [['U0REL', 'goNoGo'], ['U0REL', 'stakeholdersReady'], ['U0ONCALL', 'supportStandingBy']] as const) {
      const before = current(gate).text;
      await tick(user, current(gate), key);
      await waitFor(`${key} ticked`, () => current(gate).text !== before);
    }
    await approve('U0OPS', gate);
    await waitFor('one approval', () => current(gate).text.includes('(1 of 2)'));
    await approve('U0QA', gate);
    await waitFor('the review on GitHub', () => world.github.reviews(runOf('v1.5.0').id).length === 1);
    expect((await ticksOf('v1.5.0')).find(([, item]) => item === 'monitoringActive')?.[0]).toBe('U0ONCALL');
    await waitFor('completion', () => stateOf('v1.5.0').then((s) => s === 'completed'));
  }, 120_000);

  it('two replicas behave as one: a tick sent to both records once, tminus ticks monitoring once, GitHub is answered once', async () => {
    world.datadog.setMonitors([{ id: 1, name: 'Checkout errors', overallState: 'OK' }]);
    const replica = await startBot(world, { policy: POLICY });
    const where = { channelId: RELEASES_CHANNEL };
    try {
      const { gate } = await startToProductionGate('v1.6.0');
      await shows(gate, '✅ *Monitoring active*: tminus at');
      const both = (userId: string, key: string) => {
        const message = current(gate);
        const box = boxOf(message);
        const value = box.options.map((o) => o.value).find((v) => v.endsWith(`|${key}`))!;
        const selectedOptions = [...new Set([...(box.initial_options ?? []).map((o) => o.value), value])].map((v) => ({ value: v }));
        const at = (url: string) => world.slack.sendBlockAction(url, { ...where, userId, messageTs: message.ts, actionId: TICK, selectedOptions });
        return Promise.all([at(bot.eventsUrl), at(replica.eventsUrl)]);
      };
      for (const [user, key] of [['U0REL', 'goNoGo'], ['U0LEAD', 'stakeholdersReady'], ['U0ONCALL', 'supportStandingBy']] as const) {
        const before = current(gate).text;
        await both(user, key);
        await waitFor(`${key} ticked`, () => current(gate).text !== before);
      }
      const approveAt = (url: string, userId: string) => world.slack.sendBlockAction(url, { ...where, userId, messageTs: gate.ts, actionId: 'gate_approve' });
      await Promise.all([approveAt(bot.eventsUrl, 'U0OPS'), approveAt(replica.eventsUrl, 'U0QA'), approveAt(replica.eventsUrl, 'U0OPS')]);
      const run = runOf('v1.6.0');
      await waitFor('the review on GitHub', () => world.github.reviews(run.id).length === 1);
      await waitFor('completion', () => stateOf('v1.6.0').then((s) => s === 'completed'));
      const expected = [['U0LEAD', 'stakeholdersReady'], ['U0ONCALL', 'supportStandingBy'], ['U0REL', 'goNoGo'], ['tminus', 'monitoringActive']];
      expect((await ticksOf('v1.6.0')).sort()).toEqual(expected);
      expect(await events('v1.6.0', 'release.approve_production')).toHaveLength(1);
      expect(world.github.reviews(run.id)).toHaveLength(1);
    } finally {
      await replica.stop();
    }
  }, 120_000);
});
