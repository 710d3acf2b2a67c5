import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubWebhooks } from '../../src/sandbox/github.js';
import {
  deployWorkflow,
  NO_GATES,
  RELEASES_CHANNEL,
  startWorld,
  visibleText,
  waitFor,
  type World,
} from '../support/harness.js';
import { startWebhookBot } from '../support/webhook-bot.js';

const SECRET = 'webhook-test-secret';
const ROLES = `
roles:
  engineeringLead: { users: [U0LEAD] }
  engineeringLeadership: { users: [U0HEAD, U0HEAD2] }
  vpEng: { users: [U0VP] }
  cto: { users: [U0CTO] }
  devopsLead: { users: [U0OPS] }
`;

/** The first moment (ms) the Slack stand-in shows what `check` looks for, watched at every change. */
function whenSlackShows(world: World, check: () => boolean, timeoutMs = 20_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const look = () => {
      if (!check()) return;
      cleanup();
      resolve(Date.now());
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('timed out waiting for Slack'));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      world.slack.off('change', look);
    };
    world.slack.on('change', look);
    look();
  });
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]!;

function post(url: string, event: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': event, ...headers }, body });
}

describe('GitHub webhooks move a release within seconds, with polling at 10 minutes', () => {
  let world: World;
  let bot: Awaited<ReturnType<typeof startWebhookBot>>;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startWebhookBot(world, `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 10m, pollIntervalWithWebhooks: 10m, runAppearTimeout: 1m }
planning: { enforceCadence: false }
${NO_GATES}`, SECRET);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('completes within seconds of its run ending; each job shows in Slack well under 5 s after GitHub’s event', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    expect(answer.status).toBe(200);
    const top = await waitFor('the release-started message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 started')));
    const topText = () => visibleText(world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts)!);

    const milestones: [job: string, label: string][] = [
      ['build-images', 'Docker images built'],
      ['deploy-staging', 'Deployed to staging'],
      ['deploy-production', 'Deployed to production'],
    ];
    const latencies: number[] = [];
    for (const [job, label] of milestones) {
      const shown = await whenSlackShows(world, () => topText().includes(`✅ ${label}`));
      const delivery = bot.hook.deliveries.find((d) => d.event === 'workflow_job' && d.action === 'completed' && (d.payload.workflow_job as { name: string }).name === job);
      expect(delivery, `the ${job} completed delivery`).toBeDefined();
      latencies.push(shown - delivery!.at);
    }
    const completed = await whenSlackShows(world, () => world.slack.thread(RELEASES_CHANNEL, top.ts).some((m) => m.text.includes('COMPLETED')));
    const runEnded = bot.hook.deliveries.find((d) => d.event === 'workflow_run' && d.action === 'completed')!;
    console.log(`GitHub event → Slack edit with webhooks (polling at 10m): ${latencies.map((l) => `${l} ms`).join(', ')}; p50 ${percentile(latencies, 50)} ms, max ${Math.max(...latencies)} ms; run end → COMPLETED ${completed - runEnded.at} ms`);
    for (const latency of latencies) expect(latency).toBeLessThan(5_000);
    expect(completed - runEnded.at).toBeLessThan(10_000);
    expect((await bot.tminus.store.findByVersion('v1.3.0'))?.state).toBe('completed');
    const found = (await bot.tminus.store.events((await bot.tminus.store.findByVersion('v1.3.0'))!.id)).find((e) => e.action === 'release.deploy_run_found');
    expect(found?.details).toMatchObject({ via: 'webhook' });
  });

  it('refuses a forged or missing signature and changes nothing; ignores another repository', async () => {
    const run = world.github.runs().find((r) => r.head_branch === 'v1.3.0')!;
    const body = JSON.stringify({ action: 'completed', workflow_run: { ...run, conclusion: 'failure' }, repository: { full_name: world.github.fullName } });
    const forgedId = randomUUID();
    const forged = await post(bot.webhookUrl, 'workflow_run', body, {
      'x-github-delivery': forgedId,
      'x-hub-signature-256': `sha256=${createHmac('sha256', 'guessed').update(body).digest('hex')}`,
    });
    expect(forged.status).toBe(401);
    const unsigned = await post(bot.webhookUrl, 'workflow_run', body, { 'x-github-delivery': randomUUID() });
    expect(unsigned.status).toBe(401);
    expect(await bot.tminus.jobs.queue.getJob(`github-event-${forgedId}`)).toBeUndefined();

    const other = JSON.stringify({ action: 'completed', workflow_run: run, repository: { full_name: 'someone/else' } });
    const otherId = randomUUID();
    const ignored = await post(bot.webhookUrl, 'workflow_run', other, GitHubWebhooks.headers('workflow_run', otherId, other, SECRET));
    expect(ignored.status).toBe(200);
    expect(await bot.tminus.jobs.queue.getJob(`github-event-${otherId}`)).toBeUndefined();
    const unknown = JSON.stringify({ action: 'created', repository: { full_name: world.github.fullName } });
    expect((await post(bot.webhookUrl, 'star', unknown, GitHubWebhooks.headers('star', randomUUID(), unknown, SECRET))).status).toBe(200);
    expect((await bot.tminus.store.findByVersion('v1.3.0'))?.state).toBe('completed');
  });

  it('takes a redelivered delivery once', async () => {
    const delivery = bot.hook.deliveries.find((d) => d.event === 'workflow_run' && d.action === 'completed' && d.status === 202)!;
    expect(await bot.hook.redeliver(delivery.id)).toBe(200);
    const job = await bot.tminus.jobs.queue.getJob(`github-event-${delivery.id}`);
    expect(await job?.getState()).toBe('completed');
    expect(job?.attemptsMade).toBe(1);
  });
});

describe('polling is the safety net', () => {
  let world: World;
  let bot: Awaited<ReturnType<typeof startWebhookBot>>;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startWebhookBot(world, `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, pollIntervalWithWebhooks: 1s, runAppearTimeout: 4s }
planning: { enforceCadence: false }
${NO_GATES}`, SECRET);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('a release whose end is never delivered completes anyway: polling catches it up', async () => {
    bot.hook.dropWebhooks((d) => (d.event === 'workflow_run' && d.action === 'completed') || (d.event === 'workflow_job' && d.action === 'completed' && (d.payload.workflow_job as { name: string }).name === 'verify'));
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const top = await waitFor('the release-started message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 started')));
    await waitFor('the complete message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')), 30_000);
    expect(bot.hook.deliveries.filter((d) => d.dropped).map((d) => d.event)).toEqual(expect.arrayContaining(['workflow_run', 'workflow_job']));
    expect(bot.hook.deliveries.some((d) => !d.dropped && d.status === 202)).toBe(true);
  });
});

describe('the production gate hears GitHub’s review', () => {
  let world: World;
  let bot: Awaited<ReturnType<typeof startWebhookBot>>;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startWebhookBot(world, `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 10m, runAppearTimeout: 1m }
planning: { enforceCadence: false }
${NO_GATES.replace('productionApproval: { appliesTo: [] }', 'productionApproval: { appliesTo: [patch, minor, major] }')}${ROLES}`, SECRET);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('an approval given in GitHub’s UI closes the Slack gate within a second (deployment_review)', async () => {
    const script = deployWorkflow();
    script.jobs[2]!.environment = 'production';
    world.github.defineWorkflow('deploy-production.yml', script);
    world.github.protectEnvironment('production', [world.github.tokenOwner, 'octocat']);
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const top = await waitFor('the release-started message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 started')));
    // Opened by the run's waiting, heard through the webhook: polling is at 10 minutes.
    await waitFor('the production gate', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('Production deploy of v1.3.0')), 15_000);
    expect((await bot.tminus.store.findByVersion('v1.3.0'))?.state).toBe('awaiting_production_approval');

    const run = world.github.runs().find((r) => r.head_branch === 'v1.3.0')!;
    const approvedAt = Date.now();
    world.github.reviewAs(run.id, 'octocat', 'approved', 'looks good');
    const told = await whenSlackShows(world, () => world.slack.thread(RELEASES_CHANNEL, top.ts).some((m) => visibleText(m).includes('Approved on GitHub by @octocat')), 10_000);
    console.log(`GitHub UI approval → Slack: ${told - approvedAt} ms`);
    expect(told - approvedAt).toBeLessThan(1_000);
    expect((await bot.tminus.store.findByVersion('v1.3.0'))?.state).not.toBe('awaiting_production_approval');
    await waitFor('the complete message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')), 20_000);
  });
});
