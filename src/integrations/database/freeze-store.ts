import { and, asc, eq, gt, isNull, or } from 'drizzle-orm';
import type { Database } from './client.js';
import { freezes, type FreezeRow } from './schema.js';

/**
 * Ad-hoc deploy freezes (`/release freeze`, `/release unfreeze`). Each row is its own audit trail: who froze
 * and why, who ended it, when and why. Times come from tminus's clock.
 */
export class FreezeStore {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  async freeze(input: { reason: string; by: string; until: Date | null }): Promise<FreezeRow> {
    const [row] = await this.db.insert(freezes).values({ reason: input.reason, createdBy: input.by, createdAt: this.clock(), until: input.until }).returning();
    return row!;
  }

  /** Ends every freeze in force; the ones it ended. */
  async unfreeze(input: { by: string; reason: string | null }): Promise<FreezeRow[]> {
    const now = this.clock();
    return this.db.update(freezes).set({ endedBy: input.by, endedAt: now, endReason: input.reason }).where(inForceAt(now)).returning();
  }

  async byId(id: string): Promise<FreezeRow | undefined> {
    const [row] = await this.db.select().from(freezes).where(eq(freezes.id, id));
    return row;
  }

  /** The freezes in force now (not ended, and their `until`, if any, still ahead), oldest first. */
  async inForce(): Promise<FreezeRow[]> {
    return this.db.select().from(freezes).where(inForceAt(this.clock())).orderBy(asc(freezes.createdAt));
  }
}

const inForceAt = (now: Date) => and(isNull(freezes.endedAt), or(isNull(freezes.until), gt(freezes.until, now)));
