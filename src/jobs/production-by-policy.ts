import { describeGate, releaseGate } from '../domain/approvals.js';
import type { Policy } from '../domain/policy.js';
import type { Release } from '../integrations/database/release-store.js';
import { GitHubRefusedError } from '../integrations/github.js';
import { section } from '../messages/format.js';
import { productionByPolicyComment, productionByPolicyMessage } from '../messages/hotfix.js';
import { ABANDONED_CLAIM_MS } from '../services/posts.js';
import { postKeys, type JobContext } from './context.js';
import { isReleaseDeployRun } from './own-run.js';

/** Whether a release of `type` waits at the two-person production gate (`productionApproval.appliesTo`). */
export function productionGateApplies(policy: Policy, type: Release['type']): boolean {
  return policy.productionApproval.appliesTo.includes(type);
}

const ANSWERED = 'github.deployment_approved_by_policy';
const REFUSED = 'github.deployment_by_policy_refused';
const CLAIMED = 'github.deployment_by_policy_claimed';
const UNCLAIMED = 'github.deployment_by_policy_unclaimed';

/**
 * The deploy run waits on the production environment, and the policy opens no gate for this release type
 * (a hotfix deploys "Immediately" on the VP Eng's approval): tminus answers GitHub's review itself, once per
 * run attempt, naming who approved the release and the policy key, audited, and says so in the thread.
 */
export async function approveProductionByPolicy(ctx: JobContext, release: Release, runId: number, environment: { environmentId: number; environment: string }): Promise<void> {
  // Only the release's own run, as GitHub says of the run itself: never another workflow's pending deployment.
  if (!(await isReleaseDeployRun(ctx, release, runId))) return;
  const attempt = release.deployRunAttempt;
  if (!(await claimAnswer(ctx, release.id, runId, attempt))) return;
  const gate = await ctx.gates.ofRelease(release.id, 'release');
  const approvers = gate ? (await ctx.gates.decisions(gate.id)).filter((d) => d.decision === 'approved').map((d) => d.userId) : [];
  const input = { version: release.version, type: release.type, approvers, deployment: ctx.policy.releaseTypes[release.type].deployment };
  const rule = releaseGate(ctx.policy, release.type);
  const comment = productionByPolicyComment({ ...input, gate: describeGate(rule) });
  const thread = release.threadTs ? { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs } : undefined;
  let outcome: 'reviewed' | 'not-pending';
  try {
    outcome = await ctx.github.reviewDeployment(runId, [environment.environmentId], 'approved', comment);
  } catch (error) {
    if (!(error instanceof GitHubRefusedError)) {
      // Not answered (GitHub unreachable): the claim is given back, and the job's retry claims it again.
      await ctx.store.audit(release.id, UNCLAIMED, { runId, attempt });
      throw error;
    }
    // GitHub will not take tminus's answer (its token is not a required reviewer): a person approves on GitHub.
    await ctx.store.audit(release.id, REFUSED, { runId, attempt, environment: environment.environment, error: error.message });
    if (thread) {
      await ctx.posts.postOnce(postKeys.productionByPolicy(release.id, attempt), thread, {
        text: `⚠️ tminus could not approve the production deploy of ${release.version} on GitHub`,
        blocks: [section(`⚠️ *tminus could not approve the production deploy of ${release.version} on GitHub*: ${error.message.slice(0, 500)}. Approve the run's \`${environment.environment}\` deployment on GitHub; tminus follows the run.`)],
      });
    }
    return;
  }
  await ctx.store.audit(release.id, ANSWERED, { runId, attempt, environment: environment.environment, approvers, policy: 'productionApproval.appliesTo', outcome, comment });
  if (thread) await ctx.posts.postOnce(postKeys.productionByPolicy(release.id, attempt), thread, productionByPolicyMessage(input));
}

/**
 * Claims the answer to this run attempt under the release's row lock: of two workers that both find the run
 * waiting, one answers GitHub and records it, the other finds the claim and stops. A claim whose worker died
 * (no answer, no refusal, no release of it) is taken over after ABANDONED_CLAIM_MS.
 */
async function claimAnswer(ctx: JobContext, releaseId: string, runId: number, attempt: number): Promise<boolean> {
  return ctx.store.withLock(releaseId, async (_release, tx) => {
    const ofAttempt = (await ctx.store.events(releaseId, tx)).filter((e) => {
      const d = e.details as { runId?: number; attempt?: number };
      return [ANSWERED, REFUSED, CLAIMED, UNCLAIMED].includes(e.action) && d.runId === runId && d.attempt === attempt;
    });
    const last = ofAttempt.at(-1);
    if (last && (last.action === ANSWERED || last.action === REFUSED)) return false;
    if (last?.action === CLAIMED && ctx.clock().getTime() - last.at.getTime() < ABANDONED_CLAIM_MS) return false;
    await ctx.store.audit(releaseId, CLAIMED, { runId, attempt }, undefined, tx);
    return true;
  });
}
