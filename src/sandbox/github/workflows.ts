import { Environments } from './environments.js';
import type { Environment, EnvironmentsSnapshot } from './environments.js';
import type { Commit } from './repository.js';
import type { AttemptRecord, JobRecord, RepoLinks, RunRecord, Workflow } from './run-plan.js';
import { jobProgress, latestAttempt, plan } from './run-plan.js';
import { iso, jobViews, runView } from './run-views.js';
import { deploymentsAt, jobDeploymentView, type JobDeployment } from './deployments.js';
import type { Actor, DeploymentReview, DeploymentReviewState, DeploymentView, JobView, PendingDeploymentView, WorkflowJobScript, WorkflowRunView, WorkflowScript } from './types.js';

export { SANDBOX_ACTOR, iso, nodeId } from './run-views.js';
export type { RepoLinks, Workflow } from './run-plan.js';

/**
 * Workflows and their runs, whose progress is computed from the clock at each read (see run-plan.ts).
 * A run has one or more attempts (re-runs); what is said of a run is said of its latest attempt.
 */

/** Refused because of the run's state: `status` is what GitHub answers (409 for a cancel, 403 for a re-run). */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly status = 409,
  ) {
    super(message);
  }
}

/** GitHub's answer to a re-run of a run that has not completed. */
export const RERUN_RUNNING = 'This workflow is already running';
/** GitHub's answer to a re-run it will not do (here: failed jobs of a run where none failed). */
export const RERUN_REFUSED = 'This workflow run cannot be retried';

export interface WorkflowsSnapshot {
  workflows: Workflow[];
  runs: RunRecord[];
  nextWorkflowId: number;
  nextRunId: number;
  nextJobId: number;
  listingDelayMs: number;
  environments: EnvironmentsSnapshot;
}

export class Workflows {
  private readonly workflows: Workflow[] = [];
  private readonly runList: RunRecord[] = [];
  private nextWorkflowId = 40_000_001;
  private nextRunId = 10_000_001;
  private nextJobId = 20_000_001;
  /** Deployment environments and their required reviewers. */
  readonly environments: Environments;
  /** How long after its creation a run appears in the run listings. */
  listingDelayMs = 0;

  constructor(
    private readonly links: RepoLinks,
    private readonly clock: () => number,
  ) {
    this.environments = new Environments(links, clock);
  }

  define(file: string, script: WorkflowScript): Workflow {
    const existing = this.workflows.find((w) => w.file === file);
    const name = script.name ?? file.replace(/\.ya?ml$/, '');
    if (existing !== undefined) {
      Object.assign(existing, { script, name });
      return existing;
    }
    const workflow: Workflow = { id: this.nextWorkflowId++, file, name, script, createdAt: this.clock(), runCount: 0 };
    this.workflows.push(workflow);
    return workflow;
  }

  /** Workflows, runs (with their jobs and reviews), ids and environments, for the stand-in's snapshot. */
  snapshot(): WorkflowsSnapshot {
    const { workflows, runList: runs, nextWorkflowId, nextRunId, nextJobId, listingDelayMs } = this;
    return structuredClone({ workflows, runs, nextWorkflowId, nextRunId, nextJobId, listingDelayMs, environments: this.environments.snapshot() });
  }

  /** Replaces everything with a snapshot's; runs progress on the clock from where they were. */
  restore(snapshot: WorkflowsSnapshot): void {
    const copy = structuredClone(snapshot);
    this.workflows.splice(0, this.workflows.length, ...copy.workflows);
    // A run shares its workflow's record (its run count, a redefined script), as it did before.
    for (const run of copy.runs) run.workflow = this.workflows.find((w) => w.id === run.workflow.id) ?? run.workflow;
    this.runList.splice(0, this.runList.length, ...copy.runs);
    this.nextWorkflowId = copy.nextWorkflowId;
    this.nextRunId = copy.nextRunId;
    this.nextJobId = copy.nextJobId;
    this.listingDelayMs = copy.listingDelayMs;
    this.environments.restore(copy.environments);
  }

  /** By numeric id or file name, as GitHub accepts either for `workflow_id`. */
  workflow(idOrFile: string): Workflow | undefined {
    return this.workflows.find((w) => String(w.id) === idOrFile || w.file === idOrFile);
  }

  list(): Workflow[] {
    return [...this.workflows];
  }

  /** Starts a run of every tag-triggered workflow; returns their ids. */
  onTagPush(tagName: string, commit: Commit): number[] {
    return this.workflows.filter((w) => triggersOn(w.script, 'tag')).map((workflow) => this.startRun(workflow, tagName, commit));
  }

  /** Starts a run of the workflow now (a push run unless `event` says otherwise); returns its id. */
  startRun(workflow: Workflow, headBranch: string, commit: Commit, event?: 'workflow_dispatch', actor?: Actor): number {
    workflow.runCount += 1;
    // GitHub creates an environment a job names that does not exist yet, unprotected.
    for (const job of workflow.script.jobs) if (job.environment !== undefined) this.environments.ensure(job.environment);
    const createdAt = this.clock();
    const run: RunRecord = {
      id: this.nextRunId++,
      workflow,
      runNumber: workflow.runCount,
      headBranch,
      headCommit: commit,
      createdAt,
      attempts: [{ number: 1, startedAt: createdAt, jobs: workflow.script.jobs.map((script) => this.newJob(script, 1)), kept: 0 }],
      ...(event === undefined ? {} : { event }),
      ...(actor === undefined ? {} : { actor }),
    };
    this.runList.push(run);
    return run.id;
  }

  has(runId: number): boolean {
    return this.find(runId) !== undefined;
  }

  /** Every run, newest first. */
  runs(now: number, workflowId?: number): WorkflowRunView[] {
    return this.runList
      .filter((r) => workflowId === undefined || r.workflow.id === workflowId)
      .reverse()
      .map((r) => this.view(r, now));
  }

  /** The runs GET …/runs lists at `now`: those created at least `listingDelayMs` ago, newest first. */
  listedRuns(now: number, workflowId?: number): WorkflowRunView[] {
    return this.runList
      .filter((r) => (workflowId === undefined || r.workflow.id === workflowId) && now - r.createdAt >= this.listingDelayMs)
      .reverse()
      .map((r) => this.view(r, now));
  }

  /** The run as its latest attempt stands. */
  run(runId: number, now: number): WorkflowRunView | undefined {
    const run = this.find(runId);
    return run === undefined ? undefined : this.view(run, now);
  }

  /** The run as attempt `attempt` (1, 2, …) saw it; undefined for an unknown run or attempt. */
  attempt(runId: number, attempt: number, now: number): WorkflowRunView | undefined {
    const run = this.find(runId);
    if (run === undefined || !Number.isInteger(attempt) || attempt < 1 || attempt > run.attempts.length) return undefined;
    return runView(this.links, this.environments, run, attempt - 1, now);
  }

  /**
   * The latest attempt's jobs ('latest': each job's most recent execution), or every job of every
   * attempt ('all', oldest attempt first). Undefined for an unknown run.
   */
  jobs(runId: number, now: number, filter: 'latest' | 'all' = 'latest'): JobView[] | undefined {
    const run = this.find(runId);
    if (run === undefined) return undefined;
    if (filter === 'latest') return jobViews(this.links, this.environments, run, run.attempts.length - 1, now);
    return run.attempts.flatMap((a, i) => jobViews(this.links, this.environments, run, i, now).slice(a.kept));
  }

  failJob(runId: number, jobName: string, now: number): void {
    const run = this.mustFind(runId);
    const attempt = latestAttempt(run);
    const index = attempt.jobs.findIndex((j) => j.script.name === jobName);
    const job = attempt.jobs[index];
    const progress = jobProgress(run, run.attempts.length - 1, now, this.environments)[index];
    if (job === undefined || progress === undefined) throw new Error(`Run ${runId} has no job named ${jobName}`);
    if (progress.job.status === 'completed') throw new ConflictError(`Job ${jobName} of run ${runId} has already completed`);
    if (progress.job.status === 'in_progress') job.failedAt = now;
    else job.forceFailure = true;
  }

  cancel(runId: number, now: number): void {
    const run = this.mustFind(runId);
    if (this.view(run, now).status === 'completed') {
      throw new ConflictError('Cannot cancel a workflow run that is completed.');
    }
    latestAttempt(run).cancelledAt = now;
  }

  /**
   * Starts the next attempt of a completed run now: every job again, or (failedOnly) the first job that
   * did not succeed and those after it, the jobs before keeping their results. Throws ConflictError
   * (status 403, GitHub's message) when the run has not completed, or when failedOnly finds nothing to re-run.
   */
  rerun(runId: number, now: number, options: { failedOnly?: boolean; actor?: Actor } = {}): void {
    const run = this.mustFind(runId);
    if (this.view(run, now).status !== 'completed') throw new ConflictError(RERUN_RUNNING, 403);
    const previous = latestAttempt(run);
    const progress = jobProgress(run, run.attempts.length - 1, now, this.environments);
    const firstFailed = progress.findIndex((p) => p.job.conclusion !== 'success');
    const kept = options.failedOnly === true ? firstFailed : 0;
    if (kept < 0) throw new ConflictError(RERUN_REFUSED, 403);
    const number = previous.number + 1;
    const attempt: AttemptRecord = {
      number,
      startedAt: now,
      jobs: previous.jobs.map((job, i) => (i < kept ? job : this.newJob(job.script, number))),
      kept,
      ...(options.actor === undefined ? {} : { triggeringActor: options.actor }),
    };
    run.attempts.push(attempt);
  }

  /** Forgets the run. Throws for an unknown run. */
  delete(runId: number): void {
    const run = this.mustFind(runId);
    this.runList.splice(this.runList.indexOf(run), 1);
  }

  /** The run's jobs waiting for a review now, as GET .../pending_deployments lists them; undefined for an unknown run. */
  pendingDeployments(runId: number, now: number, viewer: string): PendingDeploymentView[] | undefined {
    const run = this.find(runId);
    if (run === undefined) return undefined;
    const seen = new Set<number>();
    return this.waitingGates(run, now)
      .filter(({ gate }) => !seen.has(gate.id) && seen.add(gate.id))
      .map(({ gate, waitingFrom }) => ({
        environment: this.environments.view(gate),
        wait_timer: 0,
        wait_timer_started_at: iso(waitingFrom),
        current_user_can_approve: gate.reviewers.includes(viewer),
        reviewers: gate.reviewers.map((login) => ({ type: 'User' as const, reviewer: this.environments.user(login) })),
      }));
  }

  /** The ids of the environments the run waits for now, that `reviewer` may review. Throws for an unknown run. */
  reviewable(runId: number, now: number, reviewer: string): number[] {
    const gates = this.waitingGates(this.mustFind(runId), now).filter(({ gate }) => gate.reviewers.includes(reviewer));
    return [...new Set(gates.map(({ gate }) => gate.id))];
  }

  /**
   * Approves or rejects the run's waiting jobs whose environment is among `environmentIds` and that
   * `reviewer` may review, as of `now`. Undefined when there is none (GitHub answers 422 then).
   * Throws for an unknown run.
   */
  reviewDeployments(
    runId: number,
    now: number,
    review: { environmentIds: number[]; state: DeploymentReviewState; comment: string; reviewer: string },
  ): DeploymentView[] | undefined {
    const run = this.mustFind(runId);
    const settled = this.waitingGates(run, now).filter(
      ({ gate }) => review.environmentIds.includes(gate.id) && gate.reviewers.includes(review.reviewer),
    );
    if (settled.length === 0) return undefined;
    for (const { job } of settled) job.review = { state: review.state, at: now };
    const reviewed = new Set(settled.map((s) => s.job));
    const deployments = this.deployments(now)
      .filter((d) => reviewed.has(d.job))
      .reverse()
      .map((d) => jobDeploymentView(this.links, d));
    (run.reviews ??= []).push({
      environmentIds: [...new Set(settled.map((s) => s.gate.id))],
      state: review.state,
      comment: review.comment,
      reviewer: review.reviewer,
      at: iso(now),
    });
    return deployments;
  }

  /** The deployments the runs' jobs have made by `now` (see deployments.ts), newest first. */
  deployments(now: number): JobDeployment[] {
    return deploymentsAt(this.runList, this.environments, now);
  }

  /** The deployments at `now` in the REST shape, with the run that made each, newest first. */
  deploymentViews(now: number): { runId: number; view: DeploymentView }[] {
    return this.deployments(now).map((d) => ({ runId: d.run.id, view: jobDeploymentView(this.links, d) }));
  }

  /** The run's deployment reviews (every attempt), oldest first. Throws for an unknown run. */
  reviews(runId: number): DeploymentReview[] {
    return (this.mustFind(runId).reviews ?? []).map((r) => ({ ...r, environmentIds: [...r.environmentIds] }));
  }

  /** The latest attempt's jobs that wait for a review at `now`, with their environment and since when they wait. */
  private waitingGates(run: RunRecord, now: number): { job: JobRecord; gate: Environment; waitingFrom: number }[] {
    const index = run.attempts.length - 1;
    const attempt = latestAttempt(run);
    const progress = jobProgress(run, index, now, this.environments);
    return plan(run, index, this.environments).flatMap((p, i) => {
      const job = attempt.jobs[i];
      const waitingFrom = p.job.waitingFrom;
      if (job === undefined || p.gate === undefined || waitingFrom === undefined || progress[i]?.job.status !== 'waiting') return [];
      return [{ job, gate: p.gate, waitingFrom }];
    });
  }

  private view(run: RunRecord, now: number): WorkflowRunView {
    return runView(this.links, this.environments, run, run.attempts.length - 1, now);
  }

  private newJob(script: WorkflowJobScript, attempt: number): JobRecord {
    return {
      id: this.nextJobId++,
      script,
      steps: script.steps ?? ['Set up job', `Run ${script.name}`, 'Complete job'],
      attempt,
      forceFailure: false,
    };
  }

  private find(runId: number): RunRecord | undefined {
    return this.runList.find((r) => r.id === runId);
  }

  private mustFind(runId: number): RunRecord {
    const run = this.find(runId);
    if (run === undefined) throw new Error(`No workflow run ${runId}`);
    return run;
  }
}

/** Whether the workflow runs on tag pushes ('tag') or can be dispatched ('dispatch'). */
export function triggersOn(script: WorkflowScript, trigger: 'tag' | 'dispatch'): boolean {
  return Array.isArray(script.trigger) ? script.trigger.includes(trigger) : script.trigger === trigger;
}
