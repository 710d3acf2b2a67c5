import type { Gate } from '../integrations/database/gate-store.js';
import type { Release, Transaction } from '../integrations/database/release-store.js';
import type { ProductionDispatchDetails } from '../integrations/database/schema.js';
import { GitHubRefusedError, GitHubUnavailableError, type DeployRun } from '../integrations/github.js';
import { approvedNotice } from '../messages/approval-gate.js';
import {
  dispatchedReviewComment,
  dispatchedRunRefusedMessage,
  dispatchRefusedReason,
  productionDispatchedMessage,
  productionWithheldMessage,
} from '../messages/production-dispatch.js';
import { isOwnRun } from '../domain/own-run.js';
import { postKeys, type JobContext } from './context.js';
import { expectedDispatchedRun, isReleaseDeployRun } from './own-run.js';
import { productionGateApplies } from './production-by-policy.js';
import { refreshProgressView } from './progress-view.js';

/**
 * `productionApproval.mode: dispatch`: the production workflow (`productionApproval.workflow`) is dispatched
 * on the tag only once the production gate is met, exactly once per release, with the rollback's claim: the
 * dispatch is claimed in Postgres before GitHub is asked, and a dispatch whose answer was lost is looked for
 * among the workflow's runs (GitHub lists one seconds later) before it is ever sent again.
 */

/**
 * The production gate of a release in dispatch mode was decided in Slack (the gate-decision job, or a look at a
 * release whose job was lost): an approval dispatches the production workflow, a rejection ends the release
 * and dispatches nothing. Returns the release following the production run, once there is one.
 */
export async function productionGateDecided(ctx: JobContext, gate: Gate, release: Release): Promise<Release | undefined> {
  const thread = release.threadTs ? { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs } : undefined;
  const workflow = release.productionDispatch!.workflow;
  const decisions = await ctx.gates.decisions(gate.id);
  if (gate.state === 'rejected') {
    const rejection = decisions.find((d) => d.decision === 'rejected')!;
    const reason = rejection.reason ?? 'no reason given';
    const ended = await ctx.store.apply(release.id, 'reject', {
      actor: rejection.userId,
      set: { finishedAt: rejection.at, failureReason: `rejected: ${reason}` },
      details: { gateId: gate.id, reason: rejection.reason, workflow, dispatched: false },
    });
    if (ended.ok) await refreshProgressView(ctx, ended.release);
    const withheld = productionWithheldMessage(release.version, rejection.userId, reason, workflow);
    if (thread) await ctx.posts.postOnce(postKeys.gateDecided(gate.id), thread, withheld);
    return undefined;
  }
  if (gate.state !== 'approved') return undefined;
  const approvers = decisions.filter((d) => d.decision === 'approved' && d.userId !== release.requestedBy).map((d) => d.userId);
  const next = `tminus dispatches \`${workflow}\` on ${release.version} now.`;
  if (thread) await ctx.posts.postOnce(postKeys.gateDecided(gate.id), thread, approvedNotice(`Production deploy of ${release.version}`, approvers, next));
  const current = (await ctx.store.findById(release.id))!;
  return current.productionDispatch?.runId !== undefined ? current : dispatchProduction(ctx, current);
}

/**
 * The gate-decision job's part: as `productionGateDecided`, riding out a GitHub outage (the deploy follower
 * says it once and carries on from the claim), so that the job never runs out of retries over one.
 */
export async function carryOutProductionGate(ctx: JobContext, gate: Gate, release: Release): Promise<void> {
  try {
    await productionGateDecided(ctx, gate, release);
  } catch (error) {
    if (!(error instanceof GitHubUnavailableError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error }, 'GitHub unreachable at the production dispatch: the deploy follower carries on');
  }
}

/**
 * One step towards the production run: dispatch it (once), or find the run of a dispatch whose answer was
 * lost. Returns the release following the production run, or undefined to look again later.
 */
export async function dispatchProduction(ctx: JobContext, release: Release): Promise<Release | undefined> {
  const earlier = release.productionDispatch?.dispatch;
  if (earlier) {
    // GitHub lists a dispatched run only seconds later: "not listed yet" does not mean "not dispatched".
    const found = await findDispatchedRun(ctx, release, new Date(earlier.at));
    if (found) return found;
    const waited = ctx.clock().getTime() - Date.parse(earlier.at) > ctx.policy.deploy.runAppearTimeout;
    if (waited && earlier.outcome === 'sent') {
      // GitHub took the dispatch, yet no run of it shows up: a person must look (a dispatch it answered is never sent again).
      const workflow = release.productionDispatch!.workflow;
      const reason = `GitHub took the dispatch of ${workflow} for ${release.version}, but no run of it appeared: check it on GitHub`;
      await failDispatch(ctx, release, reason);
    }
    if (!waited || earlier.outcome === 'sent') return undefined;
  }
  const claimed = await claimDispatch(ctx, release, earlier?.at);
  // Another job claimed it meanwhile, or the release moved on (aborted, a gate not met): nothing to send.
  if (!claimed) return undefined;
  const details = claimed.productionDispatch!;
  let result;
  try {
    result = await ctx.github.dispatchWorkflow(details.workflow, claimed.version, { version: claimed.version });
  } catch (error) {
    if (!(error instanceof GitHubRefusedError)) throw error;
    // GitHub refused for good (no such workflow, no workflow_dispatch trigger, an input it does not declare): nothing ran.
    await ctx.store.audit(claimed.id, 'production.dispatch_refused', { workflow: details.workflow, status: error.status, error: error.message });
    await failDispatch(ctx, claimed, dispatchRefusedReason(details.workflow, error.message));
    return undefined;
  }
  const sent = { workflow: details.workflow, ref: claimed.version, runId: result.runId ?? null, approvers: details.approvers ?? [] };
  await ctx.store.audit(claimed.id, 'production.dispatched', sent);
  if (result.runId !== undefined) return storeProductionRun(ctx, claimed, { id: result.runId, url: result.url });
  await ctx.store.withLock(claimed.id, async (locked, tx) => {
    const current = locked.productionDispatch!;
    if (current.runId !== undefined || current.dispatch?.at !== details.dispatch!.at) return;
    await ctx.store.update(locked.id, { productionDispatch: { ...current, dispatch: { ...current.dispatch, outcome: 'sent' } } }, tx);
  });
  return undefined;
}

/** The production workflow cannot run: the release fails (production untouched, as GitHub's deployments will say). */
async function failDispatch(ctx: JobContext, release: Release, reason: string): Promise<void> {
  const finishedAt = ctx.clock().toISOString();
  await ctx.jobs.ensure('fail-release', { releaseId: release.id, event: 'deploy_failed', reason, finishedAt, attempt: release.deployRunAttempt });
}

/** Claims the next dispatch under the release's row lock: only when the earlier claim (if any) is still the last one. */
async function claimDispatch(ctx: JobContext, release: Release, earlierAt: string | undefined): Promise<Release | undefined> {
  const now = ctx.clock();
  return ctx.store.withLock(release.id, async (locked, tx) => {
    const current = locked.productionDispatch;
    if (!current || current.runId !== undefined || locked.state !== 'deploying' || current.dispatch?.at !== earlierAt) return undefined;
    const approvers = current.approvers ?? (await gateApprovers(ctx, locked, tx));
    const dispatch = { at: now.toISOString(), outcome: 'unknown' as const, attempts: (current.dispatch?.attempts ?? 0) + 1 };
    const lost = earlierAt ? { previousAnswerLost: earlierAt } : {};
    const details = { workflow: current.workflow, ref: locked.version, approvers, attempt: dispatch.attempts, ...lost };
    await ctx.store.audit(locked.id, 'production.dispatch_claimed', details, undefined, tx);
    return ctx.store.update(locked.id, { productionDispatch: { ...current, approvers, dispatch } }, tx);
  });
}

/** Who let production go: the production gate's approvers, or (a type the gate leaves out) the release gate's. */
async function gateApprovers(ctx: JobContext, release: Release, tx: Transaction): Promise<string[]> {
  const kind = productionGateApplies(ctx.policy, release.type) ? 'production' : 'release';
  const gate = await ctx.gates.ofRelease(release.id, kind, tx);
  if (!gate) return [];
  const decisions = await ctx.gates.decisions(gate.id, tx);
  return decisions.filter((d) => d.decision === 'approved' && d.userId !== release.requestedBy).map((d) => d.userId);
}

/** The run of the production workflow dispatched on the release's tag since `since`. */
async function findDispatchedRun(ctx: JobContext, release: Release, since: Date): Promise<Release | undefined> {
  const workflow = release.productionDispatch!.workflow;
  const expected = expectedDispatchedRun(workflow, release);
  // Its own run only (the workflow, workflow_dispatch, the tag, the tagged commit): not one someone else dispatched.
  const run = expected && (await ctx.github.dispatchedRuns(workflow, since)).find((r) => isOwnRun(r, expected));
  return run ? storeProductionRun(ctx, release, run) : undefined;
}

/**
 * From here on the release follows the production run as it followed the tag's run (milestones, failures,
 * re-runs, cancellation, outages); the staging run's jobs stay in its milestones.
 */
async function storeProductionRun(ctx: JobContext, release: Release, run: Pick<DeployRun, 'id' | 'url'>): Promise<Release> {
  const stored = await ctx.store.withLock(release.id, async (locked, tx) => {
    const current = locked.productionDispatch!;
    if (current.runId !== undefined) return { release: locked, found: false };
    const sent = current.dispatch ? { dispatch: { ...current.dispatch, outcome: 'sent' as const } } : {};
    const details: ProductionDispatchDetails = { ...current, runId: run.id, runUrl: run.url, ...sent };
    await ctx.store.audit(locked.id, 'production.run_found', { runId: run.id, url: run.url, workflow: current.workflow }, undefined, tx);
    const updated = await ctx.store.update(locked.id, { productionDispatch: details, deployRunId: run.id, deployRunUrl: run.url, deployRunAttempt: 1 }, tx);
    return { release: updated, found: true };
  });
  const current = stored.release;
  // Aborted while the dispatch was under way: the run it started must not deploy unfollowed.
  if (stored.found && current.state === 'aborted') {
    const outcome = await ctx.github.cancelRun(run.id).catch((error: unknown) => {
      if (error instanceof GitHubRefusedError) return `refused: ${error.message}`;
      throw error;
    });
    const why = 'the release was aborted while its production workflow was dispatched';
    await ctx.store.audit(current.id, 'github.run_cancelled', { runId: run.id, outcome, why });
    return current;
  }
  if (stored.found && current.threadTs) {
    const details = current.productionDispatch!;
    const { deployment } = ctx.policy.releaseTypes[current.type];
    const byPolicy = productionGateApplies(ctx.policy, current.type) ? {} : { byPolicy: { type: current.type, deployment } };
    await ctx.posts.postOnce(
      postKeys.productionDispatched(current.id),
      { releaseId: current.id, channel: current.channelId, threadTs: current.threadTs },
      productionDispatchedMessage({ version: current.version, workflow: details.workflow, approvers: details.approvers ?? [], runUrl: run.url, ...byPolicy }),
    );
  }
  return current;
}

/**
 * Both layers configured: the dispatched run waits at a GitHub environment with required reviewers. The
 * gate was met in Slack, so tminus answers it as approved with the gate's approvers, once per run attempt.
 */
export async function answerDispatchedRun(
  ctx: JobContext,
  release: Release,
  runId: number,
  environment: { environmentId: number; environment: string },
): Promise<void> {
  // Only the run tminus dispatched, as GitHub says of the run itself (own-run.ts): never another workflow's.
  if (!(await isReleaseDeployRun(ctx, release, runId))) return;
  const attempt = release.deployRunAttempt;
  const answered = await ctx.store.lastEvent(release.id, 'production.dispatched_run_approved');
  const details = answered?.details as { runId?: number; attempt?: number } | undefined;
  if (details?.runId === runId && details.attempt === attempt) return;
  const approvers = release.productionDispatch?.approvers ?? [];
  const comment = dispatchedReviewComment(release.version, approvers);
  const outcome = await ctx.github.reviewDeployment(runId, [environment.environmentId], 'approved', comment).catch((error: unknown) => {
    if (error instanceof GitHubRefusedError) return `refused: ${error.message}`;
    throw error;
  });
  await ctx.store.audit(release.id, 'production.dispatched_run_approved', { runId, attempt, environment: environment.environment, approvers, outcome });
  if (!outcome.startsWith('refused') || !release.threadTs) return;
  // GitHub will not take tminus's answer (its token is not a required reviewer): a person approves on GitHub.
  const thread = { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs };
  const refused = dispatchedRunRefusedMessage(release.version, environment.environment, outcome.slice('refused: '.length));
  await ctx.posts.postOnce(postKeys.productionByPolicy(release.id, attempt), thread, refused);
}
