import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import type { WorkflowScript } from '../../src/sandbox/github.js';
import { createReleaseRepository } from '../../src/integrations/github.js';
import { GateStore } from '../../src/integrations/database/gate-store.js';
import { ReleaseStore } from '../../src/integrations/database/release-store.js';
import type { JobContext } from '../../src/jobs/context.js';
import { approveProductionByPolicy } from '../../src/jobs/production-by-policy.js';
import { Posts } from '../../src/services/posts.js';
import { BOT_TOKEN, DEPLOY_WORKFLOW, NO_GATES, realClock, RELEASES_CHANNEL, startWorld, waitFor, type World } from '../support/harness.js';
import { startWebhookBot } from '../support/webhook-bot.js';

/**
 * Where no production gate applies, tminus answers the run's pending `production` deployment itself, once per
 * run attempt. Its answer takes GitHub 1.5 s here, while the run's deliveries (workflow_job, the protection
 * rule) and the polling all find the deployment waiting: the answer is claimed under the release's row lock,
 * so one of them answers and the audit log says "approved by policy" once.
 */
const POLICY = `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, runAppearTimeout: 10s }
planning: { enforceCadence: false }
${NO_GATES}
roles:
  releaseEngineer: { users: [U0ENG] }
`;

const deploy = (): WorkflowScript => ({
  trigger: 'tag',
  jobs: [
    { name: 'build-images', durationMs: 500 },
    { name: 'deploy-production', durationMs: 800, environment: 'production' },
    { name: 'verify', durationMs: 300 },
  ],
});

describe('"approved by policy" is claimed under the row lock', () => {
  let world: World;
  let bot: Awaited<ReturnType<typeof startWebhookBot>>;
  let proxy: Server;
  const reviewsSent: string[] = [];

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow(DEPLOY_WORKFLOW, deploy());
    world.github.protectEnvironment('production', [world.github.tokenOwner]);
    // A GitHub whose answer to a deployment review is slow: every reader finds the deployment still waiting.
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const review = req.method === 'POST' && /\/pending_deployments$/.test(req.url ?? '');
        if (review) reviewsSent.push(body);
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
        const forward = () =>
          fetch(`${world.github.url}${req.url}`, { method: req.method, headers, ...(body ? { body } : {}) }).then(
            async (upstream) => {
              const text = await upstream.text();
              res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
              res.end(text);
            },
            () => (res.writeHead(502), res.end()),
          );
        if (review) setTimeout(forward, 1_500);
        else void forward();
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    bot = await startWebhookBot(world, POLICY, 'policy-secret', { githubUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
    bot.hook.addProtectionRule('production');
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
    proxy?.close();
  });

  it('one answer to GitHub, one "approved by policy" in the audit log and in the thread', async () => {
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const top = await waitFor('the release-started message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 started')));
    await waitFor('COMPLETED', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')), 60_000);
    const release = (await bot.tminus.store.findByVersion('v1.3.0'))!;
    const events = await bot.tminus.store.events(release.id);
    const approved = events.filter((e) => e.action === 'github.deployment_approved_by_policy');
    expect(approved).toHaveLength(1);
    expect(reviewsSent).toHaveLength(1);
    expect(world.github.reviews(release.deployRunId!)).toHaveLength(1);
    expect(events.filter((e) => e.action === 'github.deployment_by_policy_claimed')).toHaveLength(1);
  }, 90_000);

  it('two workers that find the same run attempt waiting at once: one answers, the other finds the claim', async () => {
    const release = (await bot.tminus.store.findByVersion('v1.3.0'))!;
    const apiUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const github = createReleaseRepository({ token: world.github.token, apiUrl, owner: world.github.owner, repo: world.github.repo, throttle: false });
    const slack = new WebClient(BOT_TOKEN, { slackApiUrl: world.slack.apiUrl, retryConfig: { retries: 0 } });
    // What the worker hands a job (the fields this one reads), as two workers of one deployment would have it.
    const worker = () =>
      ({
        store: new ReleaseStore(bot.database.db, realClock),
        gates: new GateStore(bot.database.db, realClock),
        posts: new Posts(bot.database.db, slack, realClock),
        github,
        policy: bot.policy,
        deployWorkflow: DEPLOY_WORKFLOW,
        clock: realClock,
        log: pino({ level: 'silent' }),
      }) as unknown as JobContext;
    // The run's next attempt (a re-run), waiting at production: both workers find it at the same moment.
    const rerun = { ...release, deployRunAttempt: release.deployRunAttempt + 1 };
    const environment = { environmentId: 1, environment: 'production' };
    const before = reviewsSent.length;
    const answer = () => approveProductionByPolicy(worker(), rerun, release.deployRunId!, environment);
    await Promise.all([answer(), answer()]);
    const events = await bot.tminus.store.events(release.id);
    const ofRerun = (action: string) => events.filter((e) => e.action === action && (e.details as { attempt?: number }).attempt === rerun.deployRunAttempt);
    expect(reviewsSent.length - before).toBe(1);
    expect(ofRerun('github.deployment_approved_by_policy')).toHaveLength(1);
    expect(ofRerun('github.deployment_by_policy_claimed')).toHaveLength(1);
  }, 30_000);
});
