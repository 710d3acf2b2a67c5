import { currentStep } from '../domain/milestones.js';
import { isReleaseDay, STATE_LABELS } from '../domain/release.js';
import type { Release } from '../integrations/database/release-store.js';
import { statusUpdateMessage } from '../messages/status-update.js';
import type { SlackMessage } from '../messages/types.js';
import type { Audience } from '../messages/plain-words.js';
import { tellCustomers } from './customers.js';
import { postKeys, type JobContext } from './context.js';
import { expectedCompletion, gateSummary, loadMilestones } from './progress-view.js';

/** The update number due at `at`: update N is due N status-update intervals after T-0. */
export function dueUpdate(release: Pick<Release, 'startedAt'>, at: Date, interval: number): number {
  return Math.max(0, Math.floor((at.getTime() - release.startedAt.getTime()) / interval));
}

/** Status updates are claimed under this prefix; the end of a release waits for claimed ones to be posted. */
export const STATUS_UPDATE_PREFIX = 'status-update:';

async function updateMessage(ctx: JobContext, release: Release, n: number, late = false, audience: Audience = 'team'): Promise<SlackMessage> {
  const interval = ctx.policy.statusUpdates.interval;
  const dueAt = release.startedAt.getTime() + n * interval;
  // While the production gate holds the deploy, the step says what it waits for (approvals, checks, GitHub's reviewer).
  const productionGate = release.state === 'awaiting_production_approval' || release.state === 'deploying' ? await gateSummary(ctx, release, 'production') : undefined;
  return statusUpdateMessage({
    version: release.version,
    sinceStart: n * interval,
    startedAt: release.startedAt,
    expectedCompletion: expectedCompletion(release, ctx),
    runUrl: release.deployRunUrl,
    statusPageUrl: ctx.policy.communication.statusPageUrl,
    // Customers are not told about the team's readiness card.
    currentStep:
      audience === 'customers' && release.state === 'started'
        ? 'Preparing the release'
        : (currentStep(loadMilestones(release, ctx), { rules: ctx.policy.deploy.milestones, state: release.state, productionGate }) ?? STATE_LABELS[release.state]),
    state: release.state,
    interval,
    timeZone: ctx.policy.timezone,
    postedLate: late || ctx.clock().getTime() - dueAt > interval,
    audience,
  });
}

/**
 * The customer wording of "Release In Progress" (`communication.customerChannel`): one message, posted at
 * the first update and edited in place at each one after ("We'll update this message every 15 minutes").
 */
async function updateCustomers(ctx: JobContext, release: Release, n: number): Promise<void> {
  if (!ctx.policy.communication.customerChannel) return;
  await tellCustomers(ctx, release, postKeys.inProgressForCustomers(release.id), await updateMessage(ctx, release, n, false, 'customers'), true);
}

/**
 * Posts the guide's "Release In Progress" update that is due now in the release's thread, exactly once,
 * and only while release day runs (T-0 to production: none while waiting for approval, none during a
 * rollback, none after the end). After downtime the update due now is posted, marked late; the ones missed
 * meanwhile are not back-filled. Whether an update is due is decided, and its post claimed, under the
 * release's row lock: once the release has ended no update can be claimed, and the end of the release waits
 * for claimed updates to be posted before it posts its own message.
 */
export async function postStatusUpdate(ctx: JobContext, data: { releaseId: string; update: number }): Promise<void> {
  const interval = ctx.policy.statusUpdates.interval;
  const claimed = await ctx.store.withLock(data.releaseId, async (release, tx) => {
    if (!isReleaseDay(release.state) || !release.threadTs) return undefined;
    const dueNow = dueUpdate(release, ctx.clock(), interval);
    const next = Math.max(data.update, dueNow) + 1;
    if (dueNow < 1) return { release, slot: undefined, next: Math.max(data.update, 1) };
    const fresh = await ctx.posts.claim(postKeys.statusUpdate(release.id, dueNow), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, tx);
    return { release, slot: { n: dueNow, fresh }, next };
  });
  if (!claimed) return;
  const { release, slot, next } = claimed;
  if (slot) {
    await ctx.posts.deliver(
      postKeys.statusUpdate(release.id, slot.n),
      { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs! },
      // The update before it was never posted (nobody was running then): this one says it comes after a gap.
      // Read after the lock: on the embedded PGlite (one connection) a query outside the lock's transaction waits for it.
      await updateMessage(ctx, release, slot.n, slot.n > 1 && (await ctx.posts.tsOf(postKeys.statusUpdate(release.id, slot.n - 1))) === undefined),
      slot.fresh,
    );
    await updateCustomers(ctx, release, slot.n);
  }
  const dueAt = release.startedAt.getTime() + next * interval;
  await ctx.jobs.add('post-status-update', { releaseId: release.id, update: next }, { delayMs: dueAt - ctx.clock().getTime() });
}

/**
 * A claimed update not posted after this long was claimed by a process that died (or an attempt that failed:
 * the job's next attempt claims the update due then, not this one). A live post cannot take longer: Slack
 * calls time out after 10 s and are tried three times at most (src/app.ts).
 */
const ABANDONED_AFTER = 60_000;

/**
 * Called when a release has ended and before its last message: waits until every status update claimed
 * while it was in flight has been posted, so none arrives after the end. An update whose job died mid-post
 * is posted here (found in Slack first, if it got there) once its job had time to be retried.
 */
export async function settleStatusUpdates(ctx: JobContext, release: Release, waitMs = 15_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const pending = await ctx.posts.unconfirmed(release.id, STATUS_UPDATE_PREFIX);
    if (pending.length === 0) return;
    const abandoned = pending.filter((p) => ctx.clock().getTime() - p.claimedAt.getTime() > ABANDONED_AFTER);
    for (const post of abandoned) {
      const n = Number(post.key.split(':').pop());
      await ctx.posts.deliver(post.key, { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs! }, await updateMessage(ctx, release, n), false);
    }
    if (abandoned.length === pending.length) return;
    if (Date.now() > deadline) throw new Error(`status updates of ${release.version} are still being posted; trying again`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
