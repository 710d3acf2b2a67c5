import type { Commit } from './repository.js';
import { SANDBOX_AUTHOR } from './repository.js';
import type { Actor, JobView, RunConclusion, RunStatus, StepView, WorkflowJobScript, WorkflowRunView, WorkflowScript } from './types.js';

/**
 * Workflow runs whose progress is computed from the clock at each read: jobs run one after another,
 * the first from the run's creation, each for its durationMs, steps sharing the job's time equally.
 * Nothing has started at the very instant a run is created (it is 'queued' then).
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
}

/** When something begins and ends, and how it ends. `forced` ends (cancellation) count as reached at once. */
interface Span {
  start: number;
  end: number;
  conclusion: RunConclusion;
  ran: boolean;
  forced: boolean;
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

  constructor(
    private readonly links: RepoLinks,
    private readonly clock: () => number,
  ) {}

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
    const created: number[] = [];
    for (const workflow of this.workflows.filter((w) => w.script.trigger === 'tag')) {
      workflow.runCount += 1;
      const run: RunRecord = {
        id: this.nextRunId++,
        workflow,
        runNumber: workflow.runCount,
        headBranch: tagName,
        headCommit: commit,
        createdAt: this.clock(),
        jobs: workflow.script.jobs.map((script) => ({
          id: this.nextJobId++,
          script,
          steps: script.steps ?? ['Set up job', `Run ${script.name}`, 'Complete job'],
          forceFailure: false,
        })),
      };
      this.runList.push(run);
      created.push(run.id);
    }
    return created;
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

  private mustFind(runId: number): RunRecord {
    const run = this.runList.find((r) => r.id === runId);
    if (run === undefined) throw new Error(`No workflow run ${runId}`);
    return run;
  }

  /** The whole future of a run as scripted so far (failures and cancellation included). */
  private plan(run: RunRecord): { job: Span; steps: Span[] }[] {
    const happenedBy = (t: number, at: number): boolean => at >= t && at > run.createdAt;
    let cursor = run.createdAt;
    let halt: { at: number; conclusion: 'skipped' | 'cancelled'; forced: boolean } | undefined;
    return run.jobs.map((job) => {
      if (halt !== undefined) {
        const span: Span = { start: halt.at, end: halt.at, conclusion: halt.conclusion, ran: false, forced: halt.forced };
        return { job: span, steps: job.steps.map(() => ({ ...span })) };
      }
      const start = cursor;
      const natural = start + job.script.durationMs;
      const end = job.failedAt ?? natural;
      const failing = job.failedAt !== undefined || job.forceFailure || job.script.outcome === 'failure';
      const cancelledAt = run.cancelledAt;
      if (cancelledAt !== undefined && !happenedBy(end, cancelledAt)) {
        const ran = happenedBy(start, cancelledAt);
        halt = { at: cancelledAt, conclusion: 'cancelled', forced: true };
        const span: Span = { start: ran ? start : cancelledAt, end: cancelledAt, conclusion: 'cancelled', ran, forced: true };
        return { job: span, steps: ran ? stepSpans(job, start, span) : job.steps.map(() => ({ ...span })) };
      }
      cursor = end;
      if (failing) halt = { at: end, conclusion: 'skipped', forced: false };
      const span: Span = { start, end, conclusion: failing ? 'failure' : 'success', ran: true, forced: false };
      return { job: span, steps: stepSpans(job, start, span) };
    });
  }

  private jobProgress(run: RunRecord, now: number): { job: Progress; steps: Progress[] }[] {
    const project = (span: Span): Progress => {
      const happened = (t: number): boolean => now >= t && now > run.createdAt;
      const completed = span.forced ? now >= span.end : happened(span.end);
      const started = completed || (span.ran && happened(span.start));
      return {
        status: completed ? 'completed' : started ? 'in_progress' : 'queued',
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
    const status: RunStatus = completed ? 'completed' : progress.some((p) => p.status !== 'queued') ? 'in_progress' : 'queued';
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
      event: 'push',
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
      actor: SANDBOX_ACTOR,
      triggering_actor: SANDBOX_ACTOR,
      head_commit: {
        id: commit.sha,
        tree_id: commit.sha.split('').reverse().join(''),
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

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function nodeId(prefix: string, id: number | string): string {
  return `${prefix}_${Buffer.from(String(id)).toString('base64url')}`;
}
