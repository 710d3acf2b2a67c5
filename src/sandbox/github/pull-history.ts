import type { Files } from './git-data.js';
import { diffFiles } from './git-data.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError, notFound, objectBody, paginate } from './http.js';
import type { IssueContext } from './issues.js';
import type { PullRecord } from './pulls.js';
import { mustPull, pullLabelView, refresh, simplePullView } from './pulls.js';
import type { TableRoute } from './table.js';
import { ok, stringList } from './table.js';
import { fileView } from './views.js';

/**
 * What a release plan reads about merged work: the pull requests behind a commit
 * (GET /commits/{sha}/pulls), a pull request's files (GET /pulls/{number}/files), and labels put on a
 * pull request or issue (POST /issues/{number}/labels). Listed before git-routes.ts, whose
 * GET /commits/{ref} would otherwise take /commits/{sha}/pulls.
 */

export const pullHistoryRoutes: TableRoute<IssueContext>[] = [
  [
    'GET',
    /^\/commits\/([^/]+)\/pulls$/,
    (ctx, req, [ref = '']) => {
      const sha = ctx.repository.resolve(decodeURIComponent(ref));
      if (sha === undefined) throw new HttpError(422, `No commit found for SHA: ${ref}`);
      const page = paginate(associatedPulls(ctx, sha), req, ctx.baseUrl);
      return ok(
        page.items.map((p) => simplePullView(ctx, p)),
        page.headers,
      );
    },
  ],

  [
    'GET',
    /^\/pulls\/(\d+)\/files$/,
    (ctx, req, [n = '']) => {
      const pull = refresh(ctx, mustPull(ctx, n));
      const { repository, links } = ctx;
      const none: Files = new Map();
      const mergeBase = repository.compare(pull.baseSha, pull.headSha).mergeBase;
      const before = mergeBase === undefined ? none : (repository.filesAt(mergeBase.sha) ?? none);
      const files = diffFiles(repository.objects, before, repository.filesAt(pull.headSha) ?? none).map((d) => fileView(links, pull.headSha, d));
      const page = paginate(files, req, ctx.baseUrl);
      return ok(page.items, page.headers);
    },
  ],

  ['POST', /^\/issues\/(\d+)\/labels$/, addLabels],
];

/**
 * GitHub's contract: a commit on the default branch answers the merged pull request that introduced it
 * (its merge, squash or rebased commits, or a commit of its branch that a merge commit brought in); any
 * other commit answers the merged and open pull requests associated with it. Newest first.
 */
export function associatedPulls(ctx: IssueContext, sha: string): PullRecord[] {
  const { repository } = ctx;
  const introduced = (p: PullRecord) => p.mergeCommitSha !== undefined && repository.compare(p.baseSha, p.mergeCommitSha).ahead.some((c) => c.sha === sha);
  const carried = (p: PullRecord) => repository.compare(p.baseSha, p.headSha).ahead.some((c) => c.sha === sha);
  const merged = ctx.pulls
    .all()
    .filter((p) => p.mergedAt !== undefined)
    .sort((a, b) => (a.mergedAt ?? 0) - (b.mergedAt ?? 0));
  if (repository.isAncestor(sha, repository.defaultHead())) {
    const first = merged.find(introduced);
    return first === undefined ? [] : [first];
  }
  return ctx.pulls
    .all()
    .filter((p) => (p.mergedAt !== undefined && (introduced(p) || carried(p))) || (p.state === 'open' && carried(refresh(ctx, p))))
    .reverse();
}

function addLabels(ctx: IssueContext, req: ApiRequest, [n = '']: string[]): ApiResponse {
  const names = Array.isArray(req.body) ? stringList({ labels: req.body }, 'labels') : stringList(objectBody(req), 'labels');
  if (names === undefined) throw new HttpError(422, 'Invalid request.\n\n"labels" wasn\'t supplied.');
  const issue = ctx.issues.get(Number(n));
  if (issue !== undefined) {
    issue.labels = [...new Set([...issue.labels, ...names])];
    issue.updatedAt = ctx.now;
    return ok(issue.labels.map((name) => ctx.issues.labelView(ctx, name)));
  }
  const pull = ctx.pulls.get(Number(n));
  if (pull === undefined) throw notFound();
  pull.labelNames = [...new Set([...(pull.labelNames ?? []), ...names])];
  pull.updatedAt = ctx.now;
  return ok(pull.labelNames.map((name) => pullLabelView(ctx, name)));
}
