import type { IQueueBackend, JobsOptions, Queue } from 'bullmq';

export const RELEASE_QUEUE = 'releases';

/** The release queue on whichever backend runs it (Redis, or BullMQ's PostgreSQL backend on tminus's database). */
export type ReleaseQueue = Queue<unknown, unknown, string, unknown, unknown, string, IQueueBackend>;

/** Every job tminus runs, by name, with the payload it carries: ids, never copies of state. */
export interface JobPayloads {
  'announce-release': { releaseId: string };
  'create-tag': { releaseId: string };
  /** A release held at its readiness gate is judged again: look `look` (slots of `readiness.recheckEvery` from T-0). */
  'readiness-check': { releaseId: string; look: number };
  /** Something that may let a held release go on happened (a tick, a waiver, CI): judge it now. */
  'readiness-now': { releaseId: string };
  /** At start-up (`startedAt`): every release in flight is read once at once, whatever its next poll. */
  'read-in-flight': { startedAt: string };
  /** The readiness card (and a gate's checklists) redrawn from the last judgement. */
  'readiness-card': { releaseId: string };
  'follow-deploy': { releaseId: string; poll: number };
  'post-status-update': { releaseId: string; update: number };
  /** The deploy run succeeded: production runs the release; the post-deploy checks start. */
  'deploy-succeeded': { releaseId: string; finishedAt: string };
  /** The post-deploy checks passed: publish the GitHub release, post "Release complete", start the watch. */
  'complete-release': { releaseId: string; finishedAt: string };
  /** The release reached production: record the pull requests it carried, for DORA's lead time. */
  'record-changes': { releaseId: string };
  /** T+60: reading `reading` of the post-deploy checks (readings are slots of `deploy.postDeployChecks.retryEvery`). */
  'post-deploy-checks': { releaseId: string; reading: number };
  'fail-release': {
    releaseId: string;
    event: 'start_failed' | 'deploy_run_missing' | 'deploy_failed' | 'deploy_run_lost' | 'post_deploy_checks_failed';
    reason: string;
    finishedAt: string;
    /** The deploy run's attempt that failed (a re-run that fails again is a new failure). */
    attempt?: number;
  };
  'sync-released-versions': Record<string, never>;
  /** The `deployWithin` watch, once per slot of its interval (see scheduleDeployWithinWatch). */
  'deploy-within': { slot: number };
  reconcile: Record<string, never>;
  /** A decision was recorded at a gate: refresh its message; when decided, tell the thread (and GitHub). */
  'gate-decision': { gateId: string; decisions: number };
  /** A gate's message redrawn (a pre-deployment check ticked, or tminus's reading of one changed). */
  'refresh-gate': { gateId: string };
  /** T+60: tminus reads Datadog for the production gate's "Monitoring active" (look `look`, slots of `preDeploymentChecks.recheckEvery`). */
  'pre-deployment-monitors': { gateId: string; look: number };
  'hotfix-step-due': { releaseId: string; step: string; stage: 'reminder' | 'escalation' };
  /** A hotfix's signals: CI on its commit (ticks "tested"), then its first verification (ticks "monitored"). */
  'hotfix-check': { releaseId: string; poll: number };
  /** Something a person did changed the release's top message (a ticked hotfix step). */
  'refresh-progress': { releaseId: string };
  /** GitHub's webhooks said the release's deploy run moved: read it now (a burst of deliveries is one read). */
  'deploy-event': { releaseId: string; runId?: number; scope?: 'jobs' | 'run' };
  /** Post-release verification run `run` of the guide's schedule (attempt > 1: retried for missing data). */
  'verify-release': { releaseId: string; run: number; attempt: number };
  'mark-stable': { releaseId: string; attempt: number };
  /** A breach alert's decision-matrix deadline (at the alert's severity): followed up if still open. */
  'breach-deadline': { releaseId: string; breachId: number; severity: string };
  'deploy-marker': { releaseId: string; kind: 'started' | 'completed' | 'rolled_back' };
  /** The policy's automatic rollback on a critical breach. */
  'start-rollback': { releaseId: string; by: string; reason: string };
  'run-rollback': { releaseId: string; poll: number };
  'post-mortem': { releaseId: string };
  'refresh-rollback-checklist': { releaseId: string };
  /** A planned release's scheduled event (`planEvents`); `late`: missed past the catch-up grace, only said. */
  'plan-event': { planId: string; event: string; attempt: number; late?: boolean; override?: { by: string; reason: string; missing: number } };
  /** Someone ticked a pre-release checklist item: refresh its message. */
  'refresh-checklist': { planId: string; checklist: string };
  /** `/release plan`: read what was merged since the last tag, post the plan card and the notes draft. */
  /** `responseUrl`: the `/release plan` that asked, answered privately when there is nothing to plan. */
  'build-plan': { planId: string; responseUrl?: string };
  /** A pull request merged (or a checklist falls due): read the plan's range again, and show what it gained. */
  'refresh-plan': { planId: string };
  /** `/release abort`: cancel the run that has not reached production, close gate messages, tell the thread. */
  'abort-release': { releaseId: string };
  /** A plan was cancelled or moved (`plan_events` row `eventId`): say so in its thread. */
  'plan-changed': { planId: string; eventId: number };
  /** Publish the App Home of `userId` (who just opened it), or of everyone who opened it lately. */
  'app-home': { userId?: string };
  /** `/release freeze` or `/release unfreeze`: say the freeze (row `freezeId`) or its end in #releases, once. */
  'announce-freeze': { freezeId: string; event: 'frozen' | 'unfrozen' };
  /** `/release stats`: the figures and the chart for one command (its trigger_id). */
  /** `privately`: asked outside #releases, answered to the asker only (through response_url), without the chart. */
  'release-stats': { requestId: string; channel: string; userId: string; responseUrl: string; window: string; requestedAt: string; privately?: boolean };
  /** One moment of a release on the hosted status page (see jobs/status-page.ts); rollback ones name the rollback by its start (ms), a plan's move or cancellation its `plan_events` row. */
  'status-page': {
    event: 'announced' | 'moved' | 'cancelled' | 'started' | 'completed' | 'ended' | 'rollback_started' | 'rolled_back' | 'rollback_failed';
    releaseId?: string;
    planId?: string;
    rollbackAt?: number;
    eventId?: number;
  };
  /** A GitHub webhook delivery (its id, once): what it names is read on GitHub now, as a poll would. */
  'github-event': {
    delivery: string;
    event: string;
    action?: string;
    runId?: number;
    headSha?: string;
    headBranch?: string;
    /** The run's workflow file, e.g. .github/workflows/deploy-production.yml. */
    workflowPath?: string;
    /** A commit status's branches (those whose head is the commit). */
    branches?: string[];
    tag?: string;
    pullRequest?: number;
  };
}
export type JobName = keyof JobPayloads;

/**
 * Retries chosen per job: Slack and GitHub calls fail for a while during an outage, so each job backs off
 * exponentially for about ten minutes before it gives up (and a release that cannot go on says so).
 */
const RETRIES: Record<JobName, Pick<JobsOptions, 'attempts' | 'backoff'>> = {
  'announce-release': { attempts: 9, backoff: { type: 'exponential', delay: 2_000 } },
  'create-tag': { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } },
  'readiness-check': { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } },
  'readiness-now': { attempts: 4, backoff: { type: 'exponential', delay: 2_000 } },
  'read-in-flight': { attempts: 4, backoff: { type: 'exponential', delay: 2_000 } },
  'readiness-card': { attempts: 8, backoff: { type: 'exponential', delay: 2_000 } },
  'follow-deploy': { attempts: 6, backoff: { type: 'exponential', delay: 5_000 } },
  'post-status-update': { attempts: 8, backoff: { type: 'exponential', delay: 2_000 } },
  'deploy-succeeded': { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } },
  'complete-release': { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } },
  'record-changes': { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } },
  'post-deploy-checks': { attempts: 6, backoff: { type: 'exponential', delay: 5_000 } },
  'fail-release': { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } },
  'sync-released-versions': { attempts: 3, backoff: { type: 'exponential', delay: 10_000 } },
  'deploy-within': { attempts: 3, backoff: { type: 'exponential', delay: 5_000 } },
  reconcile: { attempts: 1 },
  'gate-decision': { attempts: 8, backoff: { type: 'exponential', delay: 2_000 } },
  'refresh-gate': { attempts: 5, backoff: { type: 'exponential', delay: 2_000 } },
  'pre-deployment-monitors': { attempts: 4, backoff: { type: 'exponential', delay: 2_000 } },
  'hotfix-step-due': { attempts: 8, backoff: { type: 'exponential', delay: 2_000 } },
  'hotfix-check': { attempts: 6, backoff: { type: 'exponential', delay: 5_000 } },
  'refresh-progress': { attempts: 5, backoff: { type: 'exponential', delay: 2_000 } },
  'deploy-event': { attempts: 4, backoff: { type: 'exponential', delay: 1_000 } },
  'verify-release': { attempts: 3, backoff: { type: 'exponential', delay: 5_000 } },
  'mark-stable': { attempts: 5, backoff: { type: 'exponential', delay: 5_000 } },
  'breach-deadline': { attempts: 8, backoff: { type: 'exponential', delay: 2_000 } },
  'deploy-marker': { attempts: 8, backoff: { type: 'exponential', delay: 10_000 } },
  'start-rollback': { attempts: 3, backoff: { type: 'exponential', delay: 2_000 } },
  'run-rollback': { attempts: 6, backoff: { type: 'exponential', delay: 2_000 } },
  'post-mortem': { attempts: 8, backoff: { type: 'exponential', delay: 10_000 } },
  'refresh-rollback-checklist': { attempts: 5, backoff: { type: 'exponential', delay: 2_000 } },
  'plan-event': { attempts: 6, backoff: { type: 'exponential', delay: 2_000 } },
  'refresh-checklist': { attempts: 5, backoff: { type: 'exponential', delay: 2_000 } },
  'build-plan': { attempts: 8, backoff: { type: 'exponential', delay: 2_000 } },
  // About a minute: a refresh that gives up leaves the plan as it was, and the next merge or checklist tries again.
  'refresh-plan': { attempts: 6, backoff: { type: 'exponential', delay: 2_000 } },
  'abort-release': { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } },
  'plan-changed': { attempts: 8, backoff: { type: 'exponential', delay: 2_000 } },
  'app-home': { attempts: 5, backoff: { type: 'exponential', delay: 2_000 } },
  'announce-freeze': { attempts: 9, backoff: { type: 'exponential', delay: 2_000 } },
  'release-stats': { attempts: 4, backoff: { type: 'exponential', delay: 1_000 } },
  // A status page that is down is ridden out for about half an hour; the reconciler revives it after that.
  'status-page': { attempts: 10, backoff: { type: 'exponential', delay: 2_000 } },
  // Polling is the safety net: a delivery whose look fails for long is caught up by the next poll.
  'github-event': { attempts: 4, backoff: { type: 'exponential', delay: 1_000 } },
};

/** Housekeeping that every replica schedules under the same id, so it runs once per period. */
export const SCHEDULES = {
  'sync-released-versions': { every: 10 * 60_000 },
  reconcile: { every: 60_000 },
} as const;

/** A job's id says what it is for, so enqueueing the same work twice is harmless (BullMQ ids have no ':'). */
const JOB_IDS: { [N in JobName]: (data: JobPayloads[N]) => string } = {
  'announce-release': (d) => d.releaseId,
  'create-tag': (d) => d.releaseId,
  'readiness-check': (d) => `${d.releaseId}-${d.look}`,
  'readiness-now': (d) => d.releaseId,
  'read-in-flight': (d) => String(Date.parse(d.startedAt)),
  'readiness-card': (d) => d.releaseId,
  'follow-deploy': (d) => `${d.releaseId}-${d.poll}`,
  'post-status-update': (d) => `${d.releaseId}-${d.update}`,
  'deploy-succeeded': (d) => d.releaseId,
  'complete-release': (d) => d.releaseId,
  'record-changes': (d) => d.releaseId,
  'post-deploy-checks': (d) => `${d.releaseId}-${d.reading}`,
  'fail-release': (d) => (d.attempt && d.attempt > 1 ? `${d.releaseId}-${d.attempt}` : d.releaseId),
  'sync-released-versions': () => 'now',
  'deploy-within': (d) => String(d.slot),
  reconcile: () => 'now',
  'gate-decision': (d) => `${d.gateId}-${d.decisions}`,
  'refresh-gate': (d) => d.gateId,
  'pre-deployment-monitors': (d) => `${d.gateId}-${d.look}`,
  'hotfix-step-due': (d) => `${d.releaseId}-${d.step}-${d.stage}`,
  'hotfix-check': (d) => `${d.releaseId}-${d.poll}`,
  'refresh-progress': (d) => d.releaseId,
  'deploy-event': (d) => `${d.releaseId}-${d.runId ?? 'run'}-${d.scope ?? 'run'}`,
  'verify-release': (d) => `${d.releaseId}-${d.run}-${d.attempt}`,
  'mark-stable': (d) => `${d.releaseId}-${d.attempt}`,
  'breach-deadline': (d) => `${d.releaseId}-${d.breachId}-${d.severity}`,
  'deploy-marker': (d) => `${d.releaseId}-${d.kind}`,
  'start-rollback': (d) => d.releaseId,
  'run-rollback': (d) => `${d.releaseId}-${d.poll}`,
  'post-mortem': (d) => d.releaseId,
  'refresh-rollback-checklist': (d) => d.releaseId,
  'plan-event': (d) => `${d.planId}-${d.event}-${d.late ? 'late' : d.override ? 'override' : d.attempt}`,
  'refresh-checklist': (d) => `${d.planId}-${d.checklist}`,
  'build-plan': (d) => d.planId,
  // Coalesced (below): one refresh per plan waits or runs at a time, and a merge during a running one queues the next.
  'refresh-plan': (d) => d.planId,
  'abort-release': (d) => d.releaseId,
  'plan-changed': (d) => `${d.planId}-${d.eventId}`,
  'github-event': (d) => d.delivery,
  'status-page': (d) => `${d.releaseId ?? d.planId}-${d.event}${d.rollbackAt ? `-${d.rollbackAt}` : ''}${d.eventId ? `-${d.eventId}` : ''}`,
  'app-home': (d) => d.userId ?? 'all',
  'announce-freeze': (d) => `${d.freezeId}-${d.event}`,
  'release-stats': (d) => d.requestId.replace(/[^A-Za-z0-9_-]/g, '_'),
};

export function jobId<N extends JobName>(name: N, data: JobPayloads[N]): string {
  return `${name}-${JOB_IDS[name](data)}`;
}

/**
 * Redraws of a message that clicks ask for. Their id is a deduplication key, not a job id: a redraw waiting
 * to run absorbs later clicks (it reads the state when it runs), and clicks during a running one queue one
 * more after it (BullMQ `keepLastIfActive`). The short delay gathers a burst of clicks into one redraw.
 */
const COALESCED = new Set<JobName>(['readiness-now', 'readiness-card', 'refresh-gate', 'refresh-progress', 'refresh-rollback-checklist', 'refresh-checklist', 'app-home', 'deploy-event', 'refresh-plan']);
const COALESCE_DELAY_MS = 500;
/**
 * The App Home gathers the changes of a release-day burst (a decision, a state change, a redraw) into one
 * publish; a deploy event gathers GitHub's deliveries of one moment (a job ends, the next starts: they come
 * within milliseconds) into one read of the run, without holding up what Slack shows; a plan refresh, the
 * merges of one moment (a merge queue landing a batch) into one read of the plan's range.
 */
const COALESCE_DELAYS: Partial<Record<JobName, number>> = { 'app-home': 1_500, 'deploy-event': 150, 'refresh-plan': 150 };

/** The typed front of the release queue. */
export class ReleaseJobs {
  /** `timeScale` > 1 runs delays faster than real time (the sandbox's clock speed, read at each add); 1 in production. */
  constructor(
    readonly queue: ReleaseQueue,
    private readonly timeScale: number | (() => number) = 1,
  ) {}

  async add<N extends JobName>(name: N, data: JobPayloads[N], options: { delayMs?: number } = {}): Promise<void> {
    const coalesced = COALESCED.has(name);
    // A burst is gathered in real time (clicks, deliveries arrive at people's and GitHub's pace), whatever
    // the sandbox clock's speed; policy delays run on the release's clock.
    const scale = options.delayMs === undefined && coalesced ? 1 : typeof this.timeScale === 'function' ? this.timeScale() : this.timeScale;
    const delayMs = options.delayMs ?? (coalesced ? (COALESCE_DELAYS[name] ?? COALESCE_DELAY_MS) : 0);
    await this.queue.add(name, data, {
      ...RETRIES[name],
      ...(coalesced ? { deduplication: { id: jobId(name, data), keepLastIfActive: true } } : { jobId: jobId(name, data) }),
      delay: Math.max(0, Math.round(delayMs / scale)),
      removeOnComplete: { age: 7 * 24 * 3600, count: 5000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
  }

  /**
   * Makes sure the job is there: queues it, and when a job with its id already gave up (failed for good),
   * tries it again from its first attempt. The reconciler calls this for what a state needs, so a job whose
   * retries ran out during an outage is not the end of the release.
   */
  async ensure<N extends JobName>(name: N, data: JobPayloads[N], options: { delayMs?: number } = {}): Promise<'queued' | 'revived' | 'there'> {
    const id = jobId(name, data);
    const existing = await this.queue.getJob(id);
    if (!existing) {
      await this.add(name, data, options);
      return 'queued';
    }
    if ((await existing.getState()) !== 'failed') return 'there';
    await existing.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return 'revived';
  }

  /** Runs a housekeeping job now (once, while it is queued) and then on its schedule. */
  async schedule(name: keyof typeof SCHEDULES): Promise<void> {
    await this.queue.add(name, {}, { jobId: `${name}-now`, removeOnComplete: true, removeOnFail: true, attempts: 1 });
    await this.queue.upsertJobScheduler(name, { every: SCHEDULES[name].every }, { name, data: {}, opts: { ...RETRIES[name], removeOnComplete: true, removeOnFail: 100 } });
  }
}
