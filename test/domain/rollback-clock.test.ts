import { describe, expect, it } from 'vitest';
import { rollbackDeadline, rollbackEta, rollbackLateBy, typicalRollback } from '../../src/domain/rollback-clock.js';

const MIN = 60_000;

describe('the rollback on the guide clock', () => {
  it('the deadline counts from detection, or from the start when nobody said when it was detected', () => {
    expect(rollbackDeadline({ startedAt: '2026-12-10T14:03:00Z', detectedAt: '2026-12-10T14:00:00Z' }, 5 * MIN).toISOString()).toBe('2026-12-10T14:05:00.000Z');
    expect(rollbackDeadline({ startedAt: '2026-12-10T14:03:00Z' }, 5 * MIN).toISOString()).toBe('2026-12-10T14:08:00.000Z');
  });

  it('is late only past the deadline and only while not restored', () => {
    const rollback = { startedAt: '2026-12-10T14:01:00Z', detectedAt: '2026-12-10T14:00:00Z' };
    expect(rollbackLateBy(rollback, 5 * MIN, new Date('2026-12-10T14:04:59Z'))).toBeUndefined();
    expect(rollbackLateBy(rollback, 5 * MIN, new Date('2026-12-10T14:06:30Z'))).toBe(90_000);
    expect(rollbackLateBy({ ...rollback, restoredAt: '2026-12-10T14:06:00Z' }, 5 * MIN, new Date('2026-12-10T14:07:00Z'))).toBeUndefined();
  });

  it('expects what earlier rollbacks took (their median), never the limit', () => {
    expect(typicalRollback([])).toBeUndefined();
    expect(typicalRollback([3 * MIN, 9 * MIN, 4 * MIN])).toBe(4 * MIN);
    expect(typicalRollback([2 * MIN, 4 * MIN])).toBe(3 * MIN);
    const started = new Date('2026-12-10T14:00:00Z');
    expect(rollbackEta(started, [], started)).toBeUndefined();
    expect(rollbackEta(started, [4 * MIN, 6 * MIN], new Date('2026-12-10T14:07:00Z'))).toEqual({ at: new Date('2026-12-10T14:05:00Z'), from: 2, overrunMs: 2 * MIN });
  });
});
