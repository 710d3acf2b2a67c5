import type { Environment } from './environments.js';
import { Environments } from './environments.js';
import type { Commit } from './repository.js';
import { SANDBOX_AUTHOR } from './repository.js';
import type {
  Actor,
  DeploymentReview,
  DeploymentReviewState,
  DeploymentView,
  JobView,
  PendingDeploymentView,
  RunConclusion,
  RunStatus,
  StepView,
  WorkflowJobScript,
  WorkflowRunView,
  WorkflowScript,
} from './types.js';

/**
 * Workflow runs whose progress is computed from the clock at each read: jobs run one after another,
 * the first from the run's creation, each for its durationMs, steps sharing the job's time equally.
 * Nothing has started at the very instant a run is created (it is 'queued' then).
 * A job whose environment is protected waits ('waiting') from the moment it would have started until
 * it is reviewed: approved, it starts then (and the later jobs after it); rejected, it fails then.
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

interface JobRecord {
  id: number;
  script: WorkflowJobScript;
  steps: string[];
  /** Set by failJob while the job was running: it ends then, failed. */
  failedAt?: number;
  /** Set by failJob before the job started: it fails when it would have finished. */
  forceFailure: boolean;
  /** The review of the job's protected environment, once reviewed. */
  review?: { state: DeploymentReviewState; at: number };
  /** The deployment the review answered with (created when the job began waiting). */
  deployment?: DeploymentRecord;
}

interface DeploymentRecord {
  id: number;
  environment: string;
  createdAt: number;
  updatedAt: number;
}

interface RunRecord {
  id: number;
  workflow: Workflow;
  runNumber: number;
  headBranch: string;
  headCommit: Commit;
  createdAt: number;
  jobs: JobRecord[];
  cancelledAt?: number;
  /** Reviews of the run's pending deployments, oldest first. */
  reviews?: DeploymentReview[];
  /** How the run was triggered: a tag push unless set. */
  event?: 'workflow_dispatch';
  /** Who triggered it: the sandbox actor unless set. */
  actor?: Actor;
}

/** When something begins and ends, and how it ends. `forced` ends (cancellation) count as reached at once. */
interface Span {
  start: number;
  end: number;
  conclusion: RunConclusion;
  ran: boolean;
  forced: boolean;
  /** Set for a job gated by a protected environment: it waits from then until `start` (or its rejection). */
  waitingFrom?: number;
}

interface Progress {
  status: RunStatus;
  conclusion: RunConclusion | null;
  startedAt: number | null;
  completedAt: number | null;
}

export class ConflictError extends Error {}

export class Workflows {
  private readonly workflows: Workflow[] = [];
  private readonly runList: RunRecord[] = [];
  private nextWorkflowId = 40_000_001;
  private nextRunId = 10_000_001;
  private nextJobId = 20_000_001;
  private nextDeploymentId = 81_000_001;
  /** Deployment environments and their required reviewers. */
  readonly environments: Environments;

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
    const run: RunRecord = {
      id: this.nextRunId++,
      workflow,
      runNumber: workflow.runCount,
      headBranch,
      headCommit: commit,
      createdAt: this.clock(),
      jobs: workflow.script.jobs.map((script) => ({
        id: this.nextJobId++,
        script,
        steps: script.steps ?? ['Set up job', `Run ${script.name}`, 'Complete job'],
        forceFailure: false,
      })),
      ...(event === undefined ? {} : { event }),
      ...(actor === undefined ? {} : { actor }),
    };
    this.runList.push(run);
    return run.id;
  }

  has(runId: number): boolean {
    return this.runList.some((r) => r.id === runId);
  }

  /** Newest first. */
  runs(now: number, workflowId?: number): WorkflowRunView[] {
    return this.runList
      .filter((r) => workflowId === undefined || r.workflow.id === workflowId)
      .reverse()
      .map((r) => this.runView(r, now));
  }

  run(runId: number, now: number): WorkflowRunView | undefined {
    const run = this.runList.find((r) => r.id === runId);
    return run === undefined ? undefined : this.runView(run, now);
  }

  jobs(runId: number, now: number): JobView[] | undefined {
    const run = this.runList.find((r) => r.id === runId);
    return run === undefined ? undefined : this.jobViews(run, now);
  }

  failJob(runId: number, jobName: string, now: number): void {
    const run = this.mustFind(runId);
    const index = run.jobs.findIndex((j) => j.script.name === jobName);
    const job = run.jobs[index];
    const progress = this.jobProgress(run, now)[index];
    if (job === undefined || progress === undefined) throw new Error(`Run ${runId} has no job named ${jobName}`);
    if (progress.job.status === 'completed') throw new ConflictError(`Job ${jobName} of run ${runId} has already completed`);
    if (progress.job.status === 'in_progress') job.failedAt = now;
    else job.forceFailure = true;
  }

  cancel(runId: number, now: number): void {
    const run = this.mustFind(runId);
    if (this.runView(run, now).status === 'completed') {
      throw new ConflictError('Cannot cancel a workflow run that is completed.');
    }
    run.cancelledAt = now;
  }

  /** The run's jobs waiting for a review now, as GET .../pending_deployments lists them; undefined for an unknown run. */
  pendingDeployments(runId: number, now: number, viewer: string): PendingDeploymentView[] | undefined {
    const run = this.runList.find((r) => r.id === runId);
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
    const deployments = settled.map(({ job, gate, waitingFrom }) => {
      job.review = { state: review.state, at: now };
      job.deployment = { id: this.nextDeploymentId++, environment: gate.name, createdAt: waitingFrom, updatedAt: now };
      return this.deploymentView(run, job.deployment);
    });
    (run.reviews ??= []).push({
      environmentIds: [...new Set(settled.map((s) => s.gate.id))],
      state: review.state,
      comment: review.comment,
      reviewer: review.reviewer,
      at: iso(now),
    });
    return deployments;
  }

  /** The run's deployment reviews, oldest first. Throws for an unknown run. */
  reviews(runId: number): DeploymentReview[] {
    return (this.mustFind(runId).reviews ?? []).map((r) => ({ ...r, environmentIds: [...r.environmentIds] }));
  }

  /** The run's jobs that wait for a review at `now`, with their environment and since when they wait. */
  private waitingGates(run: RunRecord, now: number): { job: JobRecord; gate: Environment; waitingFrom: number }[] {
    const progress = this.jobProgress(run, now);
    return this.plan(run).flatMap((p, i) => {
      const job = run.jobs[i];
      const waitingFrom = p.job.waitingFrom;
      if (job === undefined || p.gate === undefined || waitingFrom === undefined || progress[i]?.job.status !== 'waiting') return [];
      return [{ job, gate: p.gate, waitingFrom }];
    });
  }

  private deploymentView(run: RunRecord, deployment: DeploymentRecord): DeploymentView {
    const url = `${this.links.api}/deployments/${deployment.id}`;
    return {
      url,
      id: deployment.id,
      node_id: nodeId('DE', deployment.id),
      sha: run.headCommit.sha,
      ref: run.headBranch,
      task: 'deploy',
      payload: {},
      original_environment: deployment.environment,
      environment: deployment.environment,
      description: null,
      creator: SANDBOX_ACTOR,
      created_at: iso(deployment.createdAt),
      updated_at: iso(deployment.updatedAt),
      statuses_url: `${url}/statuses`,
      repository_url: this.links.api,
      transient_environment: false,
      production_environment: deployment.environment === 'production',
      performed_via_github_app: null,
    };
  }

  private mustFind(runId: number): RunRecord {
    const run = this.runList.find((r) => r.id === runId);
    if (run === undefined) throw new Error(`No workflow run ${runId}`);
    return run;
  }

  /** The whole future of a run as scripted so far (failures, reviews and cancellation included). */
  private plan(run: RunRecord): { job: Span; steps: Span[]; gate?: Environment }[] {
    const happenedBy = (t: number, at: number): boolean => at >= t && at > run.createdAt;
    let cursor = run.createdAt;
    let halt: { at: number; conclusion: 'skipped' | 'cancelled'; forced: boolean } | undefined;
    return run.jobs.map((job) => {
      if (halt !== undefined) {
        const span: Span = { start: halt.at, end: halt.at, conclusion: halt.conclusion, ran: false, forced: halt.forced };
        return { job: span, steps: job.steps.map(() => ({ ...span })) };
      }
      const gate = this.environments.gateAt(job.script.environment, cursor);
      const waitingFrom = gate === undefined ? undefined : cursor;
      if (gate !== undefined && job.review?.state === 'rejected') {
        // A rejected deployment: the job fails then, without running a step, and the later jobs are skipped.
        const at = job.review.at;
        halt = { at, conclusion: 'skipped', forced: false };
        const span: Span = { start: at, end: at, conclusion: 'failure', ran: false, forced: false, waitingFrom };
        return { job: span, steps: job.steps.map((): Span => ({ start: at, end: at, conclusion: 'skipped', ran: false, forced: false })), gate };
      }
      // A gated job starts when approved; until then, as far as the plan knows, it waits for ever.
      const start = gate === undefined ? cursor : (job.review?.at ?? Infinity);
      const natural = start + job.script.durationMs;
      const end = job.failedAt ?? natural;
      const failing = job.failedAt !== undefined || job.forceFailure || job.script.outcome === 'failure';
      const cancelledAt = run.cancelledAt;
      if (cancelledAt !== undefined && !happenedBy(end, cancelledAt)) {
        const ran = happenedBy(start, cancelledAt);
        halt = { at: cancelledAt, conclusion: 'cancelled', forced: true };
        const span: Span = { start: ran ? start : cancelledAt, end: cancelledAt, conclusion: 'cancelled', ran, forced: true, waitingFrom };
        const steps = ran ? stepSpans(job, start, span) : job.steps.map((): Span => ({ ...span, waitingFrom: undefined }));
        return { job: span, steps, gate };
      }
      cursor = end;
      if (failing) halt = { at: end, conclusion: 'skipped', forced: false };
      const span: Span = { start, end, conclusion: failing ? 'failure' : 'success', ran: true, forced: false, waitingFrom };
      return { job: span, steps: stepSpans(job, start, span), gate };
    });
  }

  private jobProgress(run: RunRecord, now: number): { job: Progress; steps: Progress[] }[] {
    const project = (span: Span): Progress => {
      const happened = (t: number): boolean => now >= t && now > run.createdAt;
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
    return this.plan(run).map((p) => ({ job: project(p.job), steps: p.steps.map(project) }));
  }

  private runView(run: RunRecord, now: number): WorkflowRunView {
    const progress = this.jobProgress(run, now).map((p) => p.job);
    const completed = progress.length === 0 ? now > run.createdAt : progress.every((p) => p.status === 'completed');
    const status: RunStatus = completed
      ? 'completed'
      : progress.some((p) => p.status === 'waiting')
        ? 'waiting'
        : progress.some((p) => p.status !== 'queued')
          ? 'in_progress'
          : 'queued';
    const conclusion: RunConclusion | null = !completed
      ? null
      : run.cancelledAt !== undefined
        ? 'cancelled'
        : progress.some((p) => p.conclusion === 'failure')
          ? 'failure'
          : 'success';
    const updatedAt = Math.max(run.createdAt, ...progress.flatMap((p) => [p.startedAt ?? -Infinity, p.completedAt ?? -Infinity]));
    const { links } = this;
    const api = `${links.api}/actions/runs/${run.id}`;
    const commit = run.headCommit;
    return {
      id: run.id,
      name: run.workflow.name,
      node_id: nodeId('WFR', run.id),
      head_branch: run.headBranch,
      head_sha: commit.sha,
      path: `.github/workflows/${run.workflow.file}`,
      display_title: run.workflow.name,
      run_number: run.runNumber,
      run_attempt: 1,
      event: run.event ?? 'push',
      status,
      conclusion,
      workflow_id: run.workflow.id,
      check_suite_id: run.id + 50_000_000,
      url: api,
      html_url: `${links.web}/actions/runs/${run.id}`,
      jobs_url: `${api}/jobs`,
      logs_url: `${api}/logs`,
      cancel_url: `${api}/cancel`,
      rerun_url: `${api}/rerun`,
      workflow_url: `${links.api}/actions/workflows/${run.workflow.id}`,
      pull_requests: [],
      created_at: iso(run.createdAt),
      updated_at: iso(updatedAt),
      run_started_at: iso(run.createdAt),
      actor: run.actor ?? SANDBOX_ACTOR,
      triggering_actor: run.actor ?? SANDBOX_ACTOR,
      head_commit: {
        id: commit.sha,
        tree_id: commit.tree,
        message: commit.message,
        timestamp: iso(commit.date),
        author: SANDBOX_AUTHOR,
        committer: SANDBOX_AUTHOR,
      },
      repository: { id: links.repoId, node_id: nodeId('R', links.repoId), name: links.name, full_name: links.fullName, owner: links.owner, html_url: links.web },
    };
  }

  private jobViews(run: RunRecord, now: number): JobView[] {
    const { links } = this;
    return this.jobProgress(run, now).map((p, i): JobView => {
      const job = run.jobs[i] as JobRecord;
      const steps: StepView[] = p.steps.map((s, k) => ({
        name: job.steps[k] ?? '',
        number: k + 1,
        status: s.status,
        conclusion: s.conclusion,
        started_at: s.startedAt === null ? null : iso(s.startedAt),
        completed_at: s.completedAt === null ? null : iso(s.completedAt),
      }));
      return {
        id: job.id,
        run_id: run.id,
        run_url: `${links.api}/actions/runs/${run.id}`,
        run_attempt: 1,
        node_id: nodeId('CR', job.id),
        head_sha: run.headCommit.sha,
        head_branch: run.headBranch,
        url: `${links.api}/actions/jobs/${job.id}`,
        html_url: `${links.web}/actions/runs/${run.id}/job/${job.id}`,
        status: p.job.status,
        conclusion: p.job.conclusion,
        created_at: iso(run.createdAt),
        // GitHub never answers null here; a job still queued shows when it was queued.
        started_at: iso(p.job.startedAt ?? run.createdAt),
        completed_at: p.job.completedAt === null ? null : iso(p.job.completedAt),
        name: job.script.name,
        workflow_name: run.workflow.name,
        steps,
        check_run_url: `${links.api}/check-runs/${job.id}`,
        labels: ['ubuntu-latest'],
        runner_id: p.job.startedAt === null ? null : 1,
        runner_name: p.job.startedAt === null ? null : 'GitHub Actions 1',
        runner_group_id: p.job.startedAt === null ? null : 1,
        runner_group_name: p.job.startedAt === null ? null : 'GitHub Actions',
      };
    });
  }
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

export const SANDBOX_ACTOR: Actor = {
  login: SANDBOX_AUTHOR.name,
  id: 90_000_001,
  node_id: 'U_tminus_sandbox',
  type: 'User',
  html_url: 'https://github.com/tminus-sandbox',
};

/** Whether the workflow runs on tag pushes ('tag') or can be dispatched ('dispatch'). */
export function triggersOn(script: WorkflowScript, trigger: 'tag' | 'dispatch'): boolean {
  return Array.isArray(script.trigger) ? script.trigger.includes(trigger) : script.trigger === trigger;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function nodeId(prefix: string, id: number | string): string {
  return `${prefix}_${Buffer.from(String(id)).toString('base64url')}`;
}
