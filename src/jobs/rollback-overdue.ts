import { formatDuration } from '../domain/duration.js';
import { rollbackDeadline, rollbackLateBy } from '../domain/rollback-clock.js';
import type { Release } from '../integrations/database/release-store.js';
import { clockTime } from '../messages/format.js';
import { rollbackOverdueMessage } from '../messages/rollback-overdue.js';
import { alertMentions } from './alert-mentions.js';
import { postKeys, type JobContext } from './context.js';
import { rollbackCommand } from './fail-release.js';

/**
 * The guide's limit enforced: once detection plus `rollback.timeLimit` has passed and the service is not yet
 * restored, on-call and the release's approvers are paged, once per rollback, in #releases and in the
 * release's thread, with how late it is and what is still running. tminus goes on following the rollback.
 */
export async function escalateOverdueRollback(ctx: JobContext, release: Release): Promise<void> {
  const rollback = release.rollback;
  if (!rollback || release.state !== 'rolling_back') return;
  const limit = ctx.policy.rollback.timeLimit;
  const lateBy = rollbackLateBy(rollback, limit, ctx.clock());
  if (lateBy === undefined) return;
  const message = rollbackOverdueMessage({
    version: release.version,
    toVersion: rollback.toVersion,
    limit,
    deadline: rollbackDeadline(rollback, limit),
    lateBy,
    still: stillRunning(ctx, release),
    people: await alertMentions(ctx, release),
    command: rollbackCommand(ctx.policy.rollback.command, release.version, rollback.toVersion),
    timeZone: ctx.policy.timezone,
  });
  const key = postKeys.rollbackOverdue(release.id, rollback.startedAt);
  const paged = await ctx.posts.postOnce(key, { releaseId: release.id, channel: release.channelId }, message);
  if (release.threadTs) await ctx.posts.postOnce(`${key}:thread`, { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, message);
  if (paged.posted) await ctx.store.audit(release.id, 'rollback.overdue', { lateBySeconds: Math.round(lateBy / 1000), limitSeconds: Math.round(limit / 1000) });
}

/** What the rollback still waits for, from what tminus recorded of it. */
function stillRunning(ctx: JobContext, release: Release): string {
  const rollback = release.rollback!;
  const tz = ctx.policy.timezone;
  if (release.githubUnreachableSince) return `GitHub has been unreachable since ${clockTime(release.githubUnreachableSince, tz)}, so tminus cannot see the rollback run`;
  if (rollback.runId !== undefined) return `the rollback run ${rollback.runUrl ?? rollback.runId} has not finished`;
  if (rollback.dispatch) return `\`${ctx.policy.rollback.workflow}\` was dispatched at ${clockTime(new Date(rollback.dispatch.at), tz)} and its run has not appeared on GitHub yet`;
  const since = formatDuration(ctx.clock().getTime() - Date.parse(rollback.startedAt));
  return `\`${ctx.policy.rollback.workflow}\` has not been dispatched yet (the rollback started ${since} ago)`;
}
