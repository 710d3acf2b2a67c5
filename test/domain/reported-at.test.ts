import { describe, expect, it } from 'vitest';
import { reportedAt } from '../../src/domain/reported-at.js';

describe('reportedAt: a time another service reported, on tminus clock', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  it.each([
    ['an earlier time is kept', '2026-12-02T09:59:00Z', '2026-12-02T09:59:00.000Z'],
    ['a time after now is skew: now', '2026-12-07T09:00:00Z', '2026-12-02T10:00:00.000Z'],
    ['nothing reported: now', undefined, '2026-12-02T10:00:00.000Z'],
    ['not a time: now', 'soon', '2026-12-02T10:00:00.000Z'],
  ])('%s', (_, reported, expected) => {
    expect(reportedAt(reported, now).toISOString()).toBe(expected);
  });
});
