import { describe, expect, it } from 'vitest';
import { dateFormat, offsetAt, wallToInstant } from '../../src/domain/time-zone.js';
import { clockTime } from '../../src/messages/format.js';

describe('wall clocks of the policy time zone', () => {
  it('reads the offset on each side of a daylight-saving change', () => {
    // Europe/Berlin leaves CET for CEST at 01:00 UTC on 2026-03-29.
    expect(offsetAt(Date.UTC(2026, 2, 29, 0, 59), 'Europe/Berlin')).toBe(60 * 60_000);
    expect(offsetAt(Date.UTC(2026, 2, 29, 1, 0), 'Europe/Berlin')).toBe(2 * 60 * 60_000);
    expect(offsetAt(Date.UTC(2026, 6, 1), 'UTC')).toBe(0);
  });

  it('turns a wall-clock reading into its instant, using the earlier offset in a gap', () => {
    expect(new Date(wallToInstant(Date.UTC(2026, 6, 1, 14, 0), 'Europe/Berlin')).toISOString()).toBe('2026-07-01T12:00:00.000Z');
    // 02:30 does not exist in Berlin on 2026-03-29: read with CET's offset.
    expect(new Date(wallToInstant(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin')).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('makes one formatter per locale and options, and the times it writes do not depend on which call made it', () => {
    const a = dateFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    expect(dateFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })).toBe(a);
    expect(dateFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })).not.toBe(a);
    const at = new Date('2026-07-01T12:05:00Z');
    expect(clockTime(at, 'Europe/Berlin')).toBe('14:05 CEST');
    expect(clockTime(at, 'America/New_York')).toBe('08:05 EDT');
    expect(clockTime(at, 'UTC')).toBe('12:05 UTC');
    expect(clockTime(at, 'Europe/Berlin')).toBe('14:05 CEST');
  });
});
