import { formatPlannedAt } from '../domain/release-plan.js';
import { planChangedMessage } from '../messages/release-plan.js';
import type { JobContext } from './context.js';
import { tellStatusPage } from './status-page.js';

/** Says in the plan's thread (and where its announcement went) that the plan was cancelled or moved, by whom, why. */
export async function planChanged(ctx: JobContext, data: { planId: string; eventId: number }): Promise<void> {
  const [plan, event] = await Promise.all([ctx.releasePlans.findById(data.planId), ctx.releasePlans.planEvent(data.eventId)]);
  if (!plan || !event) return;
  const message = planChangedMessage({
    version: plan.version,
    change:
      event.action === 'plan.cancelled'
        ? { kind: 'cancelled' }
        : { kind: 'moved', from: formatPlannedAt(new Date(String(event.details.from)), ctx.policy.timezone), to: formatPlannedAt(new Date(String(event.details.to)), ctx.policy.timezone) },
    actor: event.actor,
    ...(typeof event.details.reason === 'string' ? { reason: event.details.reason } : {}),
  });
  await ctx.posts.postOnce(`plan-changed:${event.id}`, { channel: plan.channelId, ...(plan.threadTs ? { threadTs: plan.threadTs } : {}) }, message);
  // Customers were told the old date in the pre-release announcement: they are told of the change too.
  const announced = ctx.policy.communication.customerChannel && (await ctx.posts.tsOf(`pre-release-announcement:${plan.id}:customers`));
  if (announced) await ctx.posts.postOnce(`plan-changed:${event.id}:customers`, { channel: ctx.policy.communication.customerChannel! }, message);
  // And the status page's maintenance, when one was announced: moved to the new window, or closed.
  await tellStatusPage(ctx, event.action === 'plan.cancelled' ? 'cancelled' : 'moved', { planId: plan.id, eventId: event.id });
}
