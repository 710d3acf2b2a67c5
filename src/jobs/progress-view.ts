import type { MilestoneProgress } from '../domain/milestones.js';
import type { Release } from '../integrations/database/release-store.js';
import type { StoredMilestone } from '../integrations/database/schema.js';
import { describeGate, gateStatus } from '../domain/approvals.js';
import type { RoleName } from '../domain/policy.js';
import { hotfixMessage, type HotfixStepInput } from '../messages/hotfix.js';
import { releaseProgressMessage, rollbackSummary, type GateSummary, type ReleaseProgressInput } from '../messages/release-progress.js';
import { gateRule } from '../services/approvals.js';
import { gateChecks } from '../services/production-gate-met.js';
import { missingChecks } from '../domain/pre-deployment-checks.js';
import type { SlackMessage } from '../messages/types.js';
import { postKeys, type JobContext } from './context.js';

export function storeMilestones(progress: MilestoneProgress[]): StoredMilestone[] {
  return progress.map((m) => ({
    key: m.key,
    label: m.label,
    expectedAt: m.expectedAt,
    state: m.state,
    ...(m.startedAt ? { startedAt: m.startedAt.toISOString() } : {}),
    ...(m.finishedAt ? { finishedAt: m.finishedAt.toISOString() } : {}),
    ...(m.failure ? { failure: m.failure } : {}),
  }));
}

export function loadMilestones(release: Release, ctx: Pick<JobContext, 'policy'>): MilestoneProgress[] {
  if (release.progress) {
    return release.progress.map((m) => ({
      ...m,
      startedAt: m.startedAt ? new Date(m.startedAt) : undefined,
      finishedAt: m.finishedAt ? new Date(m.finishedAt) : undefined,
    }));
  }
  return ctx.policy.deploy.milestones.map((m) => ({ key: m.key, label: m.label, expectedAt: m.at, state: 'pending' as const }));
}

export function expectedCompletion(release: Pick<Release, 'startedAt'>, ctx: Pick<JobContext, 'policy'>): Date {
  return new Date(release.startedAt.getTime() + ctx.policy.deploy.completeAt);
}

function progressInput(release: Release, ctx: Pick<JobContext, 'policy' | 'clock'>): ReleaseProgressInput {
  return {
    version: release.version,
    type: release.type,
    state: release.state,
    requestedBy: release.requestedBy,
    startedAt: release.startedAt,
    // One ETA everywhere: the top message, status updates and the announcement all say T+90 (deploy.completeAt).
    expectedCompletion: expectedCompletion(release, ctx),
    taggedAt: release.taggedAt,
    targetBranch: release.targetBranch,
    targetSha: release.targetSha,
    runUrl: release.deployRunUrl,
    finishedAt: release.finishedAt,
    failureReason: release.failureReason,
    milestones: loadMilestones(release, ctx),
    now: ctx.clock(),
    timeZone: ctx.policy.timezone,
    ...(release.rollback ? { rollback: rollbackSummary(release.rollback) } : {}),
  };
}

export async function gateSummary(ctx: JobContext, release: Release, kind: 'release' | 'production'): Promise<(GateSummary & { gateId: string }) | undefined> {
  const gate = await ctx.gates.ofRelease(release.id, kind);
  if (!gate) return undefined;
  const rule = gateRule(gate);
  const decisions = await ctx.gates.decisions(gate.id);
  const status = gateStatus(rule, decisions.filter((d) => d.decision === 'approved').map((d) => ({ userId: d.userId, roles: d.roles as RoleName[] })), release.requestedBy);
  const items = gateChecks(ctx.policy, gate, release);
  const missing = items.length > 0 ? missingChecks(items, await ctx.preDeployment.ofGate(gate.id)).length : 0;
  const checks = items.length > 0 ? { checks: { done: items.length - missing, total: items.length } } : {};
  return { gateId: gate.id, state: gate.state, counted: status.counted, needed: status.needed, needs: describeGate(rule), ...checks };
}

/** The steps of the guide's hotfix timeline, with their deadlines counted from detection. */
export function hotfixSteps(release: Release, ctx: Pick<JobContext, 'policy'>): HotfixStepInput[] {
  const detected = hotfixDetectedAt(release).getTime();
  return [
    ...ctx.policy.releaseTypes.hotfix.steps.map((s) => ({ key: s.key, label: s.label, dueAt: new Date(detected + s.within), byButton: s.key !== 'hotfixApproved' })),
    { key: 'deployed', label: 'Deployed to production', byButton: false },
    // "Monitor closely": tminus ticks it when the first post-release verification ran; a person may once deployed.
    { key: 'monitored', label: 'Monitored after the deploy', byButton: monitorable(release) },
  ];
}

/** When the hotfix's issue was detected (`--detected`, else the command's time). */
export function hotfixDetectedAt(release: Pick<Release, 'hotfix' | 'requestedAt'>): Date {
  return release.hotfix?.detectedAt ? new Date(release.hotfix.detectedAt) : release.requestedAt;
}

/** "Monitored" can be ticked once the hotfix is in production and the release has not ended badly. */
export function monitorable(release: Pick<Release, 'hotfix' | 'state'>): boolean {
  return Boolean(release.hotfix?.steps.deployed) && ['verifying', 'completed', 'stable'].includes(release.state);
}

/** The release's top message as it stands: the progress view, or the hotfix checklist for a hotfix. */
export async function progressView(ctx: JobContext, release: Release): Promise<SlackMessage> {
  const releaseGate = await gateSummary(ctx, release, 'release');
  const productionGate = await gateSummary(ctx, release, 'production');
  const input = { ...progressInput(release, ctx), releaseGate, productionGate };
  if (release.type !== 'hotfix' || !release.hotfix) return releaseProgressMessage(input);
  return hotfixMessage({
    ...input,
    releaseGate: undefined,
    releaseId: release.id,
    gateId: releaseGate?.gateId,
    gateOpen: releaseGate?.state === 'open',
    details: release.hotfix,
    detectedAt: hotfixDetectedAt(release),
    steps: hotfixSteps(release, ctx),
  });
}

/** Edits the release's top message to show where it stands now (no call when nothing changed). */
export async function refreshProgressView(ctx: JobContext, release: Pick<Release, 'id'>): Promise<void> {
  // The App Homes show the release too: a change there is republished (debounced).
  if (await ctx.posts.refresh(postKeys.top(release.id), async () => progressView(ctx, (await ctx.store.findById(release.id))!))) await ctx.jobs.add('app-home', {});
}
