import { Octokit, RequestError } from 'octokit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubStandIn } from '../../src/sandbox/github.js';
import { requestFailure, standInOctokit } from './octokit.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

let now = T0;
let gh: GitHubStandIn;
let octokit: Octokit;
let repo: { owner: string; repo: string };

const client = (token: string): Octokit => standInOctokit(gh, token);

beforeEach(async () => {
  now = T0;
  gh = await GitHubStandIn.start({ clock: () => now, runListingDelayMs: 0 }); // listing delay: see github-runs.test.ts
  octokit = client(gh.token);
  repo = { owner: gh.owner, repo: gh.repo };
});

afterEach(async () => {
  await gh.close();
});

describe('repository and refs', () => {
  it('serves the repository, its branches and refs', async () => {
    const { data } = await octokit.rest.repos.get(repo);
    expect(data).toMatchObject({ name: 'shop', full_name: 'acme/shop', default_branch: 'main', owner: { login: 'acme' } });
    expect(data.html_url).toBe(`${gh.url}/acme/shop`);

    const main = await octokit.rest.repos.getBranch({ ...repo, branch: 'main' });
    expect(main.data.commit.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(main.data.commit.sha).toBe(gh.headOf('main'));
    expect(main.data.commit.commit.message).toBe('Initial commit');
    expect(main.data.protected).toBe(false);

    const sha = gh.commit('release/v1.3.0', 'Bump version');
    expect(gh.headOf('release/v1.3.0')).toBe(sha);
    const branch = await octokit.rest.repos.getBranch({ ...repo, branch: 'release/v1.3.0' });
    expect(branch.data).toMatchObject({ name: 'release/v1.3.0', commit: { sha, commit: { message: 'Bump version' } } });
    expect(branch.data.commit.parents.map((p) => p.sha)).toEqual([gh.headOf('main')]);

    const ref = await octokit.rest.git.getRef({ ...repo, ref: 'heads/release/v1.3.0' });
    expect(ref.data).toMatchObject({ ref: 'refs/heads/release/v1.3.0', object: { sha, type: 'commit' } });

    const missing = await requestFailure(octokit.rest.repos.getBranch({ ...repo, branch: 'nope' }));
    expect(missing.status).toBe(404);
    expect(missing.message).toContain('Branch not found');
    expect((await requestFailure(octokit.rest.git.getRef({ ...repo, ref: 'tags/v9' }))).status).toBe(404);
    expect((await requestFailure(octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'other' }))).status).toBe(404);
  });

  it('creates tags and branches through git refs, 422 on a repeat or an unknown sha', async () => {
    const sha = gh.commit('main', 'Add cart');
    const created = await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1.0.0', sha });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ ref: 'refs/tags/v1.0.0', object: { sha, type: 'commit' } });
    expect(gh.tags()).toEqual([{ name: 'v1.0.0', sha }]);
    expect((await octokit.rest.git.getRef({ ...repo, ref: 'tags/v1.0.0' })).data.object.sha).toBe(sha);

    const again = await requestFailure(octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1.0.0', sha }));
    expect(again.status).toBe(422);
    expect(again.message).toContain('Reference already exists');

    const unknown = await requestFailure(octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v2', sha: 'f'.repeat(40) }));
    expect(unknown.status).toBe(422);
    expect(unknown.message).toContain('Object does not exist');

    await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/hotfix/x', sha });
    expect(gh.headOf('hotfix/x')).toBe(sha);
  });

  it('compares commits oldest first', async () => {
    gh.addTag('v1.0.0');
    const a = gh.commit('main', 'Add cart');
    const b = gh.commit('main', 'Fix checkout\n\nLong description');
    gh.addTag('v1.1.0');
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'v1.0.0...v1.1.0' });
    expect(data).toMatchObject({ status: 'ahead', ahead_by: 2, behind_by: 0, total_commits: 2, files: [] });
    expect(data.commits.map((c) => [c.sha, c.commit.message])).toEqual([
      [a, 'Add cart'],
      [b, 'Fix checkout\n\nLong description'],
    ]);
    expect(data.commits[0]?.commit.author?.date).toBe(iso(T0));
    const back = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${b}...v1.0.0` });
    expect(back.data).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 2, commits: [] });
  });
});

describe('workflow runs', () => {
  beforeEach(() => {
    gh.defineWorkflow('deploy-production.yml', {
      trigger: 'tag',
      jobs: [
        { name: 'build', steps: ['checkout', 'compile'], durationMs: 1000 },
        { name: 'deploy', steps: ['push', 'verify', 'notify'], durationMs: 3000 },
      ],
    });
  });

  async function pushTag(name: string): Promise<number> {
    const sha = gh.headOf('main') as string;
    await octokit.rest.git.createRef({ ...repo, ref: `refs/tags/${name}`, sha });
    const runs = await octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'deploy-production.yml', branch: name });
    expect(runs.data.total_count).toBe(1);
    return runs.data.workflow_runs[0]?.id as number;
  }

  const run = async (id: number) => (await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: id })).data;
  const jobs = async (id: number) => (await octokit.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: id })).data.jobs;

  it('starts a run on a tag push and progresses with the clock to success', async () => {
    const sha = gh.headOf('main') as string;
    gh.addTag('v0.9.0'); // an existing tag starts nothing
    expect(gh.runs()).toEqual([]);
    const id = await pushTag('v1.0.0');

    const listed = await octokit.rest.actions.listWorkflowRuns({
      ...repo,
      workflow_id: 'deploy-production.yml',
      event: 'push',
      branch: 'v1.0.0',
      head_sha: sha,
      created: `>=${iso(T0)}`,
    });
    expect(listed.data.total_count).toBe(1);
    expect(listed.data.workflow_runs[0]).toMatchObject({
      id,
      name: 'deploy-production',
      path: '.github/workflows/deploy-production.yml',
      event: 'push',
      head_branch: 'v1.0.0',
      head_sha: sha,
      status: 'queued',
      conclusion: null,
      run_number: 1,
      run_attempt: 1,
      created_at: iso(T0),
      html_url: `${gh.url}/acme/shop/actions/runs/${id}`,
    });
    const later = await octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'deploy-production.yml', created: `>=${iso(T0 + 1)}` });
    expect(later.data.total_count).toBe(0);
    const unknown = await requestFailure(octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'nope.yml' }));
    expect(unknown.status).toBe(404);

    now = T0 + 500;
    expect(await run(id)).toMatchObject({ status: 'in_progress', conclusion: null });
    let [build, deploy] = await jobs(id);
    expect(build).toMatchObject({ name: 'build', run_id: id, head_sha: sha, status: 'in_progress', conclusion: null, started_at: iso(T0), completed_at: null });
    expect(build?.steps).toEqual([
      { name: 'checkout', number: 1, status: 'completed', conclusion: 'success', started_at: iso(T0), completed_at: iso(T0 + 500) },
      { name: 'compile', number: 2, status: 'in_progress', conclusion: null, started_at: iso(T0 + 500), completed_at: null },
    ]);
    expect(deploy).toMatchObject({ status: 'queued', conclusion: null, completed_at: null });
    expect(deploy?.steps?.map((s) => s.status)).toEqual(['queued', 'queued', 'queued']);

    now = T0 + 2000;
    [build, deploy] = await jobs(id);
    expect(build).toMatchObject({ status: 'completed', conclusion: 'success', completed_at: iso(T0 + 1000) });
    expect(deploy).toMatchObject({ status: 'in_progress', started_at: iso(T0 + 1000) });
    expect(deploy?.steps?.map((s) => [s.status, s.conclusion])).toEqual([
      ['completed', 'success'],
      ['in_progress', null],
      ['queued', null],
    ]);

    now = T0 + 4000;
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'success', updated_at: iso(T0 + 4000) });
    [, deploy] = await jobs(id);
    expect(deploy).toMatchObject({ status: 'completed', conclusion: 'success', completed_at: iso(T0 + 4000) });
    expect(deploy?.steps?.every((s) => s.conclusion === 'success')).toBe(true);
    expect(gh.runs()[0]).toMatchObject({ id, status: 'completed', conclusion: 'success' });

    const second = await pushTag('v1.0.1');
    expect(await run(second)).toMatchObject({ run_number: 2, status: 'queued' });
    const success = await octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'deploy-production.yml', status: 'success' });
    expect(success.data.workflow_runs.map((r) => r.id)).toEqual([id]);
  });

  it('a scripted failure fails the run and skips the later jobs', async () => {
    gh.defineWorkflow('deploy-production.yml', {
      trigger: 'tag',
      jobs: [
        { name: 'build', steps: ['checkout', 'compile'], durationMs: 1000, outcome: 'failure' },
        { name: 'deploy', durationMs: 3000 },
      ],
    });
    const id = await pushTag('v1.0.0');
    now = T0 + 999;
    expect(await run(id)).toMatchObject({ status: 'in_progress', conclusion: null });
    now = T0 + 1000;
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const [build, deploy] = await jobs(id);
    expect(build).toMatchObject({ status: 'completed', conclusion: 'failure', completed_at: iso(T0 + 1000) });
    expect(build?.steps?.map((s) => s.conclusion)).toEqual(['success', 'failure']);
    expect(deploy).toMatchObject({ status: 'completed', conclusion: 'skipped' });
    expect(deploy?.steps?.map((s) => s.name)).toEqual(['Set up job', 'Run deploy', 'Complete job']);
  });

  it('failJob ends a running job now, in the step that is running', async () => {
    const id = await pushTag('v1.0.0');
    now = T0 + 2500; // deploy is in its second step
    gh.failJob(id, 'deploy');
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const [build, deploy] = await jobs(id);
    expect(build).toMatchObject({ conclusion: 'success' });
    expect(deploy).toMatchObject({ status: 'completed', conclusion: 'failure', completed_at: iso(T0 + 2500) });
    expect(deploy?.steps?.map((s) => s.conclusion)).toEqual(['success', 'failure', 'skipped']);
    expect(() => gh.failJob(id, 'build')).toThrow(/already completed/);
  });

  it('failJob on a queued job fails it when it would have finished', async () => {
    const id = await pushTag('v1.0.0');
    gh.failJob(id, 'deploy');
    now = T0 + 3999;
    expect((await jobs(id))[1]).toMatchObject({ status: 'in_progress', conclusion: null });
    now = T0 + 4000;
    expect((await jobs(id))[1]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(await run(id)).toMatchObject({ conclusion: 'failure' });
  });

  it('cancels a run through the API, 409 once completed', async () => {
    const id = await pushTag('v1.0.0');
    now = T0 + 500;
    const cancelled = await octokit.rest.actions.cancelWorkflowRun({ ...repo, run_id: id });
    expect(cancelled.status).toBe(202);
    now = T0 + 10_000;
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    const [build, deploy] = await jobs(id);
    expect(build).toMatchObject({ status: 'completed', conclusion: 'cancelled', completed_at: iso(T0 + 500) });
    expect(build?.steps?.map((s) => s.conclusion)).toEqual(['success', 'cancelled']);
    expect(deploy).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    expect((await requestFailure(octokit.rest.actions.cancelWorkflowRun({ ...repo, run_id: id }))).status).toBe(409);
    expect((await requestFailure(octokit.rest.actions.getWorkflowRun({ ...repo, run_id: 1 }))).status).toBe(404);
  });

  it('cancelRun cancels a queued run at once', async () => {
    const id = await pushTag('v1.0.0');
    gh.cancelRun(id);
    expect(await run(id)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    expect((await jobs(id)).map((j) => j.conclusion)).toEqual(['cancelled', 'cancelled']);
  });
});

describe('releases', () => {
  it('creates a release with generated notes (the pull requests merged since the previous tag), 422 on a repeat', async () => {
    gh.mergePullRequest({ title: 'Add wishlist', author: 'octocat' });
    gh.addTag('v1.0.0');
    const cart = gh.mergePullRequest({ title: 'Add cart', author: 'octocat' });
    // A commit pushed without a pull request is not listed, as on GitHub.
    gh.commit('main', 'Fix checkout\n\nLong description');
    const fix = gh.mergePullRequest({ title: 'Fix checkout totals', author: 'monalisa', method: 'merge' });
    const sha = gh.headOf('main') as string;
    expect((await requestFailure(octokit.rest.repos.getLatestRelease(repo))).status).toBe(404);
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1.1.0', sha });

    const expected = [
      "## What's Changed",
      `* Add cart by @octocat in ${gh.url}/acme/shop/pull/${cart.number}`,
      `* Fix checkout totals by @monalisa in ${gh.url}/acme/shop/pull/${fix.number}`,
      '',
      '## New Contributors',
      `* @monalisa made their first contribution in ${gh.url}/acme/shop/pull/${fix.number}`,
      '',
      `**Full Changelog**: ${gh.url}/acme/shop/compare/v1.0.0...v1.1.0`,
    ].join('\n');
    const notes = await octokit.rest.repos.generateReleaseNotes({ ...repo, tag_name: 'v1.1.0' });
    expect(notes.data).toEqual({ name: 'v1.1.0', body: expected });
    const explicit = await octokit.rest.repos.generateReleaseNotes({ ...repo, tag_name: 'v1.1.0', previous_tag_name: 'v1.0.0' });
    expect(explicit.data.body).toBe(expected);

    now = T0 + 60_000;
    const created = await octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1.1.0', name: 'v1.1.0', generate_release_notes: true, make_latest: 'true' });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      tag_name: 'v1.1.0',
      name: 'v1.1.0',
      body: expected,
      draft: false,
      prerelease: false,
      created_at: iso(T0 + 60_000),
      published_at: iso(T0 + 60_000),
      html_url: `${gh.url}/acme/shop/releases/tag/v1.1.0`,
      target_commitish: 'main',
    });
    expect((await octokit.rest.repos.getLatestRelease(repo)).data.id).toBe(created.data.id);
    expect((await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v1.1.0' })).data.body).toBe(expected);
    expect(gh.releases().map((r) => r.tag_name)).toEqual(['v1.1.0']);

    const again = await requestFailure(octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1.1.0' }));
    expect(again.status).toBe(422);
    expect(again.response?.data).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
    });
  });

  it('addRelease makes an existing latest release; a release for a new tag creates the tag', async () => {
    gh.addRelease('v1.0.0');
    expect(gh.tags().map((t) => t.name)).toEqual(['v1.0.0']);
    expect((await octokit.rest.repos.getLatestRelease(repo)).data.tag_name).toBe('v1.0.0');

    const { sha, number } = gh.mergePullRequest({ title: 'Add search' });
    const created = await octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1.1.0', generate_release_notes: true });
    expect(created.data.body).toContain(`* Add search by @${gh.tokenOwner} in ${gh.url}/acme/shop/pull/${number}`);
    expect(gh.tags()[0]).toEqual({ name: 'v1.1.0', sha });
  });
});

describe('tags, auth and faults', () => {
  it('paginates tags newest first with a Link header', async () => {
    for (let i = 1; i <= 45; i++) gh.addTag(`v1.0.${i}`);
    const first = await octokit.rest.repos.listTags({ ...repo, per_page: 20 });
    expect(first.data).toHaveLength(20);
    expect(first.data[0]).toMatchObject({ name: 'v1.0.45', commit: { sha: gh.headOf('main') } });
    expect(first.headers.link).toContain('page=2>; rel="next"');
    expect(first.headers.link).toContain('page=3>; rel="last"');

    gh.requests.length = 0;
    const all = await octokit.paginate(octokit.rest.repos.listTags, { ...repo, per_page: 20 });
    expect(all.map((t) => t.name)).toEqual(Array.from({ length: 45 }, (_, i) => `v1.0.${45 - i}`));
    expect(gh.requests.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
  });

  it('answers 401 to a wrong token', async () => {
    const error = await requestFailure(client('ghs_wrong').rest.repos.get(repo));
    expect(error.status).toBe(401);
    expect(error.message).toContain('Bad credentials');
  });

  it('failNext and outage answer with their status', async () => {
    const sha = gh.headOf('main') as string;
    gh.failNext('post', /\/git\/refs$/, 500);
    const failed = await requestFailure(octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1.0.0', sha }));
    expect(failed).toBeInstanceOf(RequestError);
    expect(failed.status).toBe(500);
    expect(gh.tags()).toEqual([]);

    let changes = 0;
    gh.on('change', () => changes++);
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1.0.0', sha });
    expect(changes).toBe(1);
    expect(gh.requests.at(-1)).toEqual({ method: 'POST', path: '/repos/acme/shop/git/refs', query: {}, body: { ref: 'refs/tags/v1.0.0', sha } });

    gh.failNext('GET', /\/tags$/, 502, 2);
    expect((await requestFailure(octokit.rest.repos.listTags(repo))).status).toBe(502);
    expect((await requestFailure(octokit.rest.repos.listTags(repo))).status).toBe(502);
    expect((await octokit.rest.repos.listTags(repo)).data).toHaveLength(1);

    gh.outage(true);
    const down = await requestFailure(octokit.rest.repos.get(repo));
    expect(down.status).toBe(503);
    expect(down.response?.data).toMatchObject({ message: 'Service Unavailable' });
    gh.outage(false);
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);
  });
});
