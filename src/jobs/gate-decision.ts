import { describeGate } from '../domain/approvals.js';
import type { RoleName } from '../domain/policy.js';
import type { Gate } from '../integrations/database/gate-store.js';
import type { Release } from '../integrations/database/release-store.js';
import { approvedNotice, gateMessage, rejectedNotice, rejectionTooLateMessage } from '../messages/approval-gate.js';
import type { SlackMessage } from '../messages/types.js';
import { gateRule } from '../services/approvals.js';
import { gateStatus } from '../domain/approvals.js';
import { postKeys, type JobContext } from './context.js';
import { refreshProgressView } from './progress-view.js';
import { answerOwnRun } from './own-run.js';
import { carryOutProductionGate } from './dispatch-production.js';
import { deploymentReviewComment, revertPullRequestBody } from '../messages/github-texts.js';
import { revertOpenedMessage, rollbackTurnedDownMessage } from '../messages/rollback.js';
import { nextUnusedPatch } from '../domain/production.js';
import { preDeploymentView } from './pre-deployment-view.js';
import { startMonitorReads } from './pre-deployment-monitors.js';

/** The gate's message as it stands: who may approve, who did, and the buttons while it is open. */
export async function renderGate(ctx: JobContext, gate: Gate, release: Release): Promise<SlackMessage> {
  const rule = gateRule(gate);
  const decisions = await ctx.gates.decisions(gate.id);
  const holders = [...new Set((await Promise.all(rule.roles.map((r) => ctx.roles.holders(r as RoleName)))).flat())].filter((u) => u !== release.requestedBy);
  const status = gateStatus(rule, decisions.filter((d) => d.decision === 'approved').map((d) => ({ userId: d.userId, roles: d.roles as RoleName[] })), release.requestedBy);
  const checks = await preDeploymentView(ctx, gate, release);
  return gateMessage({
    releaseId: release.id,
    gateId: gate.id,
    kind: gate.kind,
    version: release.version,
    type: release.type,
    needs: describeGate(rule),
    approvers: holders,
    state: gate.state,
    ...(gate.outcome ? { outcome: gate.outcome } : {}),
    decisions: decisions.map((d) => ({ userId: d.userId, decision: d.decision, at: d.at, reason: d.reason })),
    counted: status.counted,
    needed: status.needed,
    testing: ctx.policy.releaseTypes[release.type].testing,
    rollback: ctx.policy.releaseTypes[release.type].rollback,
    timeZone: ctx.policy.timezone,
    ...(checks ? { checks } : {}),
    ...(gate.kind === 'production' && release.productionDispatch ? { dispatchWorkflow: release.productionDispatch.workflow } : {}),
  });
}

/** Re-renders every gate message of a release: after the release ended or a gate was answered outside Slack. */
export async function refreshGateMessages(ctx: JobContext, releaseId: string): Promise<void> {
  for (const gate of await ctx.gates.allOf(releaseId)) {
    await ctx.posts.refresh(postKeys.gate(gate.id), async () => renderGate(ctx, (await ctx.gates.find(gate.id))!, (await ctx.store.findById(releaseId))!));
  }
}

/** Posts a gate's message in the release's thread (once), e.g. when the gate opens. */
export async function postGate(ctx: JobContext, gate: Gate, release: Release): Promise<void> {
  // The production gate's "Monitoring active": tminus reads Datadog from the moment the gate opens.
  if (gate.kind === 'production') await startMonitorReads(ctx, gate, release);
  if (!release.threadTs) return;
  await ctx.posts.postOnce(postKeys.gate(gate.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, await renderGate(ctx, gate, release));
}

/**
 * After a decision at a gate: the gate's message shows it; when the gate is decided, the thread is told,
 * GitHub's deployment review is answered for the production gate, and an approved release moves on.
 */
export async function gateDecision(ctx: JobContext, data: { gateId: string }): Promise<void> {
  const gate = await ctx.gates.find(data.gateId);
  if (!gate) return;
  const release = (await ctx.store.findById(gate.releaseId))!;
  if (gate.kind === 'rollback') await postGate(ctx, gate, release);
  await ctx.posts.refresh(postKeys.gate(gate.id), async () => renderGate(ctx, (await ctx.gates.find(gate.id))!, (await ctx.store.findById(release.id))!));
  await refreshProgressView(ctx, release);
  if (gate.state === 'open' || !release.threadTs) return;
  const decisions = await ctx.gates.decisions(gate.id);
  const thread = { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs };

  if (gate.kind === 'rollback') {
    await coordinatedRollbackDecided(ctx, gate, release, decisions);
    return;
  }
  // `productionApproval.mode: dispatch`: the gate met dispatches the production workflow; a rejection dispatches nothing.
  if (gate.kind === 'production' && release.productionDispatch) {
    await carryOutProductionGate(ctx, gate, release);
    return;
  }
  if (gate.state === 'rejected') {
    const rejection = decisions.find((d) => d.decision === 'rejected')!;
    if (gate.kind === 'production' && release.deployRunId && gate.environmentId) {
      const [runId, environmentId] = [release.deployRunId, gate.environmentId];
      const comment = deploymentReviewComment({ state: 'rejected', by: rejection.userId, reason: rejection.reason });
      // Only the release's own run is answered (read on GitHub); the release ends either way.
      const outcome = await answerOwnRun(ctx, release, runId, () => ctx.github.reviewDeployment(runId, [environmentId], 'rejected', comment));
      await ctx.store.audit(release.id, 'github.deployment_rejected', { runId: release.deployRunId, by: rejection.userId, outcome });
      if (outcome === 'not-pending') {
        // The run no longer waited: it was answered on GitHub first. The deploy follows GitHub, and so does tminus:
        // the gate says so, and following the run reads GitHub's answer from here on.
        await ctx.gates.setOutcome(gate.id, 'Rejected in Slack too late: the run had already been answered on GitHub.');
        await ctx.posts.postOnce(postKeys.gateDecided(gate.id), thread, rejectionTooLateMessage(release.version, rejection.userId));
        await refreshGateMessages(ctx, release.id);
        await refreshProgressView(ctx, release);
        return;
      }
      const ended = await ctx.store.apply(release.id, 'reject', {
        actor: rejection.userId,
        set: { finishedAt: rejection.at, failureReason: `rejected: ${rejection.reason ?? 'no reason given'}` },
        details: { gateId: gate.id, reason: rejection.reason },
      });
      if (ended.ok) await refreshProgressView(ctx, ended.release);
    }
    await ctx.posts.postOnce(postKeys.gateDecided(gate.id), thread, rejectedNotice(release.version, rejection.userId, rejection.reason ?? 'no reason given', gate.kind === 'release'));
    return;
  }

  const approvers = decisions.filter((d) => d.decision === 'approved' && d.userId !== release.requestedBy).map((d) => d.userId);
  if (gate.kind === 'production') {
    if (release.deployRunId && gate.environmentId) {
      // GitHub records the token's owner as the reviewer: the real approvers go in the comment and the audit log.
      const [runId, environmentId] = [release.deployRunId, gate.environmentId];
      const comment = deploymentReviewComment({ state: 'approved', approvers });
      const outcome = await answerOwnRun(ctx, release, runId, () => ctx.github.reviewDeployment(runId, [environmentId], 'approved', comment));
      await ctx.store.audit(release.id, 'github.deployment_approved', { runId: release.deployRunId, approvers, outcome });
    }
    await ctx.posts.postOnce(postKeys.gateDecided(gate.id), thread, approvedNotice(`Production deploy of ${release.version}`, approvers, 'The deploy continues.'));
    return;
  }
  if (release.state === 'awaiting_approval') {
    const running = (await ctx.store.inFlight())[0];
    await ctx.posts.postOnce(
      postKeys.waitingForDeployment(release.id),
      thread,
      approvedNotice(`${release.version}`, approvers, `It starts as soon as ${running?.version ?? 'the running deployment'} has finished (zero in-flight deployments).`),
    );
    return;
  }
  await ctx.posts.postOnce(postKeys.gateDecided(gate.id), thread, approvedNotice(`${release.version}`, approvers, 'Starting the release: T-0, creating the tag.'));
  await startReleaseDay(ctx, release);
}

/** T-0 after approval: the tag job, and the first status update one interval later. */
export async function startReleaseDay(ctx: JobContext, release: Release): Promise<void> {
  if (release.state !== 'started') return;
  await ctx.jobs.add('create-tag', { releaseId: release.id });
  const interval = ctx.policy.statusUpdates.interval;
  await ctx.jobs.add('post-status-update', { releaseId: release.id, update: 1 }, { delayMs: release.startedAt.getTime() + interval - ctx.clock().getTime() });
}

/** The VP Eng decided on a coordinated rollback: open the revert pull request, or say it was turned down. */
async function coordinatedRollbackDecided(ctx: JobContext, gate: Gate, release: Release, decisions: { userId: string; decision: string; reason: string | null }[]): Promise<void> {
  const thread = { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs! };
  if (gate.state === 'rejected') {
    const no = decisions.find((d) => d.decision === 'rejected')!;
    await ctx.posts.postOnce(postKeys.gateDecided(gate.id), thread, rollbackTurnedDownMessage(release.version, no.userId, no.reason));
    return;
  }
  const previous = release.previousVersion!;
  const approver = decisions.find((d) => d.decision === 'approved')?.userId ?? '';
  const pr = await ctx.github.openRevertPullRequest(
    previous,
    `revert/${release.version}`,
    `Revert ${release.version} to ${previous}`,
    revertPullRequestBody({ version: release.version, previous, approver }),
  );
  await ctx.store.audit(release.id, 'rollback.revert_pull_request_opened', { url: pr.url, number: pr.number, commit: pr.commit, to: previous });
  // The revert ships as the next patch above what production runs (which may be newer than the reverted one).
  const production = await ctx.production.productionVersion();
  const patch = production ? nextUnusedPatch(production, await ctx.production.knownVersions()).tag : 'the next patch version';
  await ctx.posts.postOnce(postKeys.gateDecided(gate.id), thread, revertOpenedMessage({ version: release.version, previous, approver, pullRequest: pr, patch }));
}
