import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError, booleanField, createdFilter, notFound, objectBody, paginate, stringField } from './http.js';
import type { RouteContext } from './routes.js';
import type { TableRoute } from './table.js';
import { ok } from './table.js';
import type { ApprovalView } from './types.js';
import type { Workflow } from './workflows.js';
import { ConflictError } from './workflows.js';

/**
 * The REST routes about workflow runs: listings (where a run appears only `listingDelayMs` after its
 * creation), a run and its attempts, jobs, cancel, re-runs, deletion, and deployment reviews.
 */

const REVIEW_DOCS = 'https://docs.github.com/rest/actions/workflow-runs#review-pending-deployments-for-a-workflow-run';
const RERUN_DOCS = 'https://docs.github.com/rest/actions/workflow-runs#re-run-a-workflow';
const RERUN_FAILED_DOCS = 'https://docs.github.com/rest/actions/workflow-runs#re-run-failed-jobs-from-a-workflow-run';

export const runRoutes: TableRoute<RouteContext>[] = [
  ['GET', /^\/actions\/workflows\/([^/]+)\/runs$/, (ctx, req, [id = '']) => listRuns(ctx, req, mustWorkflow(ctx, id).id)],
  ['GET', /^\/actions\/runs$/, (ctx, req) => listRuns(ctx, req, undefined)],
  ['GET', /^\/actions\/runs\/(\d+)$/, (ctx, _req, [id = '']) => ok(ctx.workflows.run(mustRun(ctx, id), ctx.now))],

  [
    'DELETE',
    /^\/actions\/runs\/(\d+)$/,
    (ctx, _req, [id = '']) => {
      ctx.workflows.delete(mustRun(ctx, id));
      return { status: 204 };
    },
  ],

  [
    'GET',
    /^\/actions\/runs\/(\d+)\/attempts\/(\d+)$/,
    (ctx, _req, [id = '', attempt = '']) => {
      const view = ctx.workflows.attempt(mustRun(ctx, id), Number(attempt), ctx.now);
      if (view === undefined) throw notFound();
      return ok(view);
    },
  ],

  [
    'GET',
    /^\/actions\/runs\/(\d+)\/jobs$/,
    (ctx, req, [id = '']) => {
      const filter = req.query.get('filter') === 'all' ? 'all' : 'latest';
      const jobs = ctx.workflows.jobs(mustRun(ctx, id), ctx.now, filter) ?? [];
      const page = paginate(jobs, req, ctx.baseUrl);
      return ok({ total_count: jobs.length, jobs: page.items }, page.headers);
    },
  ],

  [
    'POST',
    /^\/actions\/runs\/(\d+)\/cancel$/,
    (ctx, _req, [id = '']) => {
      refused(() => ctx.workflows.cancel(mustRun(ctx, id), ctx.now));
      return { status: 202, body: {} };
    },
  ],

  ['POST', /^\/actions\/runs\/(\d+)\/rerun$/, (ctx, req, [id = '']) => rerun(ctx, req, id, false)],
  ['POST', /^\/actions\/runs\/(\d+)\/rerun-failed-jobs$/, (ctx, req, [id = '']) => rerun(ctx, req, id, true)],

  [
    'GET',
    /^\/actions\/runs\/(\d+)\/pending_deployments$/,
    (ctx, _req, [id = '']) => ok(ctx.workflows.pendingDeployments(mustRun(ctx, id), ctx.now, ctx.tokenOwner)),
  ],

  ['POST', /^\/actions\/runs\/(\d+)\/pending_deployments$/, reviewPendingDeployments],

  [
    'GET',
    /^\/actions\/runs\/(\d+)\/approvals$/,
    (ctx, _req, [id = '']) => {
      const { environments } = ctx.workflows;
      const history = ctx.workflows.reviews(mustRun(ctx, id)).map(
        (r): ApprovalView => ({
          state: r.state,
          comment: r.comment,
          environments: r.environmentIds.flatMap((e) => {
            const environment = environments.byId(e);
            return environment === undefined ? [] : [environments.datedView(environment)];
          }),
          user: environments.user(r.reviewer),
        }),
      );
      return ok(history);
    },
  ],
];

function rerun(ctx: RouteContext, req: ApiRequest, id: string, failedOnly: boolean): ApiResponse {
  const runId = mustRun(ctx, id);
  const body = objectBody(req);
  booleanField(body, 'enable_debug_logging');
  const actor = ctx.workflows.environments.user(ctx.tokenOwner);
  refused(() => ctx.workflows.rerun(runId, ctx.now, { failedOnly, actor }), failedOnly ? RERUN_FAILED_DOCS : RERUN_DOCS);
  return { status: 201, body: {} };
}

/** As GitHub: only pending deployments the token owner may review are settled; none answers 422. */
function reviewPendingDeployments(ctx: RouteContext, req: ApiRequest, [id = '']: string[]): ApiResponse {
  const runId = mustRun(ctx, id);
  const body = objectBody(req);
  const missing = (field: string): HttpError => new HttpError(422, `Invalid request.\n\n"${field}" wasn't supplied.`, {}, REVIEW_DOCS);
  const environmentIds = body.environment_ids;
  if (environmentIds === undefined || environmentIds === null) throw missing('environment_ids');
  if (!Array.isArray(environmentIds) || !environmentIds.every((e) => Number.isInteger(e))) {
    throw new HttpError(422, `Invalid request.\n\nFor 'environment_ids', ${JSON.stringify(environmentIds)} is not an array of integers.`, {}, REVIEW_DOCS);
  }
  const state = stringField(body, 'state');
  if (state === undefined) throw missing('state');
  if (state !== 'approved' && state !== 'rejected') {
    throw new HttpError(422, `Invalid request.\n\nFor 'state', ${JSON.stringify(state)} is not one of ["approved", "rejected"].`, {}, REVIEW_DOCS);
  }
  const comment = stringField(body, 'comment');
  if (comment === undefined) throw missing('comment');
  const deployments = ctx.workflows.reviewDeployments(runId, ctx.now, {
    environmentIds: environmentIds as number[],
    state,
    comment,
    reviewer: ctx.tokenOwner,
  });
  if (deployments === undefined) {
    throw new HttpError(422, 'Validation Failed', { errors: 'No pending deployment requests to approve or reject' }, REVIEW_DOCS);
  }
  return ok(deployments);
}

function listRuns(ctx: RouteContext, req: ApiRequest, workflowId: number | undefined): ApiResponse {
  const q = req.query;
  const created = q.get('created');
  const inWindow = created === null ? () => true : createdFilter(created);
  const runs = ctx.workflows.listedRuns(ctx.now, workflowId).filter((run) => {
    const status = q.get('status');
    return (
      (q.get('event') ?? run.event) === run.event &&
      (q.get('branch') ?? run.head_branch) === run.head_branch &&
      (q.get('head_sha') ?? run.head_sha) === run.head_sha &&
      (status === null || status === run.status || status === run.conclusion) &&
      inWindow(Date.parse(run.created_at))
    );
  });
  const page = paginate(runs, req, ctx.baseUrl);
  return ok({ total_count: runs.length, workflow_runs: page.items }, page.headers);
}

/** Runs `action`, turning a refusal because of the run's state into GitHub's answer. */
function refused(action: () => void, documentationUrl?: string): void {
  try {
    action();
  } catch (error) {
    if (error instanceof ConflictError) throw new HttpError(error.status, error.message, {}, documentationUrl);
    throw error;
  }
}

/** The run's id, or 404 for a run that does not exist (or no longer does). */
function mustRun(ctx: RouteContext, id: string): number {
  const runId = Number(id);
  if (!ctx.workflows.has(runId)) throw notFound();
  return runId;
}

function mustWorkflow(ctx: RouteContext, id: string): Workflow {
  const workflow = ctx.workflows.workflow(id);
  if (workflow === undefined) throw notFound();
  return workflow;
}
