import { applyChanges, changesBetween } from './git-data.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError, objectBody, stringField } from './http.js';
import type { PullContext } from './pulls.js';
import { mergedFiles, mustPull, refresh } from './pulls.js';
import type { TableRoute } from './table.js';
import { ok } from './table.js';

/** PUT /repos/{owner}/{repo}/pulls/{number}/merge: merge (a merge commit), squash or rebase onto the base branch. */

const MERGE_DOCS = 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request';

export const mergeRoutes: TableRoute<PullContext>[] = [['PUT', /^\/pulls\/(\d+)\/merge$/, mergePull]];

function mergePull(ctx: PullContext, req: ApiRequest, [n = '']: string[]): ApiResponse {
  const pull = refresh(ctx, mustPull(ctx, n));
  const body = objectBody(req);
  const method = stringField(body, 'merge_method') ?? 'merge';
  if (!['merge', 'squash', 'rebase'].includes(method)) {
    throw new HttpError(422, `Invalid request.\n\nFor 'merge_method', ${JSON.stringify(method)} is not one of ["merge", "squash", "rebase"].`, {}, MERGE_DOCS);
  }
  const expected = stringField(body, 'sha');
  if (pull.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable', {}, MERGE_DOCS);
  if (pull.draft) throw new HttpError(405, 'Pull Request is still a draft', {}, MERGE_DOCS);
  if (expected !== undefined && expected !== pull.headSha) {
    throw new HttpError(409, 'Head branch was modified. Review and try the merge again.', {}, MERGE_DOCS);
  }
  const files = mergedFiles(ctx, pull);
  if (files === undefined) throw new HttpError(405, 'Pull Request is not mergeable', {}, MERGE_DOCS);
  const { repository } = ctx;
  const title = stringField(body, 'commit_title');
  const message = stringField(body, 'commit_message');
  let sha: string;
  if (method === 'rebase') {
    // Replays each commit's changes on the base, one commit each.
    sha = pull.baseSha;
    for (const c of repository.compare(pull.baseSha, pull.headSha).ahead.filter((c) => c.parents.length < 2)) {
      const before = (c.parent === undefined ? undefined : repository.filesAt(c.parent)) ?? new Map<string, string>();
      const changes = changesBetween(before, repository.filesAt(c.sha) ?? new Map());
      const tree = repository.objects.writeTree(applyChanges(repository.filesAt(sha) ?? new Map(), changes));
      sha = repository.createCommit(c.message, tree, [sha]);
    }
  } else {
    const tree = repository.objects.writeTree(files);
    const defaultTitle = method === 'squash' ? `${pull.title} (#${pull.number})` : `Merge pull request #${pull.number} from ${ctx.links.owner.login}/${pull.head}`;
    const text = [title ?? defaultTitle, message ?? (method === 'merge' ? pull.title : '')].filter((s) => s !== '').join('\n\n');
    sha = repository.createCommit(text, tree, method === 'squash' ? [pull.baseSha] : [pull.baseSha, pull.headSha]);
  }
  repository.setBranch(pull.base, sha);
  Object.assign(pull, { state: 'closed', closedAt: ctx.now, mergedAt: ctx.now, updatedAt: ctx.now, mergeCommitSha: sha, mergedBy: ctx.tokenOwner });
  return ok({ sha, merged: true, message: 'Pull Request successfully merged' });
}
