import { describe, expect, it } from 'vitest';
import { takeOne } from '../../src/domain/rate-limit.js';

const RULE = { limit: 2, windowMs: 60_000 };

describe('takeOne: a sliding window of requests', () => {
  it('allows the limit, then says how long until the oldest leaves the window', () => {
    const first = takeOne(RULE, [], 1_000);
    expect(first).toEqual({ waitMs: 0, recent: [1_000] });
    const second = takeOne(RULE, first.recent, 11_000);
    expect(second.waitMs).toBe(0);
    const third = takeOne(RULE, second.recent, 21_000);
    expect(third).toEqual({ waitMs: 40_000, recent: [1_000, 11_000] });
  });

  it('has no burst at a window edge: a minute after the first, only one more is allowed', () => {
    const taken = [0, 59_000];
    expect(takeOne(RULE, taken, 60_000).waitMs).toBe(0);
    expect(takeOne(RULE, [59_000, 60_000], 60_500).waitMs).toBe(58_500);
  });

  it('forgets requests older than the window, and counts one a replica dated a moment ahead', () => {
    expect(takeOne(RULE, [0, 1_000], 200_000)).toEqual({ waitMs: 0, recent: [200_000] });
    expect(takeOne(RULE, [200_500, 199_000], 200_000).waitMs).toBeGreaterThan(0);
  });
});
