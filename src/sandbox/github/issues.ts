import { createHash } from 'node:crypto';
import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError, notFound, objectBody, paginate, stringField, validationFailed } from './http.js';
import type { PullContext, PullRecord } from './pulls.js';
import type { RouteContext } from './routes.js';
import type { TableRoute } from './table.js';
import { created, ok, ordered, stringList } from './table.js';
import { iso, nodeId } from './workflows.js';

/**
 * Issues with labels and assignees. Issue and pull request numbers share one sequence, and GET /issues
 * lists pull requests too (with a `pull_request` key), as GitHub does.
 */

const DOCS = 'https://docs.github.com/rest/issues/issues#create-an-issue';

export interface IssueRecord {
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  /** Logins. */
  assignees: string[];
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  /** Login of the author. */
  user: string;
  createdAt: number;
  updatedAt: number;
  closedAt?: number;
}

export interface IssuesSnapshot {
  list: IssueRecord[];
  labelIds: Map<string, number>;
  lastNumber: number;
}

export class Issues {
  private readonly list: IssueRecord[] = [];
  private readonly labelIds = new Map<string, number>();
  private lastNumber = 0;

  snapshot(): IssuesSnapshot {
    return structuredClone({ list: this.list, labelIds: this.labelIds, lastNumber: this.lastNumber });
  }

  restore(snapshot: IssuesSnapshot): void {
    const copy = structuredClone(snapshot);
    this.list.splice(0, this.list.length, ...copy.list);
    this.labelIds.clear();
    for (const [name, id] of copy.labelIds) this.labelIds.set(name, id);
    this.lastNumber = copy.lastNumber;
  }

  /** The next issue or pull request number. */
  nextNumber(): number {
    this.lastNumber += 1;
    return this.lastNumber;
  }

  add(fields: Pick<IssueRecord, 'title' | 'body' | 'labels' | 'assignees' | 'user' | 'createdAt'>): IssueRecord {
    const issue: IssueRecord = { ...fields, number: this.nextNumber(), state: 'open', stateReason: null, updatedAt: fields.createdAt };
    this.list.push(issue);
    return issue;
  }

  get(number: number): IssueRecord | undefined {
    return this.list.find((i) => i.number === number);
  }

  /** Oldest first. */
  all(): IssueRecord[] {
    return [...this.list];
  }

  /** Newest first, in the REST shape (pull requests left out). */
  views(ctx: RouteContext) {
    return this.all()
      .reverse()
      .map((i) => issueView(ctx, this, i));
  }

  labelView(ctx: RouteContext, name: string) {
    let id = this.labelIds.get(name);
    if (id === undefined) {
      id = 74_000_001 + this.labelIds.size;
      this.labelIds.set(name, id);
    }
    return {
      id,
      node_id: nodeId('LA', id),
      url: `${ctx.links.api}/labels/${encodeURIComponent(name)}`,
      name,
      color: createHash('sha1').update(name).digest('hex').slice(0, 6),
      default: false,
      description: null,
    };
  }
}

export interface IssueContext extends PullContext {
  issues: Issues;
}

export function issueView(ctx: RouteContext, issues: Issues, issue: IssueRecord | PullRecord) {
  const { links } = ctx;
  const api = `${links.api}/issues/${issue.number}`;
  const pull = 'head' in issue ? issue : undefined;
  const record = 'labels' in issue ? issue : undefined;
  const html = `${links.web}/${pull === undefined ? 'issues' : 'pull'}/${issue.number}`;
  const assignees = (record?.assignees ?? []).map((login) => ctx.workflows.environments.user(login));
  return {
    id: (pull === undefined ? 72_000_000 : 72_500_000) + issue.number,
    node_id: nodeId(pull === undefined ? 'I' : 'PRI', issue.number),
    url: api,
    repository_url: links.api,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: html,
    number: issue.number,
    state: issue.state,
    state_reason: record?.stateReason ?? null,
    title: issue.title,
    body: issue.body,
    user: ctx.workflows.environments.user(issue.user),
    labels: (record?.labels ?? []).map((name) => issues.labelView(ctx, name)),
    assignee: assignees[0] ?? null,
    assignees,
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: 0,
    ...(pull === undefined
      ? {}
      : {
          pull_request: {
            url: `${links.api}/pulls/${pull.number}`,
            html_url: html,
            diff_url: `${html}.diff`,
            patch_url: `${html}.patch`,
            merged_at: pull.mergedAt === undefined ? null : iso(pull.mergedAt),
          },
          draft: pull.draft,
        }),
    closed_at: issue.closedAt === undefined ? null : iso(issue.closedAt),
    created_at: iso(issue.createdAt),
    updated_at: iso(issue.updatedAt),
    author_association: 'MEMBER',
  };
}

export type IssueView = ReturnType<typeof issueView>;

export const issueRoutes: TableRoute<IssueContext>[] = [
  ['POST', /^\/issues$/, createIssue],
  ['GET', /^\/issues$/, listIssues],

  [
    'GET',
    /^\/issues\/(\d+)$/,
    (ctx, _req, [n = '']) => {
      const issue = ctx.issues.get(Number(n)) ?? ctx.pulls.get(Number(n));
      if (issue === undefined) throw notFound();
      return ok(issueView(ctx, ctx.issues, issue));
    },
  ],

  [
    'PATCH',
    /^\/issues\/(\d+)$/,
    (ctx, req, [n = '']) => {
      // Pull requests are edited through PATCH /pulls/{number} here.
      const issue = ctx.issues.get(Number(n));
      if (issue === undefined) throw notFound();
      const body = objectBody(req);
      const state = stringField(body, 'state');
      if (state !== undefined && state !== 'open' && state !== 'closed') throw validationFailed('Issue', 'invalid', 'state', DOCS);
      const reason = stringField(body, 'state_reason');
      if (reason !== undefined && !['completed', 'not_planned', 'reopened'].includes(reason)) {
        throw validationFailed('Issue', 'invalid', 'state_reason', DOCS);
      }
      issue.title = stringField(body, 'title') ?? issue.title;
      issue.body = stringField(body, 'body') ?? issue.body;
      issue.labels = stringList(body, 'labels') ?? issue.labels;
      issue.assignees = stringList(body, 'assignees') ?? issue.assignees;
      if (state === 'closed' && issue.state === 'open') {
        Object.assign(issue, { state, closedAt: ctx.now, stateReason: reason ?? 'completed' });
      } else if (state === 'open' && issue.state === 'closed') {
        Object.assign(issue, { state, stateReason: 'reopened' });
        delete issue.closedAt;
      }
      issue.updatedAt = ctx.now;
      return ok(issueView(ctx, ctx.issues, issue));
    },
  ],
];

function createIssue(ctx: IssueContext, req: ApiRequest): ApiResponse {
  const body = objectBody(req);
  const title = stringField(body, 'title');
  if (title === undefined || title === '') throw validationFailed('Issue', 'missing_field', 'title', DOCS);
  const assignees = stringList(body, 'assignees') ?? [];
  const assignee = stringField(body, 'assignee');
  const issue = ctx.issues.add({
    title,
    body: stringField(body, 'body') ?? null,
    labels: [...new Set(stringList(body, 'labels') ?? [])],
    assignees: [...new Set(assignee === undefined ? assignees : [assignee, ...assignees])],
    user: ctx.tokenOwner,
    createdAt: ctx.now,
  });
  return created(issueView(ctx, ctx.issues, issue), `${ctx.links.api}/issues/${issue.number}`);
}

/** GET /issues: state (open), labels (all of them), assignee (login, none or *), creator, since, sort, direction. */
function listIssues(ctx: IssueContext, req: ApiRequest): ApiResponse {
  const q = req.query;
  const state = q.get('state') ?? 'open';
  if (!['open', 'closed', 'all'].includes(state)) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'Issue', field: 'state', code: 'invalid' }] });
  const labels = (q.get('labels') ?? '').split(',').map((l) => l.trim()).filter((l) => l !== '');
  const assignee = q.get('assignee');
  const creator = q.get('creator');
  const since = q.get('since');
  const sinceMs = since === null ? -Infinity : Date.parse(since);
  const all: (IssueRecord | PullRecord)[] = [...ctx.issues.all(), ...ctx.pulls.all()].sort((a, b) => a.number - b.number);
  const matching = all.filter((i) => {
    const ownLabels = 'labels' in i ? i.labels : [];
    const ownAssignees = 'assignees' in i ? i.assignees : [];
    return (
      (state === 'all' || i.state === state) &&
      labels.every((l) => ownLabels.some((o) => o.toLowerCase() === l.toLowerCase())) &&
      (assignee === null ||
        (assignee === 'none' ? ownAssignees.length === 0 : assignee === '*' ? ownAssignees.length > 0 : ownAssignees.includes(assignee))) &&
      (creator === null || i.user === creator) &&
      i.updatedAt >= sinceMs
    );
  });
  const sort = q.get('sort') ?? 'created';
  const byTime = sort === 'updated' ? [...matching].sort((a, b) => a.updatedAt - b.updatedAt) : matching;
  const page = paginate(ordered(byTime, q.get('direction')), req, ctx.baseUrl);
  return ok(
    page.items.map((i) => issueView(ctx, ctx.issues, i)),
    page.headers,
  );
}
