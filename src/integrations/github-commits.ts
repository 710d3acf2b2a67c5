import type { Octokit } from 'octokit';
import type { CallGuards } from './github-deployments.js';

/**
 * What a commit carries beyond another: GitHub's compare, and the commit a ref names. Composed into the
 * ReleaseRepository (github.ts), with its error translation, so these reads fail as every other read does.
 */
export interface CommitComparison {
  /** Commits `head` carries that `base` does not (GitHub's `ahead_by`). */
  ahead: number;
  /** Commits `base` carries that `head` does not (`behind_by`): a hotfix cut elsewhere than production. */
  behind: number;
  /** The newest of those commits (at most five), newest first: their short sha and first line. */
  newest: { sha: string; title: string }[];
}

export interface CommitReads {
  /** `GET /repos/{owner}/{repo}/compare/{base}...{head}`. */
  compareCommits(base: string, head: string): Promise<CommitComparison>;
  /** The commit a branch, tag or sha names (`GET /repos/{owner}/{repo}/commits/{ref}`); undefined when none (404, 422). */
  commitOf(ref: string): Promise<string | undefined>;
}

type Repo = { owner: string; repo: string };

export function commitReads(octokit: Octokit, repo: Repo, guards: CallGuards): CommitReads {
  return {
    compareCommits: (base, head) =>
      guards.call(`compare ${base} with ${head.slice(0, 12)}`, async () => {
        const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${base}...${head}`, per_page: 100 });
        // GitHub lists the commits oldest first (up to 250 without paging): the newest are the last.
        const newest = data.commits
          .slice(-5)
          .reverse()
          .map((c) => ({ sha: c.sha, title: c.commit.message.split('\n')[0]!.slice(0, 120) }));
        return { ahead: data.ahead_by, behind: data.behind_by, newest };
      }),
    commitOf: (ref) =>
      guards.orUndefined(`read the commit ${ref.slice(0, 40)}`, async () => {
        try {
          return (await octokit.rest.repos.getCommit({ ...repo, ref })).data.sha;
        } catch (error) {
          // GitHub answers 422 "No commit found for SHA" for a ref that names nothing.
          if ((error as { status?: number }).status === 422) return undefined;
          throw error;
        }
      }),
  };
}
