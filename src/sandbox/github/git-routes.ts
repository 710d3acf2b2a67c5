import type { FileChanges, Files, TreeEntry } from './git-data.js';
import { applyChanges, diffFiles, validPath } from './git-data.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError, booleanField, notFound, objectBody, paginate, stringField } from './http.js';
import type { Commit } from './repository.js';
import { SANDBOX_AUTHOR } from './repository.js';
import type { RouteContext } from './routes.js';
import type { TableRoute } from './table.js';
import { created, missingField, ok } from './table.js';
import { commitView, fileView, refView } from './views.js';
import type { RepoLinks } from './workflows.js';
import { iso, nodeId } from './workflows.js';

/** Git data routes (commits, trees, blobs, ref updates) and GET /commits, under /repos/{owner}/{repo}. */

const COMMIT_DOCS = 'https://docs.github.com/rest/git/commits#create-a-commit';
const TREE_DOCS = 'https://docs.github.com/rest/git/trees#create-a-tree';
const REF_DOCS = 'https://docs.github.com/rest/git/refs#update-a-reference';

export function gitCommitView(links: RepoLinks, commit: Commit) {
  return {
    sha: commit.sha,
    node_id: nodeId('C', commit.sha),
    url: `${links.api}/git/commits/${commit.sha}`,
    html_url: `${links.web}/commit/${commit.sha}`,
    author: { ...SANDBOX_AUTHOR, date: iso(commit.authoredAt ?? commit.date) },
    committer: { ...SANDBOX_AUTHOR, date: iso(commit.date) },
    tree: { sha: commit.tree, url: `${links.api}/git/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((p) => ({ sha: p, url: `${links.api}/git/commits/${p}`, html_url: `${links.web}/commit/${p}` })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

function treeView(links: RepoLinks, sha: string, entries: TreeEntry[]) {
  return {
    sha,
    url: `${links.api}/git/trees/${sha}`,
    tree: entries.map((e) => ({ ...e, url: `${links.api}/git/${e.type}s/${e.sha}` })),
    truncated: false,
  };
}

/** GET /commits/{ref}: the commit with its stats and files changed from its first parent. */
function fullCommitView(ctx: RouteContext, commit: Commit) {
  const { links, repository } = ctx;
  const before: Files = (commit.parent === undefined ? undefined : repository.filesAt(commit.parent)) ?? new Map();
  const files = diffFiles(repository.objects, before, repository.filesAt(commit.sha) ?? new Map()).map((d) => fileView(links, commit.sha, d));
  const additions = files.reduce((n, f) => n + f.additions, 0);
  const deletions = files.reduce((n, f) => n + f.deletions, 0);
  return { ...commitView(links, commit), stats: { total: additions + deletions, additions, deletions }, files };
}

export const gitRoutes: TableRoute<RouteContext>[] = [
  [
    'GET',
    /^\/git\/commits\/([^/]+)$/,
    (ctx, _req, [sha = '']) => {
      const commit = ctx.repository.getCommit(sha);
      if (commit === undefined) throw notFound();
      return ok(gitCommitView(ctx.links, commit));
    },
  ],

  ['POST', /^\/git\/commits$/, createCommit],

  [
    'GET',
    /^\/git\/trees\/(.+)$/,
    (ctx, req, [id = '']) => {
      // A tree sha, or (as GitHub allows) a commit sha, branch or tag whose tree is meant.
      const sha = ctx.repository.objects.hasTree(id) ? id : ctx.repository.getCommit(ctx.repository.resolve(id) ?? '')?.tree;
      const entries = sha === undefined ? undefined : ctx.repository.objects.entries(sha, req.query.has('recursive'));
      if (sha === undefined || entries === undefined) throw notFound();
      return ok(treeView(ctx.links, sha, entries));
    },
  ],

  ['POST', /^\/git\/trees$/, createTree],

  [
    'GET',
    /^\/git\/blobs\/([^/]+)$/,
    (ctx, _req, [sha = '']) => {
      const content = ctx.repository.objects.blob(sha);
      if (content === undefined) throw notFound();
      const base64 = Buffer.from(content).toString('base64');
      return ok({
        sha,
        node_id: nodeId('B', sha),
        size: Buffer.byteLength(content),
        url: `${ctx.links.api}/git/blobs/${sha}`,
        content: `${base64.replace(/.{60}/g, '$&\n')}\n`,
        encoding: 'base64',
      });
    },
  ],

  [
    'POST',
    /^\/git\/blobs$/,
    (ctx, req) => {
      const body = objectBody(req);
      const content = stringField(body, 'content');
      if (content === undefined) throw missingField('content');
      const encoding = stringField(body, 'encoding') ?? 'utf-8';
      const text = encoding === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
      const sha = ctx.repository.objects.writeBlob(text);
      return created({ url: `${ctx.links.api}/git/blobs/${sha}`, sha }, `${ctx.links.api}/git/blobs/${sha}`);
    },
  ],

  ['PATCH', /^\/git\/refs\/(.+)$/, updateRef],

  [
    'DELETE',
    /^\/git\/refs\/(.+)$/,
    (ctx, _req, [ref = '']) => {
      const [kind, name] = splitRef(ref);
      if (kind === 'heads' && name === ctx.repository.defaultBranch) throw new HttpError(422, 'Cannot delete the default branch');
      const deleted = kind === 'heads' ? ctx.repository.deleteBranch(name) : kind === 'tags' && ctx.repository.deleteTag(name);
      if (!deleted) throw new HttpError(422, 'Reference does not exist');
      return { status: 204 };
    },
  ],

  [
    'GET',
    /^\/commits$/,
    (ctx, req) => {
      const from = req.query.get('sha') ?? ctx.repository.defaultBranch;
      const head = ctx.repository.resolve(from);
      if (head === undefined) throw notFound();
      const path = req.query.get('path');
      const since = req.query.get('since');
      const until = req.query.get('until');
      const commits = ctx.repository.history(head).filter((c) => {
        if (since !== null && c.date < Date.parse(since)) return false;
        if (until !== null && c.date > Date.parse(until)) return false;
        if (path === null) return true;
        const parentFiles = c.parent === undefined ? undefined : ctx.repository.filesAt(c.parent);
        const touches = (files: Files | undefined) => [...(files ?? new Map()).entries()].filter(([p]) => p === path || p.startsWith(`${path}/`));
        return JSON.stringify(touches(parentFiles)) !== JSON.stringify(touches(ctx.repository.filesAt(c.sha)));
      });
      const page = paginate(commits, req, ctx.baseUrl);
      return ok(
        page.items.map((c) => commitView(ctx.links, c)),
        page.headers,
      );
    },
  ],

  [
    'GET',
    /^\/commits\/(?!.*\/(?:check-runs|status)$)(.+)$/,
    (ctx, _req, [ref = '']) => {
      const commit = ctx.repository.getCommit(ctx.repository.resolve(ref) ?? '');
      if (commit === undefined) throw new HttpError(422, `No commit found for SHA: ${ref}`);
      return ok(fullCommitView(ctx, commit));
    },
  ],
];

function createCommit(ctx: RouteContext, req: ApiRequest): ApiResponse {
  const body = objectBody(req);
  const message = stringField(body, 'message');
  const tree = stringField(body, 'tree');
  if (message === undefined) throw missingField('message', COMMIT_DOCS);
  if (tree === undefined) throw missingField('tree', COMMIT_DOCS);
  const parents = body.parents ?? [];
  if (!Array.isArray(parents) || !parents.every((p): p is string => typeof p === 'string')) {
    throw new HttpError(422, `Invalid request.\n\nFor 'parents', ${JSON.stringify(parents)} is not an array of strings.`, {}, COMMIT_DOCS);
  }
  if (!ctx.repository.objects.hasTree(tree)) throw new HttpError(422, 'Tree SHA does not exist', {}, COMMIT_DOCS);
  if (parents.some((p) => ctx.repository.getCommit(p) === undefined)) {
    throw new HttpError(422, 'Parent SHA does not exist or is not a commit object', {}, COMMIT_DOCS);
  }
  const commit = ctx.repository.getCommit(ctx.repository.createCommit(message, tree, parents)) as Commit;
  return created(gitCommitView(ctx.links, commit), `${ctx.links.api}/git/commits/${commit.sha}`);
}

function createTree(ctx: RouteContext, req: ApiRequest): ApiResponse {
  const body = objectBody(req);
  const { objects } = ctx.repository;
  const baseTree = stringField(body, 'base_tree');
  if (baseTree !== undefined && !objects.hasTree(baseTree)) throw new HttpError(422, 'base_tree is not a valid tree oid', {}, TREE_DOCS);
  const entries = body.tree;
  if (!Array.isArray(entries)) throw missingField('tree', TREE_DOCS);
  const changes: FileChanges = {};
  for (const raw of entries as unknown[]) {
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const path = stringField(entry, 'path');
    if (path === undefined || !validPath(path)) throw new HttpError(422, `tree.path ${JSON.stringify(path ?? null)} is invalid`, {}, TREE_DOCS);
    const content = stringField(entry, 'content');
    const sha = entry.sha === null ? null : stringField(entry, 'sha');
    if (content !== undefined && sha !== undefined) {
      throw new HttpError(422, 'Must supply either tree.sha or tree.content. Request will be rejected if both are present.', {}, TREE_DOCS);
    }
    if (content !== undefined) changes[path] = content;
    else if (sha === null) changes[path] = null;
    else if (sha === undefined) throw new HttpError(422, 'Must supply either tree.sha or tree.content', {}, TREE_DOCS);
    else if (stringField(entry, 'type') === 'tree') {
      const files = objects.files(sha);
      if (files === undefined) throw new HttpError(422, `tree.sha ${sha} is not a valid tree`, {}, TREE_DOCS);
      changes[path] = null;
      Object.assign(changes, Object.fromEntries([...files].map(([p, c]) => [`${path}/${p}`, c])));
    } else {
      const blob = objects.blob(sha);
      if (blob === undefined) throw new HttpError(422, `tree.sha ${sha} is not a valid blob`, {}, TREE_DOCS);
      changes[path] = blob;
    }
  }
  const base: Files = baseTree === undefined ? new Map() : (objects.files(baseTree) ?? new Map());
  const sha = objects.writeTree(applyChanges(base, changes));
  return created(treeView(ctx.links, sha, objects.entries(sha, false) ?? []), `${ctx.links.api}/git/trees/${sha}`);
}

function updateRef(ctx: RouteContext, req: ApiRequest, [ref = '']: string[]): ApiResponse {
  const body = objectBody(req);
  const sha = stringField(body, 'sha');
  if (sha === undefined) throw missingField('sha', REF_DOCS);
  const force = booleanField(body, 'force') ?? false;
  const [kind, name] = splitRef(ref);
  const { repository } = ctx;
  const current = kind === 'heads' ? repository.headOf(name) : kind === 'tags' ? repository.tag(name)?.sha : undefined;
  if (current === undefined) throw new HttpError(422, 'Reference does not exist', {}, REF_DOCS);
  const commit = repository.getCommit(sha);
  if (commit === undefined) throw new HttpError(422, 'Object does not exist', {}, REF_DOCS);
  if (!force && !repository.isAncestor(current, sha)) throw new HttpError(422, 'Update is not a fast forward', {}, REF_DOCS);
  if (kind === 'heads') repository.setBranch(name, sha);
  else if (current !== sha) {
    // Moving a tag pushes it again: the tag-triggered workflows run.
    repository.moveTag(name, sha);
    ctx.workflows.onTagPush(name, commit);
  }
  return ok(refView(ctx.links, `refs/${kind}/${name}`, sha));
}

/** `heads/x`, `refs/heads/x`, `tags/x` or `refs/tags/x` → [kind, name]. */
function splitRef(ref: string): [kind: string, name: string] {
  const bare = ref.replace(/^refs\//, '');
  const slash = bare.indexOf('/');
  return slash < 0 ? [bare, ''] : [bare.slice(0, slash), bare.slice(slash + 1)];
}
