import { and, eq, like, lt } from 'drizzle-orm';
import type { Database } from './client.js';
import { syncState } from './schema.js';

const DELIVERY_PREFIX = 'github-delivery:';
const LAST_DELIVERY_KEY = 'github-webhooks';

/**
 * GitHub's webhook deliveries, kept in `sync_state`: each delivery id once (GitHub redelivers, and a person
 * may press "Redeliver"), and when the last one for the repository arrived (whether webhooks flow).
 */
export class GitHubDeliveries {
  constructor(private readonly db: Database) {}

  /** Records the delivery; false when it was recorded before (a redelivery: nothing more to do). */
  async claim(delivery: string, event: string, at: Date): Promise<boolean> {
    const inserted = await this.db
      .insert(syncState)
      .values({ key: DELIVERY_PREFIX + delivery, value: { event, at: at.toISOString() }, updatedAt: at })
      .onConflictDoNothing()
      .returning({ key: syncState.key });
    return inserted.length > 0;
  }

  /** Forgets a claimed delivery whose job could not be queued, so that GitHub's redelivery is taken. */
  async unclaim(delivery: string): Promise<void> {
    await this.db.delete(syncState).where(eq(syncState.key, DELIVERY_PREFIX + delivery));
  }

  /** A delivery for the repository arrived at `at` (tminus's clock, which the sandbox speeds up). */
  async noteDelivery(delivery: string, event: string, at: Date): Promise<void> {
    const value = { delivery, event, at: at.toISOString() };
    await this.db.insert(syncState).values({ key: LAST_DELIVERY_KEY, value }).onConflictDoUpdate({ target: syncState.key, set: { value } });
  }

  /** When the last delivery arrived; undefined when none ever did. */
  async lastDeliveryAt(): Promise<Date | undefined> {
    const [row] = await this.db.select({ value: syncState.value }).from(syncState).where(eq(syncState.key, LAST_DELIVERY_KEY));
    const at = row?.value.at;
    return typeof at === 'string' ? new Date(at) : undefined;
  }

  /** Drops delivery ids claimed before `before` (tminus's clock, as `claim` dates them): GitHub redelivers within days, not weeks. */
  async prune(before: Date): Promise<void> {
    await this.db.delete(syncState).where(and(like(syncState.key, `${DELIVERY_PREFIX}%`), lt(syncState.updatedAt, before)));
  }
}
