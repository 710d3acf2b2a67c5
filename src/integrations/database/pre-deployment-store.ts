import { and, asc, eq, isNull } from 'drizzle-orm';
import type { CheckRecord, MonitoringReading } from '../../domain/pre-deployment-checks.js';
import type { Database } from './client.js';
import type { Gate } from './gate-store.js';
import type { Executor, Transaction } from './release-store.js';
import { preDeploymentChecks, releaseEvents, type PreDeploymentCheckRow } from './schema.js';

function toRecord(row: PreDeploymentCheckRow): CheckRecord {
  const { item, tickedBy, tickedAt, evidence, readAt } = row;
  return { item, tickedBy, tickedAt, evidence, reading: row.reading as MonitoringReading | null, readAt };
}

/**
 * The production gate's pre-deployment checks: each ticked once per gate (a double click, two racing clicks
 * or two replicas' reads record one tick), every tick audited on the release.
 */
export class PreDeploymentStore {
  constructor(private readonly db: Database) {}

  async ofGate(gateId: string, ex: Executor = this.db): Promise<CheckRecord[]> {
    return (await ex.select().from(preDeploymentChecks).where(eq(preDeploymentChecks.gateId, gateId)).orderBy(asc(preDeploymentChecks.id))).map(toRecord);
  }

  /** Ticks `item` at the gate; false when it was ticked already. The tick is audited with who, what and when. */
  async tick(tx: Transaction, gate: Gate, tick: { item: string; label: string; by: string; evidence?: string; at: Date }): Promise<boolean> {
    const values = { gateId: gate.id, item: tick.item, tickedBy: tick.by, tickedAt: tick.at, evidence: tick.evidence ?? null };
    const ticked = await tx
      .insert(preDeploymentChecks)
      .values(values)
      .onConflictDoUpdate({
        target: [preDeploymentChecks.gateId, preDeploymentChecks.item],
        set: { tickedBy: tick.by, tickedAt: tick.at, evidence: tick.evidence ?? null },
        setWhere: isNull(preDeploymentChecks.tickedBy),
      })
      .returning({ id: preDeploymentChecks.id });
    if (ticked.length === 0) return false;
    await tx.insert(releaseEvents).values({
      at: tick.at,
      releaseId: gate.releaseId,
      actor: tick.by,
      action: 'pre_deployment.ticked',
      details: { gateId: gate.id, item: tick.item, label: tick.label, ...(tick.evidence ? { evidence: tick.evidence } : {}) },
    });
    return true;
  }

  /**
   * Keeps tminus's last reading of a check it could not tick (a monitor alerting, Datadog unread), shown in
   * the gate's message. A reading that changed is audited; a ticked check keeps its tick. True when it changed.
   */
  async recordReading(tx: Transaction, gate: Gate, reading: { item: string; reading: MonitoringReading; evidence: string; at: Date }): Promise<boolean> {
    const [before] = await tx
      .select()
      .from(preDeploymentChecks)
      .where(and(eq(preDeploymentChecks.gateId, gate.id), eq(preDeploymentChecks.item, reading.item)));
    if (before?.tickedBy) return false;
    await tx
      .insert(preDeploymentChecks)
      .values({ gateId: gate.id, item: reading.item, reading: reading.reading, evidence: reading.evidence, readAt: reading.at })
      .onConflictDoUpdate({
        target: [preDeploymentChecks.gateId, preDeploymentChecks.item],
        set: { reading: reading.reading, evidence: reading.evidence, readAt: reading.at },
        setWhere: isNull(preDeploymentChecks.tickedBy),
      });
    const changed = before?.reading !== reading.reading || before.evidence !== reading.evidence;
    if (changed) {
      await tx.insert(releaseEvents).values({
        at: reading.at,
        releaseId: gate.releaseId,
        actor: 'tminus',
        action: 'pre_deployment.not_ticked',
        details: { gateId: gate.id, item: reading.item, reading: reading.reading, evidence: reading.evidence },
      });
    }
    return changed;
  }
}
