import { createRedisBackend, UnrecoverableError, Worker, type BackendFactory, type ConnectionOptions, type IQueueBackend, type Job } from 'bullmq';
import { GitHubRefusedError } from '../integrations/github.js';
import type { Metrics } from '../integrations/metrics.js';
import { scrubbedError, type Scrub } from '../domain/external-text.js';
import { announceRelease } from './announce-release.js';
import { abortReleaseJob } from './abort-release.js';
import { buildPlan } from './build-plan.js';
import { refreshPlan } from './refresh-plan.js';
import { planChanged } from './plan-changed.js';
import { onGiveUp } from './give-up.js';
import { completeRelease } from './complete-release.js';
import { postDeployChecks } from './post-deploy-checks.js';
import type { JobContext } from './context.js';
import { createTag } from './create-tag.js';
import { readinessCardJob } from './readiness.js';
import { failRelease } from './fail-release.js';
import { followDeploy, followDeployNow, readDeployJobsNow } from './follow-deploy.js';
import { githubEvent } from './github-event.js';
import { gateDecision } from './gate-decision.js';
import { readPreDeploymentMonitors } from './pre-deployment-monitors.js';
import { refreshGate } from './refresh-gate.js';
import { hotfixStepDue } from './hotfix-step-due.js';
import { hotfixCheck } from './hotfix-check.js';
import { postStatusUpdate } from './post-status-update.js';
import { deployMarker } from './deploy-marker.js';
import { markStable } from './mark-stable.js';
import { breachDeadline } from './breach-deadline.js';
import { postMortem } from './post-mortem.js';
import { planEvent, refreshChecklistJob } from './plan-event.js';
import { refreshRollbackChecklist, runRollback } from './run-rollback.js';
import { verifyRelease } from './verify-release.js';
import { statusPageJob } from './status-page.js';
import { startEmergencyRollback } from '../services/rollback.js';
import { PostUnderWayError } from '../services/posts.js';
import { refreshProgressView } from './progress-view.js';
import { RELEASE_QUEUE, type JobName, type JobPayloads } from './queue.js';
import { readInFlight, reconcileReleases } from './reconcile.js';
import { scheduledRunKey } from './scheduler.js';
import { syncReleasedVersions } from './sync-released-versions.js';
import { watchDeployWithin } from './deploy-within.js';
import { publishAppHome } from './app-home.js';
import { announceFreeze } from './announce-freeze.js';
import { releaseStats } from './release-stats.js';
import { recordChanges } from './record-changes.js';

/**
 * Jobs after which the App Homes may show something else: a release announced, a gate decided, a checklist
 * ticked, a plan made or changed. A release's other changes republish them through its progress view.
 */
const CHANGES_HOMES = new Set<JobName>(['announce-release', 'gate-decision', 'refresh-checklist', 'plan-event', 'plan-changed', 'build-plan']);

type Processors = { [N in JobName]: (ctx: JobContext, data: JobPayloads[N]) => Promise<void> };

const PROCESSORS: Processors = {
  'announce-release': announceRelease,
  'create-tag': createTag,
  'readiness-check': createTag,
  'readiness-now': createTag,
  'readiness-card': readinessCardJob,
  'follow-deploy': followDeploy,
  'post-status-update': postStatusUpdate,
  'deploy-succeeded': completeRelease,
  'complete-release': completeRelease,
  'record-changes': recordChanges,
  'post-deploy-checks': postDeployChecks,
  'fail-release': failRelease,
  'sync-released-versions': (ctx) => syncReleasedVersions(ctx),
  'deploy-within': (ctx) => watchDeployWithin(ctx),
  reconcile: async (ctx) => void (await reconcileReleases(ctx)),
  'read-in-flight': (ctx) => readInFlight(ctx),
  'gate-decision': gateDecision,
  'refresh-gate': refreshGate,
  'pre-deployment-monitors': readPreDeploymentMonitors,
  'hotfix-step-due': hotfixStepDue,
  'hotfix-check': hotfixCheck,
  'verify-release': verifyRelease,
  'mark-stable': markStable,
  'breach-deadline': breachDeadline,
  'deploy-marker': deployMarker,
  'release-stats': releaseStats,
  'start-rollback': async (ctx, data) => {
    const release = await ctx.store.findById(data.releaseId);
    if (!release) return;
    const outcome = await startEmergencyRollback(ctx, { release, by: data.by, reason: data.reason });
    if (outcome.kind === 'refused') await ctx.store.audit(release.id, 'rollback.automatic_refused', { reason: outcome.reason });
  },
  'run-rollback': runRollback,
  'post-mortem': postMortem,
  'refresh-rollback-checklist': refreshRollbackChecklist,
  'plan-event': async (ctx, data) => {
    await planEvent(ctx, data);
    // Done: the scheduler's next pass leaves it alone (a run left 'queued' is queued again).
    if (!data.late && data.attempt === 0) await ctx.plans?.setRunOutcome(scheduledRunKey(data.planId, data.event), 'done');
  },
  'refresh-checklist': refreshChecklistJob,
  'build-plan': buildPlan,
  'refresh-plan': refreshPlan,
  'abort-release': abortReleaseJob,
  'plan-changed': planChanged,
  'github-event': githubEvent,
  'deploy-event': (ctx, data) => (data.scope === 'jobs' ? readDeployJobsNow(ctx, data.releaseId) : followDeployNow(ctx, data.releaseId, data.runId)),
  'status-page': statusPageJob,
  'app-home': publishAppHome,
  'announce-freeze': announceFreeze,
  'refresh-progress': async (ctx, data) => {
    const release = await ctx.store.findById(data.releaseId);
    if (release) await refreshProgressView(ctx, release);
  },
};

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency?: number;
  /** BullMQ's backend: Redis unless given (tminus's database when there is no Redis). */
  backendFactory?: BackendFactory;
  /** Where each attempt's duration and failure are counted (tminus's /metrics). */
  metrics?: Pick<Metrics, 'job'>;
  /** The last pass over a failure's text before Slack, the audit log and the queue's record (Slack's own errors included). */
  scrub?: Scrub;
}

/** The release queue's worker. Errors GitHub will not change its mind about are not retried. */
export function startReleaseWorker(ctx: JobContext, options: WorkerOptions): Worker<unknown, void, string, IQueueBackend> {
  const worker = new Worker(
    RELEASE_QUEUE,
    async (job: Job) => {
      const name = job.name as JobName;
      const processor = PROCESSORS[name] as (ctx: JobContext, data: unknown) => Promise<void>;
      if (!processor) throw new UnrecoverableError(`no processor for job ${job.name}`);
      const started = performance.now();
      try {
        await processor(ctx, job.data);
        options.metrics?.job(name, (performance.now() - started) / 1000);
        if (CHANGES_HOMES.has(name)) await ctx.jobs.add('app-home', {});
      } catch (error) {
        const raw = error instanceof Error ? error : new Error(String(error));
        const err = options.scrub ? scrubbedError(raw, options.scrub) : raw;
        const refused = err instanceof GitHubRefusedError || err instanceof UnrecoverableError;
        const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        options.metrics?.job(name, (performance.now() - started) / 1000, { willRetry: !(refused || lastAttempt) });
        // An edit waiting for its message's post to be recorded is a race, not a fault: it is tried again.
        const level = err instanceof PostUnderWayError && !lastAttempt ? 'warn' : 'error';
        ctx.log[level]({ job: job.name, jobId: job.id, attempt: job.attemptsMade + 1, data: job.data, err }, 'job failed');
        if (refused || lastAttempt) {
          await onGiveUp(ctx, name, job.data, err).catch((e: unknown) => ctx.log.error({ job: job.name, err: e }, 'telling that a job gave up failed'));
          throw new UnrecoverableError(err.message);
        }
        throw err;
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      // Short jobs: a crashed worker's job is picked up again within about 20 seconds.
      lockDuration: 20_000,
      stalledInterval: 10_000,
      maxStalledCount: 3,
    },
    options.backendFactory ?? createRedisBackend,
  );
  worker.on('error', (err) => ctx.log.error({ err }, 'worker error'));
  return worker;
}
