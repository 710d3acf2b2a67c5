import { formatPlannedAt } from '../domain/release-plan.js';
import { escape, mention, section } from '../messages/format.js';
import type { JobContext } from './context.js';

/** Says in the plan's thread (and where its announcement went) that the plan was cancelled or moved, by whom, why. */
export async function planChanged(ctx: JobContext, data: { planId: string; eventId: number }): Promise<void> {
  const [plan, event] = await Promise.all([ctx.releasePlans.findById(data.planId), ctx.releasePlans.planEvent(data.eventId)]);
  if (!plan || !event) return;
  const reason = typeof event.details.reason === 'string' && event.details.reason.trim() ? `: ${escape(event.details.reason)}` : '';
  const text =
    event.action === 'plan.cancelled'
      ? `🗓️ *The plan for ${plan.version} was cancelled* by ${mention(event.actor)}${reason}. Nothing it scheduled will happen.`
      : `🗓️ *${plan.version} moved* from ${formatPlannedAt(new Date(String(event.details.from)), ctx.policy.timezone)} to ${formatPlannedAt(new Date(String(event.details.to)), ctx.policy.timezone)} by ${mention(event.actor)}${reason}. Its checklists and T-0 follow the new date.`;
  const message = { text: text.replace(/\*/g, ''), blocks: [section(text)] };
  await ctx.posts.postOnce(`plan-changed:${event.id}`, { channel: plan.channelId, ...(plan.threadTs ? { threadTs: plan.threadTs } : {}) }, message);
  // Customers were told the old date in the pre-release announcement: they are told of the change too.
  const announced = ctx.policy.communication.customerChannel && (await ctx.posts.tsOf(`pre-release-announcement:${plan.id}:customers`));
  if (announced) await ctx.posts.postOnce(`plan-changed:${event.id}:customers`, { channel: ctx.policy.communication.customerChannel! }, message);
}
