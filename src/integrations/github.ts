import { Octokit, RequestError } from 'octokit';
import type { WorkflowJob } from '../domain/milestones.js';
import type { PlannedPullRequest } from '../domain/release-plan.js';
import { parseVersion, releasePublication } from '../domain/version.js';
import { outcomeOf, type CallObserver } from './metrics.js';
import { deploymentReads, type DeploymentReads } from './github-deployments.js';
import { commitReads, type CommitReads } from './github-commits.js';
import { toRun, type DeployRun } from './github-runs.js';
import { scrubberOf } from '../domain/external-text.js';
import { translateGitHubError } from './github-errors.js';

export { GitHubRefusedError, GitHubUnavailableError } from './github-errors.js';

/** A job of the deploy run, as the domain reads it into milestones. */
export type DeployJob = WorkflowJob & { id: number };

export type { DeployRun } from './github-runs.js';

/** A review of a run's pending deployment, by whoever gave it: tminus's token, or a person in GitHub's UI. */
export interface DeploymentReviewRecord {
  state: 'approved' | 'rejected';
  login: string;
  comment: string;
  environments: string[];
}

/** What a workflow dispatch answered: the run's id when GitHub returns run details, else nothing to go on. */
export type DispatchResult = { runId: number; url: string } | { runId: undefined };

export interface PublishedRelease {
  url: string;
  notes: string;
}

/** A pull request merged into the default branch (or a release branch), as a release plan sorts it. */
export type MergedPullRequest = PlannedPullRequest;

/** A merged pull request that a deployment carried, as DORA's lead time for changes reads it. */
export interface ShippedPullRequest {
  number: number;
  /** The earliest author or committer date among its commits (the first page GitHub lists, oldest first). */
  firstCommitAt: Date;
  mergedAt: Date;
  /** The commit its merge made; null where GitHub no longer says. */
  mergeSha: string | null;
}

/** The repository as tminus needs it on release day (with its deployments and environments: github-deployments.ts). */
export interface ReleaseRepository extends DeploymentReads, CommitReads {
  readonly fullName: string;
  defaultBranch(): Promise<string>;
  branchHead(branch: string): Promise<string | undefined>;
  tagTarget(tag: string): Promise<string | undefined>;
  /** Creates a lightweight tag; 'exists' when the tag is already there (whatever it points at). */
  createTag(tag: string, sha: string): Promise<'created' | 'exists'>;
  listTags(): Promise<{ name: string; sha: string }[]>;
  findDeployRun(workflow: string, tag: string, sha: string): Promise<DeployRun | undefined>;
  getDeployRun(runId: number): Promise<DeployRun>;
  /** The run, or undefined when GitHub no longer has it (deleted). */
  findRun(runId: number): Promise<DeployRun | undefined>;
  /** Cancels a run; 'not-running' when it had already completed. */
  cancelRun(runId: number): Promise<'cancelled' | 'not-running'>;
  /** The reviews of the run's pending deployments, oldest first, whoever gave them. */
  deploymentReviews(runId: number): Promise<DeploymentReviewRecord[]>;
  listDeployJobs(runId: number): Promise<DeployJob[]>;
  findRelease(tag: string): Promise<PublishedRelease | undefined>;
  /**
   * Publishes the GitHub release with generated notes; an existing one for the tag is returned as is. A
   * pre-release (`-rc.1`) is a GitHub pre-release; only a version above GitHub's current Latest becomes Latest.
   */
  publishRelease(tag: string, targetSha: string): Promise<PublishedRelease>;
  /**
   * Starts a workflow by `workflow_dispatch` on `ref` with `inputs`, asking GitHub for the run's details
   * (`return_run_details`); where GitHub refuses that parameter (older GitHub Enterprise), dispatches
   * without it and answers `{ runId: undefined }`.
   */
  dispatchWorkflow(workflow: string, ref: string, inputs: Record<string, string>): Promise<DispatchResult>;
  /** The `workflow_dispatch` runs of `workflow` created at or after `since`, oldest first. */
  dispatchedRuns(workflow: string, since: Date): Promise<DeployRun[]>;
  /** Opens an issue; its URL. */
  createIssue(title: string, body: string, labels: string[]): Promise<string>;
  /**
   * Opens a pull request on `branch` whose single commit, on top of the default branch, has the tree of
   * `toTag`: the coordinated rollback's revert. An existing one is returned as is.
   */
  openRevertPullRequest(toTag: string, branch: string, title: string, body: string): Promise<{ url: string; number: number; commit: string }>;
  /** Environments the run is waiting on for a required reviewer. */
  pendingDeployments(runId: number): Promise<{ environmentId: number; environment: string }[]>;
  /** Answers a pending deployment review; 'not-pending' when the run no longer waits on it (already answered). */
  reviewDeployment(runId: number, environmentIds: number[], state: 'approved' | 'rejected', comment: string): Promise<'reviewed' | 'not-pending'>;
  /** Creates a branch at `sha`; 'exists' when it is already there. */
  createBranch(branch: string, sha: string): Promise<'created' | 'exists'>;
  /** CI on a commit: its check runs and its combined commit status together. */
  ciStatus(sha: string): Promise<CiStatus>;
  /**
   * The merged pull requests behind the commits from `tag` to the head of `branch` (the default branch when
   * none is given), oldest first, each once: those merged into `branch` or into the default branch (which a
   * release branch carries from its cut).
   */
  mergedSince(tag: string, branch?: string): Promise<MergedPullRequest[]>;
  /**
   * The merged pull requests behind the commits from `base` (the tag of the version production ran before)
   * to `head` (the commit deployed), each once, with the time of its first commit: what a deployment
   * carried, for DORA's lead time. A pull request whose commits GitHub does not list is left out.
   */
  shippedBetween(base: string, head: string): Promise<ShippedPullRequest[]>;
  /** The repository's address on the web (GitHub's `html_url`): the git info of Datadog's DORA deployments. */
  webUrl(): Promise<string>;
  /** Reports every HTTP request to GitHub (latency, status) to `observer`: tminus's metrics. */
  observeCalls?(observer: CallObserver): void;
}

export interface CiStatus {
  /** 'success' only when every check run concluded well and the combined status (if any) is success. */
  state: 'success' | 'failure' | 'pending';
  checks: number;
  failing: string[];
  pending: string[];
  /** Every check run and status context, with its own page where GitHub gives one: the readiness card's evidence. */
  each: { name: string; state: 'success' | 'failure' | 'pending'; url?: string }[];
}

export interface GitHubOptions {
  token: string;
  apiUrl: string;
  owner: string;
  repo: string;
  /** Octokit's throttling serializes writes a second apart; tests against the stand-in turn it off. */
  throttle?: boolean;
  /** Other configured credentials to scrub from GitHub's error text (the token itself always is). */
  secrets?: readonly string[];
  timeoutMs?: number;
}

export function createReleaseRepository(options: GitHubOptions): ReleaseRepository {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const octokit = new Octokit({
    auth: options.token,
    baseUrl: options.apiUrl.replace(/\/$/, ''),
    // Retries belong to the job queue, where they are durable and visible: Octokit's own are off.
    retry: { enabled: false },
    throttle: {
      enabled: options.throttle ?? true,
      // Never sleep inside a job waiting for a rate limit: fail, and let the queue's backoff retry.
      onRateLimit: () => false,
      onSecondaryRateLimit: () => false,
    },
    request: {
      fetch: (url: string | URL, init?: RequestInit) =>
        fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) }),
    },
  });
  const repo = { owner: options.owner, repo: options.repo };
  const scrub = scrubberOf([options.token, ...(options.secrets ?? [])]);
  const translate = (what: string, error: unknown) => translateGitHubError(what, error, scrub);
  // Every request, whichever method made it: timed, with its status (a 429 apart), labelled by its route.
  let observe: CallObserver = () => {};
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const method = `${requestOptions.method} ${routeOf(requestOptions.url)}`;
    const start = performance.now();
    try {
      const response = await request(requestOptions);
      observe('github', method, (performance.now() - start) / 1000, 'ok');
      return response;
    } catch (error) {
      observe('github', method, (performance.now() - start) / 1000, outcomeOf(error instanceof RequestError && error.response ? error.status : undefined));
      throw error;
    }
  });

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw translate(what, error);
    }
  }

  async function orUndefined<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof RequestError && error.status === 404) return undefined;
      throw translate(what, error);
    }
  }

  // The repository's web address does not change while tminus runs: read once.
  let knownWebUrl: string | undefined;

  return {
    fullName: `${options.owner}/${options.repo}`,

    observeCalls: (observer) => {
      observe = observer;
    },

    ...deploymentReads(octokit, repo, { call, orUndefined }),
    ...commitReads(octokit, repo, { call, orUndefined }),

    defaultBranch: () => call('read the repository', async () => (await octokit.rest.repos.get(repo)).data.default_branch),

    branchHead: (branch) =>
      orUndefined(`read branch ${branch}`, async () => (await octokit.rest.repos.getBranch({ ...repo, branch })).data.commit.sha),

    tagTarget: (tag) =>
      orUndefined(`read tag ${tag}`, async () => (await octokit.rest.git.getRef({ ...repo, ref: `tags/${tag}` })).data.object.sha),

    createTag: async (tag, sha) => {
      try {
        await octokit.rest.git.createRef({ ...repo, ref: `refs/tags/${tag}`, sha });
        return 'created';
      } catch (error) {
        if (error instanceof RequestError && error.status === 422 && /already exists/i.test(error.message)) return 'exists';
        throw translate(`create tag ${tag}`, error);
      }
    },

    listTags: () =>
      call('list tags', async () =>
        (await octokit.paginate(octokit.rest.repos.listTags, { ...repo, per_page: 100 })).map((t) => ({ name: t.name, sha: t.commit.sha })),
      ),

    findDeployRun: (workflow, tag, sha) =>
      orUndefined(`find the ${workflow} run for ${tag}`, async () => {
        const { data } = await octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: workflow, event: 'push', head_sha: sha, per_page: 20 });
        // A tag push names the tag as the run's head_branch; a branch push at the same commit does not.
        const run = data.workflow_runs.find((r) => r.head_branch === tag);
        return run ? toRun(run) : undefined;
      }),

    getDeployRun: (runId) => call(`read run ${runId}`, async () => toRun((await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: runId })).data)),

    listDeployJobs: (runId) =>
      call(`read the jobs of run ${runId}`, async () => {
        const jobs = await octokit.paginate(octokit.rest.actions.listJobsForWorkflowRun, { ...repo, run_id: runId, per_page: 100 });
        return jobs.map((job) => ({
          id: job.id,
          name: job.name,
          status: job.status,
          conclusion: job.conclusion,
          startedAt: job.started_at ?? null,
          completedAt: job.completed_at ?? null,
          url: job.html_url,
          steps: (job.steps ?? []).map((s) => ({ name: s.name, status: s.status, conclusion: s.conclusion })),
        }));
      }),

    findRelease: (tag) =>
      orUndefined(`read the release ${tag}`, async () => {
        const { data } = await octokit.rest.repos.getReleaseByTag({ ...repo, tag });
        return { url: data.html_url, notes: data.body ?? '' };
      }),

    dispatchWorkflow: async (workflow, ref, inputs) => {
      const url = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
      try {
        const { data } = await octokit.request(url, { ...repo, workflow_id: workflow, ref, inputs, return_run_details: true });
        const details = data as { workflow_run_id?: number; html_url?: string } | undefined;
        return typeof details?.workflow_run_id === 'number' ? { runId: details.workflow_run_id, url: details.html_url ?? '' } : { runId: undefined };
      } catch (error) {
        // A GitHub that does not know the parameter refuses the request as invalid: nothing was dispatched.
        if (error instanceof RequestError && error.status === 422 && /return_run_details/i.test(JSON.stringify(error.response?.data ?? error.message))) {
          await call(`start ${workflow}`, () => octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: workflow, ref, inputs }));
          return { runId: undefined };
        }
        throw translate(`start ${workflow}`, error);
      }
    },

    dispatchedRuns: (workflow, since) =>
      call(`list the ${workflow} runs`, async () => {
        // GitHub's clock and ours differ a little: look a few seconds before the dispatch.
        const created = `>=${new Date(since.getTime() - 5_000).toISOString()}`;
        const { data } = await octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: workflow, event: 'workflow_dispatch', created, per_page: 20 });
        return data.workflow_runs.map(toRun).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id);
      }),

    findRun: (runId) => orUndefined(`read run ${runId}`, async () => toRun((await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: runId })).data)),

    cancelRun: async (runId) => {
      try {
        await octokit.rest.actions.cancelWorkflowRun({ ...repo, run_id: runId });
        return 'cancelled';
      } catch (error) {
        // 409 "Cannot cancel a workflow run that is completed."
        if (error instanceof RequestError && error.status === 409) return 'not-running';
        throw translate(`cancel run ${runId}`, error);
      }
    },

    deploymentReviews: (runId) =>
      call(`read the deployment reviews of run ${runId}`, async () => {
        const { data } = await octokit.rest.actions.getReviewsForRun({ ...repo, run_id: runId });
        return data.map((r) => ({
          state: r.state === 'approved' ? ('approved' as const) : ('rejected' as const),
          login: r.user.login,
          comment: r.comment ?? '',
          environments: r.environments.map((e) => e.name ?? ''),
        }));
      }),

    createIssue: (title, body, labels) =>
      call('open an issue', async () => (await octokit.rest.issues.create({ ...repo, title, body, labels })).data.html_url),

    openRevertPullRequest: (toTag, branch, title, body) =>
      call(`open the revert pull request ${branch}`, async () => {
        const existing = (await octokit.rest.pulls.list({ ...repo, head: `${options.owner}:${branch}`, state: 'open' })).data[0];
        if (existing) return { url: existing.html_url, number: existing.number, commit: existing.head.sha };
        const base = (await octokit.rest.repos.get(repo)).data.default_branch;
        const head = (await octokit.rest.repos.getBranch({ ...repo, branch: base })).data.commit.sha;
        const tagSha = (await octokit.rest.git.getRef({ ...repo, ref: `tags/${toTag}` })).data.object.sha;
        const tree = (await octokit.rest.git.getCommit({ ...repo, commit_sha: tagSha })).data.tree.sha;
        const commit = (await octokit.rest.git.createCommit({ ...repo, message: title, tree, parents: [head] })).data.sha;
        try {
          await octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: commit });
        } catch (error) {
          if (!(error instanceof RequestError && error.status === 422)) throw error;
          await octokit.rest.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: commit, force: true });
        }
        const pr = (await octokit.rest.pulls.create({ ...repo, title, body, head: branch, base })).data;
        return { url: pr.html_url, number: pr.number, commit };
      }),

    pendingDeployments: (runId) =>
      call(`read the pending deployments of run ${runId}`, async () => {
        const { data } = await octokit.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: runId });
        return data.flatMap((p) => (p.environment.id !== undefined ? [{ environmentId: p.environment.id, environment: p.environment.name ?? '' }] : []));
      }),

    reviewDeployment: async (runId, environmentIds, state, comment) => {
      try {
        await octokit.rest.actions.reviewPendingDeploymentsForRun({ ...repo, run_id: runId, environment_ids: environmentIds, state, comment });
        return 'reviewed';
      } catch (error) {
        // GitHub answers 422 "No pending deployment requests to approve or reject" (in `errors`) once answered.
        if (error instanceof RequestError && error.status === 422 && /no pending deployment/i.test(JSON.stringify(error.response?.data ?? ''))) return 'not-pending';
        throw translate(`${state === 'approved' ? 'approve' : 'reject'} the deployment of run ${runId}`, error);
      }
    },

    createBranch: async (branch, sha) => {
      try {
        await octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha });
        return 'created';
      } catch (error) {
        if (error instanceof RequestError && error.status === 422 && /already exists/i.test(error.message)) return 'exists';
        throw translate(`create branch ${branch}`, error);
      }
    },

    ciStatus: (sha) =>
      call(`read CI of ${sha.slice(0, 7)}`, async () => {
        const runs = (await octokit.rest.checks.listForRef({ ...repo, ref: sha, per_page: 100 })).data.check_runs;
        const combined = (await octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: sha, per_page: 100 })).data;
        const each: CiStatus['each'] = [
          ...runs.map((run) => ({
            name: run.name,
            state: run.status !== 'completed' ? ('pending' as const) : ['success', 'neutral', 'skipped'].includes(run.conclusion ?? '') ? ('success' as const) : ('failure' as const),
            ...(run.html_url ? { url: run.html_url } : {}),
          })),
          ...combined.statuses.map((status) => ({
            name: status.context,
            state: status.state === 'pending' ? ('pending' as const) : status.state === 'success' ? ('success' as const) : ('failure' as const),
            ...(status.target_url ? { url: status.target_url } : {}),
          })),
        ];
        const failing = each.filter((c) => c.state === 'failure').map((c) => c.name);
        const pending = each.filter((c) => c.state === 'pending').map((c) => c.name);
        const state = failing.length > 0 ? 'failure' : pending.length > 0 ? 'pending' : 'success';
        return { state, checks: each.length, failing, pending, each };
      }),

    mergedSince: (tag, into) =>
      call(`list what was merged since ${tag}${into ? ` on ${into}` : ''}`, async () => {
        const defaultBranch = (await octokit.rest.repos.get(repo)).data.default_branch;
        const branch = into ?? defaultBranch;
        const shas: string[] = [];
        // Compare pages hold 100 commits each; total_commits says when all were read.
        for (let page = 1; ; page += 1) {
          const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${tag}...${branch}`, per_page: 100, page });
          shas.push(...data.commits.map((c) => c.sha));
          if (data.commits.length === 0 || shas.length >= data.total_commits) break;
        }
        const found = new Map<number, MergedPullRequest>();
        for (const sha of shas) {
          const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: sha, per_page: 100 });
          for (const pr of data) {
            if (pr.merged_at === null || (pr.base.ref !== branch && pr.base.ref !== defaultBranch) || found.has(pr.number)) continue;
            const files = await octokit.paginate(octokit.rest.pulls.listFiles, { ...repo, pull_number: pr.number, per_page: 100 });
            found.set(pr.number, {
              number: pr.number,
              title: pr.title,
              url: pr.html_url,
              labels: pr.labels.map((label) => label.name),
              files: files.map((f) => f.filename),
              mergedAt: pr.merged_at,
            });
          }
        }
        return [...found.values()];
      }),

    shippedBetween: (base, head) =>
      call(`list the pull requests shipped from ${base} to ${head.slice(0, 7)}`, async () => {
        const shas: string[] = [];
        for (let page = 1; ; page += 1) {
          const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${base}...${head}`, per_page: 100, page });
          shas.push(...data.commits.map((c) => c.sha));
          if (data.commits.length === 0 || shas.length >= data.total_commits) break;
        }
        const found = new Map<number, ShippedPullRequest>();
        const seen = new Set<number>();
        for (const sha of shas) {
          const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: sha, per_page: 100 });
          for (const pr of data) {
            if (pr.merged_at === null || seen.has(pr.number)) continue;
            seen.add(pr.number);
            // GitHub lists a pull request's commits oldest first: the first page holds its first commit.
            const { data: commits } = await octokit.rest.pulls.listCommits({ ...repo, pull_number: pr.number, per_page: 100 });
            const times = commits.flatMap((c) => [c.commit.author?.date, c.commit.committer?.date]).flatMap((d) => (d ? [Date.parse(d)] : [])).filter((t) => Number.isFinite(t));
            if (times.length === 0) continue;
            found.set(pr.number, { number: pr.number, firstCommitAt: new Date(Math.min(...times)), mergedAt: new Date(pr.merged_at), mergeSha: pr.merge_commit_sha ?? null });
          }
        }
        return [...found.values()];
      }),

    webUrl: async () => {
      knownWebUrl ??= await call('read the repository', async () => (await octokit.rest.repos.get(repo)).data.html_url);
      return knownWebUrl;
    },

    publishRelease: async (tag, targetSha) => {
      const version = parseVersion(tag);
      const latestTag = await orUndefined('read the latest release', async () => (await octokit.rest.repos.getLatestRelease(repo)).data.tag_name);
      const latest = latestTag === undefined ? undefined : parseVersion(latestTag);
      // A tag that is no version (only tminus's tags reach here) is published as GitHub would by default.
      const publication = version.ok ? releasePublication(version.version, latest?.ok ? latest.version : undefined) : { prerelease: false, latest: true };
      try {
        const { data } = await octokit.rest.repos.createRelease({
          ...repo,
          tag_name: tag,
          name: tag,
          target_commitish: targetSha,
          generate_release_notes: true,
          prerelease: publication.prerelease,
          make_latest: publication.latest ? 'true' : 'false',
        });
        return { url: data.html_url, notes: data.body ?? '' };
      } catch (error) {
        if (error instanceof RequestError && error.status === 422) {
          const existing = await orUndefined(`read the release ${tag}`, async () => (await octokit.rest.repos.getReleaseByTag({ ...repo, tag })).data);
          if (existing) return { url: existing.html_url, notes: existing.body ?? '' };
        }
        throw translate(`publish the release ${tag}`, error);
      }
    },
  };
}

/**
 * A request's route as a metrics label: Octokit's template (`/repos/{owner}/{repo}/git/refs`) as it is;
 * the full URL that pagination requests, back into a template's shape, so labels stay few.
 */
export function routeOf(url: string): string {
  if (!/^https?:\/\//.test(url)) return url;
  const path = new URL(url).pathname.replace(/^\/api\/v3(?=\/)/, '');
  return path
    .replace(/^\/repos\/[^/]+\/[^/]+/, '/repos/{owner}/{repo}')
    .split('/')
    .map((segment) => (/^\d+$/.test(segment) ? '{id}' : /^[0-9a-f]{40}$/.test(segment) ? '{sha}' : /[.%]/.test(segment) ? '{name}' : segment))
    .join('/');
}
