/** Public types of the GitHub stand-in: scripts that describe workflows, and the REST shapes it answers. */

export interface WorkflowJobScript {
  name: string;
  /** Step names; the job's duration is split equally between them. Default: Set up job, Run <name>, Complete job. */
  steps?: string[];
  durationMs: number;
  outcome?: 'success' | 'failure';
  /**
   * The deployment environment the job targets (`environment:`). When it is protected (see
   * GitHubStandIn.protectEnvironment), the job waits for a review before it starts.
   */
  environment?: string;
}

/**
 * A workflow that runs on every push of refs/tags/* (a tag ref created through the API or by a release)
 * with 'tag', that can be dispatched (POST …/dispatches, `on: workflow_dispatch`) with 'dispatch', or both.
 */
export interface WorkflowScript {
  trigger: WorkflowTrigger | WorkflowTrigger[];
  /**
   * The workflow_dispatch inputs it declares. When set, a dispatch with an undeclared input or without a
   * required one answers 422, and defaults fill the inputs left out; when unset, any inputs are accepted.
   */
  inputs?: Record<string, { required?: boolean; default?: string }>;
  /** The workflow's `name:`; default the file name without its extension. */
  name?: string;
  jobs: WorkflowJobScript[];
}

export type WorkflowTrigger = 'tag' | 'dispatch';

/** One accepted POST /actions/workflows/{workflow_id}/dispatches. */
export interface DispatchRecord {
  /** The workflow's file name, e.g. deploy-production.yml. */
  workflow: string;
  /** The ref as given (a branch or tag name, or refs/heads/…, refs/tags/…). */
  ref: string;
  /** The inputs given, with declared defaults for those left out. */
  inputs: Record<string, string | number | boolean>;
  runId: number;
  /** ISO 8601. */
  at: string;
}

export interface GitHubStandInOptions {
  owner?: string;
  repo?: string;
  token?: string;
  defaultBranch?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Milliseconds since the epoch; run progression and every timestamp read it. Default Date.now. */
  clock?: () => number;
  /** The login the token belongs to: the reviewer of deployments reviewed through the API. Default 'tminus-bot'. */
  tokenOwner?: string;
  /**
   * How long after its creation (on `clock`) a run appears in GET /actions/runs and
   * GET /actions/workflows/{id}/runs, as on GitHub where a new run shows up in listings seconds later.
   * GET /actions/runs/{id} answers at once. Default 2000.
   */
  runListingDelayMs?: number;
}

/** What `outage(...)` takes besides a boolean: 5xx answers, or GitHub's secondary rate limit (429). */
export interface OutageOptions {
  status: 500 | 502 | 503 | 429;
  /** Sent as `retry-after` (seconds) when set. */
  retryAfterSeconds?: number;
}

/** The optional fifth argument of `failNext`. */
export interface FailNextOptions {
  /** The request takes effect (a dispatch creates its run, a tag push starts runs…) and then answers the error: the answer is lost. */
  afterProcessing?: boolean;
}

/** 'waiting': a job waits for the review of a protected environment (the run then waits too). */
export type RunStatus = 'queued' | 'in_progress' | 'completed' | 'waiting';
export type RunConclusion = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface Actor {
  login: string;
  id: number;
  node_id: string;
  type: 'User' | 'Bot' | 'Organization';
  html_url: string;
}

export interface StepView {
  name: string;
  number: number;
  status: RunStatus;
  conclusion: RunConclusion | null;
  started_at: string | null;
  completed_at: string | null;
}

export interface JobView {
  id: number;
  run_id: number;
  run_url: string;
  run_attempt: number;
  node_id: string;
  head_sha: string;
  head_branch: string;
  url: string;
  html_url: string;
  status: RunStatus;
  conclusion: RunConclusion | null;
  created_at: string;
  started_at: string;
  completed_at: string | null;
  name: string;
  workflow_name: string;
  steps: StepView[];
  check_run_url: string;
  labels: string[];
  runner_id: number | null;
  runner_name: string | null;
  runner_group_id: number | null;
  runner_group_name: string | null;
}

export interface WorkflowRunView {
  id: number;
  name: string;
  node_id: string;
  head_branch: string;
  head_sha: string;
  path: string;
  display_title: string;
  run_number: number;
  run_attempt: number;
  event: 'push' | 'workflow_dispatch';
  status: RunStatus;
  conclusion: RunConclusion | null;
  workflow_id: number;
  check_suite_id: number;
  url: string;
  html_url: string;
  jobs_url: string;
  logs_url: string;
  cancel_url: string;
  rerun_url: string;
  /** The API URL of the previous attempt; null for a first attempt. */
  previous_attempt_url: string | null;
  workflow_url: string;
  pull_requests: never[];
  created_at: string;
  updated_at: string;
  run_started_at: string;
  actor: Actor;
  triggering_actor: Actor;
  head_commit: {
    id: string;
    tree_id: string;
    message: string;
    timestamp: string;
    author: { name: string; email: string };
    committer: { name: string; email: string };
  };
  repository: { id: number; node_id: string; name: string; full_name: string; owner: Actor; html_url: string };
}

export interface ReleaseView {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  assets_url: string;
  upload_url: string;
  tarball_url: string;
  zipball_url: string;
  tag_name: string;
  target_commitish: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  created_at: string;
  published_at: string | null;
  author: Actor;
  assets: never[];
}

export type DeploymentReviewState = 'approved' | 'rejected';

/** One review of a run's pending deployments, as recorded by the stand-in. */
export interface DeploymentReview {
  /** The environments the review settled (those requested that were pending and that the reviewer may review). */
  environmentIds: number[];
  state: DeploymentReviewState;
  comment: string;
  /** Login of the reviewer (the token owner for reviews through the API). */
  reviewer: string;
  /** ISO 8601. */
  at: string;
}

export interface EnvironmentView {
  id: number;
  node_id: string;
  name: string;
  url: string;
  html_url: string;
}

/** One entry of GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals (the run's review history). */
export interface ApprovalView {
  state: DeploymentReviewState;
  comment: string;
  environments: (EnvironmentView & { created_at: string; updated_at: string })[];
  user: UserView;
}

export interface UserView extends Actor {
  avatar_url: string;
  gravatar_id: string;
  url: string;
  site_admin: boolean;
}

/** GET /repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments lists these. */
export interface PendingDeploymentView {
  environment: EnvironmentView;
  wait_timer: number;
  wait_timer_started_at: string | null;
  current_user_can_approve: boolean;
  reviewers: { type: 'User'; reviewer: UserView }[];
}

/** A deployment, as POST .../pending_deployments answers them. */
export interface DeploymentView {
  url: string;
  id: number;
  node_id: string;
  sha: string;
  ref: string;
  task: string;
  payload: Record<string, never>;
  original_environment: string;
  environment: string;
  description: string | null;
  creator: Actor;
  created_at: string;
  updated_at: string;
  statuses_url: string;
  repository_url: string;
  transient_environment: boolean;
  production_environment: boolean;
  performed_via_github_app: null;
}

/** GET /repos/{owner}/{repo}/environments/{environment_name}: the environment with its protection rules. */
export interface EnvironmentWithRulesView extends EnvironmentView {
  created_at: string;
  updated_at: string;
  protection_rules: RequiredReviewersRuleView[];
  deployment_branch_policy: null;
}

export interface RequiredReviewersRuleView {
  id: number;
  node_id: string;
  prevent_self_review: boolean;
  type: 'required_reviewers';
  reviewers: { type: 'User'; reviewer: UserView }[];
}

/** The states GitHub Actions sets on the deployment of a job that targets an environment. */
/** The states GitHub's REST description lists that the stand-in gives (it has no `waiting`). */
export type DeploymentState = 'queued' | 'in_progress' | 'success' | 'failure';

/** GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses lists these, newest first. */
export interface DeploymentStatusView {
  url: string;
  id: number;
  node_id: string;
  state: DeploymentState;
  creator: Actor;
  description: string;
  environment: string;
  target_url: string;
  log_url: string;
  environment_url: string;
  created_at: string;
  updated_at: string;
  deployment_url: string;
  repository_url: string;
  performed_via_github_app: null;
}

/** A request the stand-in received. */
export interface RecordedRequest {
  method: string;
  /** Decoded path without the query string, e.g. /repos/acme/shop/git/ref/tags/v1.2.0 */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
}
