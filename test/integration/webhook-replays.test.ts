import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubDeliveries } from '../../src/integrations/database/github-deliveries.js';
import { GitHubWebhooks } from '../../src/sandbox/github.js';
import { deployWorkflow, NO_GATES, RELEASES_CHANNEL, startWorld, waitFor, type World } from '../support/harness.js';
import { startWebhookBot } from '../support/webhook-bot.js';

const SECRET = 'replay-test-secret';
type WebhookBot = Awaited<ReturnType<typeof startWebhookBot>>;

/** A signed delivery sent as GitHub would, with the id given. */
function send(url: string, event: string, id: string, body: string) {
  return fetch(url, { method: 'POST', headers: GitHubWebhooks.headers(event, id, body, SECRET), body });
}

async function answerOf(response: Response): Promise<{ status: number; message: string }> {
  return { status: response.status, message: ((await response.json()) as { message: string }).message };
}

describe('a captured delivery replayed, and an old event', () => {
  let world: World;
  let bot: WebhookBot;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startWebhookBot(world, `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, pollIntervalWithWebhooks: 10m, runAppearTimeout: 20s }
planning: { enforceCadence: false }
${NO_GATES}`, SECRET);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    await waitFor('v1.3.0 to complete', async () => (await bot.tminus.store.findByVersion('v1.3.0'))?.state === 'completed', 40_000);
    await bot.hook.settled();
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('a signed body replayed under a new X-GitHub-Delivery is "already received" and changes nothing', async () => {
    const deliveries = new GitHubDeliveries(bot.database.db);
    const captured = bot.hook.deliveries.find((d) => d.event === 'workflow_run' && d.action === 'completed' && d.status === 202)!;
    const before = { last: await deliveries.lastDeliveryAt() };
    for (let i = 0; i < 3; i += 1) {
      const id = randomUUID();
      expect(await answerOf(await send(bot.webhookUrl, captured.event, id, captured.body))).toEqual({ status: 200, message: 'already received' });
      expect(await bot.tminus.jobs.queue.getJob(`github-event-${id}`)).toBeUndefined();
    }
    expect(await deliveries.lastDeliveryAt()).toEqual(before.last);
    expect((await bot.tminus.store.findByVersion('v1.3.0'))?.state).toBe('completed');
  });

  it('an event that happened long ago does not count as webhooks flowing', async () => {
    const deliveries = new GitHubDeliveries(bot.database.db);
    const last = await deliveries.lastDeliveryAt();
    const run = world.github.runs().find((r) => r.head_branch === 'v1.3.0')!;
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const old = JSON.stringify({ action: 'completed', workflow_run: { ...run, updated_at: twoHoursAgo }, repository: { full_name: world.github.fullName } });
    expect((await send(bot.webhookUrl, 'workflow_run', randomUUID(), old).then(answerOf)).status).toBe(202);
    expect(await deliveries.lastDeliveryAt()).toEqual(last);
    const now = new Date().toISOString();
    const fresh = JSON.stringify({ action: 'completed', workflow_run: { ...run, updated_at: now }, repository: { full_name: world.github.fullName } });
    expect((await send(bot.webhookUrl, 'workflow_run', randomUUID(), fresh).then(answerOf)).status).toBe(202);
    expect((await deliveries.lastDeliveryAt())!.getTime()).toBeGreaterThan(last!.getTime());
  });
});

describe('a restart while a release deploys, webhooks and polling at 10 minutes', () => {
  let world: World;
  const bots: WebhookBot[] = [];
  const policy = `
statusUpdates: { interval: 1m }
deploy: { pollInterval: 10m, pollIntervalWithWebhooks: 10m, runAppearTimeout: 1m }
planning: { enforceCadence: false }
${NO_GATES.replace('productionApproval: { appliesTo: [] }', 'productionApproval: { appliesTo: [patch, minor, major] }')}
roles:
  engineeringLead: { users: [U0LEAD] }
  engineeringLeadership: { users: [U0HEAD, U0HEAD2] }
  vpEng: { users: [U0VP] }
  devopsLead: { users: [U0OPS] }
`;

  beforeAll(async () => {
    world = await startWorld();
    const script = deployWorkflow({ images: 2_000, staging: 500 });
    script.jobs[2]!.environment = 'production';
    world.github.defineWorkflow('deploy-production.yml', script);
    world.github.protectEnvironment('production', [world.github.tokenOwner, 'octocat']);
  });
  afterAll(async () => {
    for (const bot of bots) await bot.stop().catch(() => undefined);
    await world?.close();
  });

  it('reads the release at once after the restart: the production gate is posted within seconds, not at the next 10-minute poll', async () => {
    const first = await startWebhookBot(world, policy, SECRET);
    bots.push(first);
    await waitFor('the tags to be read', () => first.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
    await world.slack.sendCommand(first.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const top = await waitFor('the release-started', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 started')));
    await waitFor('the deploy run followed', async () => (await first.tminus.store.findByVersion('v1.3.0'))?.deployRunId);
    expect(await new GitHubDeliveries(first.database.db).lastDeliveryAt()).toBeDefined();
    await first.stop();
    bots.splice(0, 1);

    // While tminus is down the run reaches production and waits there: GitHub's deliveries of that are lost.
    await waitFor('the run waiting at production', () => world.github.runs().find((r) => r.head_branch === 'v1.3.0' && r.status === 'waiting'), 20_000);

    const restartedAt = Date.now();
    const second = await startWebhookBot(world, policy, SECRET);
    bots.push(second);
    // Flowing only after a delivery arrives after the start: the deliveries before the restart do not count.
    expect(await new GitHubDeliveries(second.database.db, new Date(restartedAt)).lastDeliveryAt()).toBeUndefined();
    const gate = () => world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.startsWith('Production deploy of v1.3.0'));
    await waitFor('the production gate', () => gate()[0], 15_000);
    const late = Date.now() - restartedAt;
    console.log(`restart → production gate posted: ${late} ms (polling at 10 minutes)`);
    expect(late).toBeLessThan(10_000);
    expect((await second.tminus.store.findByVersion('v1.3.0'))?.state).toBe('awaiting_production_approval');
    expect(gate()).toHaveLength(1);
  }, 60_000);
});
