import type { Octokit } from 'octokit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubStandIn } from '../../src/sandbox/github.js';
import { requestFailure, standInOctokit } from './octokit.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

let now = T0;
let gh: GitHubStandIn;
let octokit: Octokit;
let repo: { owner: string; repo: string };

/** The production job is called `ship`: GitHub's deployments, not the name, say it deployed. */
const WORKFLOW = {
  trigger: 'tag' as const,
  jobs: [
    { name: 'build', durationMs: 1000 },
    { name: 'ship', environment: 'production', steps: ['push', 'verify'], durationMs: 2000 },
    { name: 'smoke', durationMs: 500 },
  ],
};

beforeEach(async () => {
  now = T0;
  gh = await GitHubStandIn.start({ clock: () => now, runListingDelayMs: 0 });
  octokit = standInOctokit(gh);
  repo = { owner: gh.owner, repo: gh.repo };
  gh.defineWorkflow('deploy-production.yml', WORKFLOW);
});

afterEach(async () => {
  await gh.close();
});

async function pushTag(name: string): Promise<{ runId: number; sha: string }> {
  const sha = gh.headOf('main') as string;
  await octokit.rest.git.createRef({ ...repo, ref: `refs/tags/${name}`, sha });
  return { runId: gh.runs().find((r) => r.head_branch === name)!.id, sha };
}

type Query = { sha?: string; environment?: string; ref?: string };
const deployments = async (query: Query = {}) => (await octokit.rest.repos.listDeployments({ ...repo, ...query })).data;
const states = async (id: number) => (await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: id })).data.map((s) => s.state);

describe('deployments of jobs that target an environment', () => {
  it('appear when the job starts, with statuses newest first, filtered by sha, ref and environment', async () => {
    const { runId, sha } = await pushTag('v1.0.0');
    now = T0 + 999; // build runs: nothing deployed yet
    expect(await deployments({ sha, environment: 'production' })).toEqual([]);

    now = T0 + 1500;
    const [deployment, ...more] = await deployments({ sha, environment: 'production' });
    expect(more).toEqual([]);
    const ship = gh.jobs(runId).find((j) => j.name === 'ship')!;
    expect(deployment).toMatchObject({
      id: expect.any(Number),
      sha,
      ref: 'v1.0.0',
      task: 'deploy',
      environment: 'production',
      original_environment: 'production',
      production_environment: true,
      created_at: iso(T0 + 1000),
      statuses_url: `${gh.url}/repos/acme/shop/deployments/${deployment!.id}/statuses`,
      creator: { login: 'tminus-sandbox' },
    });
    const statuses = (await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: deployment!.id })).data;
    expect(statuses.map((s) => [s.state, s.created_at])).toEqual([
      ['in_progress', iso(T0 + 1000)],
      ['queued', iso(T0 + 1000)],
    ]);
    expect(statuses[0]).toMatchObject({ environment: 'production', log_url: ship.html_url, target_url: ship.html_url, deployment_url: deployment!.url });
    expect((await octokit.rest.repos.getDeployment({ ...repo, deployment_id: deployment!.id })).data).toEqual(deployment);

    expect(await deployments({ sha, environment: 'staging' })).toEqual([]);
    expect(await deployments({ sha: 'f'.repeat(40), environment: 'production' })).toEqual([]);
    expect(await deployments({ ref: 'v1.0.0' })).toHaveLength(1);

    now = T0 + 3000;
    expect(await states(deployment!.id)).toEqual(['success', 'in_progress', 'queued']);
  });

  it('a job that fails while it deploys ends its deployment `failure` after `in_progress`', async () => {
    const { runId, sha } = await pushTag('v1.0.0');
    now = T0 + 1500;
    gh.failJob(runId, 'ship');
    now = T0 + 1600;
    const [deployment] = await deployments({ sha, environment: 'production' });
    expect(await states(deployment!.id)).toEqual(['failure', 'in_progress', 'queued']);
  });

  it('a job that fails in its build before the deploy job starts makes no deployment', async () => {
    const { runId, sha } = await pushTag('v1.0.0');
    now = T0 + 500;
    gh.failJob(runId, 'build');
    now = T0 + 10_000;
    expect(await deployments({ sha })).toEqual([]);
  });

  it('waits while the environment waits for a review; approved it runs, rejected it fails without running', async () => {
    gh.protectEnvironment('production', ['tminus-bot']);
    const first = await pushTag('v1.0.0');
    now = T0 + 1500;
    const [waiting] = await deployments({ sha: first.sha, environment: 'production' });
    expect(await states(waiting!.id)).toEqual(['queued']);
    const environmentId = gh.pendingDeployments(first.runId)[0]!.environment.id;
    const answered = await octokit.rest.actions.reviewPendingDeploymentsForRun({
      ...repo,
      run_id: first.runId,
      environment_ids: [environmentId],
      state: 'approved',
      comment: '',
    });
    expect(answered.data.map((d) => d.id)).toEqual([waiting!.id]); // the review answers with the same deployment
    now = T0 + 2000;
    expect(await states(waiting!.id)).toEqual(['in_progress', 'queued', 'queued']);

    gh.commit('main', 'fix: one more (#2)');
    const second = await pushTag('v1.0.1');
    now = T0 + 3500;
    gh.reviewAs(second.runId, 'tminus-bot', 'rejected', 'not today');
    now = T0 + 4000;
    const [rejected] = await deployments({ sha: second.sha, environment: 'production' });
    const statuses = (await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: rejected!.id })).data;
    expect(statuses.map((s) => [s.state, s.description])).toEqual([
      ['failure', 'The deployment was rejected'],
      ['queued', 'Waiting for a review of the deployment'],
    ]);
  });

  it('pages with GitHub’s Link header: a re-run deploys again', async () => {
    const { runId, sha } = await pushTag('v1.0.0');
    now = T0 + 5000;
    gh.rerun(runId);
    now = T0 + 7000;
    const page = await octokit.rest.repos.listDeployments({ ...repo, sha, per_page: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.headers.link).toMatch(/rel="next"/);
    const all = await octokit.paginate(octokit.rest.repos.listDeployments, { ...repo, sha, environment: 'production', per_page: 1 });
    expect(all.map((d) => d.created_at)).toEqual([iso(T0 + 6000), iso(T0 + 1000)]); // newest first
  });

  it('answers 404 for an unknown deployment, its statuses, and an unknown repository', async () => {
    expect((await requestFailure(octokit.rest.repos.getDeployment({ ...repo, deployment_id: 1 }))).status).toBe(404);
    expect((await requestFailure(octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: 1 }))).status).toBe(404);
    expect((await requestFailure(octokit.rest.repos.listDeployments({ owner: 'acme', repo: 'elsewhere' }))).status).toBe(404);
  });
});

describe('GET …/environments/{name}', () => {
  it('answers the environment with its required reviewers as a protection rule', async () => {
    gh.protectEnvironment('production', ['release-manager', 'tminus-bot']);
    const { data } = await octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'production' });
    expect(data).toMatchObject({
      name: 'production',
      url: `${gh.url}/repos/acme/shop/environments/production`,
      created_at: iso(T0),
      deployment_branch_policy: null,
    });
    expect(data.protection_rules).toHaveLength(1);
    const rule = data.protection_rules![0] as { type: string; prevent_self_review: boolean; reviewers: { type: string; reviewer: { login: string } }[] };
    expect(rule).toMatchObject({ type: 'required_reviewers', prevent_self_review: false });
    expect(rule.reviewers.map((r) => [r.type, r.reviewer.login])).toEqual([
      ['User', 'release-manager'],
      ['User', 'tminus-bot'],
    ]);
  });

  it('an environment without protection has no rules; one a run’s job named exists; an unknown one is 404', async () => {
    gh.defineEnvironment('staging');
    expect((await octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'staging' })).data.protection_rules).toEqual([]);
    expect((await requestFailure(octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'production' }))).status).toBe(404);
    await pushTag('v1.0.0'); // GitHub creates the environment a job names
    expect((await octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'production' })).data.protection_rules).toEqual([]);
    expect((await requestFailure(octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'prod' }))).status).toBe(404);
  });
});
