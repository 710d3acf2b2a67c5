import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import type { WorkflowScript } from '../../src/sandbox/github.js';
import { RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * `productionApproval.mode: dispatch`, driven as a user would on a repository whose `production` environment has
 * no required reviewers (a private repository on GitHub Team): the tag's run builds and deploys to staging, the
 * production gate waits in Slack, and only its two approvals make tminus dispatch `deploy-production.yml`, once.
 */

const SLOW = { timeout: 120_000 };

const POLICY = `
statusUpdates: { interval: 2s }
deploy: { workflow: release.yml, pollInterval: 200ms, runAppearTimeout: 4s, rerunWindow: 1m, rerunPollInterval: 300ms }
planning: { enforceCadence: false }
releaseTypes:
  patch: { approvers: [] }
  minor: { approvers: [] }
roles:
  engineeringLeadership: { users: [U0HEAD] }
  devopsLead: { users: [U0OPS] }
  qaLead: { users: [U0QA] }
  vpEng: { users: [U0VP] }
  releaseEngineer: { users: [U0ENG] }
productionApproval: { mode: dispatch, appliesTo: [patch, minor, major] }
`;

/** The tag's workflow: images and staging, nothing of production. */
const TAG_WORKFLOW: WorkflowScript = {
  trigger: 'tag',
  jobs: [
    { name: 'build-images', steps: ['Build admin-portal', 'Build wallet-web'], durationMs: 600 },
    { name: 'deploy-staging', steps: ['Deploy to staging', 'Run smoke tests'], durationMs: 600 },
  ],
};

/** The guide's deploy-production.yml, started only by workflow_dispatch, with the version as its one input. */
function productionWorkflow(outcome: 'success' | 'failure' = 'success', durationMs = 700): WorkflowScript {
  return {
    trigger: 'dispatch',
    inputs: { version: { required: true } },
    jobs: [
      { name: 'deploy-production', steps: ['Create pre-deployment backup', 'Deploy new containers'], durationMs, environment: 'production', outcome },
      { name: 'verify', steps: ['Post-deployment checks'], durationMs: 400 },
    ],
  };
}

const hasAction = (m: StoredMessage, actionId: string) => JSON.stringify(m.blocks).includes(`"action_id":"${actionId}"`);

describe('productionApproval.mode: dispatch — tminus holds production on any GitHub plan', () => {
  let world: World;
  let bot: Bot;

  beforeEach(async () => {
    world = await startWorld();
    // No required reviewers: in environment mode the readiness gate would refuse these releases.
    world.github.defineEnvironment('production');
    world.github.defineWorkflow('release.yml', TAG_WORKFLOW);
    world.github.defineWorkflow('deploy-production.yml', productionWorkflow());
    // As on GitHub, a new run shows up in the run listings only seconds after it was created.
    world.github.setRunListingDelay(1_500);
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterEach(async () => {
    await bot?.stop();
    await world?.close();
  });

  const click = (userId: string, message: StoredMessage, actionId = 'gate_approve') =>
    world.slack.sendBlockAction(bot.eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId });
  const release = async (version: string) => (await bot.tminus.store.findByVersion(version))!;
  const actions = async (version: string) => (await bot.tminus.store.events((await release(version)).id)).map((e) => e.action);
  const dispatches = (version: string) => world.github.dispatches().filter((d) => d.workflow === 'deploy-production.yml' && d.ref === version);
  const productionRuns = (version: string) => world.github.runs().filter((r) => r.path.endsWith('/deploy-production.yml') && r.head_branch === version);
  const inThread = (top: StoredMessage, test: (m: StoredMessage) => boolean) => world.slack.thread(RELEASES_CHANNEL, top.ts).find(test);
  const completed = (version: string) => waitFor(`${version} completed`, async () => (await release(version)).state === 'completed', 60_000);

  /** `/release start`, then the tag's run to staging, then the production gate posted in the thread. */
  async function toProductionGate(version: string): Promise<{ top: StoredMessage; gate: StoredMessage }> {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain(`release ${version}`);
    const top = await waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
    const gate = await waitFor(
      'the production gate',
      () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith(`Production deploy of ${version}`) && hasAction(m, 'gate_approve')),
      60_000,
    );
    return { top, gate };
  }

  it('a minor: tag → staging → the gate → two approvals → one dispatch → the production run → post-deploy checks → completed', SLOW, async () => {
    const { top, gate } = await toProductionGate('v1.3.0');
    expect(visibleText(gate)).toContain('Staging runs v1.3.0; tminus dispatches the production workflow `deploy-production.yml` once this gate is met.');
    const card = world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('Readiness') || visibleText(m).includes('Production gate:'));
    expect(visibleText(card!)).toContain('tminus holds production: the production workflow `deploy-production.yml` is dispatched only after 2 approvals');
    // Staging is done and production waits: nothing dispatched yet.
    const tagRun = world.github.runs().find((r) => r.head_branch === 'v1.3.0' && r.path.endsWith('/release.yml'))!;
    expect(tagRun).toMatchObject({ status: 'completed', conclusion: 'success', event: 'push' });
    expect((await release('v1.3.0')).state).toBe('awaiting_production_approval');
    await waitFor('the progress view at the gate', () =>
      world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts && /✅ Deployed to staging[\s\S]*\(0 of 2\)/.test(visibleText(m))),
    );
    expect(world.github.dispatches()).toHaveLength(0);

    await click('U0OPS', gate);
    await waitFor('one approval shown', () => world.slack.messages(RELEASES_CHANNEL).find((m) => m.ts === gate.ts && m.text.includes('(1 of 2)')));
    await new Promise((r) => setTimeout(r, 500));
    expect(world.github.dispatches()).toHaveLength(0);
    await Promise.all([click('U0QA', gate), click('U0QA', gate)]);

    await completed('v1.3.0');
    expect(dispatches('v1.3.0')).toHaveLength(1);
    expect(dispatches('v1.3.0')[0]!.inputs).toEqual({ version: 'v1.3.0' });
    expect(world.github.dispatches()).toHaveLength(1);
    const [run] = productionRuns('v1.3.0');
    expect(productionRuns('v1.3.0')).toHaveLength(1);
    expect(run).toMatchObject({ event: 'workflow_dispatch', conclusion: 'success', head_sha: tagRun.head_sha });

    const done = await release('v1.3.0');
    expect(done.deployRunId).toBe(run!.id);
    const dispatch = { attempts: 1, outcome: 'sent' };
    expect(done.productionDispatch).toMatchObject({ stagingRunId: tagRun.id, runId: run!.id, approvers: ['U0OPS', 'U0QA'], dispatch });
    const trail = await actions('v1.3.0');
    const expected = ['production.staged', 'release.production_approval_requested', 'release.approve_production', 'production.dispatch_claimed'];
    for (const action of [...expected, 'production.dispatched', 'production.run_found', 'release.deploy_succeeded', 'release.post_deploy_checks_passed']) {
      expect(trail).toContain(action);
    }
    expect(trail.indexOf('release.approve_production')).toBeLessThan(trail.indexOf('production.dispatch_claimed'));
    expect(trail.filter((a) => a === 'production.dispatch_claimed')).toHaveLength(1);

    const thread = world.slack.thread(RELEASES_CHANNEL, top.ts);
    const told = thread.filter((m) => m.text.startsWith('🚀 Production deploy of v1.3.0: tminus dispatched'));
    expect(told).toHaveLength(1);
    expect(visibleText(told[0]!)).toMatch(/<@U0OPS> and <@U0QA>/);
    expect(thread.filter((m) => m.text.startsWith('✅ Production deploy of v1.3.0 approved'))).toHaveLength(1);
    // Both runs' milestones in one view: images and staging from the tag's run, production from the dispatched one.
    const shown = visibleText(world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts)!);
    expect(shown).toContain('✅ Docker images built');
    expect(shown).toContain('✅ Deployed to staging');
    expect(shown).toContain('✅ Deployed to production');
  });

  it('a production workflow GitHub does not have: refused before the tag, with what to change', SLOW, async () => {
    await bot.stop();
    bot = await startBot(world, { policy: POLICY.replace('mode: dispatch,', 'mode: dispatch, workflow: ship-production.yml,') });
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    await waitFor('the release to fail', async () => (await bot.tminus.store.findByVersion('v1.3.0'))?.state === 'failed');
    expect(world.github.tags().some((t) => t.name === 'v1.3.0')).toBe(false);
    const top = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 '))!;
    const failed = await waitFor('the failure in the thread', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('FAILED')));
    expect(visibleText(failed)).toContain('GitHub has no such workflow');
    expect(visibleText(failed)).toContain('Add `.github/workflows/ship-production.yml` with a `workflow_dispatch` trigger');
    expect(world.github.requests.some((r) => r.method === 'GET' && r.path.endsWith('/actions/workflows/ship-production.yml'))).toBe(true);
    expect(world.github.dispatches()).toHaveLength(0);
  });

  it('a rejection dispatches nothing and ends the release', SLOW, async () => {
    const { top, gate } = await toProductionGate('v1.3.0');
    await click('U0OPS', gate, 'gate_reject');
    const modal = await waitFor('the rejection modal', () => world.slack.views().find((v) => v.view.callback_id === 'gate_reject_modal' && !v.closed));
    const values = { reason: { reason: { type: 'plain_text_input', value: 'Staging shows a broken checkout' } } };
    await world.slack.sendViewSubmission(bot.eventsUrl, { userId: 'U0OPS', viewId: modal.id, values });
    const notice = await waitFor('the rejection notice', () => inThread(top, (m) => m.text.startsWith('🚫 v1.3.0 was rejected')));
    expect(visibleText(notice)).toContain('`deploy-production.yml` was not dispatched: production still runs the previous version');
    expect((await release('v1.3.0')).state).toBe('rejected');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(world.github.dispatches()).toHaveLength(0);
    expect(productionRuns('v1.3.0')).toHaveLength(0);
    expect(await actions('v1.3.0')).not.toContain('production.dispatch_claimed');
    await waitFor('the top message to say rejected', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts && m.text.includes('rejected')));
  });

  it('the dispatch’s answer lost (GitHub ran it, then answered 502): found among the runs, never sent twice', SLOW, async () => {
    const { gate } = await toProductionGate('v1.3.0');
    world.github.failNext('POST', /\/actions\/workflows\/[^/]+\/dispatches$/, 502, 1, { afterProcessing: true });
    await click('U0OPS', gate);
    await click('U0QA', gate);
    await completed('v1.3.0');
    expect(dispatches('v1.3.0')).toHaveLength(1);
    expect(productionRuns('v1.3.0')).toHaveLength(1);
    const done = await release('v1.3.0');
    expect(done.deployRunId).toBe(productionRuns('v1.3.0')[0]!.id);
    expect((await actions('v1.3.0')).filter((a) => a === 'production.dispatch_claimed')).toHaveLength(1);
  });

  it('restarted between the claim and the dispatch: the dispatch is sent once, after the claim’s run failed to appear', SLOW, async () => {
    const { gate } = await toProductionGate('v1.3.0');
    // The dispatch never reaches GitHub (refused before processing), and tminus is killed right after its claim.
    world.github.failNext('POST', /\/actions\/workflows\/[^/]+\/dispatches$/, 503, 1);
    await click('U0OPS', gate);
    await click('U0QA', gate);
    await waitFor('the claim', async () => (await actions('v1.3.0')).includes('production.dispatch_claimed'));
    await bot.stop();
    expect(world.github.dispatches()).toHaveLength(0);
    bot = await startBot(world, { policy: POLICY });
    await completed('v1.3.0');
    expect(dispatches('v1.3.0')).toHaveLength(1);
    expect(productionRuns('v1.3.0')).toHaveLength(1);
    const claims = (await bot.tminus.store.events((await release('v1.3.0')).id)).filter((e) => e.action === 'production.dispatch_claimed');
    expect(claims.map((c) => c.details.attempt)).toEqual([1, 2]);
    expect(claims[1]!.details.previousAnswerLost).toBeDefined();
  });

  it('GitHub refusing the dispatch for good (an input the workflow does not declare): failed, saying why, production untouched', SLOW, async () => {
    world.github.defineWorkflow('deploy-production.yml', { ...productionWorkflow(), inputs: { release: { required: true } } });
    const { top, gate } = await toProductionGate('v1.3.0');
    await click('U0OPS', gate);
    await click('U0QA', gate);
    const failed = await waitFor('the failure message', () => inThread(top, (m) => m.text.includes('FAILED')), 60_000);
    expect(visibleText(failed)).toContain('GitHub refused to dispatch the production workflow deploy-production.yml');
    expect(visibleText(failed)).toContain('Production was not touched');
    expect((await release('v1.3.0')).state).toBe('failed');
    expect(world.github.dispatches()).toHaveLength(0);
    expect(productionRuns('v1.3.0')).toHaveLength(0);
    expect((await actions('v1.3.0')).filter((a) => a === 'production.dispatch_claimed')).toHaveLength(1);
  });

  it('GitHub down (503s) for a while when the gate is met: said once, ridden out, one dispatch', SLOW, async () => {
    const { top, gate } = await toProductionGate('v1.3.0');
    await click('U0OPS', gate);
    world.github.outage(true);
    await click('U0QA', gate);
    await waitFor('the outage said', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('⚠️ GitHub cannot be reached')));
    await new Promise((r) => setTimeout(r, 2_000));
    world.github.outage(false);
    await completed('v1.3.0');
    expect(dispatches('v1.3.0')).toHaveLength(1);
    expect(productionRuns('v1.3.0')).toHaveLength(1);
    expect(world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.startsWith('⚠️ GitHub cannot be reached'))).toHaveLength(1);
    expect(world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.startsWith('🚀 Production deploy of v1.3.0: tminus dispatched'))).toHaveLength(1);
  });

  it('both layers: the dispatched run waits at required reviewers too, and tminus answers it with the gate’s approvers', SLOW, async () => {
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    const { gate } = await toProductionGate('v1.3.0');
    await click('U0OPS', gate);
    await click('U0QA', gate);
    await completed('v1.3.0');
    const [run] = productionRuns('v1.3.0');
    const reviews = world.github.reviews(run!.id);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ state: 'approved', reviewer: world.github.tokenOwner });
    expect(reviews[0]!.comment).toMatch(/approved by (U0OPS, U0QA|U0QA, U0OPS) \(tminus\)/);
    expect(dispatches('v1.3.0')).toHaveLength(1);
    expect(await actions('v1.3.0')).toContain('production.dispatched_run_approved');
  });

  it('two replicas, the approvals reaching each: one dispatch, each post once', SLOW, async () => {
    const replica = await startBot(world, { policy: POLICY });
    try {
      const { top, gate } = await toProductionGate('v1.3.0');
      await Promise.all([
        world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0OPS', channelId: RELEASES_CHANNEL, messageTs: gate.ts, actionId: 'gate_approve' }),
        world.slack.sendBlockAction(replica.eventsUrl, { userId: 'U0QA', channelId: RELEASES_CHANNEL, messageTs: gate.ts, actionId: 'gate_approve' }),
      ]);
      await waitFor('the complete message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')), 60_000);
      expect(dispatches('v1.3.0')).toHaveLength(1);
      expect(productionRuns('v1.3.0')).toHaveLength(1);
      const thread = world.slack.thread(RELEASES_CHANNEL, top.ts);
      // The gate message (edited in place), the approval, the dispatch: each once.
      for (const start of ['Production deploy of v1.3.0', '✅ Production deploy of v1.3.0 approved', '🚀 Production deploy of v1.3.0: tminus dispatched']) {
        expect(thread.filter((m) => m.text.startsWith(start)).map((m) => m.text.slice(0, 60))).toHaveLength(1);
      }
      expect(thread.filter((m) => m.text.includes('COMPLETED'))).toHaveLength(1);
    } finally {
      await replica.stop();
    }
  });

  it('a tag workflow that itself waits at the protected production environment: followed as in environment mode, nothing dispatched', SLOW, async () => {
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    world.github.defineWorkflow('release.yml', { ...TAG_WORKFLOW, jobs: [...TAG_WORKFLOW.jobs, ...productionWorkflow().jobs] });
    const { gate } = await toProductionGate('v1.3.0');
    await click('U0OPS', gate);
    await click('U0QA', gate);
    await completed('v1.3.0');
    expect(world.github.dispatches()).toHaveLength(0);
    expect(await actions('v1.3.0')).toContain('production.dispatch_skipped');
  });

  it('the production run failing: failed, production touched as GitHub’s deployments say, the rollback offered', SLOW, async () => {
    world.github.defineWorkflow('deploy-production.yml', productionWorkflow('failure'));
    const { top, gate } = await toProductionGate('v1.3.0');
    await click('U0OPS', gate);
    await click('U0QA', gate);
    const failed = await waitFor('the failure message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('FAILED')), 60_000);
    const text = visibleText(failed);
    expect(text).toContain('Production was touched. Roll back to v1.2.0');
    expect(text).toMatch(/GitHub shows deployment \d+ of v1\.3\.0 \([0-9a-f]{7}\) to `production` as `failure`/);
    expect(hasAction(failed, 'rollback_now')).toBe(true);
    expect((await release('v1.3.0')).state).toBe('failed');
    expect(dispatches('v1.3.0')).toHaveLength(1);
    const touch = (await bot.tminus.store.events((await release('v1.3.0')).id)).find((e) => e.action === 'production.touch_read');
    expect(touch?.details).toMatchObject({ touch: 'touched', environment: 'production' });
  });

  it('the production run cancelled on GitHub fails the release; re-run there, tminus follows it to the end, still one dispatch', SLOW, async () => {
    world.github.defineWorkflow('deploy-production.yml', productionWorkflow('success', 3_000));
    const { top, gate } = await toProductionGate('v1.3.0');
    await click('U0OPS', gate);
    await click('U0QA', gate);
    const run = await waitFor('the production run followed', async () => {
      const followed = (await release('v1.3.0')).productionDispatch?.runId;
      return followed === undefined ? undefined : productionRuns('v1.3.0').find((r) => r.id === followed && r.status === 'in_progress');
    });
    world.github.cancelRun(run.id);
    await waitFor('the failure message', () => inThread(top, (m) => m.text.includes('FAILED') && visibleText(m).includes('cancelled on GitHub')));
    expect((await release('v1.3.0')).state).toBe('failed');
    world.github.rerun(run.id);
    await waitFor('the re-run followed', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('re-run on GitHub (attempt 2)')));
    await completed('v1.3.0');
    expect((await release('v1.3.0')).deployRunAttempt).toBe(2);
    expect(dispatches('v1.3.0')).toHaveLength(1);
  });

  /** A hotfix raised, its fix pushed (CI passes on every commit here, so tminus ticks "tested"), approved by the VP Eng, completed. */
  async function hotfixToCompletion(): Promise<StoredMessage[]> {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'hotfix v1.2.1 checkout double-charges cards', userId: 'U0ENG' });
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain('Hotfix v1.2.1 raised');
    const top = () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('🚨 Hotfix v1.2.1'));
    await waitFor('the hotfix branch', () => world.slack.messages(RELEASES_CHANNEL).find((m) => m.text.includes('cut hotfix/v1.2.1')));
    world.github.commit('hotfix/v1.2.1', 'fix: charge cards once (#16)');
    await waitFor('"tested" ticked by CI', () => top() !== undefined && visibleText(top()!).includes('✅ Hotfix developed + tested'));
    await click('U0VP', top()!);
    await completed('v1.2.1');
    expect(dispatches('v1.2.1')).toHaveLength(1);
    expect(productionRuns('v1.2.1')).toHaveLength(1);
    return world.slack.thread(RELEASES_CHANNEL, top()!.ts);
  }

  it('a hotfix (outside appliesTo): dispatched at once after staging, naming the VP Eng who approved it', SLOW, async () => {
    const thread = await hotfixToCompletion();
    expect(thread.some((m) => m.text.startsWith('Production deploy of v1.2.1') && hasAction(m, 'gate_approve'))).toBe(false);
    const told = thread.filter((m) => m.text.startsWith('🚀 Production deploy of v1.2.1: tminus dispatched'));
    expect(told).toHaveLength(1);
    expect(visibleText(told[0]!)).toContain('<@U0VP>');
    expect(visibleText(told[0]!)).toContain('“Immediately”');
    const done = await release('v1.2.1');
    expect(done.productionDispatch?.approvers).toEqual(['U0VP']);
    expect(await actions('v1.2.1')).toContain('production.staged');
  });

  it('a hotfix, both layers: its dispatched run waits at required reviewers, and tminus answers it once, naming the VP Eng', SLOW, async () => {
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    await hotfixToCompletion();
    const reviews = world.github.reviews(productionRuns('v1.2.1')[0]!.id);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ state: 'approved', reviewer: world.github.tokenOwner });
    expect(reviews[0]!.comment).toContain('U0VP');
  });
});
