import type { JobContext } from './context.js';

/** Webhooks count as flowing while the last delivery is younger than this many slow poll intervals. */
export const FLOWING_INTERVALS = 5;

/**
 * How long until the deploy run is read again: `deploy.pollInterval`, or, while GitHub's webhooks arrive
 * (each of which makes tminus look at once), the slower `deploy.pollIntervalWithWebhooks`. When
 * deliveries stop, polling is back to its normal pace within one slow interval.
 */
export async function deployPollInterval(ctx: Pick<JobContext, 'policy' | 'clock' | 'webhooks'>): Promise<number> {
  const { pollInterval, pollIntervalWithWebhooks } = ctx.policy.deploy;
  if (!ctx.webhooks || pollIntervalWithWebhooks <= pollInterval) return pollInterval;
  const last = await ctx.webhooks.lastDeliveryAt();
  const flowing = last !== undefined && ctx.clock().getTime() - last.getTime() < FLOWING_INTERVALS * pollIntervalWithWebhooks;
  return flowing ? pollIntervalWithWebhooks : pollInterval;
}
