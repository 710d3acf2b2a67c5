import type { Environments } from './environments.js';
import { SANDBOX_AUTHOR } from './repository.js';
import type { AttemptRecord, DeploymentRecord, JobRecord, RepoLinks, RunRecord } from './run-plan.js';
import { jobProgress } from './run-plan.js';
import type { Actor, DeploymentView, JobView, RunConclusion, RunStatus, StepView, WorkflowRunView } from './types.js';

/** GitHub's JSON shapes for workflow runs, their jobs and deployments, computed at `now`. */

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

/** The run as attempt `index` (into run.attempts) saw it. */
export function runView(links: RepoLinks, environments: Environments, run: RunRecord, index: number, now: number): WorkflowRunView {
  const attempt = run.attempts[index] as AttemptRecord;
  const progress = jobProgress(run, index, now, environments).map((p) => p.job);
  const completed = progress.length === 0 ? now > attempt.startedAt : progress.every((p) => p.status === 'completed');
  // Jobs kept from an earlier attempt are done: the attempt is queued until one of its own jobs moves.
  const own = progress.slice(attempt.kept);
  const status: RunStatus = completed
    ? 'completed'
    : own.some((p) => p.status === 'waiting')
      ? 'waiting'
      : own.some((p) => p.status !== 'queued')
        ? 'in_progress'
        : 'queued';
  const conclusion: RunConclusion | null = !completed
    ? null
    : attempt.cancelledAt !== undefined
      ? 'cancelled'
      : progress.some((p) => p.conclusion === 'failure')
        ? 'failure'
        : 'success';
  const updatedAt = Math.max(attempt.startedAt, ...progress.flatMap((p) => [p.startedAt ?? -Infinity, p.completedAt ?? -Infinity]));
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
    run_attempt: attempt.number,
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
    previous_attempt_url: attempt.number > 1 ? `${api}/attempts/${attempt.number - 1}` : null,
    workflow_url: `${links.api}/actions/workflows/${run.workflow.id}`,
    pull_requests: [],
    created_at: iso(run.createdAt),
    updated_at: iso(updatedAt),
    run_started_at: iso(attempt.startedAt),
    actor: run.actor ?? SANDBOX_ACTOR,
    triggering_actor: attempt.triggeringActor ?? run.actor ?? SANDBOX_ACTOR,
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

/** The jobs of attempt `index`: those it ran, and those it kept from earlier attempts (with their own run_attempt). */
export function jobViews(links: RepoLinks, environments: Environments, run: RunRecord, index: number, now: number): JobView[] {
  const attempt = run.attempts[index] as AttemptRecord;
  return jobProgress(run, index, now, environments).map((p, i): JobView => {
    const job = attempt.jobs[i] as JobRecord;
    const createdAt = (run.attempts[job.attempt - 1] as AttemptRecord).startedAt;
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
      run_attempt: job.attempt,
      node_id: nodeId('CR', job.id),
      head_sha: run.headCommit.sha,
      head_branch: run.headBranch,
      url: `${links.api}/actions/jobs/${job.id}`,
      html_url: `${links.web}/actions/runs/${run.id}/job/${job.id}`,
      status: p.job.status,
      conclusion: p.job.conclusion,
      created_at: iso(createdAt),
      // GitHub never answers null here; a job still queued shows when it was queued.
      started_at: iso(p.job.startedAt ?? createdAt),
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

export function deploymentView(links: RepoLinks, run: RunRecord, deployment: DeploymentRecord): DeploymentView {
  const url = `${links.api}/deployments/${deployment.id}`;
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
    repository_url: links.api,
    transient_environment: false,
    production_environment: deployment.environment === 'production',
    performed_via_github_app: null,
  };
}
