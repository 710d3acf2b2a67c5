import type { ApiRequest } from './http.js';
import { notFound, paginate } from './http.js';
import type { RouteContext } from './routes.js';
import type { TableRoute } from './table.js';
import { ok } from './table.js';
import { deploymentStatusViews, jobDeploymentView, type JobDeployment } from './deployments.js';

/**
 * The REST routes about deployments and environments: GET …/deployments (filtered by `sha`, `ref`, `task`,
 * `environment`, paged with GitHub's Link header), one deployment, its statuses, and one environment with its
 * protection rules. Unknown deployments and environments answer 404, as GitHub does.
 */

export const deploymentRoutes: TableRoute<RouteContext>[] = [
  [
    'GET',
    /^\/deployments$/,
    (ctx, req) => {
      const listed = ctx.workflows.deployments(ctx.now).filter((d) => matches(d, req)).map((d) => jobDeploymentView(ctx.links, d));
      const page = paginate(listed, req, ctx.baseUrl);
      return ok(page.items, page.headers);
    },
  ],
  ['GET', /^\/deployments\/(\d+)$/, (ctx, _req, [id = '']) => ok(jobDeploymentView(ctx.links, mustDeployment(ctx, id)))],
  [
    'GET',
    /^\/deployments\/(\d+)\/statuses$/,
    (ctx, req, [id = '']) => {
      const page = paginate(deploymentStatusViews(ctx.links, mustDeployment(ctx, id)), req, ctx.baseUrl);
      return ok(page.items, page.headers);
    },
  ],
  [
    'GET',
    /^\/environments\/([^/]+)$/,
    (ctx, _req, [name = '']) => {
      const environment = ctx.workflows.environments.byName(name);
      if (environment === undefined) throw notFound();
      return ok(ctx.workflows.environments.fullView(environment));
    },
  ],
];

function matches(deployment: JobDeployment, req: ApiRequest): boolean {
  const q = req.query;
  const wanted = (key: string, value: string): boolean => q.get(key) === null || q.get(key) === value;
  return (
    wanted('sha', deployment.run.headCommit.sha) &&
    wanted('ref', deployment.run.headBranch) &&
    wanted('task', 'deploy') &&
    wanted('environment', deployment.environment)
  );
}

function mustDeployment(ctx: RouteContext, id: string): JobDeployment {
  const deployment = ctx.workflows.deployments(ctx.now).find((d) => d.id === Number(id));
  if (deployment === undefined) throw notFound();
  return deployment;
}
