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

beforeEach(async () => {
  now = T0;
  gh = await GitHubStandIn.start({ clock: () => now, runListingDelayMs: 0 }); // listing delay: see github-runs.test.ts
  octokit = standInOctokit(gh);
  repo = { owner: gh.owner, repo: gh.repo };
});

afterEach(async () => {
  await gh.close();
});

describe('workflow_dispatch', () => {
  beforeEach(() => {
    gh.defineWorkflow('deploy-production.yml', { trigger: 'tag', jobs: [{ name: 'deploy', durationMs: 1000 }] });
    gh.defineWorkflow('rollback.yml', {
      trigger: 'dispatch',
      inputs: { version: { required: true }, reason: { default: 'rollback' } },
      jobs: [
        { name: 'checkout', durationMs: 500 },
        { name: 'deploy', environment: 'production', durationMs: 1500 },
      ],
    });
  });

  it('starts a run findable by event and creation time, that progresses with the clock to success', async () => {
    gh.commit('main', 'Add cart');
    const head = gh.headOf('main') as string;
    const response = await octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'rollback.yml', ref: 'main', inputs: { version: 'v1.2.0' } });
    expect(response.status).toBe(204);

    const found = await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, event: 'workflow_dispatch', created: `>=${iso(T0)}` });
    expect(found.data.total_count).toBe(1);
    const run = found.data.workflow_runs[0];
    expect(run).toMatchObject({ event: 'workflow_dispatch', name: 'rollback', head_branch: 'main', head_sha: head, status: 'queued' });
    expect(run?.actor?.login).toBe('tminus-bot');
    expect(run?.head_commit?.tree_id).toBe(gh.commitInfo(head).tree);
    expect(gh.dispatches()).toEqual([{ workflow: 'rollback.yml', ref: 'main', inputs: { version: 'v1.2.0', reason: 'rollback' }, runId: run?.id, at: iso(T0) }]);
    expect((await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, event: 'push' })).data.total_count).toBe(0);
    expect((await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, event: 'workflow_dispatch', created: `<${iso(T0)}` })).data.total_count).toBe(0);

    now = T0 + 1000;
    const running = await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: run?.id as number });
    expect(running.data).toMatchObject({ status: 'in_progress', conclusion: null });
    now = T0 + 2000;
    const done = await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: run?.id as number });
    expect(done.data).toMatchObject({ status: 'completed', conclusion: 'success', event: 'workflow_dispatch' });
    const jobs = await octokit.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: run?.id as number });
    expect(jobs.data.jobs.map((j) => [j.name, j.conclusion])).toEqual([
      ['checkout', 'success'],
      ['deploy', 'success'],
    ]);
  });

  it('answers 422 for a workflow without a dispatch trigger, an unknown ref or wrong inputs, and starts nothing', async () => {
    const notDispatchable = await requestFailure(octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'deploy-production.yml', ref: 'main' }));
    expect(notDispatchable.status).toBe(422);
    expect(notDispatchable.message).toContain("Workflow does not have 'workflow_dispatch' trigger");

    const unknownRef = await requestFailure(octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'rollback.yml', ref: 'nope', inputs: { version: 'v1' } }));
    expect(unknownRef.status).toBe(422);
    expect(unknownRef.message).toContain('No ref found for: nope');

    const missing = await requestFailure(octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'rollback.yml', ref: 'main' }));
    expect(missing.message).toContain("Required input 'version' not provided");
    const unexpected = await requestFailure(octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'rollback.yml', ref: 'main', inputs: { version: 'v1', force: 'yes' } }));
    expect(unexpected.message).toContain('Unexpected inputs provided: ["force"]');

    expect((await requestFailure(octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'nope.yml', ref: 'main' }))).status).toBe(404);
    expect(gh.runs()).toEqual([]);
    expect(gh.dispatches()).toEqual([]);
  });

  it('dispatches at a tag, returns the run when asked, and a workflow may have both triggers', async () => {
    gh.defineWorkflow('deploy-production.yml', { trigger: ['tag', 'dispatch'], jobs: [{ name: 'deploy', durationMs: 1000 }] });
    gh.addTag('v1.2.0');
    const tagged = gh.headOf('main') as string;
    gh.commit('main', 'Add search');
    const { status, data } = await octokit.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
      ...repo,
      workflow_id: 'deploy-production.yml',
      ref: 'refs/tags/v1.2.0',
      return_run_details: true,
    } as never);
    expect(status).toBe(200);
    const details = data as unknown as { workflow_run_id: number; run_url: string; html_url: string };
    expect(details.run_url).toBe(`${gh.url}/repos/acme/shop/actions/runs/${details.workflow_run_id}`);
    const run = await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: details.workflow_run_id });
    expect(run.data).toMatchObject({ event: 'workflow_dispatch', head_branch: 'v1.2.0', head_sha: tagged });

    await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1.3.0', sha: gh.headOf('main') as string });
    expect(gh.runs().map((r) => [r.event, r.head_branch])).toEqual([
      ['push', 'v1.3.0'],
      ['workflow_dispatch', 'v1.2.0'],
    ]);
  });
});

describe('git data', () => {
  it('gives every commit a tree of files; identical trees have identical shas', async () => {
    const initial = gh.treeOf('main');
    expect(initial).toEqual({ 'CHANGELOG.md': '# Changelog\n', 'README.md': '# shop\n' });
    gh.commit('main', 'Add cart\n\nWith a long description');
    expect(gh.treeOf('main')['CHANGELOG.md']).toBe('# Changelog\n- Add cart\n');
    const a = gh.commit('main', 'Add checkout', { 'src/checkout/index.ts': 'export {};\n', 'README.md': null });
    expect(gh.treeOf(a)).toEqual({ 'CHANGELOG.md': '# Changelog\n- Add cart\n', 'src/checkout/index.ts': 'export {};\n' });
    const b = gh.commit('side', 'Same files elsewhere', {});
    expect(gh.commitInfo(b)).toEqual({ tree: gh.commitInfo(a).tree, parents: [a], message: 'Same files elsewhere' });

    const commit = await octokit.rest.git.getCommit({ ...repo, commit_sha: a });
    expect(commit.data).toMatchObject({ sha: a, message: 'Add checkout', tree: { sha: gh.commitInfo(a).tree }, verification: { verified: false } });
    expect(commit.data.parents.map((p) => p.sha)).toEqual(gh.commitInfo(a).parents);

    const top = await octokit.rest.git.getTree({ ...repo, tree_sha: commit.data.tree.sha });
    expect(top.data.tree.map((e) => [e.path, e.type])).toEqual([
      ['CHANGELOG.md', 'blob'],
      ['src', 'tree'],
    ]);
    const all = await octokit.rest.git.getTree({ ...repo, tree_sha: 'main', recursive: 'true' });
    expect(all.data.tree.map((e) => e.path)).toEqual(['CHANGELOG.md', 'src', 'src/checkout', 'src/checkout/index.ts']);
    const blob = await octokit.rest.git.getBlob({ ...repo, file_sha: all.data.tree[3]?.sha as string });
    expect(Buffer.from(blob.data.content, 'base64').toString()).toBe('export {};\n');
    // git's own hash of the empty tree
    const empty = await octokit.rest.git.createTree({ ...repo, tree: [] });
    expect(empty.data.sha).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    expect((await requestFailure(octokit.rest.git.getTree({ ...repo, tree_sha: 'f'.repeat(40) }))).status).toBe(404);

    const viaCommits = await octokit.rest.repos.getCommit({ ...repo, ref: a.slice(0, 10) });
    expect(viaCommits.data.files?.map((f) => [f.filename, f.status])).toEqual([
      ['README.md', 'removed'],
      ['src/checkout/index.ts', 'added'],
    ]);
    expect(viaCommits.data.stats).toEqual({ total: 2, additions: 1, deletions: 1 });
    expect((await octokit.rest.repos.getCommit({ ...repo, ref: 'side' })).data.sha).toBe(b);
    expect((await requestFailure(octokit.rest.repos.getCommit({ ...repo, ref: 'nope' }))).status).toBe(422);
  });

  it('creates commits off any branch, 422 for an unknown tree or parent, and moves refs fast-forward or forced', async () => {
    const head = gh.headOf('main') as string;
    const { tree } = gh.commitInfo(head);
    const made = await octokit.rest.git.createCommit({ ...repo, message: 'Detached', tree, parents: [head] });
    expect(made.status).toBe(201);
    expect(made.data).toMatchObject({ message: 'Detached', tree: { sha: tree }, parents: [{ sha: head }] });
    expect(gh.headOf('main')).toBe(head);

    const badTree = await requestFailure(octokit.rest.git.createCommit({ ...repo, message: 'x', tree: 'f'.repeat(40), parents: [head] }));
    expect([badTree.status, badTree.message]).toEqual([422, expect.stringContaining('Tree SHA does not exist')]);
    const badParent = await requestFailure(octokit.rest.git.createCommit({ ...repo, message: 'x', tree, parents: ['e'.repeat(40)] }));
    expect(badParent.message).toContain('Parent SHA does not exist or is not a commit object');

    const moved = await octokit.rest.git.updateRef({ ...repo, ref: 'heads/main', sha: made.data.sha });
    expect(moved.data).toMatchObject({ ref: 'refs/heads/main', object: { sha: made.data.sha } });
    const back = await requestFailure(octokit.rest.git.updateRef({ ...repo, ref: 'heads/main', sha: head }));
    expect([back.status, back.message]).toEqual([422, expect.stringContaining('Update is not a fast forward')]);
    await octokit.rest.git.updateRef({ ...repo, ref: 'heads/main', sha: head, force: true });
    expect(gh.headOf('main')).toBe(head);
    expect((await requestFailure(octokit.rest.git.updateRef({ ...repo, ref: 'heads/nope', sha: head }))).message).toContain('Reference does not exist');
  });
});

describe('a revert pull request, as tminus makes one', () => {
  beforeEach(() => {
    gh.commit('main', 'Add cart', { 'src/cart.ts': 'export const cart = 1;\n' });
    gh.addRelease('v1.2.0');
    gh.commit('main', 'Rewrite cart', { 'src/cart.ts': 'export const cart = 2;\n', 'src/checkout.ts': 'export const checkout = 1;\n' });
    gh.commit('main', 'Drop the README', { 'README.md': null });
    gh.addRelease('v1.3.0');
  });

  async function openRevert() {
    const tag = await octokit.rest.git.getRef({ ...repo, ref: 'tags/v1.2.0' });
    const previous = await octokit.rest.git.getCommit({ ...repo, commit_sha: tag.data.object.sha });
    const previousTree = previous.data.tree.sha;
    const defaultHead = (await octokit.rest.repos.getBranch({ ...repo, branch: 'main' })).data.commit.sha;
    const revert = await octokit.rest.git.createCommit({ ...repo, message: 'Revert to v1.2.0', tree: previousTree, parents: [defaultHead] });
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/revert/v1.3.0', sha: revert.data.sha });
    const pull = await octokit.rest.pulls.create({ ...repo, title: 'Roll back v1.3.0', head: 'revert/v1.3.0', base: 'main', body: 'Checkout errors.' });
    return { previousTree, defaultHead, revertSha: revert.data.sha, pull };
  }

  it('gives a pull request whose head commit has the previous tree and the default head as parent', async () => {
    const { previousTree, defaultHead, revertSha, pull } = await openRevert();
    expect(pull.status).toBe(201);
    expect(pull.data).toMatchObject({
      number: 1,
      html_url: `${gh.url}/acme/shop/pull/1`,
      state: 'open',
      title: 'Roll back v1.3.0',
      body: 'Checkout errors.',
      head: { ref: 'revert/v1.3.0', sha: revertSha, label: 'acme:revert/v1.3.0' },
      base: { ref: 'main', sha: defaultHead },
      user: { login: 'tminus-bot' },
      created_at: iso(T0),
      merged: false,
      draft: false,
      commits: 1,
      changed_files: 3,
    });
    expect(gh.commitInfo(pull.data.head.sha)).toEqual({ tree: previousTree, parents: [defaultHead], message: 'Revert to v1.2.0' });
    expect(gh.treeOf('revert/v1.3.0')).toEqual(gh.treeOf('v1.2.0'));
    expect(gh.treeOf('revert/v1.3.0')['src/cart.ts']).toBe('export const cart = 1;\n');
    const tree = await octokit.rest.git.getTree({ ...repo, tree_sha: 'revert/v1.3.0', recursive: '1' });
    expect(tree.data.sha).toBe(previousTree);

    const listed = await octokit.rest.pulls.list({ ...repo, head: 'acme:revert/v1.3.0', state: 'open' });
    expect(listed.data.map((p) => p.number)).toEqual([1]);
    expect((await octokit.rest.pulls.list({ ...repo, head: 'acme:revert/v9', state: 'open' })).data).toEqual([]);
    expect(gh.pulls().map((p) => [p.number, p.head.ref, p.state])).toEqual([[1, 'revert/v1.3.0', 'open']]);

    const again = await requestFailure(octokit.rest.pulls.create({ ...repo, title: 'Again', head: 'acme:revert/v1.3.0', base: 'main' }));
    expect([again.status, again.message]).toEqual([422, expect.stringContaining('A pull request already exists for acme:revert/v1.3.0.')]);
    gh.createBranch('empty');
    const nothing = await requestFailure(octokit.rest.pulls.create({ ...repo, title: 'Empty', head: 'empty', base: 'main' }));
    expect([nothing.status, nothing.message]).toEqual([422, expect.stringContaining('No commits between main and empty')]);
  });

  it('merges the pull request into the default branch, which then has the old files', async () => {
    const { previousTree, defaultHead, revertSha, pull } = await openRevert();
    now = T0 + 60_000;
    const merged = await octokit.rest.pulls.merge({ ...repo, pull_number: pull.data.number, sha: revertSha });
    expect(merged.data).toMatchObject({ merged: true, message: 'Pull Request successfully merged' });
    expect(gh.commitInfo('main')).toEqual({
      tree: previousTree,
      parents: [defaultHead, revertSha],
      message: 'Merge pull request #1 from acme/revert/v1.3.0\n\nRoll back v1.3.0',
    });
    const after = await octokit.rest.pulls.get({ ...repo, pull_number: 1 });
    expect(after.data).toMatchObject({ state: 'closed', merged: true, merged_at: iso(now), merge_commit_sha: merged.data.sha });
    expect((await octokit.rest.pulls.list({ ...repo, state: 'open' })).data).toEqual([]);
    expect((await requestFailure(octokit.rest.pulls.merge({ ...repo, pull_number: 1 }))).status).toBe(405);
  });
});

describe('issues', () => {
  it('creates issues with labels and assignees and lists them by label and state', async () => {
    const created = await octokit.rest.issues.create({
      ...repo,
      title: 'Post-mortem: v1.3.0 rollback',
      body: 'Timeline…',
      labels: ['post-mortem', 'sev2'],
      assignees: ['release-manager'],
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      number: 1,
      html_url: `${gh.url}/acme/shop/issues/1`,
      title: 'Post-mortem: v1.3.0 rollback',
      body: 'Timeline…',
      labels: [{ name: 'post-mortem' }, { name: 'sev2' }],
      assignees: [{ login: 'release-manager' }],
      state: 'open',
      user: { login: 'tminus-bot' },
      created_at: iso(T0),
    });
    await octokit.rest.issues.create({ ...repo, title: 'Flaky smoke test', labels: ['ci'] });

    const postMortems = await octokit.rest.issues.listForRepo({ ...repo, labels: 'post-mortem', state: 'open' });
    expect(postMortems.data.map((i) => i.number)).toEqual([1]);
    expect((await octokit.rest.issues.listForRepo({ ...repo, labels: 'post-mortem,ci' })).data).toEqual([]);
    expect((await octokit.rest.issues.listForRepo({ ...repo })).data.map((i) => i.number)).toEqual([2, 1]);
    expect((await octokit.rest.issues.listForRepo({ ...repo, labels: 'post-mortem', state: 'closed' })).data).toEqual([]);

    await octokit.rest.issues.update({ ...repo, issue_number: 1, state: 'closed' });
    const closed = await octokit.rest.issues.listForRepo({ ...repo, labels: 'post-mortem', state: 'closed' });
    expect(closed.data.map((i) => [i.number, i.state, i.state_reason])).toEqual([[1, 'closed', 'completed']]);
    expect(gh.issues().map((i) => [i.number, i.state, i.labels.map((l) => l.name)])).toEqual([
      [2, 'open', ['ci']],
      [1, 'closed', ['post-mortem', 'sev2']],
    ]);
    const missing = await requestFailure(octokit.rest.issues.create({ ...repo, title: '' }));
    expect(missing.status).toBe(422);
  });

  it('shares numbers with pull requests, which GET /issues lists too', async () => {
    gh.commit('fix', 'Fix checkout');
    await octokit.rest.pulls.create({ ...repo, title: 'Fix checkout', head: 'fix', base: 'main' });
    const issue = await octokit.rest.issues.create({ ...repo, title: 'Follow-up' });
    expect(issue.data.number).toBe(2);
    const all = await octokit.rest.issues.listForRepo({ ...repo });
    expect(all.data.map((i) => [i.number, i.pull_request === undefined])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(gh.issues().map((i) => i.number)).toEqual([2]);
  });
});
