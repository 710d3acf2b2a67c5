import { productionGate } from '../domain/approvals.js';
import { milestoneProgress, type MilestoneProgress, type WorkflowJob } from '../domain/milestones.js';
import type { Policy } from '../domain/policy.js';
import type { Release } from '../integrations/database/release-store.js';
import type { ProductionDispatchDetails } from '../integrations/database/schema.js';
import type { DeployJob, DeployRun } from '../integrations/github.js';
import { postKeys, type JobContext } from './context.js';
import { dispatchProduction, productionGateDecided } from './dispatch-production.js';
import { postGate } from './gate-decision.js';
import { productionGateApplies } from './production-by-policy.js';
import { refreshProgressView } from './progress-view.js';

/**
 * `productionApproval.mode: dispatch`, as the deploy follower sees it: the tag's run (build, staging) succeeded,
 * so the release waits at the production gate (or, for a type the gate leaves out, goes on at once) and then
 * follows the production workflow's run that tminus dispatches. Any GitHub outage is thrown to the follower,
 * which says it once and looks again.
 */

/** Whether the tag's run stops at staging and tminus dispatches the production workflow itself. */
export function dispatchesProduction(policy: Pick<Policy, 'productionApproval'>): boolean {
  return policy.productionApproval.mode === 'dispatch';
}

/** Staging succeeded and the production run is not found yet: the follower hands the release to this file. */
export function awaitsProductionRun(release: Pick<Release, 'productionDispatch'>): boolean {
  return release.productionDispatch !== null && release.productionDispatch.runId === undefined;
}

/**
 * The release's milestones from the run it follows. In dispatch mode the staging run's jobs are kept beside the
 * production run's, and while the tag's run is followed a milestone it has no job for is still to come (the
 * production workflow carries it), not absent.
 */
export function deployProgress(
  policy: Pick<Policy, 'productionApproval' | 'deploy'>,
  release: Pick<Release, 'productionDispatch' | 'deployRunId'>,
  jobs: readonly WorkflowJob[],
): MilestoneProgress[] {
  const staged = release.productionDispatch;
  const { milestones } = policy.deploy;
  if (staged?.runId !== undefined && staged.runId === release.deployRunId) return milestoneProgress(milestones, [...staged.stagingJobs, ...jobs]);
  const progress = milestoneProgress(milestones, jobs);
  return dispatchesProduction(policy) ? progress.map((m) => (m.state === 'absent' ? { ...m, state: 'pending' } : m)) : progress;
}

/**
 * The tag's run succeeded in dispatch mode: staging has the release. A type the production gate applies to
 * waits at it (the same Slack gate as in environment mode); another is dispatched at once on the approval
 * of its release gate (a hotfix: "Deployment: Immediately"). Once per release, whoever calls it. False when
 * the tag's run itself passed a production gate (its workflow deploys production, as in environment mode):
 * nothing is dispatched on top of it, and the release goes on as deployed.
 */
export async function stagingSucceeded(ctx: JobContext, release: Release, run: DeployRun, jobs: DeployJob[] | undefined): Promise<boolean> {
  const gated = productionGateApplies(ctx.policy, release.type);
  const details: ProductionDispatchDetails = {
    stagingRunId: run.id,
    stagingRunUrl: run.url,
    stagingJobs: (jobs ?? []).map(plainJob),
    stagedAt: ctx.clock().toISOString(),
    workflow: ctx.policy.productionApproval.workflow,
  };
  const staged = await ctx.store.withLock(release.id, async (locked, tx) => {
    if (locked.state !== 'deploying' || locked.productionDispatch) return undefined;
    if (await ctx.gates.ofRelease(locked.id, 'production', tx)) {
      const why = "the tag's run waited at the production environment itself";
      await ctx.store.audit(locked.id, 'production.dispatch_skipped', { runId: run.id, why }, undefined, tx);
      return 'skipped' as const;
    }
    const audit = { stagingRunId: run.id, workflow: details.workflow, gate: gated ? 'production' : 'none (productionApproval.appliesTo)' };
    await ctx.store.audit(locked.id, 'production.staged', audit, undefined, tx);
    const updated = await ctx.store.update(locked.id, { productionDispatch: details }, tx);
    if (!gated) return { release: updated };
    const rule = productionGate(ctx.policy);
    const { gate } = await ctx.gates.open(tx, locked.id, 'production', { roles: [...rule.roles], rule: rule.rule, approvers: rule.approvers });
    const requested = { gateId: gate.id, workflow: details.workflow, stagingRunId: run.id };
    const applied = await ctx.store.applyLocked(tx, updated, 'production_approval_requested', { details: requested });
    return applied.ok ? { release: applied.release, gate } : undefined;
  });
  if (staged === 'skipped') return false;
  if (!staged) return true;
  await refreshProgressView(ctx, staged.release);
  if (staged.gate) await postGate(ctx, staged.gate, staged.release);
  else await dispatchProduction(ctx, staged.release);
  return true;
}

/**
 * One look at a release between staging and its production run: the gate still open (its message posted,
 * once), decided (carried out, in case the gate-decision job was lost), or the dispatch to send or find.
 * Returns the release following the production run, or undefined to look again later.
 */
export async function followProductionDispatch(ctx: JobContext, release: Release): Promise<Release | undefined> {
  if (release.state !== 'awaiting_production_approval' && release.state !== 'deploying') return undefined;
  if (!productionGateApplies(ctx.policy, release.type)) return release.state === 'deploying' ? dispatchProduction(ctx, release) : undefined;
  const gate = await ctx.gates.ofRelease(release.id, 'production');
  if (!gate) return undefined;
  if (gate.state === 'open') {
    // Its message was not posted when it opened (a kill in between): post it now, once.
    if (!(await ctx.posts.tsOf(postKeys.gate(gate.id)))) await postGate(ctx, gate, release);
    return undefined;
  }
  return productionGateDecided(ctx, gate, release);
}

/** The fields of a job the milestones read (no ids or anything else to carry in the release row). */
function plainJob(job: DeployJob): WorkflowJob {
  const { name, status, conclusion, startedAt, completedAt, url, steps } = job;
  return { name, status, conclusion, startedAt, completedAt, url, steps };
}
