import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { deployWorkflow, FAST_TIMINGS, RELEASES_CHANNEL, ungatedDeployWorkflow, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const ROLES = `
roles:
  engineeringLead: { users: [U0LEAD] }
  engineeringLeadership: { users: [U0HEAD, U0HEAD2] }
  vpEng: { users: [U0VP] }
  cto: { users: [U0CTO] }
  devopsLead: { users: [U0OPS] }
  qaLead: { users: [U0QA] }
  onCall: { users: [U0ONCALL] }
`;

/** The guide's two-person production gate, for every type but the hotfix (the default, named so the harness keeps it). */
const PRODUCTION_GATE = `
productionApproval: { appliesTo: [patch, minor, major] }
`;

const hasAction = (m: StoredMessage, actionId: string) => JSON.stringify(m.blocks).includes(`"action_id":"${actionId}"`);

describe('approval gates from the guide', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    // Production is guarded on GitHub (tminus's account a required reviewer), so the readiness gate lets releases
    // of every type go on; the deploy job targets the environment only in the production gate's own test.
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    world.github.defineWorkflow('deploy-production.yml', ungatedDeployWorkflow());
    bot = await startBot(world, { policy: FAST_TIMINGS + ROLES + PRODUCTION_GATE });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  async function start(version: string, userId: string) {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId });
    expect(JSON.stringify(answer.body)).toContain(`release ${version}`);
    const top = await waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
    const gate = await waitFor(`the ${version} gate`, () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => hasAction(m, 'gate_approve')));
    return { top, gate };
  }

  const click = (userId: string, message: StoredMessage, actionId = 'gate_approve') =>
    world.slack.sendBlockAction(bot.eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId });

  /** The private answer a click got (the ephemerals also hold the answers to commands). */
  const answerTo = (userId: string, text: string) =>
    waitFor(`"${text}" answered to ${userId}`, () => world.slack.ephemerals(userId).find((e) => e.text.includes(text)));
  const state = async (version: string) => (await bot.tminus.store.findByVersion(version))?.state;
  const tagged = (version: string) => world.github.tags().some((t) => t.name === version);

  it('minor: only engineering leadership approves, never the requester; a double click counts once', async () => {
    const { top, gate } = await start('v1.3.0', 'U0HEAD');
    expect(visibleText(gate)).toContain('needs approval* from engineering leadership');
    // What the guide asks of a minor, shown to whoever approves it.
    expect(visibleText(gate)).toContain('Testing by the guide: Full test suite + E2E tests. Rollback: Tested, automated.');
    expect(visibleText(gate)).toContain('<@U0HEAD2>');

    expect((await click('U0QA', gate)).status).toBe(200);
    await answerTo('U0QA', "you can't approve this: it needs engineering leadership");
    await click('U0HEAD', gate);
    await answerTo('U0HEAD', 'you started this release');
    expect(await state('v1.3.0')).toBe('awaiting_approval');
    expect(tagged('v1.3.0')).toBe(false);

    await Promise.all([click('U0HEAD2', gate), click('U0HEAD2', gate)]);
    await waitFor('the tag after approval', () => tagged('v1.3.0'));
    const release = (await bot.tminus.store.findByVersion('v1.3.0'))!;
    const events = await bot.tminus.store.events(release.id);
    expect(events.filter((e) => e.action === 'approval.approved').map((e) => e.actor)).toEqual(['U0HEAD2']);
    const edited = await waitFor('the gate message to show the approval', () =>
      world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.ts === gate.ts && m.text.includes('approved')),
    );
    expect(visibleText(edited)).toContain('Approved by <@U0HEAD2>');
    expect(hasAction(edited, 'gate_approve')).toBe(false);
    await waitFor('completion', () => state('v1.3.0').then((s) => s === 'completed'));
  });

  it('major: needs both the CTO and the VP Eng; two clicks at the same instant both count', async () => {
    const { gate } = await start('v2.0.0', 'U0ENG');
    expect(visibleText(gate)).toContain('from the CTO and the VP Eng');
    await click('U0CTO', gate);
    await waitFor('the first approval to be shown', () => world.slack.messages(RELEASES_CHANNEL).find((m) => m.ts === gate.ts && m.text.includes('(1 of 2)')));
    expect(await state('v2.0.0')).toBe('awaiting_approval');
    await click('U0HEAD', gate);
    await answerTo('U0HEAD', "it needs the CTO and the VP Eng");
    // Start over on a fresh count: the VP Eng and the CTO again, racing (the CTO's second click is a repeat).
    await Promise.all([click('U0VP', gate), click('U0CTO', gate)]);
    await waitFor('the tag', () => tagged('v2.0.0'));
    await waitFor('completion', () => state('v2.0.0').then((s) => s === 'completed'));
  });

  it('patch: an engineering lead approves', async () => {
    const { gate } = await start('v2.0.1', 'U0ENG');
    await click('U0HEAD', gate);
    await answerTo('U0HEAD', 'it needs an engineering lead');
    await click('U0LEAD', gate);
    await waitFor('completion', () => state('v2.0.1').then((s) => s === 'completed'));
  });

  it('reject with a reason: the release ends rejected and nothing is deployed', async () => {
    const { top, gate } = await start('v2.1.0', 'U0ENG');
    const runsBefore = world.github.runs().length;
    await click('U0HEAD2', gate, 'gate_reject');
    const modal = await waitFor('the rejection modal', () => world.slack.views().find((v) => v.view.callback_id === 'gate_reject_modal' && !v.closed));
    const empty = await world.slack.sendViewSubmission(bot.eventsUrl, { userId: 'U0HEAD2', viewId: modal.id, values: { reason: { reason: { type: 'plain_text_input', value: ' ' } } } });
    expect(JSON.stringify(empty.body)).toContain('Say why the release is rejected');
    const submitted = await world.slack.sendViewSubmission(bot.eventsUrl, {
      userId: 'U0HEAD2',
      viewId: modal.id,
      values: { reason: { reason: { type: 'plain_text_input', value: 'Load tests are not done' } } },
    });
    expect(submitted.status).toBe(200);
    const notice = await waitFor('the rejection notice', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('was rejected')));
    expect(visibleText(notice)).toContain('Load tests are not done');
    expect(visibleText(notice)).toContain('Nothing was tagged or deployed');
    expect(await state('v2.1.0')).toBe('rejected');
    expect(tagged('v2.1.0')).toBe(false);
    expect(world.github.runs().length).toBe(runsBefore);
    const release = (await bot.tminus.store.findByVersion('v2.1.0'))!;
    const rejection = (await bot.tminus.store.events(release.id)).find((e) => e.action === 'approval.rejected')!;
    expect(rejection.actor).toBe('U0HEAD2');
    expect(rejection.details).toMatchObject({ reason: 'Load tests are not done' });
    await waitFor('the top message to say rejected', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts && m.text.includes('rejected')));

    const log = await world.slack.sendCommand(bot.eventsUrl, { text: 'log v2.1.0', userId: 'U0ENG' });
    const trail = visibleText(log.body as { text: string; blocks: unknown[] });
    expect(trail).toMatch(/<@U0ENG> — asked for minor release v2\.1\.0[\s\S]*<@U0HEAD2> — rejected \(release gate\): Load tests are not done/);
    expect(trail).toMatch(/🤖 tminus — posted: 🚫 v2\.1\.0 was rejected: Load tests are not done/);
  });

  it('production: two distinct approvers, and GitHub\'s pending deployment is approved only after the second', async () => {
    const script = deployWorkflow();
    script.jobs[2]!.environment = 'production';
    world.github.defineWorkflow('deploy-production.yml', script);
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    const { top, gate } = await start('v2.2.0', 'U0ENG');
    await click('U0HEAD', gate);
    const productionGate = await waitFor('the production gate', () =>
      world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('Production deploy of v2.2.0') && hasAction(m, 'gate_approve')),
    );
    expect(await state('v2.2.0')).toBe('awaiting_production_approval');
    const run = world.github.runs().find((r) => r.head_branch === 'v2.2.0')!;
    await waitFor('the progress view to wait for approval', () =>
      world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts && visibleText(m).includes('waiting for approval (0 of 2)')),
    );

    await click('U0OPS', productionGate);
    await waitFor('one approval shown', () => world.slack.messages(RELEASES_CHANNEL).find((m) => m.ts === productionGate.ts && m.text.includes('(1 of 2)')));
    expect(world.github.reviews(run.id)).toHaveLength(0);
    await click('U0ENG', productionGate);
    await answerTo('U0ENG', 'you started this release');

    await Promise.all([click('U0QA', productionGate), click('U0QA', productionGate), click('U0OPS', productionGate)]);
    await waitFor('the review on GitHub', () => world.github.reviews(run.id).length === 1);
    const [review] = world.github.reviews(run.id);
    expect(review).toMatchObject({ state: 'approved', reviewer: world.github.tokenOwner });
    expect(review!.comment).toContain('U0OPS');
    expect(review!.comment).toContain('U0QA');
    await waitFor('completion', () => state('v2.2.0').then((s) => s === 'completed'));
    const release = (await bot.tminus.store.findByVersion('v2.2.0'))!;
    const approvals = (await bot.tminus.store.events(release.id)).filter((e) => e.action === 'approval.approved').map((e) => e.actor);
    expect(approvals).toEqual(['U0HEAD', 'U0OPS', 'U0QA']);
    expect(world.github.reviews(run.id)).toHaveLength(1);
  });
});
