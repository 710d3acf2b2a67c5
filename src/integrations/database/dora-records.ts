import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import type { DoraRelease } from '../../domain/dora.js';
import type { Database } from './client.js';
import { SYSTEM_ACTOR } from './release-store.js';
import { approvalGates, releaseChanges, releaseEvents, releases } from './schema.js';

/** A merged pull request a release carried to production, as read from GitHub when it got there. */
export interface ChangeRecord {
  number: number;
  firstCommitAt: Date;
  mergedAt?: Date;
  mergeSha?: string;
}

/** What DORA reads: tminus's releases, their audit log and the changes they carried. */
export interface DoraReader {
  /** Every release asked for before `before`, as the DORA figures read it. */
  releasesBefore(before: Date): Promise<DoraRelease[]>;
}

/** DORA's records in Postgres: read-only over releases, plus the changes each release carried. */
export class DoraRecords implements DoraReader {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  async releasesBefore(before: Date): Promise<DoraRelease[]> {
    const rows = await this.db.select().from(releases).where(lt(releases.requestedAt, before));
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [deployed, coordinated, changes] = await Promise.all([
      this.db
        .select({ releaseId: releaseEvents.releaseId, at: releaseEvents.at })
        .from(releaseEvents)
        .where(and(eq(releaseEvents.action, 'release.deploy_succeeded'), inArray(releaseEvents.releaseId, ids))),
      // A coordinated rollback the VP Eng approved reverts the release: a failed change like an emergency one.
      this.db
        .select({ releaseId: approvalGates.releaseId, at: approvalGates.decidedAt })
        .from(approvalGates)
        .where(and(eq(approvalGates.kind, 'rollback'), eq(approvalGates.state, 'approved'), inArray(approvalGates.releaseId, ids))),
      this.db.select().from(releaseChanges).where(inArray(releaseChanges.releaseId, ids)),
    ]);
    const firstDeploy = new Map<string, Date>();
    for (const d of deployed) if (!firstDeploy.has(d.releaseId) || d.at < firstDeploy.get(d.releaseId)!) firstDeploy.set(d.releaseId, d.at);
    const coordinatedAt = new Map(coordinated.map((c) => [c.releaseId, c.at]));
    const changesOf = new Map<string, DoraRelease['changes']>();
    for (const c of changes) changesOf.set(c.releaseId, [...(changesOf.get(c.releaseId) ?? []), { number: c.number, firstCommitAt: c.firstCommitAt }]);
    return rows.map((r) => {
      const reached = firstDeploy.get(r.id);
      // The deploy run's end; a re-run in progress has none yet, so its first success stands.
      const deployedAt = reached ? (r.finishedAt ?? reached) : undefined;
      const release: DoraRelease = {
        version: r.version,
        type: r.type as DoraRelease['type'],
        previousVersion: r.previousVersion,
        requestedAt: r.requestedAt,
        failedAfterProduction: deployedAt !== undefined && r.state === 'failed',
        changes: changesOf.get(r.id) ?? [],
      };
      if (deployedAt) release.deployedAt = deployedAt;
      if (r.rollback) {
        release.rollback = {
          startedAt: new Date(r.rollback.startedAt),
          ...(r.rollback.detectedAt ? { detectedAt: new Date(r.rollback.detectedAt) } : {}),
          ...(r.rollback.restoredAt ? { restoredAt: new Date(r.rollback.restoredAt) } : {}),
        };
      } else if (coordinatedAt.has(r.id)) {
        // No restore time: the revert is a release of its own, whose deployment restores service.
        release.rollback = { startedAt: coordinatedAt.get(r.id) ?? r.updatedAt };
      }
      if (r.hotfix) release.hotfix = r.hotfix.detectedAt ? { detectedAt: new Date(r.hotfix.detectedAt) } : {};
      return release;
    });
  }

  /** Whether the release's changes were recorded already (an empty release records none, but is recorded). */
  async changesRecorded(releaseId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: releaseEvents.id })
      .from(releaseEvents)
      .where(and(eq(releaseEvents.releaseId, releaseId), eq(releaseEvents.action, 'dora.changes_recorded')))
      .limit(1);
    return row !== undefined;
  }

  /**
   * Records the release's changes once, with its audit entry, in one transaction under the release's row
   * lock: a second run (a job delivered twice) finds them recorded and records nothing. True when recorded now.
   */
  async recordChanges(releaseId: string, changes: ChangeRecord[], details: Record<string, unknown>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.select({ id: releases.id }).from(releases).where(eq(releases.id, releaseId)).for('update');
      const [recorded] = await tx
        .select({ id: releaseEvents.id })
        .from(releaseEvents)
        .where(and(eq(releaseEvents.releaseId, releaseId), eq(releaseEvents.action, 'dora.changes_recorded')))
        .limit(1);
      if (recorded) return false;
      if (changes.length > 0) {
        await tx
          .insert(releaseChanges)
          .values(changes.map((c) => ({ releaseId, number: c.number, firstCommitAt: c.firstCommitAt, mergedAt: c.mergedAt ?? null, mergeSha: c.mergeSha ?? null })))
          .onConflictDoNothing();
      }
      await tx.insert(releaseEvents).values({ at: this.clock(), releaseId, actor: SYSTEM_ACTOR, action: 'dora.changes_recorded', details: { pullRequests: changes.map((c) => c.number), ...details } });
      return true;
    });
  }

  /** Releases that reached production since `since` and whose changes are not recorded yet: the reconciler's to queue. */
  async deployedWithoutChanges(since: Date): Promise<string[]> {
    const deployed = await this.db
      .selectDistinct({ releaseId: releaseEvents.releaseId })
      .from(releaseEvents)
      .where(and(eq(releaseEvents.action, 'release.deploy_succeeded'), gte(releaseEvents.at, since)));
    if (deployed.length === 0) return [];
    const ids = deployed.map((d) => d.releaseId);
    const recorded = await this.db
      .select({ releaseId: releaseEvents.releaseId })
      .from(releaseEvents)
      .where(and(eq(releaseEvents.action, 'dora.changes_recorded'), inArray(releaseEvents.releaseId, ids)));
    const done = new Set(recorded.map((r) => r.releaseId));
    return ids.filter((id) => !done.has(id));
  }
}
