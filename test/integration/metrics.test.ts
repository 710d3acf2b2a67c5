import { createHmac, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { register as defaultRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTminus, type Tminus } from '../../src/app.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { openDatabase, type DatabaseHandle } from '../../src/integrations/database/client.js';
import { createObservability } from '../../src/integrations/datadog.js';
import { createReleaseRepository } from '../../src/integrations/github.js';
import { GitHubWebhooks } from '../../src/sandbox/github.js';
import { BOT_TOKEN, DD_API_KEY, DD_APP_KEY, FAST_POLICY, RELEASES_CHANNEL, SIGNING_SECRET, startWorld, waitFor, withTestTimings, type World } from '../support/harness.js';

const METRICS_TOKEN = 'metrics-test-token-0123456789';
const WEBHOOK_SECRET = 'metrics-webhook-secret';

/** One sample of a Prometheus text exposition: the value of `name` whose labels include `labels`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  let world: World;
  let database: DatabaseHandle;
  let tminus: Tminus;
  let hook: GitHubWebhooks;
  let baseUrl: string;
  const scrape = async () => {
    const response = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };

  beforeAll(async () => {
    world = await startWorld();
    database = await openDatabase({ url: world.databaseUrl, dataDir: '' });
    tminus = await startTminus({
      port: 0,
      slack: { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, apiUrl: world.slack.apiUrl, releasesChannel: RELEASES_CHANNEL },
      github: createReleaseRepository({ token: world.github.token, apiUrl: world.github.url, owner: world.github.owner, repo: world.github.repo, throttle: false }),
      observability: createObservability({ apiKey: DD_API_KEY, appKey: DD_APP_KEY, site: 'datadoghq.com', apiUrl: world.datadog.url, timeoutMs: 2_000 }),
      githubWebhookSecret: WEBHOOK_SECRET,
      metricsToken: METRICS_TOKEN,
      database,
      redisUrl: world.redisUrl,
      queuePrefix: world.queuePrefix,
      policy: loadPolicy(withTestTimings(FAST_POLICY), 'test policy'),
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    });
    baseUrl = `http://127.0.0.1:${tminus.port}`;
    hook = new GitHubWebhooks(world.github, { url: `${baseUrl}/github/webhook`, secret: WEBHOOK_SECRET, tickMs: 10 });
    await waitFor('the tags to be read', () => tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await hook?.stop();
    await tminus?.stop();
    await database?.close();
    await world?.close();
  });

  it('answers only the bearer of METRICS_TOKEN when it is set', async () => {
    expect((await fetch(`${baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${baseUrl}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    expect((await fetch(`${baseUrl}/metrics`, { headers: { authorization: METRICS_TOKEN } })).status).toBe(401);
    const text = await scrape();
    // Node's process metrics, on tminus's own registry: nothing lands in prom-client's global one.
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(await defaultRegistry.metrics()).not.toContain('tminus_');
  });

  it('after a release: releases by state, the jobs that ran, calls to GitHub, Slack and Datadog, the queue and GitHub’s deliveries', async () => {
    // One read of the deploy run's jobs is rate limited: counted under 429, and the release goes on.
    world.github.failNext('GET', /\/actions\/runs\/\d+\/jobs$/, 429);
    await world.slack.sendCommand(`${baseUrl}/slack/events`, { text: 'start v1.3.0', userId: 'U0ENG' });
    const top = await waitFor('the release-started message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 started')));
    await waitFor('the complete message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')), 30_000);
    expect(world.github.requests.some((r) => r.method === 'GET' && /\/actions\/runs\/\d+\/jobs$/.test(r.path))).toBe(true);

    // The complete message is posted inside its job: the job is counted when it returns, a moment later.
    const text = await waitFor('the 429 and the complete-release job to be counted', async () => {
      const t = await scrape();
      const counted = (sample(t, 'tminus_external_call_errors_total', { service: 'github', status: '429' }) ?? 0) > 0 && (sample(t, 'tminus_job_runs_total', { job: 'complete-release' }) ?? 0) > 0;
      return counted ? t : undefined;
    });
    expect(sample(text, 'tminus_releases', { state: 'completed' })).toBe(1);
    expect(sample(text, "tminus_releases", { state: "failed" })).toBe(0);
    expect(sample(text, 'tminus_external_call_errors_total', { service: 'github', method: 'GET /repos/{owner}/{repo}/actions/runs/{id}/jobs', status: '429' })).toBe(1);

    for (const job of ['announce-release', 'create-tag', 'complete-release']) {
      expect(sample(text, 'tminus_job_runs_total', { job }), job).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'tminus_job_duration_seconds_count', { job }), job).toBeGreaterThanOrEqual(1);
    }
    expect(sample(text, 'tminus_job_runs_total', { job: 'github-event' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tminus_external_call_duration_seconds_count', { service: 'github', method: 'POST /repos/{owner}/{repo}/git/refs' })).toBe(1);
    expect(sample(text, 'tminus_external_call_duration_seconds_count', { service: 'slack', method: 'chat.postMessage' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'tminus_external_call_duration_seconds_count', { service: 'slack', method: 'chat.update' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tminus_external_call_duration_seconds_count', { service: 'datadog', method: 'MetricsApi.queryMetrics' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tminus_external_call_errors_total', { service: 'slack' })).toBeUndefined();

    for (const state of ['waiting', 'delayed', 'active']) expect(sample(text, 'tminus_queue_jobs', { state }), state).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'tminus_queue_oldest_waiting_seconds')).toBeGreaterThanOrEqual(0);

    expect(sample(text, 'tminus_github_webhook_deliveries_total', { event: 'workflow_job', outcome: 'accepted' })).toBeGreaterThanOrEqual(4);
    expect(sample(text, 'tminus_github_webhook_lag_seconds_count', { event: 'workflow_job' })).toBeGreaterThanOrEqual(4);
  });

  it('counts a redelivery as duplicate and a forged delivery as refused', async () => {
    const before = await scrape();
    const taken = hook.deliveries.find((d) => d.event === 'workflow_run' && d.status === 202)!;
    expect(await hook.redeliver(taken.id)).toBe(200);
    const body = JSON.stringify({ action: 'completed', repository: { full_name: world.github.fullName } });
    const forged = await fetch(`${baseUrl}/github/webhook`, {
      method: 'POST',
      headers: { ...GitHubWebhooks.headers('workflow_run', randomUUID(), body, WEBHOOK_SECRET), 'x-hub-signature-256': `sha256=${createHmac('sha256', 'guessed').update(body).digest('hex')}` },
      body,
    });
    expect(forged.status).toBe(401);
    const after = await scrape();
    const delta = (labels: Record<string, string>) => (sample(after, 'tminus_github_webhook_deliveries_total', labels) ?? 0) - (sample(before, 'tminus_github_webhook_deliveries_total', labels) ?? 0);
    expect(delta({ event: 'workflow_run', outcome: 'duplicate' })).toBe(1);
    expect(delta({ event: 'other', outcome: 'refused' })).toBe(1);
  });

  it('shows a job waiting in the queue, and how long it has waited', async () => {
    // A job due now that no worker takes yet: the queue is paused locally for the look.
    await tminus.jobs.queue.pause();
    try {
      await tminus.jobs.add('refresh-progress', { releaseId: randomUUID() }, { delayMs: 0 });
      const text = await waitFor('the waiting job', async () => {
        const t = await scrape();
        return (sample(t, 'tminus_queue_jobs', { state: 'waiting' }) ?? 0) >= 1 && (sample(t, 'tminus_queue_oldest_waiting_seconds') ?? 0) > 0 ? t : undefined;
      });
      expect(sample(text, 'tminus_queue_oldest_waiting_seconds')).toBeLessThan(60);
    } finally {
      await tminus.jobs.queue.resume();
    }
  });
});
