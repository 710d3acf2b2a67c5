import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError, booleanField, notFound, objectBody, stringField } from './http.js';
import type { Commit, Repository } from './repository.js';
import type { RouteContext } from './routes.js';
import type { TableRoute } from './table.js';
import { missingField, ok } from './table.js';
import type { DispatchRecord } from './types.js';
import { iso, triggersOn } from './workflows.js';

/**
 * POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches: starts a `workflow_dispatch`
 * run of a workflow whose trigger includes 'dispatch', at the head of a branch or at a tag.
 */

const DOCS = 'https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event';

type InputValue = string | number | boolean;

export class Dispatches {
  private readonly list: DispatchRecord[] = [];

  record(dispatch: DispatchRecord): void {
    this.list.push(dispatch);
  }

  restore(dispatches: DispatchRecord[]): void {
    this.list.splice(0, this.list.length, ...structuredClone(dispatches));
  }

  /** Oldest first. */
  all(): DispatchRecord[] {
    return this.list.map((d) => ({ ...d, inputs: { ...d.inputs } }));
  }
}

export interface DispatchContext extends RouteContext {
  dispatches: Dispatches;
}

export const dispatchRoutes: TableRoute<DispatchContext>[] = [['POST', /^\/actions\/workflows\/([^/]+)\/dispatches$/, dispatch]];

function dispatch(ctx: DispatchContext, req: ApiRequest, [id = '']: string[]): ApiResponse {
  const workflow = ctx.workflows.workflow(id);
  if (workflow === undefined) throw notFound();
  const body = objectBody(req);
  const ref = stringField(body, 'ref');
  if (ref === undefined) throw missingField('ref', DOCS);
  const given = inputsOf(body.inputs);
  if (!triggersOn(workflow.script, 'dispatch')) throw new HttpError(422, "Workflow does not have 'workflow_dispatch' trigger", {}, DOCS);
  const target = dispatchTarget(ctx.repository, ref);
  if (target === undefined) throw new HttpError(422, `No ref found for: ${ref}`, {}, DOCS);
  const inputs = { ...given };
  const declared = workflow.script.inputs;
  if (declared !== undefined) {
    const unexpected = Object.keys(given).filter((k) => !(k in declared));
    if (unexpected.length > 0) throw new HttpError(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`, {}, DOCS);
    for (const [name, spec] of Object.entries(declared)) {
      if (name in given) continue;
      if (spec.required === true && spec.default === undefined) throw new HttpError(422, `Required input '${name}' not provided`, {}, DOCS);
      if (spec.default !== undefined) inputs[name] = spec.default;
    }
  }
  const actor = ctx.workflows.environments.user(ctx.tokenOwner);
  const runId = ctx.workflows.startRun(workflow, target.name, target.commit, 'workflow_dispatch', actor);
  ctx.dispatches.record({ workflow: workflow.file, ref, inputs, runId, at: iso(ctx.now) });
  if (booleanField(body, 'return_run_details') === true) {
    return ok({ workflow_run_id: runId, run_url: `${ctx.links.api}/actions/runs/${runId}`, html_url: `${ctx.links.web}/actions/runs/${runId}` });
  }
  return { status: 204 };
}

/** A branch or tag, bare or as refs/heads/…, refs/tags/… (GitHub takes no sha here). */
function dispatchTarget(repository: Repository, ref: string): { name: string; commit: Commit } | undefined {
  const full = /^refs\/(heads|tags)\/(.+)$/.exec(ref);
  const name = full === null ? ref : (full[2] as string);
  const sha =
    full === null
      ? (repository.headOf(ref) ?? repository.tag(ref)?.sha)
      : full[1] === 'heads'
        ? repository.headOf(name)
        : repository.tag(name)?.sha;
  const commit = sha === undefined ? undefined : repository.getCommit(sha);
  return commit === undefined ? undefined : { name, commit };
}

function inputsOf(value: unknown): Record<string, InputValue> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(422, `Invalid request.\n\nFor 'inputs', ${JSON.stringify(value)} is not an object.`, {}, DOCS);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 10) {
    throw new HttpError(422, `Invalid request.\n\nNo more than 10 properties are allowed; ${entries.length} were supplied.`, {}, DOCS);
  }
  for (const [key, v] of entries) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) {
      throw new HttpError(422, `Invalid request.\n\nFor 'properties/${key}', ${JSON.stringify(v)} is not a string.`, {}, DOCS);
    }
  }
  return Object.fromEntries(entries) as Record<string, InputValue>;
}
