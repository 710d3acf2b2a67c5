import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDelivery, WorkflowScript } from '../../src/sandbox/github.js';
import { DEPLOY_WORKFLOW, NO_GATES, RELEASES_CHANNEL, startWorld, visibleText, waitFor, type World } from '../support/harness.js';
import { startWebhookBot } from '../support/webhook-bot.js';

/**
 * Other workflows also run on tag pushes (lint, CI, a second deploy), their runs not listed yet when their
 * deliveries arrive: tminus follows, approves and completes on its own deploy run only.
 */

const SECRET = 'own-run-secret';
const DEPLOY_PATH = `.github/workflows/${DEPLOY_WORKFLOW}`;
/** Polling at 10 minutes once webhooks flow: what moves the release is the deliveries and what they make tminus read. */
const POLICY = `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 300ms, pollIntervalWithWebhooks: 10m, runAppearTimeout: 30s }
planning: { enforceCadence: false }
${NO_GATES}
roles:
  vpEng: { users: [U0VP] }
  releaseEngineer: { users: [U0ENG] }
`;

const quick = (name: string, ms = 300): WorkflowScript => ({ trigger: 'tag', jobs: [{ name, durationMs: ms }] });
/** Another deploy on tag pushes whose first job waits at `production`, as the release's own does later. */
const secondDeploy = (): WorkflowScript => ({
  trigger: 'tag',
  name: 'deploy-docs',
  jobs: [{ name: 'publish-docs', durationMs: 500, environment: 'production' }],
});
/** tminus's deploy run: its production job waits at the protected `production` environment, which tminus answers by policy. */
const ownDeploy = (): WorkflowScript => ({
  trigger: 'tag',
  jobs: [
    { name: 'build-images', durationMs: 1_500 },
    { name: 'deploy-staging', durationMs: 800 },
    { name: 'deploy-production', durationMs: 800, environment: 'production' },
    { name: 'verify', durationMs: 800 },
  ],
});

/** The run a delivery is about (its id from wherever the event carries it), and that run's workflow path. */
function pathOf(world: World, d: Pick<WebhookDelivery, 'payload'>): string | undefined {
  const p = d.payload as { workflow_run?: { id: number }; workflow_job?: { run_id: number }; deployment_callback_url?: string };
  const id = p.workflow_run?.id ?? p.workflow_job?.run_id ?? Number(/\/runs\/(\d+)\//.exec(p.deployment_callback_url ?? '')?.[1]);
  return world.github.runs().find((r) => r.id === id)?.path;
}

describe.each([
  { workflows: 2, first: 'workflow_job' },
  { workflows: 5, first: 'workflow_job' },
  { workflows: 5, first: 'deployment_protection_rule' },
] as const)('$workflows tag-triggered workflows, $first deliveries first, runs listed 3 s late', ({ workflows, first }) => {
  let world: World;
  let bot: Awaited<ReturnType<typeof startWebhookBot>>;

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow(DEPLOY_WORKFLOW, ownDeploy());
    world.github.defineWorkflow('lint.yml', quick('lint'));
    if (workflows === 5) {
      world.github.defineWorkflow('ci.yml', quick('test', 400));
      world.github.defineWorkflow('e2e.yml', quick('e2e', 600));
      world.github.defineWorkflow('deploy-docs.yml', secondDeploy());
    }
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    world.github.setRunListingDelay(3_000);
    bot = await startWebhookBot(world, POLICY, SECRET);
    bot.hook.addProtectionRule('production');
    // The deploy run's own deliveries come last (past the listing delay); among the others, `first` leads.
    bot.hook.delayWebhooks(4_000, (d) => d.event !== 'push' && pathOf(world, d) === DEPLOY_PATH);
    bot.hook.delayWebhooks(800, (d) => d.event !== 'push' && d.event !== first);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('follows, approves and completes on its deploy run only', async () => {
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const top = await waitFor('the release-started', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 started')));
    const completed = await waitFor('COMPLETED', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')), 60_000);
    expect(completed).toBeDefined();

    const runs = world.github.runs().filter((r) => r.head_branch === 'v1.3.0');
    expect(runs).toHaveLength(workflows);
    const own = runs.find((r) => r.path === DEPLOY_PATH)!;
    const others = runs.filter((r) => r.id !== own.id);
    // Other workflows' deliveries of the kind `first` were sent at once (the rest 0.8 s later, the deploy run's 4 s later) and taken.
    const taken = bot.hook.deliveries.filter((d) => d.status === 202 && others.some((o) => o.path === pathOf(world, d)));
    expect(taken.map((d) => d.event)).toContain(first);

    const release = (await bot.tminus.store.findByVersion('v1.3.0'))!;
    expect(release.deployRunId).toBe(own.id);
    const events = await bot.tminus.store.events(release.id);
    const found = events.filter((e) => e.action === 'release.deploy_run_found');
    expect(found).toHaveLength(1);
    expect(found[0]!.details).toMatchObject({ runId: own.id });
    // Nothing tminus recorded names another run.
    for (const e of events) expect(others.map((o) => o.id)).not.toContain((e.details as { runId?: number }).runId);

    // Approved on its own run only: the other deploy's pending production deployment was never answered.
    expect(world.github.reviews(own.id)).toHaveLength(1);
    for (const other of others) expect(world.github.reviews(other.id)).toEqual([]);
    expect(events.filter((e) => e.action === 'github.deployment_approved_by_policy').map((e) => (e.details as { runId: number }).runId)).toEqual([own.id]);

    // Completed after its own run ended, and what the thread says is about that run.
    const ownEnd = Math.max(...world.github.jobs(own.id).map((j) => Date.parse(j.completed_at!)));
    expect(release.state).toBe('completed');
    expect(release.finishedAt!.getTime()).toBeGreaterThanOrEqual(ownEnd);
    expect(world.github.releases().filter((r) => r.tag_name === 'v1.3.0')).toHaveLength(1);
    for (const other of others) if (other.status !== 'completed') world.github.cancelRun(other.id);
  }, 90_000);
});

describe('a hotfix, with another deploy waiting at production first', () => {
  let world: World;
  let bot: Awaited<ReturnType<typeof startWebhookBot>>;

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow(DEPLOY_WORKFLOW, ownDeploy());
    world.github.defineWorkflow('deploy-docs.yml', secondDeploy());
    world.github.defineWorkflow('lint.yml', quick('lint'));
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    world.github.setRunListingDelay(3_000);
    bot = await startWebhookBot(world, POLICY, SECRET);
    bot.hook.addProtectionRule('production');
    bot.hook.delayWebhooks(4_000, (d) => d.event !== 'push' && pathOf(world, d) === DEPLOY_PATH);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('never answers another workflow’s pending production deployment', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'hotfix v1.2.1 checkout double-charges cards --severity high', userId: 'U0ENG' });
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain('Hotfix v1.2.1 raised');
    const top = await waitFor('the hotfix message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('🚨 Hotfix v1.2.1')));
    // The fix on the branch tminus cut from production; CI passes on every commit (the world's): tested; the VP Eng approves.
    await waitFor('the hotfix branch', () => world.github.headOf('hotfix/v1.2.1'));
    world.github.commit('hotfix/v1.2.1', 'fix: charge cards once (#16)');
    const topText = () => visibleText(world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts)!);
    await waitFor('tested by CI', () => topText().includes('✅ Hotfix developed + tested'));
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0VP', channelId: RELEASES_CHANNEL, messageTs: top.ts, actionId: 'gate_approve' });
    const docs = await waitFor('the other deploy waiting at production', () =>
      world.github.runs().find((r) => r.head_branch === 'v1.2.1' && r.path.endsWith('/deploy-docs.yml') && r.status === 'waiting'),
    );
    await waitFor('the hotfix deployed', () => topText().includes('✅ Deployed to production'), 60_000);
    const own = world.github.runs().find((r) => r.head_branch === 'v1.2.1' && r.path === DEPLOY_PATH)!;
    expect(world.github.reviews(own.id)).toHaveLength(1);
    expect(world.github.reviews(docs.id)).toEqual([]);
    expect(world.github.pendingDeployments(docs.id).map((p) => p.environment.name)).toEqual(['production']);
    // Its protection rule delivery was taken, and led nowhere.
    const rules = bot.hook.deliveries.filter((d) => d.event === 'deployment_protection_rule' && d.status === 202);
    expect(rules.some((d) => pathOf(world, d)?.endsWith('/deploy-docs.yml'))).toBe(true);
    const release = (await bot.tminus.store.findByVersion('v1.2.1'))!;
    expect(release.deployRunId).toBe(own.id);
    world.github.cancelRun(docs.id);
  }, 90_000);
});
