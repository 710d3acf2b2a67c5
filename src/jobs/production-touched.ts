import {
  PRODUCTION_TOUCH_ACTION,
  jobRan,
  productionTouch,
  recordedTouch,
  touchFromMilestones,
  type DeployJobFact,
  type DeploymentFact,
  type ProductionTouchVerdict,
} from '../domain/production-touched.js';
import { GitHubRefusedError, GitHubUnavailableError } from '../integrations/github.js';
import type { Release } from '../integrations/database/release-store.js';
import type { JobContext } from './context.js';
import { loadMilestones } from './progress-view.js';

/**
 * Asks GitHub whether `release` touched production (its deployments of the release's commit to the policy's
 * production environment, and the deploy run's jobs) and decides. GitHub not answering is an answer: 'unknown'.
 */
export async function readProductionTouch(ctx: JobContext, release: Release): Promise<ProductionTouchVerdict> {
  const environment = ctx.policy.productionApproval.environment;
  const milestones = loadMilestones(release, ctx);
  if (release.targetSha === null) return productionTouch({ environment, sha: null, deployments: [], milestones });
  const deployments = await orNothing(ctx, release, () => ctx.github.productionDeployments(environment, release.targetSha!));
  const jobs = release.deployRunId === null ? undefined : await orNothing(ctx, release, () => deployJobs(ctx, release.deployRunId!));
  const facts = { environment, sha: release.targetSha, tag: release.version, milestones };
  return productionTouch({ ...facts, ...(deployments ? { deployments } : {}), ...(jobs ? { jobs } : {}) });
}

/**
 * The verdict for the run attempt `attempt`, read once and recorded in the audit log (where the Slack paths
 * find it): a job retried after it recorded keeps the first answer, so its messages and post-mortem agree.
 */
export async function decideProductionTouch(
  ctx: JobContext,
  release: Release,
  attempt = release.deployRunAttempt,
): Promise<ProductionTouchVerdict> {
  const recorded = recordedTouch((await ctx.store.lastEvent(release.id, PRODUCTION_TOUCH_ACTION))?.details, attempt);
  if (recorded) return recorded;
  const verdict = await readProductionTouch(ctx, release);
  const environment = ctx.policy.productionApproval.environment;
  await ctx.store.audit(release.id, PRODUCTION_TOUCH_ACTION, { ...verdict, attempt, environment, sha: release.targetSha });
  return verdict;
}

/** What a job recorded, else what the milestones can rule out: for readers that must not wait on GitHub. */
export async function knownProductionTouch(ctx: Pick<JobContext, 'store' | 'policy'>, release: Release): Promise<ProductionTouchVerdict> {
  const recorded = recordedTouch((await ctx.store.lastEvent(release.id, PRODUCTION_TOUCH_ACTION))?.details, release.deployRunAttempt);
  return recorded ?? { touch: touchFromMilestones(loadMilestones(release, ctx)), evidence: 'the deploy run as tminus last read it' };
}

async function deployJobs(ctx: JobContext, runId: number): Promise<DeployJobFact[]> {
  return (await ctx.github.listDeployJobs(runId)).map((job) => ({ name: job.name, url: job.url, ran: jobRan(job) }));
}

/** The read's answer, or undefined when GitHub could not (or would not) say: logged, never thrown. */
async function orNothing<T extends DeploymentFact[] | DeployJobFact[]>(ctx: JobContext, release: Release, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof GitHubUnavailableError || error instanceof GitHubRefusedError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error }, 'GitHub did not say whether production was touched');
    return undefined;
  }
}
