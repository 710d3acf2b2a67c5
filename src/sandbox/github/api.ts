import { deploymentRoutes } from './deployment-routes.js';
import { Dispatches, dispatchRoutes } from './dispatch.js';
import { gitRoutes } from './git-routes.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { Issues, issueRoutes } from './issues.js';
import { pullHistoryRoutes } from './pull-history.js';
import { mergeRoutes } from './pull-merge.js';
import { Pulls, pullRoutes } from './pulls.js';
import type { RouteContext } from './routes.js';
import { route } from './routes.js';
import { runRoutes } from './run-routes.js';
import type { TableRoute } from './table.js';
import { matchRoute } from './table.js';

/** Every REST route under /repos/{owner}/{repo}: the tables beside routes.ts first, then routes.ts. */

/** State that the routes beside routes.ts keep. */
export interface Extras {
  dispatches: Dispatches;
  pulls: Pulls;
  issues: Issues;
}

export function createExtras(): Extras {
  const issues = new Issues();
  return { dispatches: new Dispatches(), pulls: new Pulls(() => issues.nextNumber()), issues };
}

type FullContext = RouteContext & Extras;

const tables: TableRoute<FullContext>[] = [
  ...pullHistoryRoutes,
  ...gitRoutes,
  ...dispatchRoutes,
  ...runRoutes,
  ...deploymentRoutes,
  ...pullRoutes,
  ...mergeRoutes,
  ...issueRoutes,
];

/** Answers a request whose path is relative to /repos/{owner}/{repo}. */
export function routeAll(ctx: RouteContext, extras: Extras, request: ApiRequest, path: string): ApiResponse {
  const full = { ...ctx, ...extras };
  return matchRoute(tables, full, request, path) ?? route(full, request, path);
}
