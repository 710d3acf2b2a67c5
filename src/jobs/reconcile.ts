import { verificationSchedule, watchPeriod } from '../domain/verification.js';
import { startApprovedRelease } from '../services/approvals.js';
import type { JobContext } from './context.js';
import { startReleaseDay } from './gate-decision.js';
import { pollSlot } from './follow-deploy.js';
import { dueUpdate } from './post-status-update.js';

/**
 * Postgres is the source of truth: for every release in flight, makes sure the jobs that carry it on are
 * queued. Job ids name the work, so what is already queued is left alone. Runs at start-up and every minute,
 * which also recovers from a Redis that lost its data.
 */
export async function reconcileReleases(ctx: JobContext): Promise<number> {
  const releases = await ctx.store.open();
  const now = ctx.clock();
  for (const waiting of releases.filter((r) => r.state === 'awaiting_approval')) {
    if (!waiting.threadTs) await ctx.jobs.add('announce-release', { releaseId: waiting.id });
    // Approved while another deployment ran: it starts once that one has ended.
    else if (await startApprovedRelease(ctx, waiting)) await startReleaseDay(ctx, (await ctx.store.findById(waiting.id))!);
  }
  for (const release of releases.filter((r) => r.state !== 'awaiting_approval')) {
    if (!release.threadTs) {
      await ctx.jobs.add('announce-release', { releaseId: release.id });
      continue;
    }
    if (release.state === 'started') {
      await ctx.jobs.add('create-tag', { releaseId: release.id });
    } else {
      const interval = ctx.policy.deploy.pollInterval;
      const next = pollSlot(release, now, interval) + 1;
      await ctx.jobs.add('follow-deploy', { releaseId: release.id, poll: next }, { delayMs: release.startedAt.getTime() + next * interval - now.getTime() });
    }
    const updateInterval = ctx.policy.statusUpdates.interval;
    const due = dueUpdate(release, now, updateInterval);
    if (due >= 1) await ctx.jobs.add('post-status-update', { releaseId: release.id, update: due });
    await ctx.jobs.add(
      'post-status-update',
      { releaseId: release.id, update: due + 1 },
      { delayMs: release.startedAt.getTime() + (due + 1) * updateInterval - now.getTime() },
    );
  }
  await reconcileWatches(ctx, now);
  return releases.length;
}

/** Releases under post-release watch: the next verification run and the stable mark are queued. */
async function reconcileWatches(ctx: JobContext, now: Date): Promise<void> {
  if (!ctx.observability) return;
  for (const release of await ctx.store.watched()) {
    const finished = release.finishedAt!.getTime();
    const watch = watchPeriod(ctx.policy, release.type);
    const schedule = verificationSchedule(ctx.policy, watch);
    const next = schedule.findIndex((run) => finished + run.at > now.getTime());
    if (next >= 0) await ctx.jobs.add('verify-release', { releaseId: release.id, run: next + 1, attempt: 1 }, { delayMs: finished + schedule[next]!.at - now.getTime() });
    await ctx.jobs.add('mark-stable', { releaseId: release.id, attempt: 1 }, { delayMs: finished + watch - now.getTime() });
  }
}
