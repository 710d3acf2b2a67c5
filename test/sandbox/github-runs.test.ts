import { Octokit } from 'octokit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubStandIn } from '../../src/sandbox/github.js';
import type { WorkflowScript } from '../../src/sandbox/github.js';
import { requestFailure, standInOctokit } from './octokit.js';

/** The rude parts of GitHub's Actions API: late listings, reviews by others, re-runs, deletions, outages, lost answers. */

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

let now = T0;
let gh: GitHubStandIn;
let octokit: Octokit;
let repo: { owner: string; repo: string };

const WORKFLOW: WorkflowScript = {
  trigger: ['tag', 'dispatch'],
  jobs: [
    { name: 'build', durationMs: 1000 },
    { name: 'deploy', environment: 'production', durationMs: 3000 },
    { name: 'smoke', durationMs: 500 },
  ],
};

beforeEach(async () => {
  now = T0;
  gh = await GitHubStandIn.start({ clock: () => now }); // the default listing delay: 2000 ms
  octokit = standInOctokit(gh);
  repo = { owner: gh.owner, repo: gh.repo };
  gh.defineWorkflow('deploy-production.yml', WORKFLOW);
});

afterEach(async () => {
  await gh.close();
});

/** Advances the stand-in's clock by `stepMs` until `check` gives a value; fails once `withinMs` have passed on that clock. */
async function advanceUntil<T>(check: () => Promise<T | undefined>, withinMs: number, stepMs = 250): Promise<T> {
  const deadline = now + withinMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (now >= deadline) throw new Error(`nothing within ${withinMs} ms of the stand-in's clock`);
    now += stepMs;
  }
}

/** Dispatches with return_run_details and answers the run's id, as tminus does. */
async function dispatch(): Promise<number> {
  const { data } = await octokit.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
    ...repo,
    workflow_id: 'deploy-production.yml',
    ref: 'main',
    return_run_details: true,
  } as never);
  return (data as unknown as { workflow_run_id: number }).workflow_run_id;
}

async function pushTag(name: string): Promise<number> {
  await octokit.rest.git.createRef({ ...repo, ref: `refs/tags/${name}`, sha: gh.headOf('main') as string });
  const run = gh.runs().find((r) => r.head_branch === name);
  return run?.id as number;
}

const listed = async (): Promise<number[]> => (await octokit.rest.actions.listWorkflowRunsForRepo(repo)).data.workflow_runs.map((r) => r.id);
const listedFor = async (): Promise<number[]> =>
  (await octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'deploy-production.yml' })).data.workflow_runs.map((r) => r.id);
const run = async (id: number) => (await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: id })).data;
const jobs = async (id: number, filter?: 'latest' | 'all') =>
  (await octokit.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: id, ...(filter === undefined ? {} : { filter }) })).data.jobs;

describe('runs appear late in listings', () => {
  it('lists a dispatched or tag-push run only 2 s after its creation, while GET by id answers at once', async () => {
    const dispatched = await dispatch();
    expect(await run(dispatched)).toMatchObject({ id: dispatched, event: 'workflow_dispatch', status: 'queued', run_attempt: 1 });
    expect((await octokit.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: dispatched })).data.total_count).toBe(3);
    expect(await octokit.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: dispatched })).toMatchObject({ status: 200, data: [] });
    expect(await listed()).toEqual([]);
    expect(await listedFor()).toEqual([]);
    expect(gh.runs().map((r) => r.id)).toEqual([dispatched]); // the world sees every run

    const seenAt = await advanceUntil(async () => ((await listed()).includes(dispatched) ? now : undefined), 10_000);
    expect(seenAt).toBe(T0 + 2000);
    expect(await listedFor()).toEqual([dispatched]);
    const [listing] = (await octokit.rest.actions.listWorkflowRunsForRepo(repo)).data.workflow_runs;
    expect(listing).toMatchObject({ id: dispatched, created_at: iso(T0), run_attempt: 1 });

    gh.setRunListingDelay(5000);
    const pushed = await pushTag('v1.0.0');
    const pushedAt = now;
    expect(await run(pushed)).toMatchObject({ event: 'push', head_branch: 'v1.0.0' });
    const tagSeenAt = await advanceUntil(async () => ((await listedFor()).includes(pushed) ? now : undefined), 20_000);
    expect(tagSeenAt - pushedAt).toBe(5000);

    gh.setRunListingDelay(0);
    const immediate = await pushTag('v1.0.1');
    expect(await listed()).toEqual([immediate, pushed, dispatched]);
  });
});

describe('reviews given in GitHub\'s UI by someone else', () => {
  it('reviewAs settles the pending deployment as that user; GET …/approvals lists REST and UI reviews', async () => {
    gh.defineWorkflow('deploy-production.yml', {
      trigger: 'tag',
      jobs: [
        { name: 'stage', environment: 'staging', durationMs: 1000 },
        { name: 'deploy', environment: 'production', durationMs: 3000 },
        { name: 'smoke', durationMs: 500 },
      ],
    });
    gh.protectEnvironment('staging', ['tminus-bot']);
    gh.protectEnvironment('production', ['release-manager']);
    const id = await pushTag('v1.0.0');
    const status = async () => (await run(id)).status;
    await advanceUntil(async () => ((await status()) === 'waiting' ? true : undefined), 5000);
    const [staging] = (await octokit.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: id })).data;
    expect(() => gh.reviewAs(id, 'release-manager', 'approved')).toThrow(/no pending deployment that release-manager may review/);
    await octokit.rest.actions.reviewPendingDeploymentsForRun({ ...repo, run_id: id, environment_ids: [staging?.environment.id as number], state: 'approved', comment: 'Staging ok' });

    await advanceUntil(async () => ((await jobs(id))[1]?.status === 'waiting' ? true : undefined), 10_000);
    const [production] = (await octokit.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: id })).data;
    expect(production).toMatchObject({ environment: { name: 'production' }, current_user_can_approve: false });
    const rejectedAt = now;
    const deployments = gh.reviewAs(id, 'release-manager', 'rejected', 'Error rate is up');
    expect(deployments).toMatchObject([{ environment: 'production', ref: 'v1.0.0' }]);
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect((await jobs(id)).map((j) => [j.name, j.conclusion])).toEqual([
      ['stage', 'success'],
      ['deploy', 'failure'],
      ['smoke', 'skipped'],
    ]);
    expect(() => gh.reviewAs(id, 'release-manager', 'approved')).toThrow(/no pending deployment/);

    const approvals = await octokit.rest.actions.getReviewsForRun({ ...repo, run_id: id });
    expect(approvals.status).toBe(200);
    expect(approvals.data).toHaveLength(2);
    expect(approvals.data[0]).toMatchObject({
      state: 'approved',
      comment: 'Staging ok',
      environments: [{ id: staging?.environment.id, name: 'staging', created_at: iso(T0), updated_at: iso(T0) }],
      user: { login: 'tminus-bot', type: 'User' },
    });
    expect(approvals.data[1]).toMatchObject({
      state: 'rejected',
      comment: 'Error rate is up',
      environments: [{ id: production?.environment.id, name: 'production', url: `${gh.url}/repos/acme/shop/environments/production` }],
      user: { login: 'release-manager', id: expect.any(Number) as number, html_url: `${gh.url}/release-manager` },
    });
    expect(gh.reviews(id).map((r) => [r.reviewer, r.state, r.at])).toEqual([
      ['tminus-bot', 'approved', expect.any(String)],
      ['release-manager', 'rejected', iso(rejectedAt)],
    ]);
  });

  it('an approval by reviewAs starts the waiting job then', async () => {
    gh.protectEnvironment('production', ['release-manager', 'tminus-bot']);
    const id = await pushTag('v1.0.0');
    await advanceUntil(async () => ((await run(id)).status === 'waiting' ? true : undefined), 5000);
    now += 30_000;
    const approvedAt = now;
    gh.reviewAs(id, 'release-manager', 'approved', 'Go');
    expect(await octokit.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: id })).toMatchObject({ data: [] });
    const done = await advanceUntil(async () => {
      const r = await run(id);
      return r.status === 'completed' ? r : undefined;
    }, 10_000);
    expect(done).toMatchObject({ conclusion: 'success', updated_at: iso(approvedAt + 3500) });
    expect((await jobs(id))[1]).toMatchObject({ name: 'deploy', started_at: iso(approvedAt) });
    expect((await octokit.rest.actions.getReviewsForRun({ ...repo, run_id: id })).data).toMatchObject([{ state: 'approved', comment: 'Go', user: { login: 'release-manager' } }]);
  });
});

describe('re-runs', () => {
  const failedDeploy = async (): Promise<number> => {
    const id = await pushTag('v1.0.0');
    now = T0 + 2000; // deploy is running
    gh.failJob(id, 'deploy');
    return id;
  };

  it('POST …/rerun: 403 while the run has not completed; then a new attempt of every job, queued and running from now', async () => {
    const id = await pushTag('v1.0.0');
    now = T0 + 500;
    for (const call of [octokit.rest.actions.reRunWorkflow, octokit.rest.actions.reRunWorkflowFailedJobs]) {
      const running = await requestFailure(call({ ...repo, run_id: id }));
      expect(running.status).toBe(403);
      expect(running.response?.data).toMatchObject({ message: 'This workflow is already running' });
    }
    now = T0 + 2000; // deploy is running
    gh.failJob(id, 'deploy');
    const [firstBuild, firstDeploy] = await jobs(id);

    now = T0 + 10_000;
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'failure', run_attempt: 1, previous_attempt_url: null });
    const rerun = await octokit.rest.actions.reRunWorkflow({ ...repo, run_id: id });
    expect(rerun.status).toBe(201);
    expect(rerun.data).toEqual({});

    const second = await run(id);
    expect(second).toMatchObject({
      status: 'queued',
      conclusion: null,
      run_attempt: 2,
      created_at: iso(T0),
      run_started_at: iso(T0 + 10_000),
      previous_attempt_url: `${gh.url}/repos/acme/shop/actions/runs/${id}/attempts/1`,
      triggering_actor: { login: 'tminus-bot' },
    });
    const latest = await jobs(id);
    expect(latest.map((j) => [j.name, j.status, j.run_attempt])).toEqual([
      ['build', 'queued', 2],
      ['deploy', 'queued', 2],
      ['smoke', 'queued', 2],
    ]);
    expect(latest.map((j) => j.id)).not.toContain(firstBuild?.id);
    expect((await jobs(id, 'all')).map((j) => [j.name, j.run_attempt, j.conclusion])).toEqual([
      ['build', 1, 'success'],
      ['deploy', 1, 'failure'],
      ['smoke', 1, 'skipped'],
      ['build', 2, null],
      ['deploy', 2, null],
      ['smoke', 2, null],
    ]);

    const first = await octokit.rest.actions.getWorkflowRunAttempt({ ...repo, run_id: id, attempt_number: 1 });
    expect(first.data).toMatchObject({ run_attempt: 1, status: 'completed', conclusion: 'failure', run_started_at: iso(T0) });
    expect((await octokit.rest.actions.getWorkflowRunAttempt({ ...repo, run_id: id, attempt_number: 2 })).data).toMatchObject({ run_attempt: 2, status: 'queued' });
    expect((await requestFailure(octokit.rest.actions.getWorkflowRunAttempt({ ...repo, run_id: id, attempt_number: 3 }))).status).toBe(404);

    const done = await advanceUntil(async () => {
      const r = await run(id);
      return r.status === 'completed' ? r : undefined;
    }, 10_000);
    expect(done).toMatchObject({ conclusion: 'success', run_attempt: 2, updated_at: iso(T0 + 14_500) });
    expect(firstDeploy).toMatchObject({ run_attempt: 1 });
  });

  it('POST …/rerun-failed-jobs keeps the jobs that succeeded and re-runs the failed one and those after it; 403 when nothing failed', async () => {
    const id = await failedDeploy();
    now = T0 + 10_000;
    const [build] = await jobs(id);
    const response = await octokit.rest.actions.reRunWorkflowFailedJobs({ ...repo, run_id: id });
    expect(response.status).toBe(201);
    expect(response.data).toEqual({});
    expect(await run(id)).toMatchObject({ status: 'queued', run_attempt: 2, run_started_at: iso(T0 + 10_000) });
    let latest = await jobs(id);
    expect(latest[0]).toEqual(build); // kept, with its first attempt's result
    expect(latest.map((j) => [j.name, j.run_attempt, j.status, j.conclusion])).toEqual([
      ['build', 1, 'completed', 'success'],
      ['deploy', 2, 'queued', null],
      ['smoke', 2, 'queued', null],
    ]);

    now = T0 + 11_000;
    latest = await jobs(id);
    expect(latest[1]).toMatchObject({ status: 'in_progress', started_at: iso(T0 + 10_000) });
    expect(await run(id)).toMatchObject({ status: 'in_progress' });
    const done = await advanceUntil(async () => {
      const r = await run(id);
      return r.status === 'completed' ? r : undefined;
    }, 10_000);
    expect(done).toMatchObject({ conclusion: 'success', updated_at: iso(T0 + 13_500) });

    const nothingFailed = await requestFailure(octokit.rest.actions.reRunWorkflowFailedJobs({ ...repo, run_id: id }));
    expect(nothingFailed.status).toBe(403);
    expect(() => gh.rerun(id, { failedOnly: true })).toThrow(/cannot be retried/);
  });

  it('rerun() in the world: a re-run someone starts in GitHub\'s UI, with a protected environment waiting again', async () => {
    gh.protectEnvironment('production', ['tminus-bot']);
    const id = await pushTag('v1.0.0');
    expect(() => gh.rerun(id)).toThrow(/already running/);
    gh.cancelRun(id);
    let changes = 0;
    gh.on('change', () => changes++);
    now = T0 + 5000;
    gh.rerun(id, { failedOnly: true, by: 'release-manager' });
    expect(changes).toBe(1);
    expect(await run(id)).toMatchObject({ run_attempt: 2, status: 'queued', triggering_actor: { login: 'release-manager' }, actor: { login: 'tminus-sandbox' } });
    expect(gh.jobs(id).map((j) => [j.name, j.run_attempt])).toEqual([
      ['build', 2],
      ['deploy', 2],
      ['smoke', 2],
    ]);
    await advanceUntil(async () => ((await run(id)).status === 'waiting' ? true : undefined), 5000);
    expect(gh.pendingDeployments(id)).toMatchObject([{ environment: { name: 'production' }, wait_timer_started_at: iso(T0 + 6000) }]);
  });
});

describe('cancel from outside', () => {
  it('POST …/cancel answers 202 {} and cancels the latest attempt; 409 once completed', async () => {
    const id = await pushTag('v1.0.0');
    now = T0 + 10_000;
    gh.rerun(id);
    now = T0 + 10_500;
    const cancelled = await octokit.rest.actions.cancelWorkflowRun({ ...repo, run_id: id });
    expect(cancelled.status).toBe(202);
    expect(cancelled.data).toEqual({});
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'cancelled', run_attempt: 2 });
    expect((await octokit.rest.actions.getWorkflowRunAttempt({ ...repo, run_id: id, attempt_number: 1 })).data).toMatchObject({ conclusion: 'success' });
    const again = await requestFailure(octokit.rest.actions.cancelWorkflowRun({ ...repo, run_id: id }));
    expect(again.status).toBe(409);
    expect(again.response?.data).toMatchObject({ message: 'Cannot cancel a workflow run that is completed.' });
  });
});

describe('a run that disappears', () => {
  it('DELETE …/runs/{id} answers 204, deleteRun() does the same from the world, and every route about the run then answers 404', async () => {
    gh.setRunListingDelay(0);
    const id = await pushTag('v1.0.0');
    const other = await pushTag('v1.0.1');
    now = T0 + 10_000;
    const deleted = await octokit.rest.actions.deleteWorkflowRun({ ...repo, run_id: id });
    expect(deleted.status).toBe(204);
    gh.deleteRun(other);
    expect(gh.runs()).toEqual([]);
    expect(await listed()).toEqual([]);
    expect(() => gh.jobs(id)).toThrow(/No workflow run/);
    expect(() => gh.deleteRun(id)).toThrow(/No workflow run/);

    for (const runId of [id, other]) {
      const calls: (() => Promise<unknown>)[] = [
        () => octokit.rest.actions.getWorkflowRun({ ...repo, run_id: runId }),
        () => octokit.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: runId }),
        () => octokit.rest.actions.getWorkflowRunAttempt({ ...repo, run_id: runId, attempt_number: 1 }),
        () => octokit.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: runId }),
        () => octokit.rest.actions.reviewPendingDeploymentsForRun({ ...repo, run_id: runId, environment_ids: [1], state: 'approved', comment: '' }),
        () => octokit.rest.actions.getReviewsForRun({ ...repo, run_id: runId }),
        () => octokit.rest.actions.cancelWorkflowRun({ ...repo, run_id: runId }),
        () => octokit.rest.actions.reRunWorkflow({ ...repo, run_id: runId }),
        () => octokit.rest.actions.reRunWorkflowFailedJobs({ ...repo, run_id: runId }),
        () => octokit.rest.actions.deleteWorkflowRun({ ...repo, run_id: runId }),
      ];
      for (const call of calls) {
        const error = await requestFailure(call());
        expect([error.status, (error.response?.data as { message?: string }).message]).toEqual([404, 'Not Found']);
      }
    }
  });
});

describe('outages of several kinds', () => {
  it('outage(true) is 503; { status } picks a 5xx; 429 is GitHub\'s secondary rate limit with retry-after; nothing is processed; outage(false) ends it', async () => {
    const sha = gh.headOf('main') as string;
    gh.outage(true);
    const down = await requestFailure(octokit.rest.repos.get(repo));
    expect([down.status, (down.response?.data as { message: string }).message]).toEqual([503, 'Service Unavailable']);

    for (const status of [500, 502] as const) {
      gh.outage({ status });
      const error = await requestFailure(octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1.0.0', sha }));
      expect(error.status).toBe(status);
    }
    gh.outage({ status: 503, retryAfterSeconds: 120 });
    expect((await requestFailure(octokit.rest.repos.get(repo))).response?.headers['retry-after']).toBe('120');

    gh.outage({ status: 429, retryAfterSeconds: 30 });
    const limited = await requestFailure(octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1.0.0', sha }));
    expect(limited.status).toBe(429);
    expect(limited.message).toMatch(/You have exceeded a secondary rate limit/);
    expect(limited.response?.headers).toMatchObject({ 'retry-after': '30', 'x-ratelimit-limit': '5000', 'x-ratelimit-resource': 'core' });
    expect(Number(limited.response?.headers['x-ratelimit-remaining'])).toBeGreaterThan(0);
    expect(gh.tags()).toEqual([]);
    expect(gh.runs()).toEqual([]);

    // Octokit's own throttling recognises it as a secondary rate limit and would wait retry-after seconds.
    const waits: number[] = [];
    const throttled = new Octokit({
      auth: gh.token,
      baseUrl: gh.url,
      retry: { enabled: false },
      throttle: {
        onRateLimit: () => false,
        onSecondaryRateLimit: (retryAfter: number) => {
          waits.push(retryAfter);
          return false;
        },
      },
    });
    expect((await requestFailure(throttled.rest.repos.get(repo))).status).toBe(429);
    expect(waits).toEqual([30]);

    gh.outage(false);
    expect((await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1.0.0', sha })).status).toBe(201);
    expect(gh.runs()).toHaveLength(1);
  });
});

describe('a request processed but its answer lost', () => {
  it('failNext(…, { afterProcessing: true }) lets the dispatch create its run, then answers the error; without it nothing happens', async () => {
    gh.failNext('POST', /\/dispatches$/, 502);
    const unprocessed = await requestFailure(octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'deploy-production.yml', ref: 'main' }));
    expect(unprocessed.status).toBe(502);
    expect(gh.dispatches()).toEqual([]);
    expect(gh.runs()).toEqual([]);

    let changes = 0;
    gh.on('change', () => changes++);
    gh.failNext('POST', /\/dispatches$/, 502, 1, { afterProcessing: true });
    const lost = await requestFailure(octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'deploy-production.yml', ref: 'main' }));
    expect(lost.status).toBe(502);
    expect(lost.response?.data).toMatchObject({ message: 'Bad Gateway' });
    expect(changes).toBe(1);
    expect(gh.dispatches()).toMatchObject([{ workflow: 'deploy-production.yml', ref: 'main' }]);
    const [created] = gh.runs();
    expect(created).toMatchObject({ event: 'workflow_dispatch', status: 'queued' });

    // The client that lost the answer finds the run it did start once listings show it.
    const found = await advanceUntil(async () => {
      const runs = await octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'deploy-production.yml', event: 'workflow_dispatch' });
      return runs.data.workflow_runs[0];
    }, 10_000);
    expect(found.id).toBe(created?.id);

    // Used up: the next dispatch answers normally.
    expect((await octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'deploy-production.yml', ref: 'main' })).status).toBe(204);
    expect(gh.runs()).toHaveLength(2);
  });
});
