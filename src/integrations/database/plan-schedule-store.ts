import { and, eq } from 'drizzle-orm';
import type { Database } from './client.js';
import { checklistTicks, releasePlans, scheduledRuns, type ReleasePlanRow } from './schema.js';
import type { Tick } from '../../domain/checklist.js';

export type ReleasePlan = ReleasePlanRow;

/** Planned releases as the scheduler sees them: their scheduled runs and their checklist ticks. */
export class PlanScheduleStore {
  constructor(private readonly db: Database) {}

  async planned(): Promise<ReleasePlan[]> {
    return this.db.select().from(releasePlans).where(eq(releasePlans.state, 'planned'));
  }

  /** The plan a release started from, or the checklists it was given at its readiness gate. */
  async ofRelease(releaseId: string): Promise<ReleasePlan | undefined> {
    const [row] = await this.db.select().from(releasePlans).where(eq(releasePlans.releaseId, releaseId));
    return row;
  }

  /**
   * The checklists of a release started without a plan: a plan row in state `gating`, in the release's thread,
   * created once (a repeated job, or a second replica, finds the same one). Undefined when another live plan
   * holds the version.
   */
  async gatingFor(release: { id: string; version: string; type: string; startedAt: Date; requestedBy: string; channelId: string; threadTs: string | null }): Promise<ReleasePlan | undefined> {
    const existing = await this.ofRelease(release.id);
    if (existing) return existing;
    const { id: releaseId, startedAt: plannedAt, ...fields } = release;
    await this.db.insert(releasePlans).values({ ...fields, plannedAt, releaseId, state: 'gating' }).onConflictDoNothing();
    return this.ofRelease(releaseId);
  }

  async find(id: string): Promise<ReleasePlan | undefined> {
    const [row] = await this.db.select().from(releasePlans).where(eq(releasePlans.id, id));
    return row;
  }

  /** Claims a scheduled run: true for the one process that recorded it first. */
  async claimRun(key: string, planId: string, dueAt: Date, outcome: string): Promise<boolean> {
    const rows = await this.db.insert(scheduledRuns).values({ key, planId, dueAt, outcome }).onConflictDoNothing().returning({ key: scheduledRuns.key });
    return rows.length > 0;
  }

  async runs(planId: string): Promise<Map<string, string>> {
    const rows = await this.db.select({ key: scheduledRuns.key, outcome: scheduledRuns.outcome }).from(scheduledRuns).where(eq(scheduledRuns.planId, planId));
    return new Map(rows.map((r) => [r.key, r.outcome]));
  }

  async setRunOutcome(key: string, outcome: string): Promise<void> {
    await this.db.update(scheduledRuns).set({ outcome, ranAt: new Date() }).where(eq(scheduledRuns.key, key));
  }

  async ticks(planId: string): Promise<Tick[]> {
    return this.db
      .select({ checklist: checklistTicks.checklist, item: checklistTicks.item, tickedBy: checklistTicks.tickedBy, evidence: checklistTicks.evidence, at: checklistTicks.at })
      .from(checklistTicks)
      .where(eq(checklistTicks.planId, planId))
      .orderBy(checklistTicks.id);
  }

  /** Records a tick once per item; true when this call recorded it. */
  async tick(planId: string, checklist: string, item: string, tickedBy: string, evidence: string | null, at: Date): Promise<boolean> {
    const rows = await this.db.insert(checklistTicks).values({ planId, checklist, item, tickedBy, evidence, at }).onConflictDoNothing().returning({ id: checklistTicks.id });
    return rows.length > 0;
  }

  /** Moves a planned release on to started, once. */
  async markStarted(planId: string, releaseId: string): Promise<boolean> {
    const rows = await this.db
      .update(releasePlans)
      .set({ state: 'started', releaseId })
      .where(and(eq(releasePlans.id, planId), eq(releasePlans.state, 'planned')))
      .returning({ id: releasePlans.id });
    return rows.length > 0;
  }
}
