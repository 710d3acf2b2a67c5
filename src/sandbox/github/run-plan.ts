import type { Environment, Environments } from './environments.js';
import type { Commit } from './repository.js';
import type { Actor, DeploymentReview, DeploymentReviewState, RunConclusion, RunStatus, WorkflowJobScript, WorkflowScript } from './types.js';

/**
 * The records of workflow runs and their attempts, and how an attempt's progress follows from the clock:
 * jobs run one after another, the first from the attempt's start, each for its durationMs, steps sharing
 * the job's time equally. Nothing has started at the very instant an attempt starts (it is 'queued' then).
 * A job whose environment is protected waits ('waiting') from the moment it would have started until it
 * is reviewed: approved, it starts then (and the later jobs after it); rejected, it fails then.
 * A re-run of failed jobs keeps the jobs before the first one that did not succeed: they are the previous
 * attempt's, with their results; the others run again from the new attempt's start.
 */

export interface RepoLinks {
  /** `${url}/repos/${owner}/${repo}` */
  api: string;
  /** `${url}/${owner}/${repo}` */
  web: string;
  owner: Actor;
  repoId: number;
  name: string;
  fullName: string;
}

export interface Workflow {
  id: number;
  file: string;
  name: string;
  script: WorkflowScript;
  createdAt: number;
  runCount: number;
}

export interface JobRecord {
  id: number;
  script: WorkflowJobScript;
  steps: string[];
  /** The attempt (1, 2, …) that ran it. */
  attempt: number;
  /** Set by failJob while the job was running: it ends then, failed. */
  failedAt?: number;
  /** Set by failJob before the job started: it fails when it would have finished. */
  forceFailure: boolean;
  /** The review of the job's protected environment, once reviewed. */
  review?: { state: DeploymentReviewState; at: number };
}

export interface DeploymentRecord {
  id: number;
  environment: string;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRecord {
  /** 1 for the first attempt. */
  number: number;
  startedAt: number;
  /** One per job of the workflow; the first `kept` are carried over from the previous attempt. */
  jobs: JobRecord[];
  kept: number;
  cancelledAt?: number;
  /** Who started this attempt (a re-run); the run's actor unless set. */
  triggeringActor?: Actor;
}

export interface RunRecord {
  id: number;
  workflow: Workflow;
  runNumber: number;
  headBranch: string;
  headCommit: Commit;
  createdAt: number;
  /** Oldest first; never empty. */
  attempts: AttemptRecord[];
  /** Reviews of the run's pending deployments (every attempt), oldest first. */
  reviews?: DeploymentReview[];
  /** How the run was triggered: a tag push unless set. */
  event?: 'workflow_dispatch';
  /** Who triggered it: the sandbox actor unless set. */
  actor?: Actor;
}

/** When something begins and ends, and how it ends. `forced` ends (cancellation) count as reached at once. */
export interface Span {
  start: number;
  end: number;
  conclusion: RunConclusion;
  ran: boolean;
  forced: boolean;
  /** Set for a job gated by a protected environment: it waits from then until `start` (or its rejection). */
  waitingFrom?: number;
}

export interface PlannedJob {
  job: Span;
  steps: Span[];
  gate?: Environment;
  /** The start of the attempt that ran the job: nothing of it has happened at that very instant. */
  origin: number;
}

export interface Progress {
  status: RunStatus;
  conclusion: RunConclusion | null;
  startedAt: number | null;
  completedAt: number | null;
}

export function latestAttempt(run: RunRecord): AttemptRecord {
  return run.attempts[run.attempts.length - 1] as AttemptRecord;
}

/** The whole future of one attempt (an index into run.attempts) as scripted so far: failures, reviews and cancellation included. */
export function plan(run: RunRecord, index: number, environments: Environments): PlannedJob[] {
  const attempt = run.attempts[index] as AttemptRecord;
  const earlier = attempt.kept > 0 ? plan(run, index - 1, environments) : [];
  const origin = attempt.startedAt;
  const happenedBy = (t: number, at: number): boolean => at >= t && at > origin;
  let cursor = origin;
  let halt: { at: number; conclusion: 'skipped' | 'cancelled'; forced: boolean } | undefined;
  return attempt.jobs.map((job, i): PlannedJob => {
    const kept = i < attempt.kept ? earlier[i] : undefined;
    if (kept !== undefined) return kept;
    if (halt !== undefined) {
      const span: Span = { start: halt.at, end: halt.at, conclusion: halt.conclusion, ran: false, forced: halt.forced };
      return { job: span, steps: job.steps.map(() => ({ ...span })), origin };
    }
    const gate = environments.gateAt(job.script.environment, cursor);
    const waitingFrom = gate === undefined ? undefined : cursor;
    if (gate !== undefined && job.review?.state === 'rejected') {
      // A rejected deployment: the job fails then, without running a step, and the later jobs are skipped.
      const at = job.review.at;
      halt = { at, conclusion: 'skipped', forced: false };
      const span: Span = { start: at, end: at, conclusion: 'failure', ran: false, forced: false, waitingFrom };
      const steps = job.steps.map((): Span => ({ start: at, end: at, conclusion: 'skipped', ran: false, forced: false }));
      return { job: span, steps, gate, origin };
    }
    // A gated job starts when approved; until then, as far as the plan knows, it waits for ever.
    const start = gate === undefined ? cursor : (job.review?.at ?? Infinity);
    const natural = start + job.script.durationMs;
    const end = job.failedAt ?? natural;
    const failing = job.failedAt !== undefined || job.forceFailure || job.script.outcome === 'failure';
    const cancelledAt = attempt.cancelledAt;
    if (cancelledAt !== undefined && !happenedBy(end, cancelledAt)) {
      const ran = happenedBy(start, cancelledAt);
      halt = { at: cancelledAt, conclusion: 'cancelled', forced: true };
      const span: Span = { start: ran ? start : cancelledAt, end: cancelledAt, conclusion: 'cancelled', ran, forced: true, waitingFrom };
      const steps = ran ? stepSpans(job, start, span) : job.steps.map((): Span => ({ ...span, waitingFrom: undefined }));
      return { job: span, steps, gate, origin };
    }
    cursor = end;
    if (failing) halt = { at: end, conclusion: 'skipped', forced: false };
    const span: Span = { start, end, conclusion: failing ? 'failure' : 'success', ran: true, forced: false, waitingFrom };
    return { job: span, steps: stepSpans(job, start, span), gate, origin };
  });
}

/** Where each job of an attempt (and each of its steps) stands at `now`. */
export function jobProgress(run: RunRecord, index: number, now: number, environments: Environments): { job: Progress; steps: Progress[] }[] {
  return plan(run, index, environments).map((p) => {
    const project = (span: Span): Progress => {
      const happened = (t: number): boolean => now >= t && now > p.origin;
      const completed = span.forced ? now >= span.end : happened(span.end);
      const started = completed || (span.ran && happened(span.start));
      const waiting = !started && span.waitingFrom !== undefined && happened(span.waitingFrom);
      return {
        status: completed ? 'completed' : started ? 'in_progress' : waiting ? 'waiting' : 'queued',
        conclusion: completed ? span.conclusion : null,
        startedAt: started ? span.start : null,
        completedAt: completed ? span.end : null,
      };
    };
    return { job: project(p.job), steps: p.steps.map(project) };
  });
}

/** Steps split the job's scripted duration equally; a job cut short at `span.end` fails or is cancelled in the step running then. */
function stepSpans(job: JobRecord, start: number, span: Span): Span[] {
  const n = job.steps.length;
  const d = job.script.durationMs;
  const natural = start + d;
  return job.steps.map((_, k): Span => {
    const s = start + Math.round((k * d) / n);
    const e = start + Math.round(((k + 1) * d) / n);
    if (span.conclusion === 'success') return { start: s, end: e, conclusion: 'success', ran: true, forced: false };
    if (span.end >= natural) {
      // A scripted failure: the last step fails when the job would have finished.
      return { start: s, end: e, conclusion: k === n - 1 ? span.conclusion : 'success', ran: true, forced: span.forced };
    }
    if (e <= span.end) return { start: s, end: e, conclusion: 'success', ran: true, forced: false };
    if (s <= span.end) return { start: s, end: span.end, conclusion: span.conclusion, ran: true, forced: span.forced };
    return { start: span.end, end: span.end, conclusion: 'skipped', ran: false, forced: span.forced };
  });
}
