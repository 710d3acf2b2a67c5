import { and, asc, desc, eq } from 'drizzle-orm';
import type { Database } from './client.js';
import type { Executor, Transaction } from './release-store.js';
import { approvalGates, approvals, releaseEvents, type ApprovalGateRow, type ApprovalRow } from './schema.js';

export type Gate = ApprovalGateRow & { kind: 'release' | 'production' | 'rollback'; state: 'open' | 'approved' | 'rejected' | 'closed' };
export type Decision = ApprovalRow & { decision: 'approved' | 'rejected' };

/** Approval gates and the decisions people made at them. */
export class GateStore {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  async find(gateId: string, ex: Executor = this.db): Promise<Gate | undefined> {
    const [row] = await ex.select().from(approvalGates).where(eq(approvalGates.id, gateId));
    return row as Gate | undefined;
  }

  /** The release's gate of `kind`: for the production gate, the one of the latest run attempt. */
  async ofRelease(releaseId: string, kind: Gate['kind'], ex: Executor = this.db): Promise<Gate | undefined> {
    const [row] = await ex
      .select()
      .from(approvalGates)
      .where(and(eq(approvalGates.releaseId, releaseId), eq(approvalGates.kind, kind)))
      .orderBy(desc(approvalGates.runAttempt))
      .limit(1);
    return row as Gate | undefined;
  }

  async allOf(releaseId: string, ex: Executor = this.db): Promise<Gate[]> {
    return (await ex.select().from(approvalGates).where(eq(approvalGates.releaseId, releaseId)).orderBy(asc(approvalGates.openedAt))) as Gate[];
  }

  async decisions(gateId: string, ex: Executor = this.db): Promise<Decision[]> {
    return (await ex.select().from(approvals).where(eq(approvals.gateId, gateId)).orderBy(asc(approvals.id))) as Decision[];
  }

  /** Opens a gate once: a second call (a repeated job) returns the one already open. */
  async open(tx: Transaction, releaseId: string, kind: Gate['kind'], rule: Gate['rule'], environmentId?: number, runAttempt = 1): Promise<{ gate: Gate; opened: boolean }> {
    const inserted = await tx.insert(approvalGates).values({ releaseId, kind, rule, environmentId, runAttempt, openedAt: this.clock() }).onConflictDoNothing().returning();
    if (inserted[0]) {
      await tx.insert(releaseEvents).values({ at: this.clock(), releaseId, actor: 'tminus', action: 'gate.opened', details: { gateId: inserted[0].id, kind, ...rule, ...(runAttempt > 1 ? { runAttempt } : {}) } });
      return { gate: inserted[0] as Gate, opened: true };
    }
    const [existing] = await tx
      .select()
      .from(approvalGates)
      .where(and(eq(approvalGates.releaseId, releaseId), eq(approvalGates.kind, kind), eq(approvalGates.runAttempt, runAttempt)));
    return { gate: existing as Gate, opened: false };
  }

  /** Records one person's decision; false when they had already decided at this gate (a double click). */
  async record(tx: Transaction, gate: Gate, decision: { userId: string; decision: Decision['decision']; roles: string[]; reason?: string; at: Date }): Promise<boolean> {
    const inserted = await tx
      .insert(approvals)
      .values({ gateId: gate.id, userId: decision.userId, decision: decision.decision, roles: decision.roles, reason: decision.reason, at: decision.at })
      .onConflictDoNothing()
      .returning({ id: approvals.id });
    if (inserted.length === 0) return false;
    await tx.insert(releaseEvents).values({
      at: decision.at,
      releaseId: gate.releaseId,
      actor: decision.userId,
      action: decision.decision === 'approved' ? 'approval.approved' : 'approval.rejected',
      details: { gateId: gate.id, kind: gate.kind, roles: decision.roles, ...(decision.reason ? { reason: decision.reason } : {}) },
    });
    return true;
  }

  /** Says how a decided gate really ended (e.g. a Slack rejection GitHub no longer took). */
  async setOutcome(gateId: string, outcome: string): Promise<void> {
    await this.db.update(approvalGates).set({ outcome }).where(eq(approvalGates.id, gateId));
  }

  /** Closes a gate as decided; `outcome` says how when it was not by decisions in Slack. */
  async close(tx: Transaction, gate: Gate, state: 'approved' | 'rejected', at: Date, outcome?: { text: string; actor: string }): Promise<void> {
    await tx.update(approvalGates).set({ state, decidedAt: at, outcome: outcome?.text ?? null }).where(eq(approvalGates.id, gate.id));
    await tx.insert(releaseEvents).values({
      at,
      releaseId: gate.releaseId,
      actor: outcome?.actor ?? 'tminus',
      action: `gate.${state}`,
      details: { gateId: gate.id, kind: gate.kind, ...(outcome ? { outcome: outcome.text } : {}) },
    });
  }
}
