import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { approvalGates, breaches, IN_FLIGHT_STATES_SQL, releasePlans, releasedVersions, releaseEvents, releases, syncState, type ReleaseEventRow, type ReleaseRow } from './schema.js';
import { IN_FLIGHT_STATES, OPEN_STATES, isOpen, isReleaseState, transition, type ReleaseEvent, type ReleaseState } from '../../domain/release.js';

export type Release = Omit<ReleaseRow, 'state' | 'type'> & { state: ReleaseState; type: 'patch' | 'minor' | 'major' | 'hotfix' };
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Transaction;

/** The actor recorded for what tminus does by itself. */
export const SYSTEM_ACTOR = 'tminus';

export type NewRelease = Pick<Release, 'version' | 'type' | 'previousVersion' | 'requestedBy' | 'requestId' | 'channelId' | 'startedAt'> & {
  hotfix?: ReleaseRow['hotfix'];
};

/** The gate a new release must pass before it is tagged, if its type has one. */
export interface NewGate {
  rule: { roles: string[]; rule: 'any' | 'all'; approvers: number };
}

export type ApplyResult = { ok: true; release: Release } | { ok: false; reason: string; release: Release | undefined };

function toRelease(row: ReleaseRow): Release {
  if (!isReleaseState(row.state)) throw new Error(`release ${row.id} has unknown state ${row.state}`);
  return row as Release;
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const e = cause as { code?: string; constraint_name?: string; constraint?: string; message?: string };
  return e.code === '23505' && (e.constraint_name === constraint || e.constraint === constraint || (e.message ?? '').includes(constraint));
}

/** Releases and their audit log in Postgres: every state change happens under the release's row lock. */
export class ReleaseStore {
  private readonly writeListeners = new Set<() => void>();

  /** `clock` dates the audit log and the rows' `updatedAt`: tminus's one clock, not the database server's. */
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  /** Calls `listener` after each write of this store has committed (or failed): the status cache clears on it. */
  onWrite(listener: () => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  private wrote(): void {
    for (const listener of this.writeListeners) listener();
  }

  async findById(id: string, ex: Executor = this.db): Promise<Release | undefined> {
    const [row] = await ex.select().from(releases).where(eq(releases.id, id));
    return row && toRelease(row);
  }

  async findByVersion(version: string): Promise<Release | undefined> {
    const [row] = await this.db.select().from(releases).where(eq(releases.version, version));
    return row && toRelease(row);
  }

  async findByRequestId(requestId: string): Promise<Release | undefined> {
    const [row] = await this.db.select().from(releases).where(eq(releases.requestId, requestId));
    return row && toRelease(row);
  }

  /** Releases whose deployment is running. */
  async inFlight(ex: Executor = this.db): Promise<Release[]> {
    const rows = await ex.select().from(releases).where(inArray(releases.state, [...IN_FLIGHT_STATES])).orderBy(asc(releases.startedAt));
    return rows.map(toRelease);
  }

  /** Planned releases still to come, by their slot: what `/release schedule` lists. */
  async upcomingPlans(): Promise<{ version: string; type: string; plannedAt: Date; state: string }[]> {
    return this.db
      .select({ version: releasePlans.version, type: releasePlans.type, plannedAt: releasePlans.plannedAt, state: releasePlans.state })
      .from(releasePlans)
      .where(inArray(releasePlans.state, ['drafting', 'planned']))
      .orderBy(asc(releasePlans.plannedAt));
  }

  /** When earlier releases of `type` started (T-0), since `since`: what the cadence rules count. */
  async startTimes(type: string, since: Date, except?: string): Promise<Date[]> {
    const rows = await this.db
      .select({ id: releases.id, startedAt: releases.startedAt, state: releases.state })
      .from(releases)
      .where(and(eq(releases.type, type), gte(releases.startedAt, since)));
    return rows.filter((r) => r.id !== except && r.state !== 'awaiting_approval' && r.state !== 'rejected').map((r) => r.startedAt);
  }

  /** Releases deployed and not yet stable or rolled back: under post-release watch. */
  async watched(): Promise<Release[]> {
    const rows = await this.db.select().from(releases).where(eq(releases.state, 'completed'));
    return rows.map(toRelease);
  }

  /** Releases that ended in `state` since `since` (failed ones may come back with a re-run on GitHub). */
  async endedSince(state: ReleaseState, since: Date): Promise<Release[]> {
    const rows = await this.db.select().from(releases).where(and(eq(releases.state, state), gte(releases.finishedAt, since)));
    return rows.map(toRelease);
  }

  /** Releases not ended yet: waiting for approval, or deploying. */
  async open(): Promise<Release[]> {
    const rows = await this.db.select().from(releases).where(inArray(releases.state, [...OPEN_STATES])).orderBy(asc(releases.requestedAt));
    return rows.map(toRelease);
  }

  /** The GitHub runs that rollbacks already follow: a run found by its dispatch time is never taken twice. */
  async rollbackRunIds(): Promise<Set<number>> {
    const rows = await this.db.select({ rollback: releases.rollback }).from(releases).where(isNotNull(releases.rollback));
    return new Set(rows.flatMap((r) => (r.rollback?.runId !== undefined ? [r.rollback.runId] : [])));
  }


  /** How long the team's latest restored rollbacks took, started → restored (ms), the newest `limit` restored before `before`. */
  async rollbackDurations(before: Date, limit: number): Promise<number[]> {
    const rows = await this.db
      .select({ rollback: releases.rollback })
      .from(releases)
      .where(and(isNotNull(releases.rollback), sql`${releases.rollback}->>'restoredAt' is not null`, sql`(${releases.rollback}->>'restoredAt')::timestamptz < ${before.toISOString()}::timestamptz`))
      .orderBy(sql`(${releases.rollback}->>'restoredAt')::timestamptz desc`)
      .limit(limit);
    return rows.flatMap(({ rollback }) => (rollback?.restoredAt ? [Date.parse(rollback.restoredAt) - Date.parse(rollback.startedAt)] : []));
  }

  /**
   * What `/release status` shows without a version: the release in flight (one at most), else the latest.
   * One query, answered from indexes (the in-flight partial index, `releases_started_at`).
   */
  async inFlightOrLatest(): Promise<Release | undefined> {
    const latestId = this.db.select({ id: releases.id }).from(releases).orderBy(desc(releases.startedAt)).limit(1);
    const [row] = await this.db
      .select()
      .from(releases)
      .where(sql`${IN_FLIGHT_STATES_SQL} or ${releases.id} = (${latestId})`)
      .orderBy(sql`${IN_FLIGHT_STATES_SQL} desc`, desc(releases.startedAt))
      .limit(1);
    return row && toRelease(row);
  }

  /** How many releases are in each state: one grouped query (tminus's metrics read it at each scrape). */
  async countByState(): Promise<Record<string, number>> {
    const rows = await this.db.select({ state: releases.state, count: sql<number>`count(*)::int` }).from(releases).groupBy(releases.state);
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.count)]));
  }

  async latest(): Promise<Release | undefined> {
    const [row] = await this.db.select().from(releases).orderBy(desc(releases.startedAt)).limit(1);
    return row && toRelease(row);
  }

  /**
   * Records a new release and its first audit event in one transaction. Postgres's unique indexes make
   * the answer right even when two replicas race: 'in-flight' or 'exists' instead of a second release.
   */
  async create(
    input: NewRelease,
    gate?: NewGate,
  ): Promise<{ ok: true; release: Release } | { ok: false; conflict: 'in-flight' | 'exists' | 'duplicate-request' | 'hotfix-waiting' }> {
    try {
      const release = await this.db.transaction(async (tx) => {
        const state = gate ? 'awaiting_approval' : 'started';
        const [row] = await tx.insert(releases).values({ ...input, requestedAt: input.startedAt, state }).returning();
        await tx.insert(releaseEvents).values({
          at: input.startedAt,
          releaseId: row!.id,
          actor: input.requestedBy,
          action: input.type === 'hotfix' ? 'hotfix.requested' : 'release.requested',
          details: { version: input.version, type: input.type, previousVersion: input.previousVersion, ...(input.hotfix ? { issue: input.hotfix.issue, severity: input.hotfix.severity } : {}) },
        });
        if (gate) {
          const [opened] = await tx.insert(approvalGates).values({ releaseId: row!.id, kind: 'release', rule: gate.rule, openedAt: input.startedAt }).returning();
          await tx.insert(releaseEvents).values({ at: input.startedAt, releaseId: row!.id, actor: SYSTEM_ACTOR, action: 'gate.opened', details: { gateId: opened!.id, kind: 'release', ...gate.rule } });
        }
        return toRelease(row!);
      });
      return { ok: true, release };
    } catch (error) {
      if (isUniqueViolation(error, 'releases_one_in_flight') || isUniqueViolation(error, 'releases_one_open_planned')) return { ok: false, conflict: 'in-flight' };
      if (isUniqueViolation(error, 'releases_version_unique')) return { ok: false, conflict: 'exists' };
      if (isUniqueViolation(error, 'releases_one_hotfix_waiting')) return { ok: false, conflict: 'hotfix-waiting' };
      if (isUniqueViolation(error, 'releases_request_id_unique')) return { ok: false, conflict: 'duplicate-request' };
      throw error;
    } finally {
      this.wrote();
    }
  }

  /**
   * Runs `fn` inside a transaction holding the release's row lock. The lock is FOR NO KEY UPDATE, so rows
   * that merely reference the release (audit events, posts) can still be written by others meanwhile.
   * Inside `fn`, use `tx` for every query: embedded PGlite has a single connection.
   */
  async withLock<T>(releaseId: string, fn: (release: Release, tx: Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(async (tx) => {
        const [row] = await tx.select().from(releases).where(eq(releases.id, releaseId)).for('no key update');
        if (!row) throw new Error(`release ${releaseId} does not exist`);
        return fn(toRelease(row), tx);
      });
    } finally {
      // After the commit: a status read from now on sees what `fn` wrote.
      this.wrote();
    }
  }

  /**
   * Applies a state machine event under the row lock, with the fields it sets and its audit entry.
   * A refused transition changes nothing and says why (a repeated job finds the work already done).
   */
  async apply(
    releaseId: string,
    event: ReleaseEvent,
    change: { actor?: string; set?: Partial<Omit<ReleaseRow, 'id' | 'state'>>; details?: Record<string, unknown> } = {},
  ): Promise<ApplyResult> {
    return this.withLock(releaseId, (release, tx) => this.applyLocked(tx, release, event, change));
  }

  /** `apply` for a caller that already holds the release's row lock in `tx`. */
  async applyLocked(
    tx: Transaction,
    release: Release,
    event: ReleaseEvent,
    change: { actor?: string; set?: Partial<Omit<ReleaseRow, 'id' | 'state'>>; details?: Record<string, unknown> } = {},
  ): Promise<ApplyResult> {
    const result = transition(release.state, event);
    if (!result.ok) return { ok: false, reason: result.reason, release };
    const [row] = await tx
      .update(releases)
      .set({ ...change.set, state: result.to, updatedAt: this.clock() })
      .where(eq(releases.id, release.id))
      .returning();
    await tx.insert(releaseEvents).values({
      at: this.clock(),
      releaseId: release.id,
      actor: change.actor ?? SYSTEM_ACTOR,
      action: `release.${event}`,
      details: { from: release.state, to: result.to, ...change.details },
    });
    // A release that ended closes its release and production gates: no button can act on it any more.
    if (isOpen(release.state) && !isOpen(result.to)) await this.closeOpenGates(tx, release.id, `the release is ${result.to.replace(/_/g, ' ')}`);
    // Leaving the readiness gate closes the checklists it was given there: tagged, they are done; ended, void.
    if (release.state === 'started' && result.to !== 'started') {
      await tx
        .update(releasePlans)
        .set({ state: result.to === 'tagged' ? 'started' : 'cancelled' })
        .where(and(eq(releasePlans.releaseId, release.id), eq(releasePlans.state, 'gating')));
    }
    return { ok: true, release: toRelease(row!) };
  }

  private async closeOpenGates(tx: Transaction, releaseId: string, why: string): Promise<void> {
    const closed = await tx
      .update(approvalGates)
      .set({ state: 'closed', decidedAt: this.clock(), outcome: `Closed: ${why}.` })
      .where(and(eq(approvalGates.releaseId, releaseId), eq(approvalGates.state, 'open'), inArray(approvalGates.kind, ['release', 'production'])))
      .returning({ id: approvalGates.id, kind: approvalGates.kind });
    for (const gate of closed) {
      await tx.insert(releaseEvents).values({ at: this.clock(), releaseId, actor: SYSTEM_ACTOR, action: 'gate.closed', details: { gateId: gate.id, kind: gate.kind, why } });
    }
  }

  /** Ticks a step of a hotfix's checklist once, with who and when; undefined when it was ticked already. */
  async markHotfixStep(tx: Transaction, release: Release, step: string, by: string, at: Date): Promise<Release | undefined> {
    if (!release.hotfix || release.hotfix.steps[step]) return undefined;
    const hotfix = { ...release.hotfix, steps: { ...release.hotfix.steps, [step]: { at: at.toISOString(), by } } };
    const [row] = await tx.update(releases).set({ hotfix, updatedAt: this.clock() }).where(eq(releases.id, release.id)).returning();
    await tx.insert(releaseEvents).values({ at, releaseId: release.id, actor: by, action: 'hotfix.step_done', details: { step } });
    return toRelease(row!);
  }

  /**
   * Opens a breach of `check` unless one is open already. `alert` says whether this call should alert:
   * the breach is new, or an open one became critical (it is escalated once, never lowered).
   */
  async openBreach(releaseId: string, check: string, severity: string, value: number | undefined, at: Date): Promise<{ id: number; alert: 'opened' | 'escalated' | undefined }> {
    const inserted = await this.db.insert(breaches).values({ releaseId, check, severity, value, openedAt: at }).onConflictDoNothing().returning({ id: breaches.id });
    if (inserted[0]) {
      await this.audit(releaseId, 'verification.breach_opened', { check, severity, value });
      return { id: inserted[0].id, alert: 'opened' };
    }
    const [open] = await this.db
      .select({ id: breaches.id, severity: breaches.severity })
      .from(breaches)
      .where(and(eq(breaches.releaseId, releaseId), eq(breaches.check, check), isNull(breaches.resolvedAt)));
    if (severity === 'critical' && open!.severity !== 'critical') {
      await this.db.update(breaches).set({ severity, value }).where(eq(breaches.id, open!.id));
      await this.audit(releaseId, 'verification.breach_escalated', { check, from: open!.severity, to: severity, value });
      return { id: open!.id, alert: 'escalated' };
    }
    return { id: open!.id, alert: undefined };
  }

  /** Closes the open breach of `check`, if any; true when there was one. */
  async resolveBreach(releaseId: string, check: string, at: Date): Promise<boolean> {
    const closed = await this.db
      .update(breaches)
      .set({ resolvedAt: at })
      .where(and(eq(breaches.releaseId, releaseId), eq(breaches.check, check), isNull(breaches.resolvedAt)))
      .returning({ id: breaches.id });
    if (closed.length > 0) await this.audit(releaseId, 'verification.breach_resolved', { check });
    return closed.length > 0;
  }

  async openBreaches(releaseId: string): Promise<{ check: string; severity: string; openedAt: Date }[]> {
    return this.db
      .select({ check: breaches.check, severity: breaches.severity, openedAt: breaches.openedAt })
      .from(breaches)
      .where(and(eq(breaches.releaseId, releaseId), isNull(breaches.resolvedAt)));
  }

  /** The latest audit event of `action` for a release (e.g. the last verification run). */
  async lastEvent(releaseId: string, action: string): Promise<ReleaseEventRow | undefined> {
    const [row] = await this.db
      .select()
      .from(releaseEvents)
      .where(and(eq(releaseEvents.releaseId, releaseId), eq(releaseEvents.action, action)))
      .orderBy(desc(releaseEvents.id))
      .limit(1);
    return row;
  }

  /** Sets facts that are not state changes (the thread's ts, the target commit), keeping the audit log. */
  async update(releaseId: string, set: Partial<Omit<ReleaseRow, 'id' | 'state'>>, ex: Executor = this.db): Promise<Release> {
    try {
      const [row] = await ex.update(releases).set({ ...set, updatedAt: this.clock() }).where(eq(releases.id, releaseId)).returning();
      return toRelease(row!);
    } finally {
      // Inside a withLock transaction, withLock clears again after its commit.
      this.wrote();
    }
  }

  async audit(releaseId: string, action: string, details: Record<string, unknown> = {}, actor = SYSTEM_ACTOR, ex: Executor = this.db): Promise<void> {
    await ex.insert(releaseEvents).values({ at: this.clock(), releaseId, actor, action, details });
  }

  async events(releaseId: string, ex: Executor = this.db): Promise<ReleaseEventRow[]> {
    return ex.select().from(releaseEvents).where(eq(releaseEvents.releaseId, releaseId)).orderBy(asc(releaseEvents.id));
  }

  // Released versions: what the repository's tags and tminus's completed releases say was shipped.

  async releasedVersions(): Promise<string[]> {
    const rows = await this.db.select({ version: releasedVersions.version }).from(releasedVersions);
    return rows.map((r) => r.version);
  }

  async recordReleasedVersions(entries: { version: string; sha: string | null; source: string }[], ex: Executor = this.db): Promise<void> {
    if (entries.length === 0) return;
    await ex.insert(releasedVersions).values(entries).onConflictDoNothing();
  }

  async markSynced(key: string, value: Record<string, unknown>): Promise<void> {
    await this.db
      .insert(syncState)
      .values({ key, value })
      .onConflictDoUpdate({ target: syncState.key, set: { value, updatedAt: sql`now()` } });
  }

  async syncedAt(key: string): Promise<Date | undefined> {
    const [row] = await this.db.select().from(syncState).where(and(eq(syncState.key, key)));
    return row?.updatedAt;
  }
}
