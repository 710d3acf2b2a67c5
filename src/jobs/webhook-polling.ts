import type { JobContext } from './context.js';

/**
 * Webhooks count as flowing while the repository's last delivery is younger than this. GitHub sends a
 * `workflow_job` event when each job starts and ends; the guide's longest quiet stretch of release day is
 * the 30-minute image build, so an hour without a single delivery means they stopped.
 */
export const FLOWING_FOR = 60 * 60_000;

/**
 * How long until the deploy run is read again: `deploy.pollInterval`, or, while GitHub's webhooks arrive
 * (each of which makes tminus look at once), the slower `deploy.pollIntervalWithWebhooks`. When
 * deliveries stop, polling is back to its normal pace within one slow interval. Only fresh deliveries that
 * arrived since this process started count (see GitHubDeliveries): not a replay, an old event, or the last
 * delivery before a crash.
 */
export async function deployPollInterval(ctx: Pick<JobContext, 'policy' | 'clock' | 'webhooks'>): Promise<number> {
  const { pollInterval, pollIntervalWithWebhooks } = ctx.policy.deploy;
  if (!ctx.webhooks || pollIntervalWithWebhooks <= pollInterval) return pollInterval;
  const last = await ctx.webhooks.lastDeliveryAt();
  const flowing = last !== undefined && ctx.clock().getTime() - last.getTime() < Math.max(FLOWING_FOR, 5 * pollIntervalWithWebhooks);
  return flowing ? pollIntervalWithWebhooks : pollInterval;
}
