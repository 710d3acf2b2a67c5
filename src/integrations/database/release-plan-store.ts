import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import type { Transaction } from './release-store.js';
import { planEvents, releasePlans, type PlanContent, type PlanEventRow, type ReleasePlanRow } from './schema.js';

/** `gating`: the checklists of a release started without a plan, held at its readiness gate (no schedule, no card). */
export type PlanState = 'drafting' | 'planned' | 'gating' | 'started' | 'cancelled';
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

  /** Plans still being read from GitHub: their build-plan job must be queued. */
  async drafting(): Promise<ReleasePlanRow[]> {
    return this.db.select().from(releasePlans).where(eq(releasePlans.state, 'drafting'));
  }

  /** Plans drafted and waiting for their slot: what a merge into the default branch may change. */
  async planned(): Promise<ReleasePlanRow[]> {
    return this.db.select().from(releasePlans).where(eq(releasePlans.state, 'planned'));
  }

  /** The version's live plan, else its most recent cancelled one. */
  async findByVersion(version: string): Promise<ReleasePlanRow | undefined> {
    const [row] = await this.db
      .select()
      .from(releasePlans)
      .where(eq(releasePlans.version, version))
      .orderBy(sql`${releasePlans.state} = 'cancelled'`, desc(releasePlans.createdAt))
      .limit(1);
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


  /**
   * Cancels or moves a plan that is in one of `from`, with its audit event, in one transaction; undefined
   * when it was in none of them. A moved plan's run-up follows the new date: the scheduler computes its
   * events from `plannedAt`, and what already happened stays done.
   */
  async change(
    id: string,
    from: PlanState[],
    set: { state?: PlanState; plannedAt?: Date },
    event: { actor: string; action: string; details: Record<string, unknown> },
  ): Promise<{ plan: ReleasePlanRow; eventId: number } | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(releasePlans)
        .set(set)
        .where(and(eq(releasePlans.id, id), inArray(releasePlans.state, from)))
        .returning();
      if (!row) return undefined;
      const [logged] = await tx.insert(planEvents).values({ planId: id, version: row.version, ...event }).returning({ id: planEvents.id });
      return { plan: row, eventId: logged!.id };
    });
  }

  /**
   * Replaces a planned plan's content and notes with what `change` makes of the stored row (undefined: leave
   * it), under the row's lock, so two refreshes never both think they added the same pull requests. What
   * `change` records with `tx` (the claim of the post that says so) commits with the new content.
   */
  async replaceContent<T>(
    id: string,
    change: (plan: ReleasePlanRow, tx: Transaction) => Promise<{ plan: PlanContent; notes: string; result: T } | undefined>,
  ): Promise<T | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(releasePlans).where(and(eq(releasePlans.id, id), eq(releasePlans.state, 'planned'))).for('no key update');
      if (!row) return undefined;
      const next = await change(row, tx);
      if (!next) return undefined;
      await tx.update(releasePlans).set({ plan: next.plan, notes: next.notes }).where(eq(releasePlans.id, id));
      return next.result;
    });
  }

  async planEvent(eventId: number): Promise<PlanEventRow | undefined> {
    const [row] = await this.db.select().from(planEvents).where(eq(planEvents.id, eventId));
    return row;
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
