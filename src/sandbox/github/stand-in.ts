import { EventEmitter } from 'node:events';
import { listenLocally } from '../listen.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Extras } from './api.js';
import { createExtras, routeAll } from './api.js';
import type { FileChanges } from './git-data.js';
import type { ApiRequest, ApiResponse } from './http.js';
import type { IssueView } from './issues.js';
import type { PullRequestView } from './pulls.js';
import { HttpError, errorResponse, notFound } from './http.js';
import { Repository } from './repository.js';
import type { CommitCi, RouteContext } from './routes.js';
import type {
  DispatchRecord,
  DeploymentReview,
  GitHubStandInOptions,
  JobView,
  PendingDeploymentView,
  ReleaseView,
  WorkflowRunView,
  WorkflowScript,
} from './types.js';
import { releaseView } from './views.js';
import type { RepoLinks } from './workflows.js';
import { Workflows } from './workflows.js';

export interface RecordedRequest {
  method: string;
  /** Decoded path without the query string, e.g. /repos/acme/shop/git/ref/tags/v1.2.0 */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  remaining: number;
}

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
  private readonly createdAt: number;
  private readonly faults: Fault[] = [];
  private outageOn = false;
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

  /** `files` writes (string) or deletes (null) files; without it the commit appends its message to CHANGELOG.md. */
  commit(branch: string, message: string, files?: FileChanges): string {
    return this.changed(this.repository.commit(branch, message, files));
  }

  /** Sets the check runs of a commit (a branch name means its head now). */
  setCheckRuns(ref: string, runs: { name: string; status?: 'queued' | 'in_progress' | 'completed'; conclusion?: string | null }[]): void {
    const sha = this.repository.resolve(ref) ?? ref;
    this.ci.checkRuns.set(sha, runs.map((r) => ({ name: r.name, status: r.status ?? 'completed', conclusion: r.conclusion === undefined ? 'success' : r.conclusion })));
    this.changed(undefined);
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

  /** Issues (pull requests left out), newest first, in the REST shape. */
  issues(): IssueView[] {
    return this.extras.issues.views(this.context());
  }

  // --- workflows ---

  /** Defines (or redefines) `.github/workflows/<file>`. */
  defineWorkflow(file: string, script: WorkflowScript): void {
    this.workflows.define(file, script);
    this.changed(undefined);
  }

  /** Every run, newest first, with its status computed now. */
  runs(): WorkflowRunView[] {
    return this.workflows.runs(this.clock());
  }

  /** Accepted workflow dispatches, oldest first. */
  dispatches(): DispatchRecord[] {
    return this.extras.dispatches.all();
  }

  /** A run's jobs computed now, as GET /actions/runs/{id}/jobs lists them. Throws for an unknown run. */
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

  // --- deployment environments ---

  /**
   * Requires a review by one of `reviewers` (logins) before a job targeting environment `name` starts.
   * Applies to jobs that have not started yet; protecting again replaces the reviewers.
   */
  protectEnvironment(name: string, reviewers: string[]): void {
    this.workflows.environments.protect(name, reviewers);
    this.changed(undefined);
  }

  /** What GET /actions/runs/{id}/pending_deployments answers now, for the token owner. Throws for an unknown run. */
  pendingDeployments(runId: number): PendingDeploymentView[] {
    const pending = this.workflows.pendingDeployments(runId, this.clock(), this.tokenOwner);
    if (pending === undefined) throw new Error(`No workflow run ${runId}`);
    return pending;
  }

  /** The run's deployment reviews, oldest first. Throws for an unknown run. */
  reviews(runId: number): DeploymentReview[] {
    return this.workflows.reviews(runId);
  }

  // --- fault injection ---

  /** The next `times` requests whose method and decoded path match answer `status` with {message}. */
  failNext(method: string, path: RegExp, status: number, times = 1): void {
    this.faults.push({ method: method.toUpperCase(), path, status, remaining: times });
  }

  /** While on, every request answers 503. */
  outage(on: boolean): void {
    this.outageOn = on;
  }

  // --- HTTP ---

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = safeDecode(url.pathname);
    const requestId = `SANDBOX:${++this.requestSeq}`;
    let body: unknown;
    let parseError = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        parseError = true;
      }
    }
    this.requests.push({ method, path, query: Object.fromEntries(url.searchParams), body });
    const response = this.answer({ method, path, rawPath: url.pathname, query: url.searchParams, body }, req.headers.authorization, parseError);
    if (method !== 'GET' && method !== 'HEAD' && response.status < 300) this.emit('change');
    send(res, response, requestId);
  }

  private answer(request: ApiRequest, authorization: string | undefined, parseError: boolean): ApiResponse {
    if (this.outageOn) return errorResponse(503);
    const fault = this.faults.find((f) => f.remaining > 0 && f.method === request.method && f.path.test(request.path));
    if (fault !== undefined) {
      fault.remaining -= 1;
      return errorResponse(fault.status);
    }
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

function send(res: ServerResponse, response: ApiResponse, requestId: string): void {
  const payload = response.status === 204 || response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...(payload === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': Buffer.byteLength(payload),
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
    'x-github-request-id': requestId,
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-used': '1',
    'x-ratelimit-reset': '4102444800',
    'x-ratelimit-resource': 'core',
    ...response.headers,
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
