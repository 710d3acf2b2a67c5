import { describe, expect, it } from 'vitest';
import { parseDetectedAt } from '../../src/domain/detected-at.js';

// 14:30 UTC on a winter day: 15:30 in Berlin (CET), 09:30 in New York (EST).
const NOW = new Date('2026-11-20T14:30:00Z');

describe('parseDetectedAt', () => {
  it.each([
    ['14:10', 'UTC', '2026-11-20T14:10:00.000Z'],
    ['9:05', 'UTC', '2026-11-20T09:05:00.000Z'],
    ['15:10', 'Europe/Berlin', '2026-11-20T14:10:00.000Z'],
    ['09:00', 'America/New_York', '2026-11-20T14:00:00.000Z'],
    ['2026-11-20T14:05Z', 'Europe/Berlin', '2026-11-20T14:05:00.000Z'],
    ['2026-11-20T15:05:00+01:00', 'UTC', '2026-11-20T14:05:00.000Z'],
    // No offset: the team's clock.
    ['2026-11-20T15:05', 'Europe/Berlin', '2026-11-20T14:05:00.000Z'],
    ['2026-11-19T15:00Z', 'UTC', '2026-11-19T15:00:00.000Z'],
    // A minute ahead of our clock is a watch that runs fast, not the future.
    ['14:31', 'UTC', '2026-11-20T14:30:00.000Z'],
  ])('reads %j in %s', (text, zone, iso) => {
    expect(parseDetectedAt(text, NOW, zone)).toEqual({ ok: true, at: new Date(iso) });
  });

  it.each([
    ['14:45', 'UTC', 'is in the future'],
    // 15:30 in Berlin is now; 16:00 there is still to come.
    ['16:00', 'Europe/Berlin', 'is in the future'],
    ['2026-11-19T14:00Z', 'UTC', 'more than 24 hours ago'],
    ['24:00', 'UTC', 'is not a time of day'],
    ['12:75', 'UTC', 'is not a time of day'],
    ['yesterday', 'UTC', 'give HH:MM (today, UTC) or an ISO time'],
  ])('refuses %j in %s', (text, zone, reason) => {
    const parsed = parseDetectedAt(text, NOW, zone);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });
});
