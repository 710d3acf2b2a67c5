import { runMismatch, type ExpectedRun } from '../domain/own-run.js';
import type { Release } from '../integrations/database/release-store.js';
import type { DeployRun } from '../integrations/github.js';
import type { JobContext } from './context.js';

/**
 * The deploy run a release expects: a push of its tag, at the tagged commit, running the deploy workflow
 * (or the backport workflow the release recorded); once tminus dispatched the production workflow
 * (`productionApproval.mode: dispatch`), that workflow's `workflow_dispatch` run on the tag. Undefined before
 * the tag's commit is fixed.
 */
export function expectedDeployRun(
  ctx: Pick<JobContext, 'deployWorkflow'>,
  release: Pick<Release, 'version' | 'targetSha' | 'backport' | 'productionDispatch'>,
): ExpectedRun | undefined {
  if (!release.targetSha) return undefined;
  const dispatched = release.productionDispatch;
  if (dispatched?.runId !== undefined) return expectedDispatchedRun(dispatched.workflow, release);
  return { workflow: release.backport?.workflow ?? ctx.deployWorkflow, events: ['push'], tag: release.version, sha: release.targetSha };
}

/** A run tminus dispatched of `workflow` on the release's tag: what the production workflow's run must be. */
export function expectedDispatchedRun(workflow: string, release: Pick<Release, 'version' | 'targetSha'>): ExpectedRun | undefined {
  return release.targetSha ? { workflow, events: ['workflow_dispatch'], tag: release.version, sha: release.targetSha } : undefined;
}

/**
 * Reads run `runId` on GitHub (never trusting a delivery) and answers it when it is the expected run;
 * undefined when GitHub no longer has it or it is another's (logged with why). GitHub's errors are thrown.
 */
export async function provenRun(
  ctx: Pick<JobContext, 'github' | 'log'>,
  runId: number,
  expected: ExpectedRun | undefined,
  releaseId: string,
): Promise<DeployRun | undefined> {
  const run = await ctx.github.findRun(runId);
  if (!run || !expected) return undefined;
  const mismatch = runMismatch(run, expected);
  if (mismatch === undefined) return run;
  ctx.log.warn({ releaseId, runId, mismatch }, 'not the release’s own run: left alone');
  return undefined;
}

/** Whether run `runId` is the release's deploy run, read on GitHub: asked before tminus answers a pending deployment on it. */
export async function isReleaseDeployRun(ctx: RunReader, release: Release, runId: number): Promise<boolean> {
  return (await provenRun(ctx, runId, expectedDeployRun(ctx, release), release.id)) !== undefined;
}

/** `answer` (a review of the run's pending deployment) when run `runId` is the release's own; 'not-ours' and nothing done when it is not. */
type RunReader = Pick<JobContext, 'github' | 'log' | 'deployWorkflow'>;

export async function answerOwnRun<T>(ctx: RunReader, release: Release, runId: number, answer: () => Promise<T>): Promise<T | 'not-ours'> {
  return (await isReleaseDeployRun(ctx, release, runId)) ? answer() : 'not-ours';
}
