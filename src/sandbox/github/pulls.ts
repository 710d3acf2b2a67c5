import { createHash } from 'node:crypto';
import type { Files } from './git-data.js';
import { diffFiles, mergeFiles } from './git-data.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError, booleanField, notFound, objectBody, paginate, stringField, validationFailed } from './http.js';
import type { RouteContext } from './routes.js';
import type { TableRoute } from './table.js';
import { created, ok, ordered } from './table.js';
import { commitView, repositoryView } from './views.js';
import { iso, nodeId } from './workflows.js';

/**
 * Pull requests between branches of the repository (no forks). An open pull request follows its
 * branches' heads; merging (PUT …/merge, pull-merge.ts) moves the base branch. Numbers are shared with issues.
 */

const DOCS = 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request';

export interface PullRecord {
  number: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  draft: boolean;
  state: 'open' | 'closed';
  /** Login of the author. */
  user: string;
  createdAt: number;
  updatedAt: number;
  closedAt?: number;
  mergedAt?: number;
  mergeCommitSha?: string;
  /** Label names, set through POST /issues/{number}/labels (pull-labels.ts). */
  labelNames?: string[];
  mergedBy?: string;
  /** The branches' heads when last seen (they stay as they were once the pull request is closed). */
  headSha: string;
  baseSha: string;
}

export class Pulls {
  private readonly list: PullRecord[] = [];

  constructor(private readonly nextNumber: () => number) {}

  add(fields: Omit<PullRecord, 'number' | 'state' | 'updatedAt'>): PullRecord {
    const pull: PullRecord = { ...fields, number: this.nextNumber(), state: 'open', updatedAt: fields.createdAt };
    this.list.push(pull);
    return pull;
  }

  get(number: number): PullRecord | undefined {
    return this.list.find((p) => p.number === number);
  }

  /** Oldest first. */
  all(): PullRecord[] {
    return [...this.list];
  }

  /** Puts back the pull requests of a snapshot (their numbers come from the issues'). */
  restore(pulls: PullRecord[]): void {
    this.list.splice(0, this.list.length, ...structuredClone(pulls));
  }

  /** Newest first, in the REST shape of GET /pulls/{number}. */
  views(ctx: RouteContext) {
    return this.all()
      .reverse()
      .map((p) => pullView(ctx, p));
  }
}

export interface PullContext extends RouteContext {
  pulls: Pulls;
}

/** Refreshes the shas of an open pull request from its branches. */
export function refresh(ctx: RouteContext, pull: PullRecord): PullRecord {
  if (pull.state === 'open') {
    pull.headSha = ctx.repository.headOf(pull.head) ?? pull.headSha;
    pull.baseSha = ctx.repository.headOf(pull.base) ?? pull.baseSha;
  }
  return pull;
}

/** The files a merge of the pull request would leave on the base branch; undefined on a conflict. */
export function mergedFiles(ctx: RouteContext, pull: PullRecord): Map<string, string> | undefined {
  const { repository } = ctx;
  const mergeBase = repository.compare(pull.baseSha, pull.headSha).mergeBase;
  const none: Files = new Map();
  const at = (sha: string | undefined): Files => (sha === undefined ? none : (repository.filesAt(sha) ?? none));
  return mergeFiles(at(mergeBase?.sha), at(pull.baseSha), at(pull.headSha));
}

/** A pull request in the REST shape of `pull-request-simple` (lists, and GET /commits/{sha}/pulls). */
export function simplePullView(ctx: RouteContext, pull: PullRecord) {
  const { links } = ctx;
  refresh(ctx, pull);
  const api = `${links.api}/pulls/${pull.number}`;
  const html = `${links.web}/pull/${pull.number}`;
  const issue = `${links.api}/issues/${pull.number}`;
  const statuses = `${links.api}/statuses/${pull.headSha}`;
  const repo = repositoryView(links, ctx.repository, ctx.createdAt);
  const side = (ref: string, sha: string) => ({ label: `${links.owner.login}:${ref}`, ref, sha, user: links.owner, repo });
  return {
    url: api,
    id: 73_000_000 + pull.number,
    node_id: nodeId('PR', pull.number),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    review_comment_url: `${links.api}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: statuses,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: ctx.workflows.environments.user(pull.user),
    body: pull.body,
    labels: (pull.labelNames ?? []).map((name) => pullLabelView(ctx, name)),
    milestone: null,
    active_lock_reason: null,
    created_at: iso(pull.createdAt),
    updated_at: iso(pull.updatedAt),
    closed_at: pull.closedAt === undefined ? null : iso(pull.closedAt),
    merged_at: pull.mergedAt === undefined ? null : iso(pull.mergedAt),
    merge_commit_sha: pull.mergeCommitSha ?? null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pull.head, pull.headSha),
    base: side(pull.base, pull.baseSha),
    _links: {
      self: { href: api },
      html: { href: html },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${api}/comments` },
      review_comment: { href: `${links.api}/pulls/comments{/number}` },
      commits: { href: `${api}/commits` },
      statuses: { href: statuses },
    },
    author_association: 'MEMBER',
    auto_merge: null,
    draft: pull.draft,
  };
}

/** A label as pull request views show it (its id derived from its name). */
export function pullLabelView(ctx: RouteContext, name: string) {
  const hash = createHash('sha1').update(name).digest('hex');
  const id = 74_500_000 + Number.parseInt(hash.slice(0, 5), 16);
  return { id, node_id: nodeId('LA', id), url: `${ctx.links.api}/labels/${encodeURIComponent(name)}`, name, color: hash.slice(0, 6), default: false, description: null };
}

export function pullView(ctx: RouteContext, pull: PullRecord) {
  const simple = simplePullView(ctx, pull);
  const { repository } = ctx;
  const comparison = repository.compare(pull.baseSha, pull.headSha);
  const none: Files = new Map();
  const from = comparison.mergeBase === undefined ? none : (repository.filesAt(comparison.mergeBase.sha) ?? none);
  const changes = diffFiles(repository.objects, from, repository.filesAt(pull.headSha) ?? none);
  const mergeable = pull.state === 'open' ? mergedFiles(ctx, pull) !== undefined : null;
  return {
    ...simple,
    merged: pull.mergedAt !== undefined,
    mergeable,
    rebaseable: mergeable,
    mergeable_state: pull.state !== 'open' ? 'unknown' : pull.draft ? 'draft' : mergeable ? 'clean' : 'dirty',
    merged_by: pull.mergedBy === undefined ? null : ctx.workflows.environments.user(pull.mergedBy),
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: comparison.ahead.length,
    additions: changes.reduce((n, c) => n + c.additions, 0),
    deletions: changes.reduce((n, c) => n + c.deletions, 0),
    changed_files: changes.length,
  };
}

export type PullRequestView = ReturnType<typeof pullView>;

const custom = (message: string): HttpError =>
  new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', code: 'custom', message }] }, DOCS);

export const pullRoutes: TableRoute<PullContext>[] = [
  ['POST', /^\/pulls$/, createPull],

  [
    'GET',
    /^\/pulls$/,
    (ctx, req) => {
      const q = req.query;
      const state = q.get('state') ?? 'open';
      const head = q.get('head');
      const headBranch = head === null ? null : head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
      const headOwner = head !== null && head.includes(':') ? head.slice(0, head.indexOf(':')) : null;
      const matching = ctx.pulls.all().filter(
        (p) =>
          (state === 'all' || p.state === state) &&
          (headBranch === null || p.head === headBranch) &&
          (headOwner === null || headOwner.toLowerCase() === ctx.links.owner.login.toLowerCase()) &&
          (q.get('base') ?? p.base) === p.base,
      );
      const sort = q.get('sort') ?? 'created';
      const byTime = sort === 'updated' ? [...matching].sort((a, b) => a.updatedAt - b.updatedAt) : matching;
      const pulls = ordered(byTime, q.get('direction'), sort === 'created' ? 'desc' : 'asc');
      const page = paginate(pulls, req, ctx.baseUrl);
      return ok(
        page.items.map((p) => simplePullView(ctx, p)),
        page.headers,
      );
    },
  ],

  ['GET', /^\/pulls\/(\d+)$/, (ctx, _req, [n = '']) => ok(pullView(ctx, mustPull(ctx, n)))],

  [
    'PATCH',
    /^\/pulls\/(\d+)$/,
    (ctx, req, [n = '']) => {
      const pull = refresh(ctx, mustPull(ctx, n));
      const body = objectBody(req);
      const state = stringField(body, 'state');
      if (state !== undefined && state !== 'open' && state !== 'closed') throw validationFailed('PullRequest', 'invalid', 'state', DOCS);
      if (state === 'open' && pull.mergedAt !== undefined) throw validationFailed('PullRequest', 'invalid', 'state', DOCS);
      pull.title = stringField(body, 'title') ?? pull.title;
      pull.body = stringField(body, 'body') ?? pull.body;
      const base = stringField(body, 'base');
      if (base !== undefined && ctx.repository.headOf(base) === undefined) throw validationFailed('PullRequest', 'invalid', 'base', DOCS);
      pull.base = base ?? pull.base;
      if (state === 'closed' && pull.state === 'open') pull.closedAt = ctx.now;
      if (state === 'open') delete pull.closedAt;
      pull.state = (state as 'open' | 'closed' | undefined) ?? pull.state;
      pull.updatedAt = ctx.now;
      return ok(pullView(ctx, pull));
    },
  ],

  [
    'GET',
    /^\/pulls\/(\d+)\/commits$/,
    (ctx, req, [n = '']) => {
      const pull = refresh(ctx, mustPull(ctx, n));
      const page = paginate(ctx.repository.compare(pull.baseSha, pull.headSha).ahead, req, ctx.baseUrl);
      return ok(
        page.items.map((c) => commitView(ctx.links, c)),
        page.headers,
      );
    },
  ],
];

export function mustPull(ctx: PullContext, n: string): PullRecord {
  const pull = ctx.pulls.get(Number(n));
  if (pull === undefined) throw notFound();
  return pull;
}

function createPull(ctx: PullContext, req: ApiRequest): ApiResponse {
  const body = objectBody(req);
  const title = stringField(body, 'title');
  const headField = stringField(body, 'head');
  const base = stringField(body, 'base');
  if (title === undefined || title === '') throw validationFailed('PullRequest', 'missing_field', 'title', DOCS);
  if (headField === undefined) throw validationFailed('PullRequest', 'missing_field', 'head', DOCS);
  if (base === undefined) throw validationFailed('PullRequest', 'missing_field', 'base', DOCS);
  const colon = headField.indexOf(':');
  const owner = colon < 0 ? ctx.links.owner.login : headField.slice(0, colon);
  const head = colon < 0 ? headField : headField.slice(colon + 1);
  const { repository } = ctx;
  const baseSha = repository.headOf(base);
  if (baseSha === undefined) throw validationFailed('PullRequest', 'invalid', 'base', DOCS);
  const headSha = owner.toLowerCase() === ctx.links.owner.login.toLowerCase() ? repository.headOf(head) : undefined;
  if (headSha === undefined) throw validationFailed('PullRequest', 'invalid', 'head', DOCS);
  const label = `${ctx.links.owner.login}:${head}`;
  if (ctx.pulls.all().some((p) => p.state === 'open' && p.head === head && p.base === base)) {
    throw custom(`A pull request already exists for ${label}.`);
  }
  if (repository.compare(baseSha, headSha).ahead.length === 0) throw custom(`No commits between ${base} and ${headField}`);
  const pull = ctx.pulls.add({
    title,
    body: stringField(body, 'body') ?? null,
    head,
    base,
    draft: booleanField(body, 'draft') ?? false,
    user: ctx.tokenOwner,
    createdAt: ctx.now,
    headSha,
    baseSha,
  });
  return created(pullView(ctx, pull), `${ctx.links.api}/pulls/${pull.number}`);
}
