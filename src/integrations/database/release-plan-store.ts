import { and, eq } from 'drizzle-orm';
import type { Database } from './client.js';
import { releasePlans, type ReleasePlanRow } from './schema.js';

export type PlanState = 'drafting' | 'planned' | 'started' | 'cancelled';
export type NewPlan = Pick<ReleasePlanRow, 'version' | 'type' | 'plannedAt' | 'requestedBy' | 'channelId'>;

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return (cause as { code?: string }).code === '23505';
}

/** Release plans in Postgres: drafted by `/release plan`, filled in by the build-plan job. */
export class ReleasePlanStore {
  constructor(private readonly db: Database) {}

  async findById(id: string): Promise<ReleasePlanRow | undefined> {
    const [row] = await this.db.select().from(releasePlans).where(eq(releasePlans.id, id));
    return row;
  }

  async findByVersion(version: string): Promise<ReleasePlanRow | undefined> {
    const [row] = await this.db.select().from(releasePlans).where(eq(releasePlans.version, version));
    return row;
  }

  /** A new plan in state `drafting`; 'exists' when the version is planned already (a race included). */
  async create(plan: NewPlan): Promise<{ ok: true; plan: ReleasePlanRow } | { ok: false; conflict: 'exists' }> {
    try {
      const [row] = await this.db.insert(releasePlans).values({ ...plan, state: 'drafting' }).returning();
      return { ok: true, plan: row! };
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, conflict: 'exists' };
      throw error;
    }
  }

  /** Removes a cancelled plan so its version can be planned again; false when something refers to it. */
  async removeCancelled(id: string): Promise<boolean> {
    try {
      const removed = await this.db
        .delete(releasePlans)
        .where(and(eq(releasePlans.id, id), eq(releasePlans.state, 'cancelled')))
        .returning({ id: releasePlans.id });
      return removed.length > 0;
    } catch {
      return false;
    }
  }

  /** Moves a plan from `from` to `to` with the given fields; undefined when it was not in `from`. */
  async transition(
    id: string,
    from: PlanState,
    to: PlanState,
    set: Partial<Pick<ReleasePlanRow, 'plan' | 'notes' | 'threadTs' | 'releaseId'>> = {},
  ): Promise<ReleasePlanRow | undefined> {
    const [row] = await this.db
      .update(releasePlans)
      .set({ ...set, state: to })
      .where(and(eq(releasePlans.id, id), eq(releasePlans.state, from)))
      .returning();
    return row;
  }
}
