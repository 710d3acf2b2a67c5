import { checkRunViews, type CommitCi } from './ci-views.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError, booleanField, notFound, objectBody, paginate, stringField, validationFailed } from './http.js';
import type { Repository } from './repository.js';
import { releaseNotes, type NotesSource } from './release-notes.js';
import { branchView, commitView, refView, releaseView, repositoryView, tagView, workflowView } from './views.js';
import type { RepoLinks, Workflows } from './workflows.js';

/** The REST routes under /repos/{owner}/{repo}. */

export interface RouteContext {
  baseUrl: string;
  links: RepoLinks;
  repository: Repository;
  workflows: Workflows;
  createdAt: number;
  now: number;
  /** The login the token belongs to. */
  tokenOwner: string;
  /** Creates a lightweight tag and starts the tag-triggered workflow runs, as a push of the tag would. */
  pushTag(name: string, sha: string): void;
  /** Check runs and commit statuses set on commits by the test or the sandbox (`setCheckRuns`, `setCommitStatus`). */
  ci?: CommitCi;
}

export type { CommitCi } from './ci-views.js';

/** The routes here also read the pull requests (api.ts's extras): generated release notes list them. */
type NotesContext = RouteContext & Pick<NotesSource, 'pulls'>;

type Handler = (ctx: NotesContext, request: ApiRequest, params: string[]) => ApiResponse;

const RELEASE_DOCS = 'https://docs.github.com/rest/releases/releases#create-a-release';

const routes: [method: string, path: RegExp, handler: Handler][] = [
  ['GET', /^$/, (ctx) => ok(repositoryView(ctx.links, ctx.repository, ctx.createdAt))],

  [
    'GET',
    /^\/branches\/(.+)$/,
    (ctx, _req, [name = '']) => {
      const sha = ctx.repository.headOf(name);
      if (sha === undefined) throw notFound('Branch not found');
      return ok(branchView(ctx.links, name, mustCommit(ctx, sha)));
    },
  ],

  [
    'GET',
    /^\/git\/ref\/((?:heads|tags)\/.+)$/,
    (ctx, _req, [ref = '']) => {
      const sha = ctx.repository.resolve(ref);
      if (sha === undefined) throw notFound();
      return ok(refView(ctx.links, `refs/${ref}`, sha));
    },
  ],

  [
    'POST',
    /^\/git\/refs$/,
    (ctx, req) => {
      const body = objectBody(req);
      const ref = stringField(body, 'ref');
      const sha = stringField(body, 'sha');
      if (ref === undefined) throw new HttpError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
      if (sha === undefined) throw new HttpError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
      const match = /^refs\/(heads|tags)\/(.+)$/.exec(ref);
      if (match === null) throw new HttpError(422, 'Reference name is invalid');
      const [, kind, name = ''] = match;
      if (ctx.repository.resolve(`${kind}/${name}`) !== undefined) throw new HttpError(422, 'Reference already exists');
      if (ctx.repository.getCommit(sha) === undefined) throw new HttpError(422, 'Object does not exist');
      if (kind === 'heads') ctx.repository.createBranch(name, sha);
      else ctx.pushTag(name, sha);
      return { status: 201, body: refView(ctx.links, ref, sha), headers: { location: `${ctx.links.api}/git/${ref}` } };
    },
  ],

  [
    'GET',
    /^\/tags$/,
    (ctx, req) => {
      const page = paginate(ctx.repository.tags(), req, ctx.baseUrl);
      return ok(
        page.items.map((t) => tagView(ctx.links, t.name, t.sha)),
        page.headers,
      );
    },
  ],

  [
    'GET',
    /^\/actions\/workflows$/,
    (ctx, req) => {
      const all = ctx.workflows.list();
      const page = paginate(all, req, ctx.baseUrl);
      const workflows = page.items.map((w) => workflowView(ctx.links, w, ctx.repository.defaultBranch));
      return ok({ total_count: all.length, workflows }, page.headers);
    },
  ],

  [
    'GET',
    /^\/actions\/workflows\/([^/]+)$/,
    (ctx, _req, [id = '']) => ok(workflowView(ctx.links, mustWorkflow(ctx, id), ctx.repository.defaultBranch)),
  ],

  ['POST', /^\/releases$/, createRelease],

  [
    'GET',
    /^\/releases$/,
    (ctx, req) => {
      const page = paginate(ctx.repository.releases(), req, ctx.baseUrl);
      return ok(
        page.items.map((r) => releaseView(ctx.links, r)),
        page.headers,
      );
    },
  ],

  [
    'GET',
    /^\/releases\/latest$/,
    (ctx) => {
      const release = ctx.repository.latestRelease();
      if (release === undefined) throw notFound();
      return ok(releaseView(ctx.links, release));
    },
  ],

  [
    'GET',
    /^\/releases\/tags\/(.+)$/,
    (ctx, _req, [tag = '']) => {
      const release = ctx.repository.release(tag);
      if (release === undefined) throw notFound();
      return ok(releaseView(ctx.links, release));
    },
  ],

  [
    'POST',
    /^\/releases\/generate-notes$/,
    (ctx, req) => {
      const body = objectBody(req);
      const tagName = stringField(body, 'tag_name');
      if (tagName === undefined) throw new HttpError(422, 'Invalid request.\n\n"tag_name" wasn\'t supplied.');
      const head = releaseHead(ctx, tagName, stringField(body, 'target_commitish'));
      const previous = stringField(body, 'previous_tag_name');
      if (previous !== undefined && ctx.repository.tag(previous) === undefined) throw notFound();
      return ok(releaseNotes(ctx, tagName, head, previous));
    },
  ],

  [
    'GET',
    /^\/compare\/(.+)$/,
    (ctx, _req, [basehead = '']) => {
      const parts = basehead.includes('...') ? basehead.split('...') : basehead.split('..');
      if (parts.length !== 2) throw notFound();
      const [base = '', head = ''] = parts;
      const baseSha = ctx.repository.resolve(base);
      const headSha = ctx.repository.resolve(head);
      if (baseSha === undefined || headSha === undefined) throw notFound();
      const comparison = ctx.repository.compare(baseSha, headSha);
      const baseCommit = mustCommit(ctx, baseSha);
      return ok({
        url: `${ctx.links.api}/compare/${base}...${head}`,
        html_url: `${ctx.links.web}/compare/${base}...${head}`,
        permalink_url: `${ctx.links.web}/compare/${baseSha}...${headSha}`,
        diff_url: `${ctx.links.web}/compare/${base}...${head}.diff`,
        patch_url: `${ctx.links.web}/compare/${base}...${head}.patch`,
        base_commit: commitView(ctx.links, baseCommit),
        merge_base_commit: commitView(ctx.links, comparison.mergeBase ?? baseCommit),
        status: comparison.status,
        ahead_by: comparison.ahead.length,
        behind_by: comparison.behind.length,
        total_commits: comparison.ahead.length,
        commits: comparison.ahead.map((c) => commitView(ctx.links, c)),
        files: [],
      });
    },
  ],

  [
    'GET',
    /^\/commits\/([^/]+)\/check-runs$/,
    (ctx, _req, [ref = '']) => {
      const sha = ctx.repository.resolve(decodeURIComponent(ref));
      if (sha === undefined) throw new HttpError(422, `No commit found for SHA: ${ref}`);
      const runs = checkRunViews(ctx, sha);
      return ok({ total_count: runs.length, check_runs: runs });
    },
  ],

  [
    'GET',
    /^\/commits\/([^/]+)\/status$/,
    (ctx, _req, [ref = '']) => {
      const sha = ctx.repository.resolve(decodeURIComponent(ref));
      if (sha === undefined) throw new HttpError(422, `No commit found for SHA: ${ref}`);
      const statuses = ctx.ci?.statuses.get(sha) ?? [];
      const state = statuses.length === 0 ? 'pending' : statuses.some((s) => s.state === 'failure' || s.state === 'error') ? 'failure' : statuses.some((s) => s.state === 'pending') ? 'pending' : 'success';
      return ok({
        state,
        sha,
        total_count: statuses.length,
        statuses: statuses.map((s, i) => ({ id: 90_000_000 + i, context: s.context, state: s.state, description: null, target_url: null })),
      });
    },
  ],
];

/** Answers a request whose path is relative to /repos/{owner}/{repo}. */
export function route(ctx: NotesContext, request: ApiRequest, path: string): ApiResponse {
  for (const [method, pattern, handler] of routes) {
    const match = pattern.exec(path);
    if (method === request.method && match !== null) return handler(ctx, request, match.slice(1));
  }
  throw notFound();
}

function createRelease(ctx: NotesContext, req: ApiRequest): ApiResponse {
  const body = objectBody(req);
  const tagName = stringField(body, 'tag_name');
  if (tagName === undefined || tagName === '') throw validationFailed('Release', 'missing_field', 'tag_name', RELEASE_DOCS);
  if (ctx.repository.release(tagName) !== undefined) throw validationFailed('Release', 'already_exists', 'tag_name', RELEASE_DOCS);
  const target = stringField(body, 'target_commitish');
  const head = releaseHead(ctx, tagName, target);
  const draft = booleanField(body, 'draft') ?? false;
  const prerelease = booleanField(body, 'prerelease') ?? false;
  const makeLatest = stringField(body, 'make_latest') ?? 'true';
  if (!['true', 'false', 'legacy'].includes(makeLatest)) throw validationFailed('Release', 'invalid', 'make_latest', RELEASE_DOCS);
  let text = stringField(body, 'body') ?? '';
  if (booleanField(body, 'generate_release_notes') === true) {
    const notes = releaseNotes(ctx, tagName, head).body;
    text = text === '' ? notes : `${text}\n\n${notes}`;
  }
  // Publishing a release for a tag that does not exist yet creates (and pushes) the tag.
  if (ctx.repository.tag(tagName) === undefined && !draft) ctx.pushTag(tagName, head);
  const release = ctx.repository.addRelease(
    {
      tagName,
      name: stringField(body, 'name') ?? tagName,
      body: text,
      draft,
      prerelease,
      targetCommitish: target ?? ctx.repository.defaultBranch,
    },
    makeLatest === 'legacy' ? 'legacy' : makeLatest === 'true',
  );
  return {
    status: 201,
    body: releaseView(ctx.links, release),
    headers: { location: `${ctx.links.api}/releases/${release.id}` },
  };
}

/** The commit a release's tag points at: the tag if it exists, else the target (default branch by default). */
function releaseHead(ctx: RouteContext, tagName: string, target: string | undefined): string {
  const existing = ctx.repository.tag(tagName);
  if (existing !== undefined) return existing.sha;
  const sha = ctx.repository.resolve(target ?? ctx.repository.defaultBranch);
  if (sha === undefined) throw validationFailed('Release', 'invalid', 'target_commitish', RELEASE_DOCS);
  return sha;
}

function mustWorkflow(ctx: RouteContext, id: string) {
  const workflow = ctx.workflows.workflow(id);
  if (workflow === undefined) throw notFound();
  return workflow;
}

function mustCommit(ctx: RouteContext, sha: string) {
  const commit = ctx.repository.getCommit(sha);
  if (commit === undefined) throw new Error(`Missing commit ${sha}`);
  return commit;
}

function ok(body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status: 200, body, headers };
}
