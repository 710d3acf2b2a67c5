/**
 * The emergency rollback on the guide's clock: "Execute within 5 minutes of detection". What tminus expects
 * of a rollback comes from how long this team's rollbacks took before, never from the limit itself: the
 * limit is a deadline, not an estimate.
 */

/** How many of the latest rollbacks the estimate reads. */
export const ROLLBACKS_JUDGED = 5;

/** The median of earlier rollbacks' durations (started → restored, ms); undefined when there is none. */
export function typicalRollback(durationsMs: readonly number[]): number | undefined {
  const sorted = durationsMs.filter((d) => Number.isFinite(d) && d >= 0).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}

export interface RollbackEta {
  /** When the rollback is expected to be done: its start plus the typical rollback. */
  at: Date;
  /** How many earlier rollbacks the estimate comes from. */
  from: number;
  /** How far past the estimate it is already (0 while within it). */
  overrunMs: number;
}

/** The expected completion of a rollback started at `startedAt`, from the earlier ones; undefined with none. */
export function rollbackEta(startedAt: Date, earlierMs: readonly number[], now: Date): RollbackEta | undefined {
  const typical = typicalRollback(earlierMs);
  if (typical === undefined) return undefined;
  const at = new Date(startedAt.getTime() + typical);
  return { at, from: earlierMs.length, overrunMs: Math.max(0, now.getTime() - at.getTime()) };
}

/** The guide's deadline: detection (or the start, when nobody said when it was detected) plus the limit. */
export function rollbackDeadline(rollback: { startedAt: string; detectedAt?: string }, limitMs: number): Date {
  return new Date(Date.parse(rollback.detectedAt ?? rollback.startedAt) + limitMs);
}

/** How late a rollback not yet restored is past the deadline at `now`; undefined while it is not late. */
export function rollbackLateBy(rollback: { startedAt: string; detectedAt?: string; restoredAt?: string }, limitMs: number, now: Date): number | undefined {
  if (rollback.restoredAt) return undefined;
  const late = now.getTime() - rollbackDeadline(rollback, limitMs).getTime();
  return late >= 0 ? late : undefined;
}
