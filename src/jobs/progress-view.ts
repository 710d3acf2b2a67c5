import type { MilestoneProgress } from '../domain/milestones.js';
import type { Release } from '../integrations/database/release-store.js';
import type { StoredMilestone } from '../integrations/database/schema.js';
import { releaseProgressMessage } from '../messages/release-progress.js';
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

export function progressMessage(release: Release, ctx: Pick<JobContext, 'policy' | 'clock'>): SlackMessage {
  return releaseProgressMessage({
    version: release.version,
    type: release.type,
    state: release.state,
    requestedBy: release.requestedBy,
    startedAt: release.startedAt,
    // The guide's "Release started" post announces an ETA (2 hours); status updates use T+90.
    expectedCompletion: new Date(release.startedAt.getTime() + ctx.policy.deploy.eta),
    taggedAt: release.taggedAt,
    targetBranch: release.targetBranch,
    targetSha: release.targetSha,
    runUrl: release.deployRunUrl,
    finishedAt: release.finishedAt,
    failureReason: release.failureReason,
    milestones: loadMilestones(release, ctx),
    now: ctx.clock(),
    timeZone: ctx.policy.timezone,
  });
}

/** Edits the release's top message to show where it stands now (no call when nothing changed). */
export async function refreshProgressView(ctx: JobContext, release: Release): Promise<void> {
  await ctx.posts.update(postKeys.top(release.id), progressMessage(release, ctx));
}
