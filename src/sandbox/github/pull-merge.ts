import { applyChanges, changesBetween, type FileChanges } from './git-data.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError, objectBody, stringField } from './http.js';
import type { PullContext, PullRecord } from './pulls.js';
import { mergedFiles, mustPull, refresh } from './pulls.js';
import type { TableRoute } from './table.js';
import { ok } from './table.js';

/**
 * PUT /repos/{owner}/{repo}/pulls/{number}/merge: merge (a merge commit), squash or rebase onto the base
 * branch. The commit it makes is the pull request's `merge_commit_sha`, which GET /commits/{sha}/pulls
 * answers with the pull request (pull-history.ts). `openAndMerge` is the same merge for the sandbox's world.
 */

const MERGE_DOCS = 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request';

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export const mergeRoutes: TableRoute<PullContext>[] = [['PUT', /^\/pulls\/(\d+)\/merge$/, mergePull]];

function mergePull(ctx: PullContext, req: ApiRequest, [n = '']: string[]): ApiResponse {
  const pull = refresh(ctx, mustPull(ctx, n));
  const body = objectBody(req);
  const method = stringField(body, 'merge_method') ?? 'merge';
  if (!isMergeMethod(method)) {
    throw new HttpError(422, `Invalid request.\n\nFor 'merge_method', ${JSON.stringify(method)} is not one of ["merge", "squash", "rebase"].`, {}, MERGE_DOCS);
  }
  const expected = stringField(body, 'sha');
  if (expected !== undefined && pull.state === 'open' && !pull.draft && expected !== pull.headSha) {
    throw new HttpError(409, 'Head branch was modified. Review and try the merge again.', {}, MERGE_DOCS);
  }
  const title = stringField(body, 'commit_title');
  const message = stringField(body, 'commit_message');
  const sha = mergePullRequest(ctx, pull, { method, by: ctx.tokenOwner, ...(title === undefined ? {} : { title }), ...(message === undefined ? {} : { message }) });
  return ok({ sha, merged: true, message: 'Pull Request successfully merged' });
}

function isMergeMethod(method: string): method is MergeMethod {
  return method === 'merge' || method === 'squash' || method === 'rebase';
}

/** Merges an open pull request as GitHub does: the base branch moves to the commit made; its sha. */
export function mergePullRequest(ctx: PullContext, pull: PullRecord, options: { method: MergeMethod; by: string; title?: string; message?: string }): string {
  refresh(ctx, pull);
  if (pull.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable', {}, MERGE_DOCS);
  if (pull.draft) throw new HttpError(405, 'Pull Request is still a draft', {}, MERGE_DOCS);
  const files = mergedFiles(ctx, pull);
  if (files === undefined) throw new HttpError(405, 'Pull Request is not mergeable', {}, MERGE_DOCS);
  const { repository } = ctx;
  let sha: string;
  if (options.method === 'rebase') {
    // Replays each commit's changes on the base, one commit each.
    sha = pull.baseSha;
    for (const c of repository.compare(pull.baseSha, pull.headSha).ahead.filter((c) => c.parents.length < 2)) {
      const before = (c.parent === undefined ? undefined : repository.filesAt(c.parent)) ?? new Map<string, string>();
      const changes = changesBetween(before, repository.filesAt(c.sha) ?? new Map());
      const tree = repository.objects.writeTree(applyChanges(repository.filesAt(sha) ?? new Map(), changes));
      sha = repository.createCommit(c.message, tree, [sha]);
    }
  } else {
    const squash = options.method === 'squash';
    const tree = repository.objects.writeTree(files);
    const defaultTitle = squash ? `${pull.title} (#${pull.number})` : `Merge pull request #${pull.number} from ${ctx.links.owner.login}/${pull.head}`;
    const text = [options.title ?? defaultTitle, options.message ?? (squash ? '' : pull.title)].filter((s) => s !== '').join('\n\n');
    sha = repository.createCommit(text, tree, squash ? [pull.baseSha] : [pull.baseSha, pull.headSha]);
  }
  repository.setBranch(pull.base, sha);
  Object.assign(pull, { state: 'closed', closedAt: ctx.now, mergedAt: ctx.now, updatedAt: ctx.now, mergeCommitSha: sha, mergedBy: options.by });
  return sha;
}

export interface OpenAndMerge {
  title: string;
  /** The branch merged into (the default branch unless said): a hotfix branch takes its fix this way. */
  base?: string;
  /** Who opened it (a login); the token's owner unless said. */
  author?: string;
  /** The files its one commit writes (null deletes); without them the commit adds its title to CHANGELOG.md. */
  files?: FileChanges;
  /** When its commit was written (ms), where that is earlier than now: the start of its lead time. */
  writtenAt?: number;
  method?: MergeMethod;
}

/**
 * What a person does on GitHub to land a change: a branch from `base` with one commit, a pull request from
 * it, merged (squashed unless said), the head branch deleted as GitHub's "automatically delete head
 * branches" does. Throws for an unknown base.
 */
export function openAndMerge(ctx: PullContext, options: OpenAndMerge): { number: number; sha: string } {
  const { repository } = ctx;
  const base = options.base ?? repository.defaultBranch;
  const baseSha = repository.headOf(base);
  if (baseSha === undefined) throw new Error(`No branch ${base} to merge into`);
  const head = freeBranchName(ctx, options.title);
  repository.createBranch(head, baseSha);
  const headSha = repository.commit(head, options.title, options.files, options.writtenAt);
  const author = options.author ?? ctx.tokenOwner;
  const pull = ctx.pulls.add({ title: options.title, body: null, head, base, draft: false, user: author, createdAt: options.writtenAt ?? ctx.now, headSha, baseSha });
  const sha = mergePullRequest(ctx, pull, { method: options.method ?? 'squash', by: author });
  repository.deleteBranch(head);
  return { number: pull.number, sha };
}

/** A branch name from a title ("fix: rounding in receipts" → "fix/rounding-in-receipts"), unused so far. */
function freeBranchName(ctx: PullContext, title: string): string {
  const match = /^(\w+)(?:\([^)]*\))?!?:\s*(.*)$/.exec(title);
  const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'change';
  const name = match ? `${slug(match[1] ?? '')}/${slug(match[2] ?? '')}` : `change/${slug(title)}`;
  const taken = new Set([...ctx.repository.branches().map(([b]) => b), ...ctx.pulls.all().map((p) => p.head)]);
  let candidate = name;
  for (let i = 2; taken.has(candidate); i += 1) candidate = `${name}-${i}`;
  return candidate;
}
