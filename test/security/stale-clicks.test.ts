import { randomUUID } from 'node:crypto';
import { WebClient, type KnownBlock } from '@slack/web-api';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checklistItems } from '../../src/domain/checklist.js';
import { classifyBreach } from '../../src/domain/decision-matrix.js';
import type { CheckResult } from '../../src/domain/verification.js';
import { approvalGates, approvals, checklistTicks, releasePlans, releaseEvents, releases } from '../../src/integrations/database/schema.js';
import { checklistItemValue, gateValue, hotfixStepValue, planValue, rollbackItemValue, rollbackNowValue, UNREADABLE_VALUE } from '../../src/messages/button-values.js';
import { CHECKLIST_ACTIONS, checklistMessage, note } from '../../src/messages/checklist.js';
import { rollbackChecklistMessage } from '../../src/messages/rollback.js';
import { breachAlertMessage } from '../../src/messages/verification.js';
import type { SlackMessage } from '../../src/messages/types.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { BOT_TOKEN, DEPLOY_WORKFLOW, deployWorkflow, FAST_TIMINGS, RELEASES_CHANNEL, startBot, startWorld, ungatedDeployWorkflow, waitFor, type Bot, type World } from '../support/harness.js';

const POLICY = `${FAST_TIMINGS}
roles:
  engineeringLead: { users: [U0HEAD] }
  engineeringLeadership: { users: [U0HEAD, U0HEAD2] }
  vpEng: { users: [U0VP] }
  cto: { users: [U0CTO] }
  devopsLead: { users: [U0OPS] }
  qaLead: { users: [U0QA] }
  onCall: { users: [U0ONCALL] }
  releaseEngineer: { users: [U0ENG] }
rollback: { pollInterval: 200ms }
productionApproval: { appliesTo: [patch, minor, major] }
`;

const hasAction = (m: StoredMessage, actionId: string) => JSON.stringify(m.blocks).includes(`"action_id":"${actionId}`);
const CRITICAL: CheckResult = { key: 'errorRate', label: 'Error rate', state: 'breach', value: 2.5, unit: '%', threshold: 0.1, direction: 'above' };

/**
 * Clicks on messages that no longer match the world: every one is refused privately, says why and what is
 * current, and changes nothing (no release state, approval or audit entry, no post, no GitHub call).
 */
describe('stale and malformed clicks', () => {
  let world: World;
  let bot: Bot;
  let slack: WebClient;
  /** Messages as they were first posted, with their buttons: the malformed values are clicked on them. */
  const old: Record<string, StoredMessage> = {};

  beforeAll(async () => {
    world = await startWorld();
    // Production guarded on GitHub, so the readiness gate lets releases go on; only the production gate's tests
    // deploy through the environment.
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    world.github.defineWorkflow(DEPLOY_WORKFLOW, ungatedDeployWorkflow());
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Stop new version', 'Start previous version'], durationMs: 20_000 }] });
    bot = await startBot(world, { policy: POLICY });
    slack = new WebClient(BOT_TOKEN, { slackApiUrl: world.slack.apiUrl, retryConfig: { retries: 0 } });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  // ------------------------------------------------------------------ what people do

  async function start(version: string) {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    expect(JSON.stringify(answer.body)).toContain(`release ${version}`);
    const top = await waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
    const gate = await waitFor(`the ${version} gate`, () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => hasAction(m, 'gate_approve')));
    return { top, gate };
  }

  const click = (userId: string, message: StoredMessage, actionId: string, choice: { value?: string; selectedOptions?: { value: string }[] } = {}) =>
    world.slack.sendBlockAction(bot.eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId, ...choice });

  /** Clicks and returns the one private answer the click got. */
  async function answerTo(userId: string, message: StoredMessage, actionId: string, choice: { value?: string; selectedOptions?: { value: string }[] } = {}): Promise<string> {
    const seen = world.slack.ephemerals(userId).length;
    expect((await click(userId, message, actionId, choice)).status).toBe(200);
    const answer = await waitFor(`the answer to ${userId}'s ${actionId}`, () => world.slack.ephemerals(userId)[seen]);
    return answer.text;
  }

  async function reject(userId: string, message: StoredMessage, reason: string): Promise<void> {
    const opened = world.slack.views().length;
    await click(userId, message, 'gate_reject');
    const modal = await waitFor('the rejection modal', () => world.slack.views().slice(opened).find((v) => v.view.callback_id === 'gate_reject_modal' && !v.closed));
    const submitted = await world.slack.sendViewSubmission(bot.eventsUrl, { userId, viewId: modal.id, values: { reason: { reason: { type: 'plain_text_input', value: reason } } } });
    expect(submitted.status).toBe(200);
  }

  /** A message as someone's Slack still shows it: posted as tminus posted it, buttons and values included. */
  async function stillShown(message: StoredMessage | SlackMessage & { threadTs?: string }): Promise<StoredMessage> {
    const posted = await slack.chat.postMessage({ channel: RELEASES_CHANNEL, text: message.text, blocks: message.blocks as KnownBlock[], ...(message.threadTs ? { thread_ts: message.threadTs } : {}) });
    return world.slack.messages(RELEASES_CHANNEL).find((m) => m.ts === posted.ts)!;
  }

  const release = async (version: string) => (await bot.tminus.store.findByVersion(version))!;
  const stateOf = async (version: string) => (await bot.tminus.store.findByVersion(version))?.state;

  // ------------------------------------------------------------------ what an outside observer can check

  /** Everything a click could change: releases, gates, approvals, the audit log, checklists, Slack posts, GitHub. */
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
      posts: world.slack.messages(RELEASES_CHANNEL).length,
      githubDispatches: world.github.dispatches().length,
      githubRuns: world.github.runs().length,
    };
  }

  /** Waits until tminus has nothing more to do: the observable world stays the same for ten looks in a row. */
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

  /** The click's private answer, after which the world must be as it was. */
  async function refused(what: string, userId: string, message: StoredMessage, actionId: string, choice: { value?: string; selectedOptions?: { value: string }[] } = {}): Promise<string> {
    const before = await settled(`the world before ${what}`);
    const answer = await answerTo(userId, message, actionId, choice);
    expect(await settled(`the world after ${what}`)).toEqual(before);
    return answer;
  }

  // ------------------------------------------------------------------ the stale clicks

  it('Approve on the gate of a release that was rejected', async () => {
    const { gate } = await start('v1.3.0');
    await reject('U0HEAD', gate, 'Load tests are not done');
    await waitFor('the rejection', async () => (await stateOf('v1.3.0')) === 'rejected');
    old.gate = await stillShown(gate);

    const answer = await refused('a stale Approve', 'U0HEAD2', old.gate, 'gate_approve');
    expect(answer).toBe('🚫 This approval for v1.3.0 was already rejected by <@U0HEAD>. Current state: rejected.');
    // Reject again, on the same old message: refused the same way, and no modal opens.
    const modals = world.slack.views().length;
    expect(await refused('a stale Reject', 'U0HEAD2', old.gate, 'gate_reject')).toContain('This approval for v1.3.0 was already rejected');
    expect(world.slack.views()).toHaveLength(modals);
  });

  it('Approve on the production gate after the deploy run was cancelled on GitHub: the release ended, its gate waits no more', async () => {
    const script = deployWorkflow();
    script.jobs[2]!.environment = 'production';
    world.github.defineWorkflow(DEPLOY_WORKFLOW, script);
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    const { top, gate } = await start('v1.4.0');
    await click('U0HEAD', gate, 'gate_approve');
    const production = await waitFor('the production gate', () =>
      world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('Production deploy of v1.4.0') && hasAction(m, 'gate_approve')),
    );
    // Later releases deploy without the production environment's reviewers.
    world.github.defineWorkflow(DEPLOY_WORKFLOW, ungatedDeployWorkflow());
    const run = world.github.runs().find((r) => r.head_branch === 'v1.4.0')!;
    await click('U0OPS', production, 'gate_approve');
    await waitFor('the first production approval', async () => (await bot.tminus.store.events((await release('v1.4.0')).id)).some((e) => e.action === 'approval.approved' && e.actor === 'U0OPS'));

    // GitHub is the truth: the cancelled run ends the release (failed, or rejected when the cancel answered the
    // pending deployment), and an ended release's production gate no longer waits for anyone.
    world.github.cancelRun(run.id);
    const ended = await waitFor('the release to end', async () => {
      const r = await release('v1.4.0');
      return r.state === 'failed' || r.state === 'rejected' ? r : undefined;
    });
    const [gateRow] = (await bot.database.db.select().from(approvalGates)).filter((g) => g.releaseId === ended.id && g.kind === 'production');
    expect(gateRow!.state).not.toBe('open');

    const answer = await refused('Approve on a closed production gate', 'U0QA', await stillShown(production), 'gate_approve');
    expect(answer).toMatch(new RegExp(`^🚫 This approval for the production deploy of v1\\.4\\.0 is closed: .*\\. Current state: ${ended.state}\\.$`));
    expect(answer).toMatch(/cancelled|rejected on GitHub/);
    expect(world.github.reviews(run.id)).toHaveLength(0);
  });

  it('Approve on the production gate after the deploy run was deleted on GitHub: the release failed, the gate closed', async () => {
    const script = deployWorkflow();
    script.jobs[2]!.environment = 'production';
    world.github.defineWorkflow(DEPLOY_WORKFLOW, script);
    const { top, gate } = await start('v1.3.5');
    await click('U0HEAD', gate, 'gate_approve');
    const production = await waitFor('the production gate', () =>
      world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('Production deploy of v1.3.5') && hasAction(m, 'gate_approve')),
    );
    world.github.defineWorkflow(DEPLOY_WORKFLOW, ungatedDeployWorkflow());
    world.github.deleteRun(world.github.runs().find((r) => r.head_branch === 'v1.3.5')!.id);
    await waitFor('the release to fail', async () => (await stateOf('v1.3.5')) === 'failed');
    const failed = await release('v1.3.5');
    await waitFor('the production gate to close', async () =>
      (await bot.database.db.select().from(approvalGates)).some((g) => g.releaseId === failed.id && g.kind === 'production' && g.state === 'closed'),
    );

    const answer = await refused('Approve on a closed production gate', 'U0OPS', await stillShown(production), 'gate_approve');
    expect(answer).toBe(`🚫 This approval for the production deploy of v1.3.5 is closed: the release failed (${failed.failureReason}). Current state: failed.`);
  });

  it('a double click after the gate was decided', async () => {
    const { gate } = await start('v1.4.1');
    await click('U0HEAD', gate, 'gate_approve');
    await waitFor('v1.4.1 to complete', async () => (await stateOf('v1.4.1')) === 'completed');
    const answer = await refused('the second click', 'U0HEAD', await stillShown(gate), 'gate_approve');
    expect(answer).toBe('🚫 This approval for v1.4.1 was already approved by <@U0HEAD>. Current state: completed.');
  });

  it('"Roll back now" on a release that production no longer runs; a rollback checklist tick on a release that was not rolled back', async () => {
    const first = await release('v1.4.1');
    const { gate } = await start('v1.4.2');
    await click('U0HEAD', gate, 'gate_approve');
    await waitFor('v1.4.2 to complete', async () => (await stateOf('v1.4.2')) === 'completed');
    // The alert about v1.4.1, as it was posted before v1.4.2 shipped.
    const alert = breachAlertMessage({
      releaseId: first.id,
      version: first.version,
      result: CRITICAL,
      classification: classifyBreach(bot.policy, CRITICAL),
      deadline: new Date(),
      mentions: ['U0ONCALL'],
      timeZone: 'UTC',
      autoRollback: false,
    });
    old.alert = await stillShown(alert);
    expect(JSON.parse(JSON.stringify(old.alert.blocks)) as unknown).toEqual(alert.blocks);

    const answer = await refused('a stale Roll back now', 'U0ONCALL', old.alert, 'rollback_now');
    expect(answer).toBe('🚫 v1.4.1 is no longer what production runs: v1.4.2 is. Use `/release rollback v1.4.2` if that one is broken.');
    expect(await stateOf('v1.4.1')).toBe('completed');

    old.rollbackChecklist = await stillShown(rollbackChecklistMessage({ releaseId: first.id, version: first.version, ticked: {}, timeZone: 'UTC' }));
    const tick = await refused('a rollback checklist tick', 'U0ONCALL', old.rollbackChecklist, 'rollback_checklist', {
      selectedOptions: [{ value: rollbackItemValue({ releaseId: first.id, item: 'dataIntegrity' }) }],
    });
    expect(tick).toBe('🚫 The rollback checklist of v1.4.1 is closed: v1.4.1 completed. Current state: completed.');
  });

  it('a hotfix step ticked after the hotfix was rejected', async () => {
    const raised = await world.slack.sendCommand(bot.eventsUrl, { text: 'hotfix v1.4.3 checkout double-charges cards', userId: 'U0ENG' });
    expect(JSON.stringify(raised.body)).toContain('Hotfix v1.4.3 raised');
    const hotfix = await waitFor('the hotfix message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('🚨 Hotfix v1.4.3') && hasAction(m, 'gate_reject')));
    expect(hasAction(hotfix, 'hotfix_step:emergencyCall')).toBe(true);
    await reject('U0VP', hotfix, 'Not a hotfix: it waits for v1.5.0');
    await waitFor('the rejection', async () => (await stateOf('v1.4.3')) === 'rejected');
    old.hotfix = await stillShown(hotfix);

    const answer = await refused('a stale step tick', 'U0ONCALL', old.hotfix, 'hotfix_step:emergencyCall');
    expect(answer).toBe('🚫 Hotfix v1.4.3 was rejected: its checklist is closed. Current state: rejected.');
    expect((await release('v1.4.3')).hotfix?.steps).toEqual({});
    expect(await refused("the hotfix's stale Approve", 'U0VP', old.hotfix, 'gate_approve')).toContain('This approval for v1.4.3 was already rejected by <@U0VP>');
  });

  it('a pre-release checklist tick and an override on a plan that was cancelled', async () => {
    const [plan] = await bot.database.db
      .insert(releasePlans)
      .values({ version: 'v1.9.0', type: 'minor', plannedAt: new Date(Date.now() + 86_400_000), requestedBy: 'U0ENG', channelId: RELEASES_CHANNEL, state: 'cancelled' })
      .returning();
    const checklist = bot.policy.checklists.before72h;
    const items = checklistItems(checklist, plan!.version);
    old.checklist = await stillShown(checklistMessage({ planId: plan!.id, version: plan!.version, key: 'before72h', checklist, items, ticks: [], timeZone: 'UTC' }));
    old.override = await stillShown(note('⛔ v1.9.0 cannot start yet', { actionId: CHECKLIST_ACTIONS.override, text: 'Override and start', value: planValue(plan!.id) }));

    const tick = await refused('a checklist tick', 'U0QA', old.checklist, 'checklist-tick:before72h:0:0', {
      selectedOptions: [{ value: checklistItemValue({ planId: plan!.id, checklist: 'before72h', item: items[0]!.id }) }],
    });
    expect(tick).toBe('🚫 The plan for v1.9.0 was cancelled: its checklists are closed.');
    const override = await refused('an override', 'U0HEAD', old.override, CHECKLIST_ACTIONS.override);
    expect(override).toBe('🚫 The plan for v1.9.0 was cancelled: its checklists are closed.');
  });

  it('malformed values, and values naming nothing, get a private error on every action', async () => {
    const id = randomUUID;
    const targets: { actionId: string; message: StoredMessage; checkbox?: boolean; naming: string; nothing: string }[] = [
      { actionId: 'gate_approve', message: old.gate!, naming: gateValue({ releaseId: id(), gateId: id() }), nothing: '🚫 This approval request no longer exists.' },
      { actionId: 'gate_reject', message: old.gate!, naming: gateValue({ releaseId: id(), gateId: id() }), nothing: '🚫 This approval request no longer exists.' },
      { actionId: 'hotfix_step:emergencyCall', message: old.hotfix!, naming: hotfixStepValue({ releaseId: id(), step: 'emergencyCall' }), nothing: '🚫 This hotfix no longer exists.' },
      { actionId: 'rollback_now', message: old.alert!, naming: rollbackNowValue({ releaseId: id(), version: 'v9.9.9' }), nothing: '🚫 The release this button was made for (v9.9.9) no longer exists.' },
      { actionId: 'rollback_checklist', message: old.rollbackChecklist!, checkbox: true, naming: rollbackItemValue({ releaseId: id(), item: 'dataIntegrity' }), nothing: '🚫 This release no longer exists.' },
      { actionId: 'checklist-tick:before72h:0:0', message: old.checklist!, checkbox: true, naming: checklistItemValue({ planId: id(), checklist: 'before72h', item: '0.0' }), nothing: '🚫 This planned release no longer exists.' },
      { actionId: CHECKLIST_ACTIONS.override, message: old.override!, naming: planValue(id()), nothing: '🚫 This planned release no longer exists.' },
    ];
    const before = await settled('the world before the malformed clicks');
    const answers = world.slack.ephemerals('U0QA').length;
    let clicks = 0;
    for (const target of targets) {
      const send = (value: string) => (target.checkbox ? { selectedOptions: [{ value }] } : { value });
      for (const bad of ['garbage', 'not-a-uuid|x', '', 'x'.repeat(3000)]) {
        expect(await answerTo('U0QA', target.message, target.actionId, send(bad)), `${target.actionId} with ${JSON.stringify(bad.slice(0, 20))}`).toBe(UNREADABLE_VALUE);
        clicks++;
      }
      expect(await answerTo('U0QA', target.message, target.actionId, send(target.naming)), `${target.actionId} naming nothing`).toBe(target.nothing);
      clicks++;
    }
    expect(await settled('the world after the malformed clicks')).toEqual(before);
    expect(world.slack.ephemerals('U0QA')).toHaveLength(answers + clicks);
  });

  it('"Roll back now" on a release that is already rolling back', async () => {
    const live = await release('v1.4.2');
    const alert = await stillShown(
      breachAlertMessage({ releaseId: live.id, version: live.version, result: CRITICAL, classification: classifyBreach(bot.policy, CRITICAL), deadline: new Date(), mentions: ['U0ONCALL'], timeZone: 'UTC', autoRollback: false }),
    );
    await click('U0ONCALL', alert, 'rollback_now');
    await waitFor('the rollback run', async () => (await release('v1.4.2')).rollback?.runId !== undefined);
    await waitFor('the rollback notice', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('⚠️ ROLLBACK NOTICE: v1.4.2')));

    const answer = await refused('a second Roll back now', 'U0ONCALL', alert, 'rollback_now');
    expect(answer).toBe(`🚫 v1.4.2 is already rolling back to ${live.previousVersion}, started by <@U0ONCALL>.`);
    expect(await stateOf('v1.4.2')).toBe('rolling_back');
    expect(world.github.dispatches()).toHaveLength(1);
  });
});
