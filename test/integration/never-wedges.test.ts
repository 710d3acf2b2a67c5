import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { deleteQueueKeys, RELEASES_CHANNEL, ungatedDeployWorkflow, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * A release never wedges: tminus follows what really happened on GitHub, whoever acted there, rides out
 * GitHub's outages, and every state has a way out by hand.
 */
const POLICY = `
statusUpdates: { interval: 1s }
deploy: { pollInterval: 200ms, runAppearTimeout: 6s, rerunWindow: 1m, rerunPollInterval: 300ms }
releaseTypes:
  patch: { approvers: [] }
  minor: { approvers: [] }
  major: { approvers: [] }
roles:
  onCall: { users: [U0ONCALL] }
  devopsLead: { users: [U0OPS] }
  qaLead: { users: [U0QA] }
rollback: { pollInterval: 200ms, runAppearTimeout: 5s, giveUpAfter: 8s }
planning: { enforceCadence: false }
productionApproval: { appliesTo: [patch, minor, major] }
`;

/**
 * Production is guarded on GitHub (tminus's account and octocat are required reviewers), so the readiness gate
 * lets releases go on; the deploy job targets the environment only where a test gates it (`gatedWorkflow`).
 */
function guardedWorld(world: World): void {
  world.github.protectEnvironment('production', [world.github.tokenOwner, 'octocat']);
  world.github.defineWorkflow('deploy-production.yml', ungatedDeployWorkflow());
}


const hasAction = (m: StoredMessage, actionId: string) => JSON.stringify(m.blocks).includes(`"action_id":"${actionId}"`);

describe('a release never wedges', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    guardedWorld(world);
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Start previous version'], durationMs: 600 }] });
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const state = async (version: string) => (await bot.tminus.store.findByVersion(version))?.state;
  const release = async (version: string) => (await bot.tminus.store.findByVersion(version))!;
  const command = (text: string, userId = 'U0ENG') => world.slack.sendCommand(bot.eventsUrl, { text, userId });
  const thread = (top: StoredMessage) => world.slack.thread(RELEASES_CHANNEL, top.ts);
  const runOf = (version: string) => waitFor(`the run of ${version}`, () => world.github.runs().find((r) => r.head_branch === version));
  const untilState = (version: string, wanted: string, timeoutMs = 30_000) =>
    waitFor(`${version} to be ${wanted}`, () => state(version).then((s) => s === wanted), timeoutMs);
  const rollbackDispatches = () => world.github.dispatches().filter((d) => d.workflow === 'rollback.yml').length;

  async function start(version: string): Promise<StoredMessage> {
    const answer = await command(`start ${version}`);
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain(`release ${version}`);
    return waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
  }

  function gatedWorkflow(): void {
    const script = ungatedDeployWorkflow();
    script.jobs[2]!.environment = 'production';
    world.github.defineWorkflow('deploy-production.yml', script);
    world.github.protectEnvironment('production', [world.github.tokenOwner, 'octocat']);
  }

  it('production approved in GitHub’s own UI: the release follows it, completes, and says who acted where', async () => {
    gatedWorkflow();
    const top = await start('v1.3.0');
    await untilState('v1.3.0', 'awaiting_production_approval');
    const gate = await waitFor('the production gate', () => thread(top).find((m) => m.text.startsWith('Production deploy of v1.3.0') && hasAction(m, 'gate_approve')));
    const run = await runOf('v1.3.0');
    world.github.reviewAs(run.id, 'octocat', 'approved', 'ship it');

    await untilState('v1.3.0', 'completed');
    const closed = await waitFor('the gate message to say who approved on GitHub', () =>
      thread(top).find((m) => m.ts === gate.ts && visibleText(m).includes('Approved on GitHub by @octocat')),
    );
    expect(hasAction(closed, 'gate_approve')).toBe(false);
    const events = await bot.tminus.store.events((await release('v1.3.0')).id);
    expect(events.find((e) => e.action === 'release.production_approved_on_github')?.actor).toBe('github:octocat');
    await waitFor('the complete message', () => thread(top).find((m) => m.text.includes('COMPLETED')));
    // Nothing after the end, and the next release may start.
    const count = thread(top).length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(thread(top).slice(count).filter((m) => m.text.includes('IN PROGRESS'))).toHaveLength(0);
  });

  it('production rejected in GitHub’s UI: the release ends rejected and blocks nothing', async () => {
    const top = await start('v1.3.1');
    await untilState('v1.3.1', 'awaiting_production_approval');
    world.github.reviewAs((await runOf('v1.3.1')).id, 'octocat', 'rejected', 'not on a Friday');
    await untilState('v1.3.1', 'rejected');
    await waitFor('the thread to say it', () => thread(top).find((m) => visibleText(m).includes('Rejected on GitHub by @octocat')));
    expect((await release('v1.3.1')).failureReason).toContain('not on a Friday');
  });

  it('a run cancelled on GitHub while it waits at the production gate fails the release (it is not a rejection) and closes the gate', async () => {
    const top = await start('v1.3.1-rc.1');
    await untilState('v1.3.1-rc.1', 'awaiting_production_approval');
    world.github.cancelRun((await runOf('v1.3.1-rc.1')).id);
    await untilState('v1.3.1-rc.1', 'failed');
    expect((await release('v1.3.1-rc.1')).failureReason).toContain('cancelled on GitHub');
    const gate = await waitFor('the gate closed', () => thread(top).find((m) => m.text.startsWith('Production deploy of v1.3.1-rc.1') && !hasAction(m, 'gate_approve')));
    expect(visibleText(gate)).toContain('Closed');
  });

  it('a run cancelled on GitHub fails the release; re-run there, tminus follows the new attempt to the end', async () => {
    world.github.defineWorkflow('deploy-production.yml', ungatedDeployWorkflow({ images: 2_000 }));
    const top = await start('v1.3.2');
    const run = await runOf('v1.3.2');
    await untilState('v1.3.2', 'deploying');
    world.github.cancelRun(run.id);
    await untilState('v1.3.2', 'failed');
    await waitFor('the failure message', () => thread(top).find((m) => m.text.includes('FAILED') && visibleText(m).includes('cancelled on GitHub')));

    world.github.rerun(run.id);
    await waitFor('the re-run to be followed', () => thread(top).find((m) => m.text.includes('re-run on GitHub (attempt 2)')));
    await untilState('v1.3.2', 'completed');
    const stored = await release('v1.3.2');
    expect(stored.deployRunAttempt).toBe(2);
    expect(stored.failureReason).toBeNull();
    await waitFor('the complete message', () => thread(top).find((m) => m.text.includes('COMPLETED')));
  });

  it('a run deleted on GitHub fails the release with what to check', async () => {
    world.github.defineWorkflow('deploy-production.yml', ungatedDeployWorkflow({ images: 3_000 }));
    const top = await start('v1.3.3');
    const run = await runOf('v1.3.3');
    await untilState('v1.3.3', 'deploying');
    // Deleted once tminus follows it (GitHub lists runs a little late: a run deleted before tminus's first look
    // is one that never appeared, and ends at `deploy.runAppearTimeout`).
    await waitFor('tminus to follow the run', async () => (await release('v1.3.3')).deployRunId === run.id);
    world.github.deleteRun(run.id);
    await untilState('v1.3.3', 'failed');
    expect((await release('v1.3.3')).failureReason).toContain('deleted on GitHub');
    await waitFor('the failure message', () => thread(top).find((m) => m.text.includes('FAILED')));
  });

  it('an emergency rollback rides out a GitHub outage and dispatches once, with no status updates meanwhile', async () => {
    world.github.defineWorkflow('deploy-production.yml', ungatedDeployWorkflow({ images: 300, staging: 300, production: 300, verify: 300 }));
    const top = await start('v1.4.0');
    await untilState('v1.4.0', 'completed');
    expect((await release('v1.4.0')).previousVersion).toBe('v1.3.2');
    const before = rollbackDispatches();
    const updatesBefore = thread(top).filter((m) => m.text.includes('IN PROGRESS')).length;

    world.github.outage(true);
    const answer = await command('rollback v1.4.0 checkout is broken', 'U0ONCALL');
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain('Rolling v1.4.0 back to v1.3.2');
    await waitFor('the thread to say GitHub is unreachable', () => thread(top).find((m) => m.text.includes('GitHub cannot be reached')));
    expect(await state('v1.4.0')).toBe('rolling_back');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    world.github.outage(false);

    await untilState('v1.4.0', 'rolled_back');
    expect(rollbackDispatches()).toBe(before + 1);
    expect(thread(top).filter((m) => m.text.includes('IN PROGRESS')).length).toBe(updatesBefore);
    const rollback = (await release('v1.4.0')).rollback!;
    expect(rollback.toVersion).toBe('v1.3.2');
    expect(world.github.runs().find((r) => r.id === rollback.runId)?.event).toBe('workflow_dispatch');
  });

  it('a dispatch processed by GitHub whose answer was lost is found, not sent again', async () => {
    const top = await start('v1.4.1');
    await untilState('v1.4.1', 'completed');
    const before = rollbackDispatches();
    world.github.failNext('POST', /\/actions\/workflows\/rollback\.yml\/dispatches$/, 502, 1, { afterProcessing: true });
    await command('rollback v1.4.1 error rate', 'U0ONCALL');
    await untilState('v1.4.1', 'rolled_back');
    expect(rollbackDispatches()).toBe(before + 1);
    const events = await bot.tminus.store.events((await release('v1.4.1')).id);
    expect(events.filter((e) => e.action === 'rollback.dispatch_claimed')).toHaveLength(1);
    expect(events.some((e) => e.action === 'rollback.run_found')).toBe(true);
    await waitFor('the rollback checklist', () => thread(top).find((m) => m.text.includes('Rollback verification')));
  });

  it('a rollback that cannot reach GitHub in time gives up to a person, and blocks nothing', async () => {
    const top = await start('v1.4.2');
    await untilState('v1.4.2', 'completed');
    world.github.outage({ status: 429, retryAfterSeconds: 60 });
    await command('rollback v1.4.2 latency', 'U0ONCALL');
    await untilState('v1.4.2', 'failed', 30_000);
    const said = await waitFor('the manual rollback in the thread', () => thread(top).find((m) => m.text.includes('did not complete')));
    expect(visibleText(said)).toContain('docker-compose');
    expect(visibleText(said)).toContain('<@U0ONCALL>');
    world.github.outage(false);
    // Nothing is in flight any more: the next release starts.
    await start('v1.4.3');
    await untilState('v1.4.3', 'completed');
  });

  it('/release abort ends a release waiting on a gate nobody will press: the run is cancelled, the next one can start', async () => {
    gatedWorkflow();
    const top = await start('v1.5.0');
    await untilState('v1.5.0', 'awaiting_production_approval');
    const run = await runOf('v1.5.0');

    const refused = await command('abort v1.5.0 nobody is around', 'U0QA');
    expect(visibleText(refused.body as { text: string; blocks: unknown[] })).toContain("you can't abort v1.5.0");
    const noReason = await command('abort v1.5.0');
    expect(visibleText(noReason.body as { text: string; blocks: unknown[] })).toContain('Say why');

    // Production was not touched (the run waits before it): no confirmation needed.
    const answer = await command('abort v1.5.0 nobody will approve today');
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain('v1.5.0 is aborted');
    await waitFor('the run to be cancelled on GitHub', () => world.github.runs().find((r) => r.id === run.id && r.conclusion === 'cancelled'));
    await waitFor('the thread to say it', () => thread(top).find((m) => visibleText(m).includes('was aborted') && visibleText(m).includes('cancelled on GitHub')));
    const gate = await waitFor('the production gate closed', () => thread(top).find((m) => m.text.startsWith('Production deploy of v1.5.0') && !hasAction(m, 'gate_approve')));
    expect(visibleText(gate)).toContain('Closed');
    const events = await bot.tminus.store.events((await release('v1.5.0')).id);
    expect(events.find((e) => e.action === 'release.abort')).toMatchObject({ actor: 'U0ENG', details: { reason: 'nobody will approve today' } });

    world.github.defineWorkflow('deploy-production.yml', ungatedDeployWorkflow({ images: 300, staging: 300, production: 300, verify: 4_000 }));
    const next = await start('v1.5.1');
    // Past production: the abort asks first, and points to the rollback.
    await waitFor('production to be deployed', async () => (await release('v1.5.1')).progress?.find((m) => m.key === 'production')?.state === 'done');
    const ask = await command('abort v1.5.1 wrong build');
    expect(visibleText(ask.body as { text: string; blocks: unknown[] })).toContain('/release rollback v1.5.1');
    expect(await state('v1.5.1')).toBe('deploying');
    const question = await waitFor('the question', () => world.slack.ephemerals('U0ENG').find((e) => hasAction(e as unknown as StoredMessage, 'abort_confirm')));
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0ENG', channelId: RELEASES_CHANNEL, messageTs: question.ts, actionId: 'abort_confirm' });
    await untilState('v1.5.1', 'aborted');
    // Its production job targets no environment, so GitHub recorded no deployment: tminus cannot tell, and says so.
    await waitFor('the thread to say the run was left alone', () => thread(next).find((m) => visibleText(m).includes('could not tell whether production was touched')));
    // Aborted after touching production, it may be what production runs: it can still be rolled back.
    const rollback = await command('rollback v1.5.1 wrong build went out', 'U0ONCALL');
    expect(visibleText(rollback.body as { text: string; blocks: unknown[] })).toContain('Rolling v1.5.1 back');
    await untilState('v1.5.1', 'rolled_back');
    // One aborted before production has nothing to roll back.
    const nothing = await command('rollback v1.5.0 just in case', 'U0ONCALL');
    expect(visibleText(nothing.body as { text: string; blocks: unknown[] })).toContain('aborted before its deploy reached production');
  });

  it('a Redis that lost its data and a restart: the reconciler carries a rollback on from Postgres', async () => {
    world.github.defineWorkflow('deploy-production.yml', ungatedDeployWorkflow({ images: 300, staging: 300, production: 300, verify: 300 }));
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Start previous version'], durationMs: 3_000 }] });
    await start('v1.5.2');
    await untilState('v1.5.2', 'completed');
    await command('rollback v1.5.2 memory leak', 'U0ONCALL');
    await waitFor('the rollback run', async () => (await release('v1.5.2')).rollback?.runId !== undefined);
    await bot.stop();
    await deleteQueueKeys(world.redisUrl, world.queuePrefix);
    bot = await startBot(world, { policy: POLICY });
    await untilState('v1.5.2', 'rolled_back');
    expect(world.github.dispatches().filter((d) => d.workflow === 'rollback.yml' && d.inputs.from === 'v1.5.2')).toHaveLength(1);
  });

  it('a run re-run on GitHub after its production gate was decided waits at a new gate, shown in Slack', async () => {
    gatedWorkflow();
    const top = await start('v1.6.0');
    await untilState('v1.6.0', 'awaiting_production_approval');
    const run = await runOf('v1.6.0');
    world.github.reviewAs(run.id, 'octocat', 'approved');
    await untilState('v1.6.0', 'deploying');
    await waitFor('the verify job to start', () => world.github.jobs(run.id).find((j) => j.name === 'verify' && j.status === 'in_progress'));
    world.github.failJob(run.id, 'verify');
    await untilState('v1.6.0', 'failed');

    world.github.rerun(run.id);
    await untilState('v1.6.0', 'awaiting_production_approval');
    const gates = await waitFor('a second production gate with buttons', () => {
      const open = thread(top).filter((m) => m.text.startsWith('Production deploy of v1.6.0'));
      return open.length === 2 && hasAction(open[1]!, 'gate_approve') ? open : undefined;
    });
    const click = (userId: string) => world.slack.sendBlockAction(bot.eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: gates[1]!.ts, actionId: 'gate_approve' });
    await click('U0OPS');
    await click('U0QA');
    await untilState('v1.6.0', 'completed');
    expect(world.github.reviews(run.id).map((r) => r.state)).toEqual(['approved', 'approved']);
  });
});
