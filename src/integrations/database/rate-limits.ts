import { and, eq, like, lt } from 'drizzle-orm';
import { takeOne, type RateLimitRule } from '../../domain/rate-limit.js';
import type { Database } from './client.js';
import { syncState } from './schema.js';

const PREFIX = 'rate-limit:';

/**
 * Rate limits counted in Postgres, one `sync_state` row per key under its row lock: two replicas behind a load
 * balancer count one person's requests together, and a restart forgets nothing.
 */
export class RateLimits {
  constructor(private readonly db: Database) {}

  /** Takes one for `key` at `now`: 0 when allowed, else the ms until the next one is. */
  async take(key: string, rule: RateLimitRule, now: Date): Promise<number> {
    const rowKey = PREFIX + key;
    return this.db.transaction(async (tx) => {
      await tx.insert(syncState).values({ key: rowKey, value: { takes: [] }, updatedAt: now }).onConflictDoNothing();
      const [row] = await tx.select({ value: syncState.value }).from(syncState).where(eq(syncState.key, rowKey)).for('update');
      const { waitMs, recent } = takeOne(rule, takesOf(row?.value), now.getTime());
      await tx.update(syncState).set({ value: { takes: recent }, updatedAt: now }).where(eq(syncState.key, rowKey));
      return waitMs;
    });
  }

  /** Forgets the keys nobody used since `before`, so the table holds only recent askers. */
  async prune(before: Date): Promise<void> {
    await this.db.delete(syncState).where(and(like(syncState.key, `${PREFIX}%`), lt(syncState.updatedAt, before)));
  }
}

function takesOf(value: Record<string, unknown> | undefined): number[] {
  const takes = value?.takes;
  return Array.isArray(takes) ? takes.filter((t): t is number => typeof t === 'number') : [];
}
