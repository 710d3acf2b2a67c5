import { EventEmitter } from 'node:events';
import { listenLocally } from '../listen.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Extras } from './api.js';
import { createExtras, routeAll } from './api.js';
import type { FileChanges } from './git-data.js';
import type { ApiRequest, ApiResponse } from './http.js';
import type { IssueView } from './issues.js';
import type { PullRequestView } from './pulls.js';
import { openAndMerge, type OpenAndMerge } from './pull-merge.js';
import { Faults, failure } from './faults.js';
import { HttpError, errorResponse, notFound } from './http.js';
import { Repository } from './repository.js';
import type { CommitCi, RouteContext } from './routes.js';
import { ciOnCommits, type CommitCiState } from './ci-views.js';
import type {
  DispatchRecord,
  DeploymentReview,
  DeploymentReviewState,
  DeploymentView,
  FailNextOptions,
  GitHubStandInOptions,
  JobView,
  OutageOptions,
  PendingDeploymentView,
  RecordedRequest,
  ReleaseView,
  WorkflowRunView,
  WorkflowScript,
} from './types.js';
import { releaseView } from './views.js';
import { restoreParts, snapshotOf, type GitHubParts, type GitHubSnapshot } from './snapshot.js';
import { readRequest, send } from './wire.js';
import type { RepoLinks } from './workflows.js';
import { Workflows } from './workflows.js';

/**
 * A local GitHub REST API for one repository, for a real Octokit to talk to. Deterministic: commit
 * shas, ids and run progress depend only on what was done and on the clock. Emits 'change' after any
 * state change (run progress that only follows the clock is computed at each read and emits nothing).
 */
export class GitHubStandIn extends EventEmitter {
  readonly url: string;
  readonly owner: string;
  readonly repo: string;
  readonly fullName: string;
  readonly token: string;
  /** The login the token belongs to: the reviewer of deployments reviewed through the API. */
  readonly tokenOwner: string;
  readonly requests: RecordedRequest[] = [];

  private readonly clock: () => number;
  private readonly links: RepoLinks;
  private readonly repository: Repository;
  private readonly workflows: Workflows;
  /** Dispatches, pull requests and issues. */
  private readonly extras: Extras = createExtras();
  private createdAt: number;
  private readonly faults = new Faults();
  private readonly ci: CommitCi = { checkRuns: new Map(), statuses: new Map() };
  private requestSeq = 0;

  static async start(options: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
    const { server, url } = await listenLocally(options.port);
    return new GitHubStandIn(server, url, options);
  }

  private constructor(
    private readonly server: Server,
    url: string,
    options: GitHubStandInOptions,
  ) {
    super();
    this.url = url;
    this.owner = options.owner ?? 'acme';
    this.repo = options.repo ?? 'shop';
    this.fullName = `${this.owner}/${this.repo}`;
    this.token = options.token ?? 'ghs_test';
    this.tokenOwner = options.tokenOwner ?? 'tminus-bot';
    this.clock = options.clock ?? Date.now;
    this.createdAt = this.clock();
    this.links = {
      api: `${url}/repos/${this.fullName}`,
      web: `${url}/${this.fullName}`,
      owner: { login: this.owner, id: 70_000_001, node_id: 'O_acme', type: 'Organization', html_url: `${url}/${this.owner}` },
      repoId: 60_000_001,
      name: this.repo,
      fullName: this.fullName,
    };
    this.repository = new Repository(options.defaultBranch ?? 'main', this.clock, this.links.web);
    this.workflows = new Workflows(this.links, this.clock);
    this.setRunListingDelay(options.runListingDelayMs ?? 2000);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, errorResponse(500, String(error)), '0');
        else res.destroy();
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error === undefined ? resolve() : reject(error)));
      this.server.closeAllConnections();
    });
  }

  // --- repository model ---

  /**
   * `files` writes (string) or deletes (null) files; without it the commit appends its message to CHANGELOG.md.
   * `authoredAt`: the author's date, as a commit written earlier and pushed now carries it.
   */
  commit(branch: string, message: string, files?: FileChanges, options: { authoredAt?: Date } = {}): string {
    return this.changed(this.repository.commit(branch, message, files, options.authoredAt?.getTime()));
  }

  /** Sets the check runs of a commit (a branch name means its head now). */
  setCheckRuns(ref: string, runs: { name: string; status?: 'queued' | 'in_progress' | 'completed'; conclusion?: string | null }[]): void {
    const sha = this.repository.resolve(ref) ?? ref;
    this.ci.checkRuns.set(sha, runs.map((r) => ({ name: r.name, status: r.status ?? 'completed', conclusion: r.conclusion === undefined ? 'success' : r.conclusion })));
    this.changed(undefined);
  }

  /**
   * The repository's CI on every push: commits that no test set check runs on report these (completed and
   * successful unless said). Off by default: a bare repository has no check at all, which is not green.
   */
  runCiOnEveryCommit(runs: { name: string; status?: 'queued' | 'in_progress' | 'completed'; conclusion?: string | null }[]): void {
    this.ci.everyCommit = runs.map((r) => ({ name: r.name, status: r.status ?? 'completed', conclusion: r.conclusion === undefined ? 'success' : r.conclusion }));
    this.changed(undefined);
  }

  /** CI on every branch head and every commit CI was set on (with the branches each heads): what the webhook announces. */
  ciOnCommits(): CommitCiState[] {
    return ciOnCommits(this.context());
  }

  /** Sets (or replaces) one commit status context of a commit. */
  setCommitStatus(ref: string, context: string, state: 'pending' | 'success' | 'failure' | 'error'): void {
    const sha = this.repository.resolve(ref) ?? ref;
    const list = (this.ci.statuses.get(sha) ?? []).filter((s) => s.context !== context);
    this.ci.statuses.set(sha, [...list, { context, state }]);
    this.changed(undefined);
  }

  createBranch(name: string, from?: string): string {
    return this.changed(this.repository.createBranch(name, from));
  }

  headOf(branch: string): string | undefined {
    return this.repository.headOf(branch);
  }

  /** Every branch and its head, the default branch first. */
  branches(): { name: string; sha: string }[] {
    const all = this.repository.branches().map(([name, sha]) => ({ name, sha }));
    return [...all.filter((b) => b.name === this.repository.defaultBranch), ...all.filter((b) => b.name !== this.repository.defaultBranch)];
  }

  /** The branch's commits (the default branch when none is named), newest first. */
  log(branch?: string): { sha: string; message: string; date: string }[] {
    const head = this.repository.headOf(branch ?? this.repository.defaultBranch);
    if (head === undefined) return [];
    return this.repository.history(head).map((c) => ({ sha: c.sha, message: c.message, date: new Date(c.date).toISOString() }));
  }

  /** A lightweight tag that already exists: starts no workflow. */
  addTag(name: string, sha?: string): void {
    this.repository.addTag(name, sha ?? this.repository.defaultHead());
    this.changed(undefined);
  }

  /** Newest first, as GET /tags lists them. */
  tags(): { name: string; sha: string }[] {
    return this.repository.tags().map(({ name, sha }) => ({ name, sha }));
  }

  /** A published release that already exists (and becomes latest); its tag is added at the default branch head if missing. */
  addRelease(tagName: string): void {
    if (this.repository.tag(tagName) === undefined) this.repository.addTag(tagName, this.repository.defaultHead());
    this.repository.addRelease(
      { tagName, name: tagName, body: '', draft: false, prerelease: false, targetCommitish: this.repository.defaultBranch },
      true,
    );
    this.changed(undefined);
  }

  /** Newest first, in the REST shape. */
  releases(): ReleaseView[] {
    return this.repository.releases().map((r) => releaseView(this.links, r));
  }

  /** The files (path → content) of a commit's tree (by sha, branch or tag) or of a tree sha. Throws for an unknown one. */
  treeOf(ref: string): Record<string, string> {
    const sha = this.repository.resolve(ref);
    const files = this.repository.objects.files(ref) ?? (sha === undefined ? undefined : this.repository.filesAt(sha));
    if (files === undefined) throw new Error(`Unknown commit or tree ${ref}`);
    return Object.fromEntries(files);
  }

  /** A commit (by sha, branch or tag): its tree's sha, its parents, its message. Throws for an unknown one. */
  commitInfo(ref: string): { tree: string; parents: string[]; message: string } {
    const commit = this.repository.getCommit(this.repository.resolve(ref) ?? '');
    if (commit === undefined) throw new Error(`Unknown commit ${ref}`);
    return { tree: commit.tree, parents: [...commit.parents], message: commit.message };
  }

  /** Pull requests, newest first, in the REST shape of GET /pulls/{number}. */
  pulls(): PullRequestView[] {
    return this.extras.pulls.views(this.context());
  }

  /**
   * A change landed as a person lands it on GitHub: a branch off `base` (the default branch unless said) with
   * one commit, a pull request, merged (squashed unless said), the branch deleted. See pull-merge.ts.
   */
  mergePullRequest(options: OpenAndMerge): { number: number; sha: string } {
    return this.changed(openAndMerge({ ...this.context(), ...this.extras }, options));
  }

  /** Issues (pull requests left out), newest first, in the REST shape. */
  issues(): IssueView[] {
    return this.extras.issues.views(this.context());
  }

  /** The repository, runs, pull requests, issues, CI and environments, for world-store.ts. */
  snapshot(): GitHubSnapshot {
    return snapshotOf(this.parts(), this.createdAt);
  }

  /** Puts back a snapshot's world; runs go on from where they were on the clock. Workflows defined since are redefined over it. */
  restore(snapshot: GitHubSnapshot): void {
    restoreParts(this.parts(), snapshot);
    this.createdAt = snapshot.createdAt;
    this.changed(undefined);
  }

  // --- workflows ---

  /** Defines (or redefines) `.github/workflows/<file>`. */
  defineWorkflow(file: string, script: WorkflowScript): void {
    this.workflows.define(file, script);
    this.changed(undefined);
  }

  /**
   * How long after its creation (on the stand-in's clock) a run appears in GET /actions/runs and
   * GET /actions/workflows/{id}/runs. GET /actions/runs/{id} and runs() show it at once.
   */
  setRunListingDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`A listing delay is a number of milliseconds ≥ 0, not ${ms}`);
    this.workflows.listingDelayMs = ms;
  }

  /** Every run (listed or not yet), newest first, with its status computed now. */
  runs(): WorkflowRunView[] {
    return this.workflows.runs(this.clock());
  }

  /** Accepted workflow dispatches, oldest first. */
  dispatches(): DispatchRecord[] {
    return this.extras.dispatches.all();
  }

  /** A run's jobs computed now, as GET /actions/runs/{id}/jobs lists them (its latest attempt). Throws for an unknown run. */
  jobs(runId: number): JobView[] {
    const jobs = this.workflows.jobs(runId, this.clock());
    if (jobs === undefined) throw new Error(`No workflow run ${runId}`);
    return jobs;
  }

  /** Throws for an unknown run or job, or a job that has already completed. */
  failJob(runId: number, jobName: string): void {
    this.workflows.failJob(runId, jobName, this.clock());
    this.changed(undefined);
  }

  /** Throws for an unknown or already completed run (the REST route answers 409 then). */
  cancelRun(runId: number): void {
    this.workflows.cancel(runId, this.clock());
    this.changed(undefined);
  }

  /**
   * Re-runs a completed run now, as POST /actions/runs/{id}/rerun (or …/rerun-failed-jobs with
   * `failedOnly`) does: run_attempt goes up, the run is queued again and progresses from now; with
   * `failedOnly` the jobs before the first one that did not succeed keep their results. `by` is the
   * login shown as triggering_actor (default: the run's actor). Throws for an unknown run, a run that
   * has not completed, or `failedOnly` on a run where nothing failed (the routes answer 403 then).
   */
  rerun(runId: number, options: { failedOnly?: boolean; by?: string } = {}): void {
    const actor = options.by === undefined ? undefined : this.workflows.environments.user(options.by);
    this.workflows.rerun(runId, this.clock(), { failedOnly: options.failedOnly === true, ...(actor === undefined ? {} : { actor }) });
    this.changed(undefined);
  }

  /** Deletes a run, as someone in GitHub's UI might: every route about it answers 404 afterwards. Throws for an unknown run. */
  deleteRun(runId: number): void {
    this.workflows.delete(runId);
    this.changed(undefined);
  }

  // --- deployment environments ---

  /**
   * Requires a review by one of `reviewers` (logins) before a job targeting environment `name` starts.
   * Applies to jobs that have not started yet; protecting again replaces the reviewers.
   */
  protectEnvironment(name: string, reviewers: string[]): void {
    this.workflows.environments.protect(name, reviewers);
    this.changed(undefined);
  }

  /** Creates environment `name` without protection (GitHub also does when a run's job names it); an existing one is kept. */
  defineEnvironment(name: string): void {
    this.workflows.environments.ensure(name);
    this.changed(undefined);
  }

  /** What GET /actions/runs/{id}/pending_deployments answers now, for the token owner. Throws for an unknown run. */
  pendingDeployments(runId: number): PendingDeploymentView[] {
    const pending = this.workflows.pendingDeployments(runId, this.clock(), this.tokenOwner);
    if (pending === undefined) throw new Error(`No workflow run ${runId}`);
    return pending;
  }

  /** The deployments the run's jobs made (every attempt), newest first, in the REST shape. */
  runDeployments(runId: number): DeploymentView[] {
    return this.workflows.deploymentViews(this.clock()).filter((d) => d.runId === runId).map((d) => d.view);
  }

  /** The run's deployment reviews (REST and reviewAs, every attempt), oldest first. Throws for an unknown run. */
  reviews(runId: number): DeploymentReview[] {
    return this.workflows.reviews(runId);
  }

  /**
   * Reviews the run's pending deployments as `login`, someone clicking in GitHub's UI: every environment
   * the run waits for now that `login` is a required reviewer of is approved (the job starts now) or
   * rejected (the job fails now), as the REST review does, and the review joins the run's history
   * (GET …/approvals). Throws for an unknown run, or when nothing waits for `login`'s review.
   */
  reviewAs(runId: number, login: string, state: DeploymentReviewState, comment = ''): DeploymentView[] {
    const now = this.clock();
    const environmentIds = this.workflows.reviewable(runId, now, login);
    const deployments = this.workflows.reviewDeployments(runId, now, { environmentIds, state, comment, reviewer: login });
    if (deployments === undefined) throw new Error(`Run ${runId} has no pending deployment that ${login} may review`);
    return this.changed(deployments);
  }

  // --- fault injection ---

  /**
   * The next `times` requests whose method and decoded path match answer `status` with GitHub's error body
   * (429: its secondary rate limit). By default they are not processed; with `afterProcessing` they take
   * effect first (a dispatch creates its run…) and the answer is lost.
   */
  failNext(method: string, path: RegExp, status: number, times = 1, options: FailNextOptions = {}): void {
    this.faults.failNext(method, path, status, times, options);
  }

  /**
   * While on, every request answers the same error, unprocessed: `true` is 503; `{ status, retryAfterSeconds }`
   * picks 500, 502, 503 or 429 (GitHub's secondary rate limit, with its rate-limit headers) and a
   * `retry-after` header. `false` ends it.
   */
  outage(on: boolean | OutageOptions): void {
    this.faults.outage(on);
  }

  // --- HTTP ---

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { request, parseError } = await readRequest(req, this.url);
    const requestId = `SANDBOX:${++this.requestSeq}`;
    const { method, path, query, body } = request;
    this.requests.push({ method, path, query: Object.fromEntries(query), body });
    const { response, processed } = this.answer(request, req.headers.authorization, parseError, requestId);
    if (method !== 'GET' && method !== 'HEAD' && processed.status < 300) this.emit('change');
    send(res, response, requestId);
  }

  /** `processed` is what the request did; `response` what the client gets (a failure may replace it). */
  private answer(request: ApiRequest, authorization: string | undefined, parseError: boolean, requestId: string): { response: ApiResponse; processed: ApiResponse } {
    const down = this.faults.outageAnswer(requestId);
    if (down !== undefined) return { response: down, processed: down };
    const fault = this.faults.take(request.method, request.path);
    if (fault !== undefined && !fault.afterProcessing) {
      const response = failure(fault.status, requestId);
      return { response, processed: response };
    }
    const processed = this.process(request, authorization, parseError);
    return { response: fault === undefined ? processed : failure(fault.status, requestId), processed };
  }

  private process(request: ApiRequest, authorization: string | undefined, parseError: boolean): ApiResponse {
    const credentials = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? '');
    if (credentials === null) return errorResponse(401, 'Requires authentication');
    if (credentials[1] !== this.token) return errorResponse(401, 'Bad credentials');
    if (parseError) return errorResponse(400, 'Problems parsing JSON');
    try {
      const prefix = `/repos/${this.fullName}`.toLowerCase();
      const lower = request.path.toLowerCase();
      if (lower !== prefix && !lower.startsWith(`${prefix}/`)) throw notFound();
      return routeAll(this.context(), this.extras, request, request.path.slice(prefix.length));
    } catch (error) {
      if (error instanceof HttpError) return error.toResponse();
      return errorResponse(500, error instanceof Error ? error.message : String(error));
    }
  }

  private parts(): GitHubParts {
    return { repository: this.repository, workflows: this.workflows, extras: this.extras, ci: this.ci };
  }

  private context(): RouteContext {
    return {
      baseUrl: this.url,
      links: this.links,
      repository: this.repository,
      workflows: this.workflows,
      createdAt: this.createdAt,
      now: this.clock(),
      tokenOwner: this.tokenOwner,
      ci: this.ci,
      pushTag: (name, sha) => {
        this.repository.addTag(name, sha);
        const commit = this.repository.getCommit(sha);
        if (commit !== undefined) this.workflows.onTagPush(name, commit);
      },
    };
  }

  private changed<T>(value: T): T {
    this.emit('change');
    return value;
  }
}

