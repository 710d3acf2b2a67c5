import { WebClient, type KnownBlock } from '@slack/web-api';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalGates, approvals, checklistTicks, releasePlans, releaseEvents, releases } from '../../src/integrations/database/schema.js';
import { checklistItemValue, gateValue, hotfixStepValue, rollbackItemValue } from '../../src/messages/button-values.js';
import { rollbackChecklistMessage } from '../../src/messages/rollback.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { planRelease } from '../../src/services/plan-release.js';
import { RoleDirectory } from '../../src/services/roles.js';
import { startRelease } from '../../src/services/start-release.js';
import { BOT_TOKEN, FAST_TIMINGS, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const POLICY = `${FAST_TIMINGS}
roles:
  engineeringLead: { users: [U0LEAD] }
  engineeringLeadership: { users: [U0HEAD] }
  vpEng: { users: [U0VP, U0VP2] }
  qaLead: { users: [U0QA] }
  onCall: { users: [U0ONCALL] }
  releaseEngineer: { users: [U0REL] }
checklists:
  before72h:
    sections:
      - title: Code Quality
        items:
          - All PRs merged and reviewed
          - { text: Load test results acceptable, roles: [qaLead] }
`;

/** Someone in the workspace who holds no role. */
const NOBODY = 'U0NOBODY';

const hasAction = (m: StoredMessage, actionId: string) => JSON.stringify(m.blocks).includes(`"action_id":"${actionId}`);

/**
 * Work started or ticked by someone the policy does not allow: each is refused privately, names the role
 * needed, and changes nothing (no release, plan, gate, decision, audit entry or tick; no post; no GitHub call).
 */
describe('permissions: who may start, plan, raise, roll back and tick', () => {
  let world: World;
  let bot: Bot;
  let slack: WebClient;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { policy: POLICY });
    slack = new WebClient(BOT_TOKEN, { slackApiUrl: world.slack.apiUrl, retryConfig: { retries: 0 } });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  /** Everything an attack could change: the database, Slack's channel, GitHub. */
  async function observed() {
    const db = bot.database.db;
    const rows = await db.select({ version: releases.version, state: releases.state, rollback: releases.rollback, hotfix: releases.hotfix }).from(releases);
    const gates = await db.select({ id: approvalGates.id, state: approvalGates.state }).from(approvalGates);
    const [decisions] = await db.select({ n: count() }).from(approvals);
    const [events] = await db.select({ n: count() }).from(releaseEvents);
    const [ticks] = await db.select({ n: count() }).from(checklistTicks);
    const plans = await db.select({ version: releasePlans.version, state: releasePlans.state }).from(releasePlans);
    return {
      releases: Object.fromEntries(rows.map((r) => [r.version, { state: r.state, rollback: r.rollback, hotfix: r.hotfix }])),
      gates: Object.fromEntries(gates.map((g) => [g.id, g.state])),
      approvals: decisions!.n,
      auditLog: events!.n,
      checklistTicks: ticks!.n,
      plans: Object.fromEntries(plans.map((p) => [p.version, p.state])),
      posts: world.slack.messages(RELEASES_CHANNEL).map((m) => `${m.ts}:${m.text}`),
      tags: world.github.tags().map((t) => t.name),
      releaseBranches: ['v1.3.0', 'v1.4.0'].filter((v) => world.github.headOf(`release/${v}`) !== undefined),
      githubDispatches: world.github.dispatches().length,
      githubRuns: world.github.runs().length,
    };
  }

  /** Waits until the observable world stays the same for ten looks in a row. */
  async function settled(what: string): Promise<Awaited<ReturnType<typeof observed>>> {
    let last = '';
    let same = 0;
    await waitFor(`${what} to settle`, async () => {
      const now = JSON.stringify(await observed());
      same = now === last ? same + 1 : 0;
      last = now;
      return same >= 10;
    });
    return JSON.parse(last) as Awaited<ReturnType<typeof observed>>;
  }

  const command = async (text: string, userId: string) => visibleText((await world.slack.sendCommand(bot.eventsUrl, { text, userId })).body as { text: string; blocks: unknown[] });

  /** A command's private answer, after which the world must be as it was. */
  async function refusedCommand(text: string, userId: string): Promise<string> {
    const before = await settled(`the world before "${text}"`);
    const answer = await command(text, userId);
    expect(answer).toMatch(/^🚫 /);
    expect(await settled(`the world after "${text}"`)).toEqual(before);
    return answer;
  }

  /** A message as tminus would post it, buttons and values as an attacker crafted them. */
  async function crafted(text: string, blocks: unknown[], threadTs?: string): Promise<StoredMessage> {
    const posted = await slack.chat.postMessage({ channel: RELEASES_CHANNEL, text, blocks: blocks as KnownBlock[], ...(threadTs ? { thread_ts: threadTs } : {}) });
    return world.slack.messages(RELEASES_CHANNEL).find((m) => m.ts === posted.ts)!;
  }

  /** A click's one private answer, after which the world must be as it was. */
  async function refusedClick(userId: string, message: StoredMessage, actionId: string, choice: { value?: string; selectedOptions?: { value: string }[] } = {}): Promise<string> {
    const before = await settled(`the world before ${userId}'s ${actionId}`);
    const seen = world.slack.ephemerals(userId).length;
    expect((await world.slack.sendBlockAction(bot.eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId, ...choice })).status).toBe(200);
    const answer = await waitFor(`the answer to ${userId}'s ${actionId}`, () => world.slack.ephemerals(userId)[seen]);
    expect(await settled(`the world after ${userId}'s ${actionId}`)).toEqual(before);
    return answer.text;
  }

  const release = async (version: string) => (await bot.tminus.store.findByVersion(version))!;
  const stateOf = async (version: string) => (await bot.tminus.store.findByVersion(version))?.state;

  it('/release start v9999999999.0.0 is refused: at most one major above production', async () => {
    const answer = await refusedCommand('start v9999999999.0.0', NOBODY);
    expect(answer).toContain('v9999999999.0.0 is more than one major version above what production runs (v1.2.0): the next major is v2.0.0.');
    expect(await refusedCommand('plan v3.0.0', 'U0LEAD')).toContain('more than one major version above what production runs');
  });

  it('a VP Eng may not approve the coordinated rollback they asked for; after a rejection, it may be asked again', async () => {
    expect(await command('start v1.2.1', 'U0REL')).toContain('Starting patch release v1.2.1');
    const top = await waitFor('the v1.2.1 message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.2.1 ')));
    const gate = await waitFor('the v1.2.1 gate', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => hasAction(m, 'gate_approve')));
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0LEAD', channelId: RELEASES_CHANNEL, messageTs: gate.ts, actionId: 'gate_approve' });
    await waitFor('v1.2.1 to complete', async () => (await stateOf('v1.2.1')) === 'completed');

    expect((await refusedCommand('rollback v1.2.1 --coordinated checkout totals are off', NOBODY)).split('\n')[0]).toBe("🚫 you can't ask for a coordinated rollback of v1.2.1: it needs the on-call engineer, an engineering lead, engineering leadership, the VP Eng, the CTO, the DevOps lead, the QA lead or a release engineer (`permissions.coordinatedRollback`).");
    expect(await command('rollback v1.2.1 --coordinated checkout totals are off', 'U0VP')).toContain("waits for the VP Eng's approval");
    const rollbackGate = await waitFor('the rollback gate', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('Coordinated rollback of v1.2.1') && hasAction(m, 'gate_approve')));
    const own = await refusedClick('U0VP', rollbackGate, 'gate_approve');
    expect(own).toBe("🚫 you can't approve this: you asked for this rollback, and the guide wants someone else to decide");

    // The other VP Eng turns it down; the first may then ask again, and a fresh gate is posted.
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0VP2', channelId: RELEASES_CHANNEL, messageTs: rollbackGate.ts, actionId: 'gate_reject' });
    const modal = await waitFor('the rejection modal', () => world.slack.views().find((v) => v.view.callback_id === 'gate_reject_modal' && !v.closed));
    await world.slack.sendViewSubmission(bot.eventsUrl, { userId: 'U0VP2', viewId: modal.id, values: { reason: { reason: { type: 'plain_text_input', value: 'Fix forward instead' } } } });
    await waitFor('the turned-down notice', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('was turned down')));
    expect(await command('rollback v1.2.1 --coordinated the fix forward failed', 'U0VP')).toContain("waits for the VP Eng's approval");
    const second = await waitFor('a second rollback gate', () =>
      world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.ts !== rollbackGate.ts && m.text.startsWith('Coordinated rollback of v1.2.1') && hasAction(m, 'gate_approve')),
    );
    expect(await refusedClick('U0VP', second, 'gate_approve')).toContain('you asked for this rollback');
    // The old gate's buttons, as an old message still shows them, name a gate that is gone.
    const stale = await crafted('Coordinated rollback of v1.2.1', rollbackGate.blocks, top.ts);
    expect(await refusedClick('U0VP2', stale, 'gate_approve')).toBe('🚫 This approval request no longer exists.');
    const events = (await bot.tminus.store.events((await release('v1.2.1')).id)).map((e) => `${e.action}:${e.actor}`);
    expect(events.filter((e) => e.startsWith('rollback.coordinated_requested'))).toEqual(['rollback.coordinated_requested:U0VP', 'rollback.coordinated_requested:U0VP']);
    expect(events).toContain('rollback.coordinated_superseded:tminus');
    expect(events).toContain('approval.rejected:U0VP2');
  });

  it('a hotfix by someone with no role is refused, naming the roles', async () => {
    const answer = await refusedCommand('hotfix v1.2.2 checkout double-charges cards', NOBODY);
    expect(answer).toContain("You can't raise hotfix v1.2.2: it needs the on-call engineer, an engineering lead, engineering leadership, the VP Eng, the CTO or a release engineer (`permissions.hotfix`).");
  });

  it('one hotfix waits for approval at a time; its steps are ticked only by who may raise one, and never "approved" by a button', async () => {
    // CI still runs on the hotfix's commit: nothing ticks "tested" by itself while the forged clicks are tried.
    world.github.setCheckRuns('main', [{ name: 'test', status: 'in_progress', conclusion: null }]);
    expect(await command('hotfix v1.2.2 checkout double-charges cards', 'U0ONCALL')).toContain('Hotfix v1.2.2 raised');
    const hotfix = await waitFor('the hotfix message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('🚨 Hotfix v1.2.2') && hasAction(m, 'hotfix_step:emergencyCall')));

    const second = await refusedCommand('hotfix v1.2.3 payments fail', 'U0LEAD');
    expect(second).toContain('Hotfix v1.2.2 (raised by <@U0ONCALL>) is still waiting for approval: one hotfix waits for approval at a time.');

    const step = await refusedClick(NOBODY, hotfix, 'hotfix_step:emergencyCall');
    expect(step).toBe("🚫 you can't tick the steps of hotfix v1.2.2: it needs the on-call engineer, an engineering lead, engineering leadership, the VP Eng, the CTO or a release engineer (`permissions.hotfix`).");

    const id = (await release('v1.2.2')).id;
    const forged = await crafted('🚨 Hotfix v1.2.2', [
      { type: 'actions', elements: [{ type: 'button', action_id: 'hotfix_step:hotfixApproved', text: { type: 'plain_text', text: 'Approved' }, value: hotfixStepValue({ releaseId: id, step: 'hotfixApproved' }) }] },
    ]);
    for (const user of [NOBODY, 'U0ONCALL', 'U0VP2']) {
      expect(await refusedClick(user, forged, 'hotfix_step:hotfixApproved')).toContain('tminus ticks that step of v1.2.2 by itself');
    }
    expect((await release('v1.2.2')).hotfix?.steps).toEqual({});
    expect(visibleText(world.slack.messages(RELEASES_CHANNEL).find((m) => m.ts === hotfix.ts)!)).not.toContain('✅ Hotfix approved');
    // A gate value on the step's action id is not a step either.
    const gateForged = await crafted('🚨 Hotfix v1.2.2', [
      { type: 'actions', elements: [{ type: 'button', action_id: 'hotfix_step:monitored', text: { type: 'plain_text', text: 'x' }, value: gateValue({ releaseId: id, gateId: id }) }] },
    ]);
    expect(await refusedClick(NOBODY, gateForged, 'hotfix_step:monitored')).toContain('could not read this button');
  });

  it('a plan two years out is refused (planning.horizon); a plan by someone with no role is refused', async () => {
    const far = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString().slice(0, 10);
    const answer = await refusedCommand(`plan v1.3.0 ${far}`, 'U0LEAD');
    expect(answer).toMatch(/is more than 26w ahead: plan it no later than \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(`planning\.horizon`\)\./);
    const soon = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    const nobody = await refusedCommand(`plan v1.3.0 ${soon}`, NOBODY);
    expect(nobody).toContain("You can't plan v1.3.0: it needs an engineering lead, engineering leadership, a release engineer, the VP Eng or the CTO (`permissions.plan`).");
  });

  it('a plan off the cadence: refused when planned, and at T-0, unless its planner may override the cadence', async () => {
    const policy = { ...bot.policy, planning: { ...bot.policy.planning, enforceCadence: true } };
    const roles = new RoleDirectory(slack, policy);
    const deps = { plans: bot.tminus.releasePlans, store: bot.tminus.store, jobs: bot.tminus.jobs, clock: () => new Date(), policy, roles, releasesChannel: RELEASES_CHANNEL };
    // A Monday at 09:00: never a minor slot (every second Thursday at 14:00).
    const monday = new Date(Date.now() + 7 * 86_400_000);
    monday.setUTCDate(monday.getUTCDate() + ((8 - monday.getUTCDay()) % 7));
    const when = `${monday.toISOString().slice(0, 10)} 09:00`;
    const before = await settled('the world before an off-cadence plan');
    const planned = await planRelease(deps, { versionText: 'v1.3.0', whenText: when, userId: 'U0LEAD' });
    expect(planned).toEqual({
      kind: 'refused',
      reason: `${when} UTC is off the cadence (Minor releases go out every second Thursday at 14:00 UTC): plan it at a slot (\`/release schedule\` lists them). You can't override the cadence for minor releases: it needs engineering leadership (\`permissions.overrideCadence\`).`,
    });
    // A plan made before the rule (or by hand) does not start itself off its slot.
    const started = await startRelease(deps, { versionText: 'v1.3.0', userId: 'U0LEAD', requestId: 'plan-test', planned: true, plannedAt: new Date(`${monday.toISOString().slice(0, 10)}T09:00:00Z`) });
    expect(started).toEqual({
      kind: 'refused',
      reason: "v1.3.0 was planned off the cadence (Minor releases go out every second Thursday at 14:00 UTC), and <@U0LEAD>, who planned it, can't override the cadence for minor releases: it needs engineering leadership (`permissions.overrideCadence`).",
    });
    expect(await settled('the world after an off-cadence plan')).toEqual(before);
  });

  it('a pre-release checklist item is ticked only by its roles: the item\'s own, else permissions.checklist', async () => {
    const [plan] = await bot.database.db
      .insert(releasePlans)
      .values({ version: 'v1.4.0', type: 'minor', plannedAt: new Date(Date.now() + 30 * 86_400_000), requestedBy: 'U0LEAD', channelId: RELEASES_CHANNEL, state: 'planned' })
      .returning();
    const value = (item: string) => checklistItemValue({ planId: plan!.id, checklist: 'before72h', item });
    const actionId = 'checklist-tick:before72h:0:0';
    const message = await crafted('72 Hours Before Release', [
      {
        type: 'actions',
        block_id: `checklist:${plan!.id}:before72h:0:0`,
        elements: [{ type: 'checkboxes', action_id: actionId, options: ['0.0', '0.1'].map((item) => ({ text: { type: 'plain_text', text: item }, value: value(item) })) }],
      },
    ]);
    const none = await refusedClick(NOBODY, message, actionId, { selectedOptions: [{ value: value('0.0') }] });
    expect(none).toBe('🚫 you can\'t tick "All PRs merged and reviewed": it needs a release engineer, the QA lead, the DevOps lead, an engineering lead or engineering leadership (`permissions.checklist`). Nothing was ticked.');
    const qaItem = await refusedClick('U0REL', message, actionId, { selectedOptions: [{ value: value('0.0') }, { value: value('0.1') }] });
    expect(qaItem).toBe('🚫 you can\'t tick "Load test results acceptable": it needs the QA lead (the item\'s `roles`). Nothing was ticked.');
    // The QA lead may tick it.
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0QA', channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId, selectedOptions: [{ value: value('0.1') }] });
    await waitFor('the QA tick', async () => (await bot.tminus.releasePlans.findById(plan!.id)) && (await bot.database.db.select().from(checklistTicks)).some((t) => t.item === '0.1' && t.tickedBy === 'U0QA'));
  });

  it('the rollback checklist is ticked only by who may tick it', async () => {
    const [row] = await bot.database.db
      .insert(releases)
      .values({
        version: 'v1.1.9',
        type: 'patch',
        state: 'rolled_back',
        requestedBy: 'U0REL',
        channelId: RELEASES_CHANNEL,
        startedAt: new Date(Date.now() - 3_600_000),
        finishedAt: new Date(Date.now() - 1_800_000),
        previousVersion: 'v1.1.8',
        rollback: { by: 'U0ONCALL', reason: 'errors', toVersion: 'v1.1.8', startedAt: new Date(Date.now() - 1_800_000).toISOString(), checklist: {} },
      })
      .returning();
    const message = await crafted('Rollback checklist', rollbackChecklistMessage({ releaseId: row!.id, version: 'v1.1.9', ticked: {}, timeZone: 'UTC' }).blocks);
    const answer = await refusedClick(NOBODY, message, 'rollback_checklist', { selectedOptions: [{ value: rollbackItemValue({ releaseId: row!.id, item: 'dataIntegrity' }) }] });
    expect(answer).toMatch(/^🚫 you can't tick the rollback checklist of v1\.1\.9: it needs the on-call engineer, an engineering lead, .* \(`permissions\.rollbackChecklist`\)\.$/);
  });

  it('/release roles lists who may do what', async () => {
    const answer = await command('roles', NOBODY);
    expect(answer).toContain('Who may do what');
    expect(answer).toContain('*Start a release* (`permissions.start`): anyone');
    expect(answer).toContain('*Plan a release* (`permissions.plan`): an engineering lead, engineering leadership, a release engineer, the VP Eng or the CTO');
    expect(answer).toContain("*Abort a release* (`permissions.abort`): whoever asked for it, the type's approvers, the on-call engineer or a release engineer");
    expect(answer).toContain('`permissions.rollbackChecklist`');
  });
});
