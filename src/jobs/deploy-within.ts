import { lateFixes, releaseDayDeadline, watchInterval } from '../domain/deploy-within.js';
import { nextUnusedPatch } from '../domain/production.js';
import { isReleaseDay, STATE_LABELS } from '../domain/release.js';
import { releaseDayLateMessage, unreleasedFixesMessage } from '../messages/deploy-within.js';
import { postKeys, type JobContext } from './context.js';
import type { ReleaseJobs } from './queue.js';

/** The marker, in sync_state, of a pull request already warned about: once per pull request, across restarts. */
const warnedKey = (number: number) => `deploy-within:pr:${number}`;

/**
 * The guide's "Deployment" deadlines (`releaseTypes.<type>.deployWithin`), watched: merged bug fixes that
 * no released version carries after the patch's deadline (from merge) are named once in #releases; a release
 * day still running past its type's deadline (from T-0) is said once in its thread and in #releases.
 */
export async function watchDeployWithin(ctx: JobContext): Promise<void> {
  await warnLateReleaseDays(ctx);
  await warnUnreleasedFixes(ctx);
}

/** Queues the watch for the current slot of its interval (the scheduler's tick calls this; ids dedupe ticks). */
export async function scheduleDeployWithinWatch(deps: { jobs: ReleaseJobs; policy: JobContext['policy']; clock: () => Date }): Promise<void> {
  const every = watchInterval(deps.policy);
  if (every === undefined) return;
  await deps.jobs.add('deploy-within', { slot: Math.floor(deps.clock().getTime() / every) });
}

async function warnLateReleaseDays(ctx: JobContext): Promise<void> {
  const now = ctx.clock();
  for (const release of await ctx.store.open()) {
    if (!isReleaseDay(release.state) || !release.threadTs) continue;
    const deadline = releaseDayDeadline(ctx.policy, release.type, release.startedAt);
    if (deadline === undefined || now <= deadline) continue;
    const message = releaseDayLateMessage({
      version: release.version,
      type: release.type,
      deployment: ctx.policy.releaseTypes[release.type].deployment,
      within: ctx.policy.releaseTypes[release.type].deployWithin!,
      startedAt: release.startedAt,
      now,
      state: STATE_LABELS[release.state],
      timeZone: ctx.policy.timezone,
    });
    const inThread = await ctx.posts.postOnce(postKeys.releaseDayLate(release.id, 'thread'), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, message);
    await ctx.posts.postOnce(postKeys.releaseDayLate(release.id, 'channel'), { releaseId: release.id, channel: ctx.releasesChannel }, message);
    if (inThread.posted) await ctx.store.audit(release.id, 'release.deploy_within_passed', { deadline: deadline.toISOString(), state: release.state });
  }
}

async function warnUnreleasedFixes(ctx: JobContext): Promise<void> {
  const within = ctx.policy.releaseTypes.patch.deployWithin;
  if (within === undefined) return;
  // Released = in production's main line: what is merged since its tag is in no released version yet.
  const production = await ctx.production.productionVersion();
  if (!production) return;
  const now = ctx.clock();
  const late = lateFixes(await ctx.github.mergedSince(production.tag), within, now, ctx.policy.planning);
  const fresh = [];
  for (const fix of late) if (!(await ctx.store.syncedAt(warnedKey(fix.number)))) fresh.push(fix);
  if (fresh.length === 0) return;
  fresh.sort((a, b) => a.number - b.number);
  const key = postKeys.unreleasedFixes(fresh.map((f) => f.number));
  await ctx.posts.postOnce(
    key,
    { channel: ctx.releasesChannel },
    unreleasedFixesMessage({
      fixes: fresh,
      within,
      deployment: ctx.policy.releaseTypes.patch.deployment,
      production: production.tag,
      nextPatch: nextUnusedPatch(production, await ctx.production.knownVersions()).tag,
      timeZone: ctx.policy.timezone,
    }),
  );
  for (const fix of fresh) await ctx.store.markSynced(warnedKey(fix.number), { post: key, mergedAt: fix.mergedAt.toISOString(), warnedAt: now.toISOString() });
  ctx.log.info({ pulls: fresh.map((f) => f.number), production: production.tag }, 'merged fixes past the patch deadline: warned');
}
