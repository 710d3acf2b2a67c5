import { completingEvent, howVerified, type HowVerified } from '../domain/verified-by.js';
import type { JobContext } from './context.js';

/** How the release was verified, by its audit log: the one source for the thread, the customer channel and the status page. */
export async function howReleaseWasVerified(ctx: Pick<JobContext, 'store'>, releaseId: string): Promise<HowVerified> {
  return howVerified(completingEvent(await ctx.store.events(releaseId)));
}
