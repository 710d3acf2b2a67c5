import type { Server } from 'node:http';
import { App, HTTPReceiver, LogLevel, type CustomRoute } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { Queue, type IQueueBackend, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Policy } from './domain/policy.js';
import { registerApprovalActions } from './handlers/approval-actions.js';
import { registerReleaseCommand } from './handlers/release-command.js';
import { registerRollbackActions } from './handlers/rollback-actions.js';
import { registerChecklistActions } from './handlers/checklist-actions.js';
import { registerAbortActions } from './handlers/abort-actions.js';
import { SlackRoutes } from './handlers/slack-routes.js';
import { registerAppHome } from './handlers/app-home.js';
import { AppHomeStore } from './integrations/database/app-home-store.js';
import { githubWebhookRoute } from './handlers/github-webhook.js';
import { applyLimits, boundedRoute, boundedSlackEvents, startHttpServer, stopHttpServer } from './handlers/http-limits.js';
import { GITHUB_BODY_LIMIT, SLACK_BODY_LIMIT, UnsignedBodies } from './handlers/http-limits.js';
import { sameWorkspace } from './handlers/same-workspace.js';
import { GitHubDeliveries } from './integrations/database/github-deliveries.js';
import { RateLimits } from './integrations/database/rate-limits.js';
import { PlanScheduleStore } from './integrations/database/plan-schedule-store.js';
import { startPlanScheduler, type PlanScheduler } from './jobs/scheduler.js';
import type { Observability } from './integrations/datadog.js';
import type { StatusPage } from './integrations/status-page.js';
import { StatusPageCalls } from './integrations/database/status-page-calls.js';
import { GateStore } from './integrations/database/gate-store.js';
import { PreDeploymentStore } from './integrations/database/pre-deployment-store.js';
import { registerPreDeploymentActions } from './handlers/pre-deployment-actions.js';
import { FreezeStore } from './integrations/database/freeze-store.js';
import { RoleDirectory } from './services/roles.js';
import type { DatabaseHandle } from './integrations/database/client.js';
import { ReleaseStore } from './integrations/database/release-store.js';
import { ReleaseCache } from './integrations/database/release-cache.js';
import { ProductionHistory } from './integrations/database/production-history.js';
import { ReleasePlanStore } from './integrations/database/release-plan-store.js';
import { DoraRecords } from './integrations/database/dora-records.js';
import { openQueueBackend, type QueueBackend, type QueueBackendKind } from './integrations/queue-backend/queue-backend.js';
import type { ReleaseRepository } from './integrations/github.js';
import type { JobContext } from './jobs/context.js';
import { RELEASE_QUEUE, ReleaseJobs, type ReleaseQueue } from './jobs/queue.js';
import { startReleaseWorker } from './jobs/worker.js';
import { checkRedis, checkSlack } from './startup-checks.js';
import { Metrics, observedFetch } from './integrations/metrics.js';
import { RELEASE_STATES } from './domain/release.js';
import { Posts } from './services/posts.js';
import { scrubberOf } from './domain/external-text.js';
import { threadedChartRenderer } from './integrations/chart-renderer.js';

export interface SlackSettings {
  signingSecret: string;
  botToken: string;
  appToken?: string;
  apiUrl?: string;
  releasesChannel: string;
}

export interface TminusOptions {
  port: number;
  /** The address the HTTP receiver listens on; unset, every interface. Bolt's Socket Mode takes none. */
  host?: string;
  slack: SlackSettings;
  github: ReleaseRepository;
  /** Datadog: post-release verification and deploy markers. Without it, verification is off. */
  observability?: Observability;
  /** The hosted status page (STATUSPAGE_API_KEY): maintenance and incidents through a release. */
  statusPage?: StatusPage;
  deployWorkflow?: string;
  /** Set: POST /github/webhook takes GitHub's deliveries signed with it, and polling slows while they arrive. */
  githubWebhookSecret?: string;
  database: DatabaseHandle;
  /** Set: the job queues run on Redis. Unset: on the database (BullMQ's PostgreSQL backend; PGlite included). */
  redisUrl?: string;
  /** The database's URL when it is Postgres: the queues' own `pg` pools connect to it when there is no Redis. */
  databaseUrl?: string;
  queuePrefix: string;
  policy: Policy;
  log: Logger;
  clock?: () => Date;
  /** Run the job worker in this process (default). A web-only replica can turn it off. */
  worker?: boolean;
  /** How much faster than real time the clock runs (the sandbox's clock speed); job delays shrink by it. */
  timeScale?: number | (() => number);
  /** More HTTP routes on the same port (the sandbox's page). */
  extraRoutes?: CustomRoute[];
  /** The planned releases' scheduler: a cron expression (default every minute; tests use seconds). */
  planScheduleCron?: string;
  /** Set: GET /metrics answers only `Authorization: Bearer <it>`. Unset: /metrics is open (keep it off the internet). */
  metricsToken?: string;
  /** Every configured credential (main.ts: secretsOf): scrubbed from the failures a job tells Slack and the database. */
  secrets?: readonly string[];
}

export interface Tminus {
  /** The port the HTTP receiver (or, in Socket Mode, the health route) listens on. */
  port: number;
  /** Where the job queues run. */
  queueBackend: QueueBackendKind;
  jobs: ReleaseJobs;
  store: ReleaseStore;
  /** Release plans (`/release plan`), for planRelease. */
  releasePlans: ReleasePlanStore;
  /** This instance's Prometheus metrics (served at /metrics). */
  metrics: Metrics;
  stop(): Promise<void>;
}

/** Reads and edits (safe to repeat) retry a blip quickly inside a job; longer outages are the queue's backoff (WebClient's default is ~30 minutes). */
const QUICK_RETRIES = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2_000 };

/** Builds tminus from its parts and starts it: migrations already ran when `database` was opened. */
export async function startTminus(options: TminusOptions): Promise<Tminus> {
  const { log, policy } = options;
  const clock = options.clock ?? (() => new Date());
  // Checked before anything starts, each failure said in one line (startup-checks.ts); nothing is running yet.
  if (options.redisUrl) await checkRedis(options.redisUrl);
  // Bolt is handed the bot's ids: it then never calls auth.test itself (a rejection no one awaited killed the process).
  const identity = await checkSlack(options.slack.botToken, options.slack.apiUrl ? { slackApiUrl: options.slack.apiUrl } : {});
  const backend = await openQueueBackend({ redisUrl: options.redisUrl, databaseUrl: options.databaseUrl, database: options.database, prefix: options.queuePrefix, log });
  const queue: ReleaseQueue = new Queue(RELEASE_QUEUE, { connection: backend.connection, prefix: options.queuePrefix }, backend.factory);
  // An 'error' event with no listener would throw and end the process (Redis going away after start).
  queue.on('error', (err) => log.warn({ err }, 'job queue connection error'));
  try {
    await queue.waitUntilReady();
  } catch (error) {
    await queue.close().catch(() => undefined);
    await backend.close();
    throw error;
  }
  const jobs = new ReleaseJobs(queue, options.timeScale ?? 1);
  const store = new ReleaseStore(options.database.db, clock);
  // `/release status` answers from memory while the database can say when releases change.
  const statusCache = await ReleaseCache.open({ store, database: options.database, log });
  const production = new ProductionHistory(options.database.db);
  const releasePlans = new ReleasePlanStore(options.database.db);
  const dora = new DoraRecords(options.database.db, clock);
  const health = healthCheck(options.database, backend, queue, log);
  // Webhooks count as flowing only once a delivery arrived after this start (those missed while down are never sent again).
  const webhooks = options.githubWebhookSecret ? new GitHubDeliveries(options.database.db, clock()) : undefined;
  const metrics = new Metrics({
    sources: {
      releasesByState: async () => ({ ...Object.fromEntries(RELEASE_STATES.map((state) => [state, 0])), ...(await store.countByState()) }),
      queue: async () => {
        const [counts, [oldest]] = await Promise.all([queue.getJobCounts('waiting', 'delayed', 'active'), queue.getJobs(['waiting'], 0, 0, true)]);
        // A delayed job waits from when it became due.
        return { waiting: counts.waiting ?? 0, delayed: counts.delayed ?? 0, active: counts.active ?? 0, oldestWaitingSince: oldest ? oldest.timestamp + (oldest.delay ?? 0) : undefined };
      },
    },
    log,
  });
  options.github.observeCalls?.(metrics.call);
  options.observability?.observeCalls?.(metrics.call);

  const slackClient = {
    ...(options.slack.apiUrl ? { slackApiUrl: options.slack.apiUrl } : {}),
    timeout: 10_000,
    rejectRateLimitedCalls: true,
    fetch: observedFetch(metrics.call),
  };
  // Posts and uploads are not retried inside the client: a timeout or a 5xx may come after Slack did the work,
  // and a blind retry would post twice. Their job retries them, after looking for the message by its key.
  const slackWrites = new WebClient(options.slack.botToken, { ...slackClient, retryConfig: { retries: 0 } });

  // Bounded before authenticated (handlers/http-limits.ts): each route's unsigned bodies by size and number.
  const slackBodies = new UnsignedBodies(SLACK_BODY_LIMIT);
  const githubBodies = new UnsignedBodies(GITHUB_BODY_LIMIT);
  const customRoutes: CustomRoute[] = [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        void health().then((report) => {
          res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(report));
        });
      },
    },
    ...(webhooks && options.githubWebhookSecret
      ? [
          boundedRoute(
            githubWebhookRoute({ secret: options.githubWebhookSecret, repository: options.github.fullName, deliveries: webhooks, jobs, clock, log, metrics }),
            githubBodies,
          ),
        ]
      : []),
    metrics.route(options.metricsToken, log),
    ...(options.extraRoutes ?? []),
  ];
  // HTTP mode: tminus's own server (its timeouts and connection cap) in front of Bolt's receiver, whose
  // `bodyLimit` Bolt's App does not pass on. Socket Mode: Bolt's receiver serves the routes on its own server.
  const receiver = options.slack.appToken
    ? undefined
    : new HTTPReceiver({ signingSecret: options.slack.signingSecret, customRoutes, bodyLimit: SLACK_BODY_LIMIT, logLevel: LogLevel.WARN });
  const app = new App({
    token: options.slack.botToken,
    botId: identity.botId,
    botUserId: identity.botUserId,
    logLevel: LogLevel.WARN,
    // Bolt's conversation store keeps per-conversation state for listeners that ask for it; none does, and
    // its middleware would run on every request.
    convoStore: false,
    ...(receiver
      ? { receiver }
      : {
          signingSecret: options.slack.signingSecret,
          socketMode: true,
          appToken: options.slack.appToken,
          installerOptions: { port: options.port },
          customRoutes,
        }),
    clientOptions: { ...slackClient, retryConfig: QUICK_RETRIES },
  });
  // First of every request's middleware: only the app's own workspace (or its Enterprise Grid org) is served.
  app.use(sameWorkspace(app.client, log));

  const charts = threadedChartRenderer();
  const gates = new GateStore(options.database.db, clock);
  const preDeployment = new PreDeploymentStore(options.database.db);
  const roles = new RoleDirectory(app.client, policy, () => clock().getTime());
  const plans = new PlanScheduleStore(options.database.db);
  const homes = new AppHomeStore(options.database.db);
  const freezes = new FreezeStore(options.database.db, clock);
  const ctx: JobContext = {
    store,
    production,
    releasePlans,
    dora,
    slackFiles: slackWrites,
    gates,
    preDeployment,
    freezes,
    roles,
    posts: new Posts(options.database.db, slackWrites, clock),
    github: options.github,
    jobs,
    policy,
    deployWorkflow: options.deployWorkflow ?? policy.deploy.workflow,
    releasesChannel: options.slack.releasesChannel,
    observability: options.observability,
    service: policy.verification.service ?? options.github.fullName.split('/')[1]!,
    clock,
    log,
    plans,
    ...(webhooks ? { webhooks } : {}),
    ...(options.statusPage ? { statusPage: { page: options.statusPage, calls: new StatusPageCalls(options.database.db) } } : {}),
    appHome: { store: homes, slack: app.client },
    charts,
  };
  const rateLimits = new RateLimits(options.database.db);
  const commandDeps = { store, statusReads: statusCache.cache, gates, freezes, rateLimits, plans: releasePlans, roles, jobs, policy, clock, log, production };
  registerReleaseCommand(app, { ...commandDeps, releasesChannel: options.slack.releasesChannel });
  const routes = new SlackRoutes();
  registerApprovalActions(routes, { store, gates, preDeployment, roles, jobs, policy, clock, log });
  registerPreDeploymentActions(routes, { store, gates, preDeployment, roles, jobs, policy, clock, log, datadog: Boolean(options.observability) });
  registerRollbackActions(routes, { store, roles, jobs, policy, clock, log, production });
  registerAbortActions(routes, { store, roles, jobs, policy, clock });
  registerChecklistActions(routes, { plans, store, roles, jobs, policy, clock, log });
  routes.mount(app);
  registerAppHome(app, { home: homes, jobs, clock, log });
  app.error(async (error) => log.error({ err: error }, 'slack listener error'));
  // A listener acks at once and goes on working (recording a decision, queueing jobs): stopping waits for them.
  const listening = new Set<Promise<unknown>>();
  app.use(async ({ next }) => {
    const work = next();
    listening.add(work);
    try {
      await work;
    } finally {
      listening.delete(work);
    }
  });

  let worker: Worker<unknown, void, string, IQueueBackend> | undefined;
  if (options.worker !== false) {
    const { botToken, signingSecret, appToken } = options.slack;
    const scrub = scrubberOf([botToken, signingSecret, appToken, options.githubWebhookSecret, ...(options.secrets ?? [])]);
    worker = startReleaseWorker(ctx, { connection: backend.workerConnection(), backendFactory: backend.factory, prefix: options.queuePrefix, metrics, scrub });
    await worker.waitUntilReady();
    await jobs.schedule('sync-released-versions');
    await jobs.schedule('reconcile');
    // Every release in flight read once, now: what GitHub delivered while tminus was down is not sent again.
    await jobs.add('read-in-flight', { startedAt: clock().toISOString() });
  }
  // Planned releases: every replica runs the cron task; Redis (or the database) elects one per slot, Postgres keys each run once.
  const planScheduler: PlanScheduler = startPlanScheduler(
    { plans, jobs, policy, clock, log },
    { expression: options.planScheduleCron, runCoordinator: backend.runCoordinator, prefix: options.queuePrefix },
  );
  void planScheduler.runOnce();

  let server: Server | undefined;
  if (receiver) server = await startHttpServer(boundedSlackEvents(receiver.requestListener, slackBodies), { port: options.port, host: options.host });
  else {
    await app.start(options.port);
    const routesServer = (app as unknown as { receiver: { httpServer?: Server } }).receiver.httpServer;
    if (routesServer) applyLimits(routesServer);
  }
  const address = server?.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ port, socketMode: Boolean(options.slack.appToken), database: options.database.kind, queue: backend.kind }, 'tminus is running');

  let stopping: Promise<void> | undefined;
  return {
    port,
    queueBackend: backend.kind,
    jobs,
    store,
    releasePlans,
    metrics,
    stop: () =>
      (stopping ??= (async () => {
        await planScheduler.stop();
        await (server ? stopHttpServer(server) : app.stop()).catch((err: unknown) => log.warn({ err }, 'stopping the Slack receiver'));
        // Clicks and commands already acked finish their work before the queue and the database close.
        await Promise.race([Promise.allSettled([...listening]), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
        // Waits for the jobs that are running to finish: nothing is left half done.
        await worker?.close();
        await queue.close();
        await backend.close();
        await statusCache.close();
        await charts.close();
      })()),
  };
}

type DependencyHealth = 'ok' | 'down';

/**
 * `/healthz` answers anyone, so it says only ok or down per dependency; why one is down goes to the log,
 * once each time a dependency goes down or comes back (not at every probe).
 */
function healthCheck(database: DatabaseHandle, backend: QueueBackend, queue: ReleaseQueue, log: Logger): () => Promise<{ ok: boolean; postgres: DependencyHealth } & Partial<Record<'redis' | 'queue', DependencyHealth>>> {
  const last: Record<'postgres' | 'redis' | 'queue', DependencyHealth> = { postgres: 'ok', redis: 'ok', queue: 'ok' };
  const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 2_000).unref())]);
  const judge = (dependency: 'postgres' | 'redis' | 'queue', result: PromiseSettledResult<unknown>): DependencyHealth => {
    const now = result.status === 'fulfilled' ? 'ok' : 'down';
    if (now !== last[dependency]) {
      last[dependency] = now;
      if (result.status === 'rejected') log.warn({ dependency, err: result.reason }, `health: ${dependency} is down`);
      else log.warn({ dependency }, `health: ${dependency} is back`);
    }
    return now;
  };
  return async () => {
    const [pg, q] = await Promise.allSettled([within(database.ping()), within(backend.ping(queue))]);
    // Redis is reported as before; a queue on the database under `queue`.
    const report = { postgres: judge('postgres', pg), [backend.healthName]: judge(backend.healthName, q) };
    return { ok: report.postgres === 'ok' && report[backend.healthName] === 'ok', ...report };
  };
}
