import { ACTIONS_APP, checkSuiteId, type CheckRunView, type CommitCiState } from './ci-views.js';
import { SANDBOX_AUTHOR } from './repository.js';

/** A delivery to send: its event and its payload, without `repository` and `sender` (the hook adds them). */
export type CiEvent = [event: 'check_run' | 'check_suite' | 'status', payload: Record<string, unknown>];

const GREEN = ['success', 'neutral', 'skipped'];

/**
 * What GitHub sends as CI moves on commits, from how it stands now and what was announced before (`seen`,
 * updated): check_run completed for each check run that finished (or finished again differently), then
 * check_suite completed once every run of the commit's suite has, and status for each context that changed.
 * Shapes as @octokit/openapi-webhooks-types describes them (test/sandbox/github-ci-webhooks.test.ts checks the keys).
 */
export function ciEvents(states: readonly CommitCiState[], seen: Map<string, string>): CiEvent[] {
  const events: CiEvent[] = [];
  const changed = (key: string, value: string) => seen.get(key) !== value && (seen.set(key, value), true);
  for (const state of states) {
    const suite = suiteView(state);
    for (const run of state.checkRuns) {
      if (changed(`${state.sha}:run:${run.name}`, `${run.status}:${run.conclusion ?? ''}`) && run.status === 'completed') {
        events.push(['check_run', { action: 'completed', check_run: { ...run, check_suite: simpleSuite(state) } }]);
      }
    }
    if (state.checkRuns.length > 0 && changed(`${state.sha}:suite`, `${suite.status}:${suite.conclusion ?? ''}`) && suite.status === 'completed') {
      events.push(['check_suite', { action: 'completed', check_suite: suite }]);
    }
    for (const status of state.statuses) {
      if (changed(`${state.sha}:status:${status.context}`, status.state)) events.push(['status', statusPayload(state, status)]);
    }
  }
  return events;
}

/** The commit's check suite (GitHub Actions' one) as a check run names it: its runs' outcome, on the first branch the commit heads. */
function simpleSuite(state: CommitCiState) {
  const runs: CheckRunView[] = state.checkRuns;
  const completed = runs.every((r) => r.status === 'completed');
  const conclusion = !completed ? null : runs.every((r) => GREEN.includes(r.conclusion ?? '')) ? 'success' : 'failure';
  const id = checkSuiteId(state.sha);
  return {
    id,
    node_id: `CS_${id}`,
    head_branch: state.branches[0] ?? null,
    head_sha: state.sha,
    status: completed ? 'completed' : 'in_progress',
    conclusion,
    url: `${state.links.api}/check-suites/${id}`,
    before: state.commit.parents[0] ?? null,
    after: state.sha,
    pull_requests: [],
    app: ACTIONS_APP,
    created_at: runs[0]?.started_at ?? state.at,
    updated_at: state.at,
  };
}

/** The check suite as the check_suite webhook shows it. */
function suiteView(state: CommitCiState) {
  const suite = simpleSuite(state);
  const author = { ...SANDBOX_AUTHOR };
  return {
    ...suite,
    check_runs_url: `${suite.url}/check-runs`,
    latest_check_runs_count: state.checkRuns.length,
    head_commit: { id: state.sha, tree_id: state.commit.tree, message: state.commit.message, timestamp: state.commit.date, author, committer: author },
  };
}

function statusPayload(state: CommitCiState, status: CommitCiState['statuses'][number]): Record<string, unknown> {
  const sha = state.sha;
  const commitUrl = `${state.links.api}/commits/${sha}`;
  const person = { name: SANDBOX_AUTHOR.name, email: SANDBOX_AUTHOR.email, date: state.commit.date };
  return {
    id: 90_000_000 + parseInt(sha.slice(0, 6), 16),
    sha,
    name: state.links.fullName,
    context: status.context,
    state: status.state,
    description: null,
    target_url: null,
    avatar_url: null,
    commit: {
      sha,
      node_id: `C_${sha.slice(0, 12)}`,
      url: commitUrl,
      html_url: `${state.links.web}/commit/${sha}`,
      comments_url: `${commitUrl}/comments`,
      author: null,
      committer: null,
      parents: state.commit.parents.map((p) => ({ sha: p, url: `${state.links.api}/commits/${p}`, html_url: `${state.links.web}/commit/${p}` })),
      commit: {
        author: person,
        committer: person,
        message: state.commit.message,
        tree: { sha: state.commit.tree, url: `${state.links.api}/git/trees/${state.commit.tree}` },
        url: `${state.links.api}/git/commits/${sha}`,
        comment_count: 0,
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null },
      },
    },
    branches: state.branches.map((name) => ({ name, commit: { sha, url: commitUrl }, protected: false })),
    created_at: state.at,
    updated_at: state.at,
  };
}
