/**
 * Which workflow run is a release's own. A webhook delivery names a run but proves nothing (workflow_job and
 * deployment_protection_rule payloads carry no workflow path, and any workflow may run on a tag push): a
 * run is the release's only when what GitHub says of the run itself matches what the release expects.
 */

/** A run as GitHub's `GET /actions/runs/{id}` describes it: the fields that say whose it is. */
export interface RunIdentity {
  /** e.g. `.github/workflows/deploy-production.yml`. */
  workflowPath: string;
  /** What started it: `push`, `workflow_dispatch`, … */
  event: string;
  /** The tag (or branch) it ran for; GitHub answers null for some events. */
  headBranch: string | null;
  headSha: string;
}

/** What the release's run must be: its workflow file, the events that may start it, its tag and the tagged commit. */
export interface ExpectedRun {
  workflow: string;
  events: readonly string[];
  tag: string;
  sha: string;
}

/** `.github/workflows/deploy-production.yml` is the workflow `deploy-production.yml` (GitHub keeps workflows in that folder, no deeper). */
export function isWorkflowFile(path: string | undefined, workflow: string): boolean {
  return path !== undefined && (path === workflow || path === `.github/workflows/${workflow}`);
}

/** Why `run` is not the expected run (the first field that differs), or undefined when it is. */
export function runMismatch(run: RunIdentity, expected: ExpectedRun): string | undefined {
  if (!isWorkflowFile(run.workflowPath, expected.workflow)) return `its workflow is ${run.workflowPath}, not ${expected.workflow}`;
  if (!expected.events.includes(run.event)) return `it was started by ${run.event}, not ${expected.events.join(' or ')}`;
  if (run.headBranch !== expected.tag) return `it ran for ${run.headBranch ?? 'no ref'}, not ${expected.tag}`;
  if (run.headSha !== expected.sha) return `it ran on ${run.headSha.slice(0, 7)}, not the tagged ${expected.sha.slice(0, 7)}`;
  return undefined;
}

export function isOwnRun(run: RunIdentity, expected: ExpectedRun): boolean {
  return runMismatch(run, expected) === undefined;
}
