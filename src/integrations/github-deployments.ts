import type { Octokit } from 'octokit';
import type { DeploymentFact } from '../domain/production-touched.js';
import type { EnvironmentFacts } from '../domain/production-guard.js';

/**
 * GitHub's record of production: the deployments of a commit to an environment with their statuses, and how
 * the environment is protected. Composed into the ReleaseRepository (github.ts), which hands in its error
 * translation so that these reads fail as every other read does.
 */
export interface DeploymentReads {
  /** The deployments of `sha` to `environment`, newest first, each with its statuses (newest first). */
  productionDeployments(environment: string, sha: string): Promise<DeploymentFact[]>;
  /** The environment's protection rules; undefined when the repository has no such environment (404). */
  environmentProtection(name: string): Promise<EnvironmentFacts | undefined>;
  /** The workflow `.github/workflows/<file>` (`GET /actions/workflows/{workflow_id}`); undefined when GitHub has none (404). */
  workflow(file: string): Promise<{ path: string; state: string; url: string } | undefined>;
}

export interface CallGuards {
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
  orUndefined<T>(what: string, fn: () => Promise<T>): Promise<T | undefined>;
}

type Repo = { owner: string; repo: string };

export function deploymentReads(octokit: Octokit, repo: Repo, guards: CallGuards): DeploymentReads {
  return {
    productionDeployments: (environment, sha) =>
      guards.call(`read the deployments of ${sha.slice(0, 7)} to ${environment}`, async () => {
        const deployments = await octokit.paginate(octokit.rest.repos.listDeployments, { ...repo, environment, sha, per_page: 100 });
        return Promise.all(
          deployments.map(async (d): Promise<DeploymentFact> => {
            const statuses = await octokit.paginate(octokit.rest.repos.listDeploymentStatuses, { ...repo, deployment_id: d.id, per_page: 100 });
            return {
              id: d.id,
              sha: d.sha,
              ref: d.ref,
              environment: d.environment,
              createdAt: d.created_at,
              statuses: statuses.map((s) => ({ state: s.state, createdAt: s.created_at, logUrl: s.log_url || s.target_url || null })),
            };
          }),
        );
      }),

    environmentProtection: (name) =>
      guards.orUndefined(`read the ${name} environment`, async () => {
        const { data } = await octokit.rest.repos.getEnvironment({ ...repo, environment_name: name });
        return environmentFacts(data);
      }),

    workflow: (file) =>
      guards.orUndefined(`read the workflow ${file}`, async () => {
        const { data } = await octokit.rest.actions.getWorkflow({ ...repo, workflow_id: file });
        return { path: data.path, state: data.state, url: data.html_url };
      }),
  };
}

type EnvironmentData = Awaited<ReturnType<Octokit['rest']['repos']['getEnvironment']>>['data'];

/** GitHub's protection rules as the domain reads them: reviewers counted, a wait timer, any other rule named. */
function environmentFacts(data: EnvironmentData): EnvironmentFacts {
  const facts: EnvironmentFacts = { name: data.name, requiredReviewers: 0, waitTimerMinutes: 0, otherRules: [] };
  for (const rule of data.protection_rules ?? []) {
    if (rule.type === 'required_reviewers' && 'reviewers' in rule) facts.requiredReviewers = rule.reviewers?.length ?? 0;
    else if (rule.type === 'wait_timer' && 'wait_timer' in rule) facts.waitTimerMinutes = rule.wait_timer ?? 0;
    else if (rule.type !== 'branch_policy') facts.otherRules.push(rule.type);
  }
  if (data.deployment_branch_policy) facts.branchPolicy = true;
  return facts;
}
