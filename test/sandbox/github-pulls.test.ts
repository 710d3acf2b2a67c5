import type { components } from '@octokit/openapi-types';
import type { Octokit } from 'octokit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubStandIn } from '../../src/sandbox/github.js';
import { standInOctokit } from './octokit.js';

/** Every field of GitHub's published `pull-request-simple`, which GET /commits/{sha}/pulls lists. */
type PullRequestSimple = components['schemas']['pull-request-simple'];
const SIMPLE_FIELDS = [
  'url', 'id', 'node_id', 'html_url', 'diff_url', 'patch_url', 'issue_url', 'commits_url', 'review_comments_url', 'review_comment_url',
  'comments_url', 'statuses_url', 'number', 'state', 'locked', 'title', 'user', 'body', 'labels', 'milestone', 'active_lock_reason',
  'created_at', 'updated_at', 'closed_at', 'merged_at', 'merge_commit_sha', 'assignee', 'assignees', 'requested_reviewers',
  'requested_teams', 'head', 'base', '_links', 'author_association', 'auto_merge', 'draft',
] as const satisfies readonly (keyof PullRequestSimple)[];
// A field the schema has and the list lacks fails the typecheck here.
const everyFieldListed: [Exclude<keyof PullRequestSimple, (typeof SIMPLE_FIELDS)[number]>] extends [never] ? true : false = true;

const T0 = Date.parse('2026-11-20T10:00:00.000Z');

let now = T0;
let gh: GitHubStandIn;
let octokit: Octokit;
let repo: { owner: string; repo: string };

beforeEach(async () => {
  now = T0;
  gh = await GitHubStandIn.start({ clock: () => now, runListingDelayMs: 0 });
  octokit = standInOctokit(gh);
  repo = { owner: gh.owner, repo: gh.repo };
});

afterEach(async () => {
  await gh.close();
});

const associated = async (sha: string) => (await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: sha })).data;

/** A branch with `commits` commits, a pull request from it into `base`, opened through the REST API. */
async function openPull(branch: string, title: string, commits: number, base = 'main') {
  gh.createBranch(branch, base);
  const shas = Array.from({ length: commits }, (_, i) => gh.commit(branch, `${title} (part ${i + 1})`, { [`${branch}.txt`]: `${i}\n` }));
  const { data } = await octokit.rest.pulls.create({ ...repo, title, head: branch, base });
  return { number: data.number, shas };
}

describe('pull requests merged as GitHub merges them', () => {
  it('associates the commit each merge makes, and the commits it brings, with its pull request, in the shape GitHub publishes', async () => {
    expect(everyFieldListed).toBe(true);
    const merged = await openPull('feat/cart', 'feat: cart', 2);
    const merge = await octokit.rest.pulls.merge({ ...repo, pull_number: merged.number, merge_method: 'merge' });
    const squashed = await openPull('fix/totals', 'fix: totals', 2);
    now += 60_000;
    const squash = await octokit.rest.pulls.merge({ ...repo, pull_number: squashed.number, merge_method: 'squash' });
    const rebased = await openPull('docs/readme', 'docs: readme', 1);
    const rebase = await octokit.rest.pulls.merge({ ...repo, pull_number: rebased.number, merge_method: 'rebase' });
    const direct = gh.commit('main', 'chore: pushed without a pull request');
    const open = await openPull('feat/wishlist', 'feat: wishlist', 1);

    const numbers = async (sha: string) => (await associated(sha)).map((p) => p.number);
    // On the default branch: the merged pull request that brought the commit.
    expect(await numbers(merge.data.sha)).toEqual([merged.number]);
    expect(await numbers(merged.shas[0]!)).toEqual([merged.number]);
    expect(await numbers(squash.data.sha)).toEqual([squashed.number]);
    expect(await numbers(rebase.data.sha)).toEqual([rebased.number]);
    expect(await numbers(direct)).toEqual([]);
    // Not on the default branch: the merged and open pull requests whose branch carries it.
    expect(await numbers(squashed.shas[1]!)).toEqual([squashed.number]);
    expect(await numbers(open.shas[0]!)).toEqual([open.number]);

    const [view] = await associated(squash.data.sha);
    expect(Object.keys(view!).sort()).toEqual([...SIMPLE_FIELDS].sort());
    expect(view).toMatchObject({ state: 'closed', merge_commit_sha: squash.data.sha, merged_at: new Date(T0 + 60_000).toISOString(), base: { ref: 'main' } });
    expect(gh.commitInfo(squash.data.sha).message).toBe(`fix: totals (#${squashed.number})`);
    expect(gh.commitInfo(merge.data.sha).parents).toHaveLength(2);
  });

  it('lands a change on a hotfix branch through a pull request into it: main keeps its head, the notes of the hotfix list only the fix', async () => {
    gh.mergePullRequest({ title: 'feat: wallet top-ups', author: 'erin' });
    gh.addTag('v1.2.0');
    gh.mergePullRequest({ title: 'feat: admin portal search', author: 'erin' });
    const mainHead = gh.headOf('main');
    gh.createBranch('hotfix/v1.2.1', 'v1.2.0');
    const fix = gh.mergePullRequest({ title: 'fix: double charge at checkout', base: 'hotfix/v1.2.1', author: 'omar', writtenAt: T0 - 3_600_000 });

    expect(gh.headOf('hotfix/v1.2.1')).toBe(fix.sha);
    expect(gh.headOf('main')).toBe(mainHead);
    expect(gh.branches().map((b) => b.name)).toEqual(['main', 'hotfix/v1.2.1']);
    const [pull] = await associated(fix.sha);
    expect(pull).toMatchObject({ number: fix.number, base: { ref: 'hotfix/v1.2.1' }, merge_commit_sha: fix.sha, user: { login: 'omar' } });
    const { data: commits } = await octokit.rest.pulls.listCommits({ ...repo, pull_number: fix.number });
    expect(commits.map((c) => c.commit.author?.date)).toEqual([new Date(T0 - 3_600_000).toISOString()]);

    const notes = await octokit.rest.repos.generateReleaseNotes({ ...repo, tag_name: 'v1.2.1', target_commitish: 'hotfix/v1.2.1', previous_tag_name: 'v1.2.0' });
    expect(notes.data.body).toBe(
      [
        "## What's Changed",
        `* fix: double charge at checkout by @omar in ${gh.url}/acme/shop/pull/${fix.number}`,
        '',
        '## New Contributors',
        `* @omar made their first contribution in ${gh.url}/acme/shop/pull/${fix.number}`,
        '',
        `**Full Changelog**: ${gh.url}/acme/shop/compare/v1.2.0...v1.2.1`,
      ].join('\n'),
    );
    expect(() => gh.mergePullRequest({ title: 'fix: nowhere', base: 'hotfix/v9.9.9' })).toThrow(/No branch hotfix\/v9\.9\.9/);
  });

  it('notes with no pull request merged since the previous tag hold only the full changelog', async () => {
    gh.addTag('v1.0.0');
    gh.commit('main', 'chore: pushed without a pull request');
    const notes = await octokit.rest.repos.generateReleaseNotes({ ...repo, tag_name: 'v1.0.1', target_commitish: 'main' });
    expect(notes.data).toEqual({ name: 'v1.0.1', body: `**Full Changelog**: ${gh.url}/acme/shop/compare/v1.0.0...v1.0.1` });
  });
});
