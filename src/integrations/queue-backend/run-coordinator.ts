import { and, like, lt, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { RunCoordinator } from 'node-cron';
import type { Database } from '../database/client.js';
import { scheduledRuns } from '../database/schema.js';

/** node-cron's `distributed` mode asks this before each slot: the first replica to SET the slot's key runs it. */
export function redisRunCoordinator(redis: Redis, prefix: string): RunCoordinator {
  return {
    shouldRun: async (key, ttlMs) => (await redis.set(`${prefix}:cron:${key}`, '1', 'PX', Math.max(1_000, ttlMs), 'NX')) === 'OK',
  };
}

/** Slot claims older than this are deleted as new ones are made: a slot is never asked about again after its minute. */
const SLOT_CLAIMS_KEPT_MS = 60 * 60_000;

/**
 * The same election on the database when there is no Redis: the first replica to insert the slot's key into
 * `scheduled_runs` (its primary key) runs it, whatever the timing of the others; old slot claims are pruned.
 */
export function databaseRunCoordinator(db: Database, prefix: string): RunCoordinator {
  const slotPrefix = `cron:${prefix}:`;
  return {
    shouldRun: async (key) => {
      const claimed = await db
        .insert(scheduledRuns)
        .values({ key: `${slotPrefix}${key}`, dueAt: new Date(), outcome: 'elected' })
        .onConflictDoNothing()
        .returning({ key: scheduledRuns.key });
      if (claimed.length > 0) {
        await db.delete(scheduledRuns).where(and(like(scheduledRuns.key, `${slotPrefix}%`), lt(scheduledRuns.ranAt, sql`now() - make_interval(secs => ${SLOT_CLAIMS_KEPT_MS / 1000})`)));
      }
      return claimed.length > 0;
    },
  };
}
