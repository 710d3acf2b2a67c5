import type { Octokit } from 'octokit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubStandIn } from '../../src/sandbox/github.js';
import { requestFailure, standInOctokit } from './octokit.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const NO_PENDING = 'No pending deployment requests to approve or reject';

let now = T0;
let gh: GitHubStandIn;
let octokit: Octokit;
let repo: { owner: string; repo: string };

const client = (standIn: GitHubStandIn): Octokit => standInOctokit(standIn);

const WORKFLOW = {
  trigger: 'tag' as const,
  jobs: [
    { name: 'build', durationMs: 1000 },
    { name: 'deploy', environment: 'production', steps: ['push', 'verify', 'notify'], durationMs: 3000 },
    { name: 'smoke', durationMs: 500 },
  ],
};

beforeEach(async () => {
  now = T0;
  gh = await GitHubStandIn.start({ clock: () => now, runListingDelayMs: 0 }); // listing delay: see github-runs.test.ts
  octokit = client(gh);
  repo = { owner: gh.owner, repo: gh.repo };
  gh.defineWorkflow('deploy-production.yml', WORKFLOW);
});

afterEach(async () => {
  await gh.close();
});

async function pushTag(standIn: GitHubStandIn, name: string): Promise<number> {
  const api = client(standIn);
  const r = { owner: standIn.owner, repo: standIn.repo };
  await api.rest.git.createRef({ ...r, ref: `refs/tags/${name}`, sha: standIn.headOf('main') as string });
  const runs = await api.rest.actions.listWorkflowRuns({ ...r, workflow_id: 'deploy-production.yml', branch: name });
  return runs.data.workflow_runs[0]?.id as number;
}

const run = async (id: number) => (await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: id })).data;
const jobs = async (id: number) => (await octokit.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: id })).data.jobs;
const pending = async (id: number) => (await octokit.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: id })).data;
const review = (id: number, environmentIds: number[], state: 'approved' | 'rejected', comment = 'LGTM') =>
  octokit.rest.actions.reviewPendingDeploymentsForRun({ ...repo, run_id: id, environment_ids: environmentIds, state, comment });

describe('deployment environments with required reviewers', () => {
  it('waits at the protected job; approval starts it then, shifts the later jobs, and the run succeeds', async () => {
    gh.protectEnvironment('production', ['release-manager', 'tminus-bot']);
    const id = await pushTag(gh, 'v1.0.0');
    const sha = gh.headOf('main') as string;
    expect(await run(id)).toMatchObject({ status: 'queued' });

    now = T0 + 999;
    expect(await run(id)).toMatchObject({ status: 'in_progress', conclusion: null });
    expect(await pending(id)).toEqual([]);

    now = T0 + 1500;
    expect(await run(id)).toMatchObject({ status: 'waiting', conclusion: null });
    const waiting = await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, status: 'waiting' });
    expect(waiting.data.workflow_runs.map((r) => r.id)).toEqual([id]);
    const [build] = await jobs(id);
    let [, deploy, smoke] = await jobs(id);
    expect(build).toMatchObject({ status: 'completed', conclusion: 'success', completed_at: iso(T0 + 1000) });
    expect(deploy).toMatchObject({ status: 'waiting', conclusion: null, completed_at: null, runner_name: null });
    expect(deploy?.steps?.map((s) => s.status)).toEqual(['queued', 'queued', 'queued']);
    expect(smoke).toMatchObject({ status: 'queued', conclusion: null });

    const [gate] = await pending(id);
    expect(gate).toMatchObject({
      environment: { name: 'production', url: `${gh.url}/repos/acme/shop/environments/production` },
      wait_timer: 0,
      wait_timer_started_at: iso(T0 + 1000),
      current_user_can_approve: true,
    });
    expect(gate?.reviewers.map((r) => [r.type, (r.reviewer as { login: string }).login])).toEqual([
      ['User', 'release-manager'],
      ['User', 'tminus-bot'],
    ]);
    expect(gh.pendingDeployments(id)).toEqual(await pending(id));
    const environmentId = gate?.environment.id as number;

    now = T0 + 60_000; // still waiting a minute later
    expect((await jobs(id))[1]).toMatchObject({ status: 'waiting' });
    let changes = 0;
    gh.on('change', () => changes++);
    const approved = await review(id, [environmentId], 'approved', 'Ship it');
    expect(approved.status).toBe(200);
    expect(changes).toBe(1);
    expect(approved.data).toHaveLength(1);
    expect(approved.data[0]).toMatchObject({
      environment: 'production',
      sha,
      ref: 'v1.0.0',
      task: 'deploy',
      created_at: iso(T0 + 1000),
      updated_at: iso(T0 + 60_000),
      creator: { login: 'tminus-sandbox' },
    });
    expect(gh.reviews(id)).toEqual([
      { environmentIds: [environmentId], state: 'approved', comment: 'Ship it', reviewer: 'tminus-bot', at: iso(T0 + 60_000) },
    ]);
    expect(await pending(id)).toEqual([]);
    expect(await run(id)).toMatchObject({ status: 'in_progress' });
    expect((await jobs(id))[1]).toMatchObject({ status: 'in_progress', started_at: iso(T0 + 60_000) });

    now = T0 + 61_500;
    [, deploy] = await jobs(id);
    expect(deploy?.steps?.map((s) => [s.status, s.started_at])).toEqual([
      ['completed', iso(T0 + 60_000)],
      ['in_progress', iso(T0 + 61_000)],
      ['queued', null],
    ]);

    now = T0 + 63_200;
    [, deploy, smoke] = await jobs(id);
    expect(deploy).toMatchObject({ status: 'completed', conclusion: 'success', completed_at: iso(T0 + 63_000) });
    expect(smoke).toMatchObject({ status: 'in_progress', started_at: iso(T0 + 63_000) });

    now = T0 + 63_500;
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'success', updated_at: iso(T0 + 63_500) });
    expect((await jobs(id))[2]).toMatchObject({ status: 'completed', conclusion: 'success', completed_at: iso(T0 + 63_500) });
  });

  it('rejection fails the protected job then, skips the later jobs and fails the run', async () => {
    gh.protectEnvironment('production', ['tminus-bot']);
    const id = await pushTag(gh, 'v1.0.0');
    now = T0 + 2000;
    const [gate] = await pending(id);
    const rejected = await review(id, [gate?.environment.id as number], 'rejected', 'Not today');
    expect(rejected.status).toBe(200);
    expect(rejected.data.map((d) => d.environment)).toEqual(['production']);

    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'failure', updated_at: iso(T0 + 2000) });
    const [build, deploy, smoke] = await jobs(id);
    expect(build).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(deploy).toMatchObject({ status: 'completed', conclusion: 'failure', completed_at: iso(T0 + 2000) });
    expect(deploy?.steps?.map((s) => [s.status, s.conclusion])).toEqual([
      ['completed', 'skipped'],
      ['completed', 'skipped'],
      ['completed', 'skipped'],
    ]);
    expect(smoke).toMatchObject({ status: 'completed', conclusion: 'skipped' });
    expect(gh.reviews(id)).toEqual([
      { environmentIds: [gate?.environment.id], state: 'rejected', comment: 'Not today', reviewer: 'tminus-bot', at: iso(T0 + 2000) },
    ]);

    now = T0 + 100_000; // nothing moves afterwards
    expect(await run(id)).toMatchObject({ conclusion: 'failure', updated_at: iso(T0 + 2000) });
  });

  it('answers 422 to a token owner who is not a required reviewer, and the run keeps waiting', async () => {
    gh.protectEnvironment('production', ['release-manager']);
    const id = await pushTag(gh, 'v1.0.0');
    now = T0 + 1500;
    const [gate] = await pending(id);
    expect(gate).toMatchObject({ current_user_can_approve: false });
    let changes = 0;
    gh.on('change', () => changes++);
    const denied = await requestFailure(review(id, [gate?.environment.id as number], 'approved'));
    expect(denied.status).toBe(422);
    expect(denied.response?.data).toMatchObject({ message: 'Validation Failed', errors: NO_PENDING });
    expect(changes).toBe(0);
    expect(gh.reviews(id)).toEqual([]);
    expect(await run(id)).toMatchObject({ status: 'waiting' });

    // The same environment, reviewed with a token that belongs to a reviewer.
    const other = await GitHubStandIn.start({ clock: () => now, tokenOwner: 'release-manager', runListingDelayMs: 0 });
    try {
      other.defineWorkflow('deploy-production.yml', WORKFLOW);
      other.protectEnvironment('production', ['release-manager']);
      const otherId = await pushTag(other, 'v1.0.0');
      now = T0 + 3000;
      expect(other.pendingDeployments(otherId)).toMatchObject([{ current_user_can_approve: true }]);
      const environmentId = other.pendingDeployments(otherId)[0]?.environment.id as number;
      const ok = await client(other).rest.actions.reviewPendingDeploymentsForRun({
        owner: other.owner,
        repo: other.repo,
        run_id: otherId,
        environment_ids: [environmentId],
        state: 'approved',
        comment: '',
      });
      expect(ok.status).toBe(200);
      expect(other.reviews(otherId)).toMatchObject([{ reviewer: 'release-manager', state: 'approved', at: iso(T0 + 3000) }]);
    } finally {
      await other.close();
    }
  });

  it('answers 422 when the run is not waiting for that environment, 404 for an unknown run', async () => {
    gh.protectEnvironment('production', ['tminus-bot']);
    const id = await pushTag(gh, 'v1.0.0');
    now = T0 + 500; // build is running: nothing waits yet
    const environmentId = 80_000_001;
    const early = await requestFailure(review(id, [environmentId], 'approved'));
    expect(early.status).toBe(422);
    expect(early.response?.data).toMatchObject({ errors: NO_PENDING });

    now = T0 + 1500;
    const [gate] = await pending(id);
    expect(gate?.environment.id).toBe(environmentId);
    const wrong = await requestFailure(review(id, [environmentId + 1], 'approved'));
    expect(wrong.status).toBe(422);
    await review(id, [environmentId], 'approved');
    const twice = await requestFailure(review(id, [environmentId], 'approved'));
    expect(twice.status).toBe(422);
    expect(twice.response?.data).toMatchObject({ errors: NO_PENDING });

    now = T0 + 10_000;
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect((await requestFailure(review(id, [environmentId], 'rejected'))).status).toBe(422);
    expect(gh.reviews(id)).toHaveLength(1);

    expect((await requestFailure(review(1, [environmentId], 'approved'))).status).toBe(404);
    expect((await requestFailure(octokit.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: 1 }))).status).toBe(404);
    const invalid = await requestFailure(
      octokit.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments', { ...repo, run_id: id, state: 'approved', comment: '' } as never),
    );
    expect(invalid.status).toBe(422);
    expect(invalid.message).toContain('"environment_ids" wasn\'t supplied');
  });

  it('an unprotected environment, or protection added after the job started, does not gate; cancelling a waiting run cancels it', async () => {
    gh.protectEnvironment('staging', ['tminus-bot']);
    const id = await pushTag(gh, 'v1.0.0');
    now = T0 + 2000;
    gh.protectEnvironment('production', ['tminus-bot']); // deploy started at T0 + 1000
    expect(await run(id)).toMatchObject({ status: 'in_progress' });
    now = T0 + 4500;
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'success' });

    const second = await pushTag(gh, 'v1.0.1');
    now = T0 + 6000;
    expect(await run(second)).toMatchObject({ status: 'waiting' });
    await octokit.rest.actions.cancelWorkflowRun({ ...repo, run_id: second });
    expect(await run(second)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    expect((await jobs(second)).map((j) => [j.status, j.conclusion])).toEqual([
      ['completed', 'success'],
      ['completed', 'cancelled'],
      ['completed', 'cancelled'],
    ]);
    expect(await pending(second)).toEqual([]);
  });
});
