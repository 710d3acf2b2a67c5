import type { Server } from 'node:http';
import { App, LogLevel, type CustomRoute } from '@slack/bolt';
import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Policy } from './domain/policy.js';
import { registerApprovalActions } from './handlers/approval-actions.js';
import { registerReleaseCommand } from './handlers/release-command.js';
import { registerRollbackActions } from './handlers/rollback-actions.js';
import { registerChecklistActions } from './handlers/checklist-actions.js';
import { registerAbortActions } from './handlers/abort-actions.js';
import { PlanScheduleStore } from './integrations/database/plan-schedule-store.js';
import { startPlanScheduler, type PlanScheduler } from './jobs/scheduler.js';
import type { Observability } from './integrations/datadog.js';
import { GateStore } from './integrations/database/gate-store.js';
import { RoleDirectory } from './services/roles.js';
import type { DatabaseHandle } from './integrations/database/client.js';
import { ReleaseStore } from './integrations/database/release-store.js';
import { ProductionHistory } from './integrations/database/production-history.js';
import { ReleasePlanStore } from './integrations/database/release-plan-store.js';
import type { ReleaseRepository } from './integrations/github.js';
import type { JobContext } from './jobs/context.js';
import { RELEASE_QUEUE, ReleaseJobs } from './jobs/queue.js';
import { startReleaseWorker } from './jobs/worker.js';
import { Posts } from './services/posts.js';

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
  deployWorkflow?: string;
  database: DatabaseHandle;
  redisUrl: string;
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
}

export interface Tminus {
  /** The port the HTTP receiver (or, in Socket Mode, the health route) listens on. */
  port: number;
  jobs: ReleaseJobs;
  store: ReleaseStore;
  /** Release plans (`/release plan`), for planRelease. */
  releasePlans: ReleasePlanStore;
  stop(): Promise<void>;
}

/** Builds tminus from its parts and starts it: migrations already ran when `database` was opened. */
export async function startTminus(options: TminusOptions): Promise<Tminus> {
  const { log, policy } = options;
  const clock = options.clock ?? (() => new Date());
  // The queue's connection fails fast while Redis is away (a Slack request must not hang on it); the
  // worker's connection waits for Redis to come back, as BullMQ requires.
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const queue = new Queue(RELEASE_QUEUE, { connection: redis, prefix: options.queuePrefix });
  await queue.waitUntilReady();
  const jobs = new ReleaseJobs(queue, options.timeScale ?? 1);
  const store = new ReleaseStore(options.database.db);
  const production = new ProductionHistory(options.database.db);
  const releasePlans = new ReleasePlanStore(options.database.db);
  const health = healthCheck(options.database, redis, log);

  const app = new App({
    signingSecret: options.slack.signingSecret,
    token: options.slack.botToken,
    logLevel: LogLevel.WARN,
    ...(options.slack.appToken ? { socketMode: true, appToken: options.slack.appToken, installerOptions: { port: options.port } } : {}),
    clientOptions: {
      ...(options.slack.apiUrl ? { slackApiUrl: options.slack.apiUrl } : {}),
      // A few quick retries inside a job; longer outages are the queue's backoff (WebClient's default is ~30 minutes).
      retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2_000 },
      timeout: 10_000,
      rejectRateLimitedCalls: true,
    },
    customRoutes: [
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
      ...(options.extraRoutes ?? []),
    ],
  });

  const gates = new GateStore(options.database.db);
  const roles = new RoleDirectory(app.client, policy, () => clock().getTime());
  const plans = new PlanScheduleStore(options.database.db);
  const ctx: JobContext = {
    store,
    production,
    releasePlans,
    gates,
    roles,
    posts: new Posts(options.database.db, app.client),
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
  };
  registerReleaseCommand(app, { store, gates, plans: releasePlans, roles, jobs, policy, releasesChannel: options.slack.releasesChannel, clock, log, production });
  registerApprovalActions(app, { store, gates, roles, jobs, policy, clock, log });
  registerRollbackActions(app, { store, roles, jobs, policy, clock, log, production });
  registerAbortActions(app, { store, roles, jobs, policy, clock });
  registerChecklistActions(app, { plans, store, roles, jobs, policy, clock, log });
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

  let worker: Worker | undefined;
  if (options.worker !== false) {
    worker = startReleaseWorker(ctx, { connection: redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true }), prefix: options.queuePrefix });
    await worker.waitUntilReady();
    await jobs.schedule('sync-released-versions');
    await jobs.schedule('reconcile');
  }
  // Planned releases: every replica runs the cron task; Redis elects one per slot, Postgres keys each run once.
  const planScheduler: PlanScheduler = startPlanScheduler(
    { plans, jobs, policy, clock, log },
    { expression: options.planScheduleCron, redis, prefix: options.queuePrefix },
  );
  void planScheduler.runOnce();

  const server = (await app.start(options.host ? { port: options.port, host: options.host } : options.port)) as Server | undefined;
  const address = server?.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ port, socketMode: Boolean(options.slack.appToken), database: options.database.kind }, 'tminus is running');

  let stopping: Promise<void> | undefined;
  return {
    port,
    jobs,
    store,
    releasePlans,
    stop: () =>
      (stopping ??= (async () => {
        await planScheduler.stop();
        await app.stop().catch((err: unknown) => log.warn({ err }, 'stopping the Slack receiver'));
        // Clicks and commands already acked finish their work before the queue and the database close.
        await Promise.race([Promise.allSettled([...listening]), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
        // Waits for the jobs that are running to finish: nothing is left half done.
        await worker?.close();
        await queue.close();
        redis.disconnect();
      })()),
  };
}

type DependencyHealth = 'ok' | 'down';

/**
 * `/healthz` answers anyone, so it says only ok or down per dependency; why one is down goes to the log,
 * once each time a dependency goes down or comes back (not at every probe).
 */
function healthCheck(database: DatabaseHandle, redis: Redis, log: Logger): () => Promise<{ ok: boolean; postgres: DependencyHealth; redis: DependencyHealth }> {
  const last: Record<'postgres' | 'redis', DependencyHealth> = { postgres: 'ok', redis: 'ok' };
  const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 2_000).unref())]);
  const judge = (dependency: 'postgres' | 'redis', result: PromiseSettledResult<unknown>): DependencyHealth => {
    const now = result.status === 'fulfilled' ? 'ok' : 'down';
    if (now !== last[dependency]) {
      last[dependency] = now;
      if (result.status === 'rejected') log.warn({ dependency, err: result.reason }, `health: ${dependency} is down`);
      else log.warn({ dependency }, `health: ${dependency} is back`);
    }
    return now;
  };
  return async () => {
    const [pg, rd] = await Promise.allSettled([within(database.ping()), within(redis.ping())]);
    const report = { postgres: judge('postgres', pg), redis: judge('redis', rd) };
    return { ok: report.postgres === 'ok' && report.redis === 'ok', ...report };
  };
}
