import { freezeNotice } from '../messages/freeze.js';
import { postKeys, type JobContext } from './context.js';

/** Says an ad-hoc deploy freeze, or its end, once in #releases (the command only answered the person). */
export async function announceFreeze(ctx: JobContext, data: { freezeId: string; event: 'frozen' | 'unfrozen' }): Promise<void> {
  const freeze = await ctx.freezes.byId(data.freezeId);
  if (!freeze) return;
  const held = data.event === 'frozen' ? (await ctx.store.inFlight()).filter((r) => r.state === 'started' && r.type !== 'hotfix').map((r) => r.version) : [];
  const message = freezeNotice({
    reason: freeze.reason,
    by: freeze.createdBy,
    until: freeze.until,
    held,
    timeZone: ctx.policy.timezone,
    ...(data.event === 'unfrozen' && freeze.endedBy ? { ended: { by: freeze.endedBy, reason: freeze.endReason } } : {}),
  });
  await ctx.posts.postOnce(postKeys.freeze(freeze.id, data.event), { channel: ctx.releasesChannel }, message);
}
