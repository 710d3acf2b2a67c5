import type { Environments } from './environments.js';
import type { JobRecord, PlannedJob, RepoLinks, RunRecord } from './run-plan.js';
import { plan } from './run-plan.js';
import { SANDBOX_ACTOR, deploymentView, iso, nodeId } from './run-views.js';
import type { DeploymentState, DeploymentStatusView, DeploymentView } from './types.js';

/**
 * The deployments GitHub Actions makes: one for each job (of each attempt) that targets an environment, from
 * the moment the job reaches it, with statuses that follow the job through the clock: `queued` while its
 * environment waits for a review, `queued` and `in_progress` once it runs, `success` or `failure` when it ends.
 * A job rejected or cancelled before it ran ends `failure` without ever having been `in_progress`.
 */

export interface StatusRecord {
  state: DeploymentState;
  at: number;
  description: string;
}

export interface JobDeployment {
  id: number;
  environment: string;
  run: RunRecord;
  job: JobRecord;
  /** Oldest first: those that have happened by the time asked. */
  statuses: StatusRecord[];
}

/** A job's deployment keeps one id, whichever read or review sees it first: derived from the job's. */
export function deploymentIdOf(job: JobRecord): number {
  return 81_000_000 + (job.id - 20_000_000);
}

/** Every deployment the runs have made by `now`, newest first (as GitHub lists them). */
export function deploymentsAt(runs: readonly RunRecord[], environments: Environments, now: number): JobDeployment[] {
  const found: JobDeployment[] = [];
  for (const run of runs) {
    run.attempts.forEach((attempt, index) => {
      plan(run, index, environments).forEach((planned, i) => {
        const job = attempt.jobs[i];
        const environment = job?.script.environment;
        // Jobs kept from an earlier attempt deployed then, under that attempt.
        if (job === undefined || environment === undefined || i < attempt.kept) return;
        const statuses = statusesOf(planned).filter((s) => s.at <= now && now > planned.origin);
        if (statuses.length > 0) found.push({ id: deploymentIdOf(job), environment, run, job, statuses });
      });
    });
  }
  return found.sort((a, b) => b.id - a.id);
}

function statusesOf(planned: PlannedJob): StatusRecord[] {
  const span = planned.job;
  const statuses: StatusRecord[] = [];
  // GitHub's REST description has no `waiting` state (only its webhooks say it): a job held for review is `queued`.
  if (span.waitingFrom !== undefined) statuses.push({ state: 'queued', at: span.waitingFrom, description: 'Waiting for a review of the deployment' });
  const started = span.ran && Number.isFinite(span.start);
  if (started) {
    statuses.push({ state: 'queued', at: span.start, description: '' }, { state: 'in_progress', at: span.start, description: '' });
  }
  if (!Number.isFinite(span.end) || (!started && span.waitingFrom === undefined)) return statuses;
  const state: DeploymentState = span.conclusion === 'success' ? 'success' : 'failure';
  const description = started ? '' : span.conclusion === 'cancelled' ? 'The job was cancelled before it ran' : 'The deployment was rejected';
  statuses.push({ state, at: span.end, description });
  return statuses;
}

export function jobDeploymentView(links: RepoLinks, deployment: JobDeployment): DeploymentView {
  const first = deployment.statuses[0] as StatusRecord;
  const last = deployment.statuses[deployment.statuses.length - 1] as StatusRecord;
  return deploymentView(links, deployment.run, { id: deployment.id, environment: deployment.environment, createdAt: first.at, updatedAt: last.at });
}

/** The deployment's statuses, newest first. */
export function deploymentStatusViews(links: RepoLinks, deployment: JobDeployment): DeploymentStatusView[] {
  const url = `${links.api}/deployments/${deployment.id}`;
  const jobUrl = `${links.web}/actions/runs/${deployment.run.id}/job/${deployment.job.id}`;
  return deployment.statuses
    .map((status, k): DeploymentStatusView => {
      const id = deployment.id * 10 + k;
      return {
        url: `${url}/statuses/${id}`,
        id,
        node_id: nodeId('DES', id),
        state: status.state,
        creator: SANDBOX_ACTOR,
        description: status.description,
        environment: deployment.environment,
        target_url: jobUrl,
        log_url: jobUrl,
        environment_url: '',
        created_at: iso(status.at),
        updated_at: iso(status.at),
        deployment_url: url,
        repository_url: links.api,
        performed_via_github_app: null,
      };
    })
    .reverse();
}
