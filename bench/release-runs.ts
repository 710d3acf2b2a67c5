/**
 * One release through the stand-ins, with GitHub's webhooks or with polling only, on a clock that may run
 * faster than real time: when each GitHub event showed in Slack, and how many GitHub API calls it took.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { startTminus } from '../src/app.js';
import { loadPolicy } from '../src/domain/policy.js';
import { openDatabase } from '../src/integrations/database/client.js';
import { createObservability } from '../src/integrations/datadog.js';
import { createReleaseRepository } from '../src/integrations/github.js';
import { SandboxClock } from '../src/sandbox/clock.js';
import { DatadogStandIn } from '../src/sandbox/datadog.js';
import { GitHubStandIn, GitHubWebhooks, type WorkflowScript } from '../src/sandbox/github.js';
import { SlackStandIn } from '../src/sandbox/slack.js';
import { BOT_TOKEN, createTestDatabase, DD_API_KEY, DD_APP_KEY, deleteQueueKeys, DEPLOY_WORKFLOW, RELEASES_CHANNEL, serveHealthyService, SIGNING_SECRET, visibleText, waitFor } from '../test/support/harness.js';
import { testRedisUrl } from '../test/support/env.js';

const WEBHOOK_SECRET = 'bench-webhook-secret';

export interface ReleaseRun {
  /** Real ms from each workflow_job event (started, completed) to the first time the top message showed it. */
  eventToSlack: number[];
  githubCalls: number;
  /** Calls by route, most first. */
  byRoute: [string, number][];
  /** Deploy-run polls made (follow-deploy jobs run), from tminus's own metrics. */
  polls: number;
  outcome: string;
  realMs: number;
}

export interface ReleaseRunOptions {
  webhooks: boolean;
  /** Clock speed: 1 is real time; 300 runs a 90-minute release in 18 s. */
  speed: number;
  workflow: WorkflowScript;
  /** The policy YAML (timings stay the guide's unless it changes them). */
  policy: string;
  /** Job name → the milestone label the progress view shows for it. */
  milestones: Record<string, string>;
  timeoutMs: number;
}

export async function runRelease(options: ReleaseRunOptions): Promise<ReleaseRun> {
  const clock = new SandboxClock({ speed: options.speed });
  const now = () => clock.now();
  const slack = await SlackStandIn.start({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, clock: now, users: [{ id: 'U0ENG', name: 'erin', realName: 'Erin Engineer' }] });
  const github = await GitHubStandIn.start({ token: 'ghs_bench', clock: now });
  const datadog = await DatadogStandIn.start({ apiKey: DD_API_KEY, appKey: DD_APP_KEY, clock: now });
  serveHealthyService(datadog);
  github.commit('main', 'feat: wallet top-ups (#12)');
  github.addTag('v1.2.0');
  github.addRelease('v1.2.0');
  github.commit('main', 'feat: admin portal search (#14)');
  github.defineWorkflow(DEPLOY_WORKFLOW, options.workflow);
  const database = await createTestDatabase();
  const queuePrefix = `tminus-bench-${process.pid}-${randomBytes(4).toString('hex')}`;
  const db = await openDatabase({ url: database.url, dataDir: '' });
  // Polling only still has GitHub's events timed: the hook then posts them to a sink that tminus never hears.
  const sink: Server = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const tminus = await startTminus({
    port: 0,
    slack: { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, apiUrl: slack.apiUrl, releasesChannel: RELEASES_CHANNEL },
    github: createReleaseRepository({ token: github.token, apiUrl: github.url, owner: github.owner, repo: github.repo, throttle: false }),
    observability: createObservability({ apiKey: DD_API_KEY, appKey: DD_APP_KEY, site: 'datadoghq.com', apiUrl: datadog.url, timeoutMs: 2_000 }),
    ...(options.webhooks ? { githubWebhookSecret: WEBHOOK_SECRET } : {}),
    database: db,
    redisUrl: testRedisUrl(),
    queuePrefix,
    policy: loadPolicy(options.policy, 'bench policy'),
    log: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }),
    clock: () => new Date(clock.now()),
    timeScale: options.speed,
  });
  const sinkAddress = sink.address();
  const hookUrl = options.webhooks ? `http://127.0.0.1:${tminus.port}/github/webhook` : `http://127.0.0.1:${typeof sinkAddress === 'object' && sinkAddress ? sinkAddress.port : 0}/`;
  const hook = new GitHubWebhooks(github, { url: hookUrl, secret: WEBHOOK_SECRET, tickMs: 10 });
  const seen: { at: number; text: string }[] = [];
  const look = () => {
    const top = slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0'));
    const text = top ? visibleText(top) : '';
    if (text && seen.at(-1)?.text !== text) seen.push({ at: Date.now(), text });
  };
  slack.on('change', look);
  try {
    await waitFor('the tags to be read', () => tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
    const callsBefore = github.requests.length;
    const started = Date.now();
    await slack.sendCommand(`http://127.0.0.1:${tminus.port}/slack/events`, { text: 'start v1.3.0', userId: 'U0ENG' });
    const top = await waitFor('the release-started message', () => slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0')));
    const end = await waitFor('the release to end', () => slack.thread(RELEASES_CHANNEL, top.ts).find((m) => /COMPLETED|FAILED|failed/.test(m.text)), options.timeoutMs);
    const realMs = Date.now() - started;
    const calls = github.requests.slice(callsBefore);
    const routes = new Map<string, number>();
    for (const r of calls) {
      const path = r.path.replace(/\/repos\/[^/]+\/[^/]+/, '').replace(/\/\d+/g, '/{id}').replace(/[0-9a-f]{40}/g, '{sha}');
      const route = `${r.method} ${path || '/'}`;
      routes.set(route, (routes.get(route) ?? 0) + 1);
    }
    const eventToSlack: number[] = [];
    for (const d of hook.deliveries) {
      if (d.event !== 'workflow_job' || (d.action !== 'in_progress' && d.action !== 'completed')) continue;
      const label = options.milestones[(d.payload.workflow_job as { name: string }).name];
      if (!label) continue;
      const shows = d.action === 'completed' ? `✅ ${label}` : `⏳ ${label}`;
      const shown = seen.find((s) => s.at >= d.at - 50 && s.text.includes(shows));
      if (shown) eventToSlack.push(Math.max(0, shown.at - d.at));
    }
    const metrics = await tminus.metrics.registry.getSingleMetric('tminus_job_runs_total')?.get();
    const polls = metrics?.values.find((v) => v.labels.job === 'follow-deploy')?.value ?? 0;
    return { eventToSlack, githubCalls: calls.length, byRoute: [...routes].sort((a, b) => b[1] - a[1]), polls, outcome: /COMPLETED/.test(end.text) ? 'completed' : 'failed', realMs };
  } finally {
    slack.off('change', look);
    await hook.stop();
    await tminus.stop();
    await db.close();
    await new Promise((resolve) => sink.close(resolve));
    await slack.close();
    await github.close();
    await datadog.close();
    await database.drop();
    await deleteQueueKeys(testRedisUrl(), queuePrefix);
  }
}
