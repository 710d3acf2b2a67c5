
/**
 * A commit's CI in GitHub's shapes: its check runs (GET /commits/{ref}/check-runs, the check_run webhook)
 * and its commit statuses (GET /commits/{ref}/status, the status webhook).
 */

export interface CommitCi {
  checkRuns: Map<string, { name: string; status: 'queued' | 'in_progress' | 'completed'; conclusion: string | null }[]>;
  statuses: Map<string, { context: string; state: 'pending' | 'success' | 'failure' | 'error' }[]>;
  /** The repository's CI as it runs on every push: the check runs of a commit none were set on. */
  everyCommit?: { name: string; status: 'queued' | 'in_progress' | 'completed'; conclusion: string | null }[];
}

/** What the views read of the stand-in. */
export interface CiContext {
  now: number;
  links: { api: string; web: string; fullName: string };
  ci?: CommitCi;
  repository: {
    readonly defaultBranch: string;
    branches(): [string, string][];
    getCommit(sha: string): { tree: string; message: string; date: number; parents: readonly string[] } | undefined;
  };
}

export interface CheckRunView {
  id: number;
  node_id: string;
  head_sha: string;
  external_id: string;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  url: string;
  html_url: string;
  details_url: string;
  started_at: string;
  completed_at: string | null;
  output: { title: null; summary: null; text: null; annotations_count: 0; annotations_url: string };
  check_suite: { id: number };
  app: typeof ACTIONS_APP;
  pull_requests: never[];
}

/** A commit as check_suite's `head_commit` and status's `commit` name it. */
export interface CiCommit {
  sha: string;
  tree: string;
  message: string;
  date: string;
  parents: readonly string[];
}

export interface CommitCiState {
  sha: string;
  /** The branches whose head the commit is, the default branch first. */
  branches: string[];
  checkRuns: CheckRunView[];
  statuses: { context: string; state: 'pending' | 'success' | 'failure' | 'error' }[];
  /** When it was read (the stand-in's clock, ISO). */
  at: string;
  commit: CiCommit;
  links: CiContext['links'];
}

/** GitHub Actions, as the app that owns the check runs. */
export const ACTIONS_APP = {
  id: 15368,
  slug: 'github-actions',
  node_id: 'MDM6QXBwMTUzNjg=',
  owner: { login: 'github', id: 9919, node_id: 'MDEyOk9yZ2FuaXphdGlvbjk5MTk=', type: 'Organization', site_admin: false },
  name: 'GitHub Actions',
  description: 'Automate your workflow from idea to production',
  external_url: 'https://help.github.com/en/actions',
  html_url: 'https://github.com/apps/github-actions',
  created_at: '2018-07-30T09:30:17Z',
  updated_at: '2019-12-10T19:04:12Z',
  permissions: { actions: 'write', checks: 'write', contents: 'write', deployments: 'write', statuses: 'write' },
  events: ['check_run', 'check_suite', 'push', 'workflow_dispatch', 'workflow_run'],
};

/** The check suite of a commit's CI: one per commit here, its id derived from the sha. */
export function checkSuiteId(sha: string): number {
  return 70_000_000 + parseInt(sha.slice(0, 6), 16);
}

/** The commit's check runs as GitHub lists them: set on it by a test, else the repository's CI on every push. */
export function checkRunViews(ctx: CiContext, sha: string): CheckRunView[] {
  const at = new Date(ctx.now).toISOString();
  return (ctx.ci?.checkRuns.get(sha) ?? ctx.ci?.everyCommit ?? []).map((r, i) => {
    const id = 80_000_000 + i;
    return {
      id,
      node_id: `CR_${id}`,
      head_sha: sha,
      external_id: '',
      name: r.name,
      status: r.status,
      conclusion: r.conclusion,
      url: `${ctx.links.api}/check-runs/${id}`,
      html_url: `${ctx.links.web}/runs/${id}`,
      details_url: `${ctx.links.web}/runs/${id}`,
      started_at: at,
      completed_at: r.status === 'completed' ? at : null,
      output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${ctx.links.api}/check-runs/${id}/annotations` },
      check_suite: { id: checkSuiteId(sha) },
      app: ACTIONS_APP,
      pull_requests: [],
    };
  });
}

/** CI on every branch head and on every commit a test set CI on: what the repository's webhook announces. */
export function ciOnCommits(ctx: CiContext): CommitCiState[] {
  const heads = ctx.repository.branches().sort(([a], [b]) => Number(b === ctx.repository.defaultBranch) - Number(a === ctx.repository.defaultBranch));
  const shas = new Set([...heads.map(([, sha]) => sha), ...(ctx.ci?.checkRuns.keys() ?? []), ...(ctx.ci?.statuses.keys() ?? [])]);
  return [...shas].flatMap((sha) => {
    const commit = ctx.repository.getCommit(sha);
    if (commit === undefined) return [];
    return [
      {
        sha,
        branches: heads.filter(([, head]) => head === sha).map(([name]) => name),
        checkRuns: checkRunViews(ctx, sha),
        statuses: [...(ctx.ci?.statuses.get(sha) ?? [])],
        at: new Date(ctx.now).toISOString(),
        commit: { sha, tree: commit.tree, message: commit.message, date: new Date(commit.date).toISOString(), parents: commit.parents },
        links: ctx.links,
      },
    ];
  });
}
