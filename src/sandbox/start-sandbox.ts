import { randomBytes } from 'node:crypto';
import { createServer, isIP } from 'node:net';
import type { Logger } from 'pino';
import { startTminus, type Tminus } from '../app.js';
import { isLoopbackHost, type SandboxConfig } from '../config.js';
import type { Policy } from '../domain/policy.js';
import { createObservability } from '../integrations/datadog.js';
import { createReleaseRepository } from '../integrations/github.js';
import { SandboxClock } from './clock.js';
import { DatadogStandIn } from './datadog.js';
import { RELEASES_CHANNEL, SANDBOX_PEOPLE, releaseDayWorkflow, rollbackWorkflow, seedDemoRepository, withSandboxPeople } from './demo-world.js';
import { GitHubStandIn, GitHubWebhooks } from './github.js';
import { SandboxMetrics } from './metrics.js';
import { SlackStandIn } from './slack.js';
import { StatuspageStandIn } from './statuspage.js';
import { createStatuspage } from '../integrations/status-page.js';
import { sandboxPage } from './web/routes.js';
import { openSandboxData } from './sandbox-data.js';
import { WORLD_VERSION, WorldStore, type World } from './world-store.js';

export interface Sandbox {
  /** The #releases page, e.g. http://127.0.0.1:3000/ */
  url: string;
  port: number;
  /** The address it listens on: 127.0.0.1 unless HOST says otherwise. */
  host: string;
  clock: SandboxClock;
  slack: SlackStandIn;
  github: GitHubStandIn;
  /** The stand-in's repository webhook, delivering to tminus's /github/webhook. */
  webhooks: GitHubWebhooks;
  datadog: DatadogStandIn;
  /** The metrics the Datadog stand-in serves, and the page's controls over them. */
  metrics: SandboxMetrics;
  /** Generated for this run; tests call the Slack Web API with it as tminus does. */
  botToken: string;
  tminus: Tminus;
  stop(): Promise<void>;
}

/** Starts tminus for real against in-process stand-ins for Slack, GitHub and Datadog, with the #releases page. */
export async function startSandbox(options: { config: SandboxConfig; policy: Policy; log: Logger }): Promise<Sandbox> {
  const { config, log } = options;
  const host = config.host ?? '127.0.0.1';
  // Chosen before anything starts: the page's routes post to tminus's own address.
  const port = config.port === 0 ? await freePort(host) : config.port;
  const eventsUrl = `${baseUrl(host, port)}/slack/events`;

  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err: unknown) => log.warn({ err }, 'stopping the sandbox'));
  };
  try {
    const { database, world, notice, remembered } = await openSandboxData(config, log);
    cleanups.push(() => database.close());
    // The world's kept time is where the clock resumes; never earlier than what tminus's database recorded.
    // Where the sandbox's clock starts: the kept world's virtual time, else (a world started afresh) the wall time,
    // the one moment a new virtual clock can take, past anything tminus's database already remembers.
    const anchor = world ? Math.max(world.virtualNow, remembered.latestAt) : Math.max(Date.now(), remembered.latestAt + 60_000);
    const clock = new SandboxClock({ speed: config.speed, anchor });
    const virtualNow = () => clock.now();
    // Written last, once tminus and the webhook have stopped (cleanups run in reverse).
    let store: WorldStore | undefined;
    cleanups.push(async () => store?.stop());

    const signingSecret = randomBytes(16).toString('hex');
    const webhookSecret = randomBytes(20).toString('hex');
    const botToken = `xoxb-sandbox-${randomBytes(12).toString('hex')}`;
    const slack = await onPort(world?.ports.slack, (port) => SlackStandIn.start({
      port,
      signingSecret,
      botToken,
      channels: [{ ...RELEASES_CHANNEL }],
      users: SANDBOX_PEOPLE.map(({ id, name, realName }) => ({ id, name, realName })),
      clock: virtualNow,
      expiryClock: Date.now,
    }));
    cleanups.push(() => slack.close());
    const github = await onPort(world?.ports.github, (port) => GitHubStandIn.start({ port, owner: 'swipesavvy', repo: 'platform', token: `ghs_${randomBytes(12).toString('hex')}`, clock: virtualNow }));
    cleanups.push(() => github.close());
    // The demo history on a first start only; after a restart the repository is the one tminus left.
    if (world) {
      slack.restore(world.slack);
      github.restore(world.github);
    } else seedDemoRepository(github, remembered, clock.now());
    // The repository's CI passes on every push: the readiness gate reads it on the commit a release tags.
    github.runCiOnEveryCommit([{ name: 'ci' }]);
    const releaseDay = releaseDayWorkflow(options.policy.productionApproval.environment);
    if (options.policy.productionApproval.mode === 'dispatch') {
      // tminus holds production: the tag's run builds and stages; tminus dispatches the production jobs after the gate.
      github.defineWorkflow(options.policy.deploy.workflow, { ...releaseDay, name: 'Build and stage', jobs: releaseDay.jobs.slice(0, 2) });
      const inputs = { version: { required: true } };
      const production = { trigger: 'dispatch' as const, name: 'Deploy to production', inputs, jobs: releaseDay.jobs.slice(2) };
      github.defineWorkflow(options.policy.productionApproval.workflow, production);
    } else github.defineWorkflow(options.policy.deploy.workflow, releaseDay);
    // The guide's "manual approval required" at T+60: GitHub waits for a review, which tminus gives once its Slack gate is met.
    github.protectEnvironment(options.policy.productionApproval.environment, [github.tokenOwner]);
    // The emergency rollback ("Roll back now", /release rollback) dispatches it.
    github.defineWorkflow(options.policy.rollback.workflow, rollbackWorkflow());

    // Post-release verification, alerts, stable marking and deploy markers read and write here.
    const datadog = await onPort(world?.ports.datadog, (port) => DatadogStandIn.start({ port, apiKey: randomBytes(16).toString('hex'), appKey: randomBytes(20).toString('hex'), clock: virtualNow }));
    cleanups.push(() => datadog.close());
    const metrics = new SandboxMetrics({ datadog, github, clock: virtualNow, policy: options.policy });
    // The status page customers read: maintenance and rollback incidents, as tminus posts them.
    const components = [{ id: 'sbxapi000001', name: 'API' }, { id: 'sbxweb000001', name: 'Web app' }];
    const statuspage = await onPort(world?.ports.statuspage, (port) => StatuspageStandIn.start({ port, apiKey: randomBytes(16).toString('hex'), clock: virtualNow, components }));
    cleanups.push(() => statuspage.close());
    if (world) {
      datadog.restore(world.datadog);
      metrics.restore(world.metrics);
      statuspage.restore(world.statuspage);
    }

    const peopled = withSandboxPeople(options.policy);
    // A policy that names no component of the page: the stand-in's, so the panel shows them change.
    const statusPagePolicy = peopled.communication.statusPage;
    const policy = statusPagePolicy.componentIds.length > 0 ? peopled : { ...peopled, communication: { ...peopled.communication, statusPage: { ...statusPagePolicy, componentIds: statuspage.components().map((c) => c.id) } } };
    const page = sandboxPage({ slack, github, datadog, statuspage, metrics, clock, policy, people: SANDBOX_PEOPLE, channel: RELEASES_CHANNEL, eventsUrl, log, host, ...(notice ? { worldNotice: notice } : {}) });
    const tminus = await startTminus({
      port,
      host,
      slack: { signingSecret, botToken, apiUrl: slack.apiUrl, releasesChannel: RELEASES_CHANNEL.id },
      github: createReleaseRepository({ token: github.token, apiUrl: github.url, owner: github.owner, repo: github.repo, throttle: false }),
      observability: createObservability({ apiKey: datadog.apiKey, appKey: datadog.appKey, site: 'datadoghq.com', apiUrl: datadog.url }),
      statusPage: createStatuspage({ apiKey: statuspage.apiKey, pageId: statuspage.pageId, apiUrl: statuspage.url }),
      githubWebhookSecret: webhookSecret,
      database,
      redisUrl: config.redisUrl,
      databaseUrl: config.databaseUrl,
      queuePrefix: config.queuePrefix,
      policy,
      log,
      clock: () => new Date(clock.now()),
      // Delays queued later keep this scale when the speed changes at run time (ReleaseJobs takes a number).
      timeScale: () => clock.speed,
      extraRoutes: page.routes,
    });
    cleanups.push(async () => {
      // The page's event streams would hold the HTTP server open.
      page.close();
      await tminus.stop();
    });
    // GitHub's events reach tminus at once, as a repository webhook would deliver them.
    const webhooks = new GitHubWebhooks(github, { url: `${baseUrl(host, tminus.port)}/github/webhook`, secret: webhookSecret, ...(world ? { announced: world.webhooks } : {}) });
    cleanups.push(() => webhooks.stop());
    if (config.dataDir !== '') {
      const ports = { slack: portOf(slack.url), github: portOf(github.url), datadog: portOf(datadog.url), statuspage: portOf(statuspage.url) };
      const take = (): World => ({
        version: WORLD_VERSION,
        virtualNow: clock.now(),
        ports,
        slack: slack.snapshot(),
        github: github.snapshot(),
        webhooks: webhooks.snapshot(),
        datadog: datadog.snapshot(),
        metrics: metrics.snapshot(),
        statuspage: statuspage.snapshot(),
      });
      const kept = new WorldStore(config.dataDir, take, log);
      for (const standIn of [slack, github, datadog, statuspage]) standIn.on('change', () => kept.changed());
      store = kept;
    }
    // Only now, once it listens: the address given is one that answers.
    const url = `${baseUrl(host, tminus.port)}/`;
    if (!isLoopbackHost(host)) log.warn({ host }, `the sandbox listens on ${host}: anyone who reaches it can act as anyone in #releases`);
    log.info(
      { url, host, port: tminus.port, speed: config.speed, queue: tminus.queueBackend, people: SANDBOX_PEOPLE.map((p) => `${p.realName} (${p.role})`) },
      `tminus sandbox: open ${url} (local Slack, GitHub and Datadog stand-ins, clock at ${config.speed}×, ${QUEUE_WORDS[tminus.queueBackend]}); type /release start v1.3.0 in #releases`,
    );
    return { url, port: tminus.port, host, clock, slack, github, webhooks, datadog, metrics, botToken, tminus, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** How the start-up line says where the job queues run. */
const QUEUE_WORDS: Record<Tminus['queueBackend'], string> = {
  redis: 'job queues on Redis',
  postgres: 'job queues on Postgres, no Redis',
  pglite: 'job queues on the embedded database, no Redis',
};

/** Where this machine reaches an address it listens on: a wildcard is reached through loopback. */
function baseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${isIP(reachable) === 6 ? `[${reachable}]` : reachable}:${port}`;
}

/** A stand-in on the port it had before (links in kept messages point there), or on any free one when that is taken. */
async function onPort<T>(port: number | undefined, start: (port: number | undefined) => Promise<T>): Promise<T> {
  if (port === undefined) return start(undefined);
  return start(port).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return start(undefined);
    throw error;
  });
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
