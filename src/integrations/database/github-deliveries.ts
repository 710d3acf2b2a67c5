import { and, eq, inArray, like, lt, or } from 'drizzle-orm';
import type { Database } from './client.js';
import { syncState } from './schema.js';

const DELIVERY_PREFIX = 'github-delivery:';
const BODY_PREFIX = 'github-body:';
const LAST_DELIVERY_KEY = 'github-webhooks';

/**
 * GitHub's webhook deliveries, kept in `sync_state`: each delivery once, by its id (GitHub redelivers, and a
 * person may press "Redeliver") and by the hash of its signed body (a captured body replayed under a new id),
 * and when the last fresh one for the repository arrived (whether webhooks flow).
 */
export class GitHubDeliveries {
  /** `since`: when this process started; a delivery recorded before it does not say webhooks flow now. */
  constructor(
    private readonly db: Database,
    private readonly since?: Date,
  ) {}

  /**
   * Records the delivery by its id and by its body's hash; false when either was recorded before (a
   * redelivery, or a replay: nothing more to do). One statement, so two replicas given the same body agree.
   */
  async claim(delivery: string, event: string, at: Date, bodyHash: string): Promise<boolean> {
    const value = { event, at: at.toISOString() };
    const inserted = await this.db
      .insert(syncState)
      .values([
        { key: DELIVERY_PREFIX + delivery, value, updatedAt: at },
        { key: BODY_PREFIX + bodyHash, value: { ...value, delivery }, updatedAt: at },
      ])
      .onConflictDoNothing()
      .returning({ key: syncState.key });
    return inserted.length === 2;
  }

  /** Forgets a claimed delivery whose job could not be queued, so that GitHub's redelivery is taken. */
  async unclaim(delivery: string, bodyHash: string): Promise<void> {
    await this.db.delete(syncState).where(inArray(syncState.key, [DELIVERY_PREFIX + delivery, BODY_PREFIX + bodyHash]));
  }

  /** A fresh delivery for the repository arrived at `at` (tminus's clock, which the sandbox speeds up). */
  async noteDelivery(delivery: string, event: string, at: Date): Promise<void> {
    const value = { delivery, event, at: at.toISOString() };
    await this.db.insert(syncState).values({ key: LAST_DELIVERY_KEY, value }).onConflictDoUpdate({ target: syncState.key, set: { value } });
  }

  /** When the last fresh delivery arrived since this process started; undefined when none did. */
  async lastDeliveryAt(): Promise<Date | undefined> {
    const [row] = await this.db.select({ value: syncState.value }).from(syncState).where(eq(syncState.key, LAST_DELIVERY_KEY));
    const at = typeof row?.value.at === 'string' ? new Date(row.value.at) : undefined;
    return at && (!this.since || at >= this.since) ? at : undefined;
  }

  /** Drops deliveries claimed before `before` (tminus's clock, as `claim` dates them): GitHub redelivers within days, not weeks. */
  async prune(before: Date): Promise<void> {
    await this.db
      .delete(syncState)
      .where(and(or(like(syncState.key, `${DELIVERY_PREFIX}%`), like(syncState.key, `${BODY_PREFIX}%`)), lt(syncState.updatedAt, before)));
  }
}
