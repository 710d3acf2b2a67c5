import { describe, expect, it } from 'vitest';
import { checkCadence, isOnSlot, nextSlots } from '../../src/domain/calendar.js';
import { defaultPolicy, loadPolicy, type Policy } from '../../src/domain/policy.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const guide = defaultPolicy();
const berlin = loadPolicy(`
timezone: Europe/Berlin
releaseTypes:
  minor:
    cadence: { kind: biweekly, weekday: thursday, time: '14:00', anchor: '2025-03-20' }
`);

function policy(yamlText: string): Policy {
  return loadPolicy(yamlText);
}

function slotsOf(p: Policy, type: 'minor' | 'major', from: string, count: number): string[] {
  return nextSlots(p, type, new Date(from), count).map((slot) => slot.at.toISOString());
}

const dates = (...isos: string[]) => isos.map((iso) => new Date(iso));

/** The ISO week number of a UTC date: the week (Monday first) holding the year's first Thursday is 1. */
function isoWeek(date: Date): number {
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 3 - ((date.getUTCDay() + 6) % 7)));
  return 1 + Math.floor((thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / (7 * 24 * HOUR));
}

describe('nextSlots: minor releases, every second Thursday at 14:00', () => {
  it.each([
    // Without an anchor: even ISO weeks (2025-01-09 is 2025-W02).
    ['guide, new year', guide, '2025-01-01T00:00:00Z', ['2025-01-09T14:00:00.000Z', '2025-01-23T14:00:00.000Z', '2025-02-06T14:00:00.000Z']],
    ['guide, a slot is its own next slot', guide, '2025-01-09T14:00:00Z', ['2025-01-09T14:00:00.000Z', '2025-01-23T14:00:00.000Z']],
    ['guide, just after a slot', guide, '2025-01-09T14:00:00.001Z', ['2025-01-23T14:00:00.000Z']],
    ['guide, across a month end', guide, '2025-01-24T00:00:00Z', ['2025-02-06T14:00:00.000Z', '2025-02-20T14:00:00.000Z', '2025-03-06T14:00:00.000Z']],
    ['guide, across a year end', guide, '2025-12-12T00:00:00Z', ['2025-12-25T14:00:00.000Z', '2026-01-08T14:00:00.000Z', '2026-01-22T14:00:00.000Z']],
    // Berlin: 14:00 local is 13:00Z in winter and 12:00Z in summer (changes on 2025-03-30 and 2025-10-26).
    ['Berlin, into summer time', berlin, '2025-03-01T00:00:00Z', ['2025-03-06T13:00:00.000Z', '2025-03-20T13:00:00.000Z', '2025-04-03T12:00:00.000Z']],
    ['Berlin, into winter time', berlin, '2025-10-10T00:00:00Z', ['2025-10-16T12:00:00.000Z', '2025-10-30T13:00:00.000Z', '2025-11-13T13:00:00.000Z']],
    // 14:00 Berlin on 2025-03-20 is 13:00Z: the slot is not missed from an instant that is still the 20th in UTC.
    ['Berlin, from the slot day itself', berlin, '2025-03-20T12:59:59Z', ['2025-03-20T13:00:00.000Z']],
  ])('%s', (_name, p, from, expected) => {
    expect(slotsOf(p, 'minor', from, expected.length)).toEqual(expected);
  });

  it('without an anchor, on-weeks are the even ISO weeks of 2021 to 2026 (a fixed 14-day rhythm)', () => {
    const slots = nextSlots(guide, 'minor', new Date('2021-01-01T00:00:00Z'), 156);
    expect(slots.at(-1)?.at.toISOString()).toBe('2026-12-24T14:00:00.000Z');
    expect(slots.filter((slot) => isoWeek(slot.at) % 2 !== 0)).toEqual([]);
    // 2026 has 53 weeks: the rhythm runs on, so from 2027 the odd ISO weeks are on (2027-01-07 is W01).
    expect(slotsOf(guide, 'minor', '2026-12-25T00:00:00Z', 1)).toEqual(['2027-01-07T14:00:00.000Z']);
    expect(isoWeek(new Date('2027-01-07T14:00:00Z'))).toBe(1);
  });

  it('an anchor picks which weeks are on', () => {
    const even = policy(`releaseTypes: { minor: { cadence: { kind: biweekly, weekday: thursday, time: '14:00', anchor: '2025-01-09' } } }`);
    const odd = policy(`releaseTypes: { minor: { cadence: { kind: biweekly, weekday: thursday, time: '14:00', anchor: '2025-01-16' } } }`);
    const from = '2025-05-01T00:00:00Z';
    expect(slotsOf(even, 'minor', from, 2)).toEqual(slotsOf(guide, 'minor', from, 2));
    expect(slotsOf(even, 'minor', from, 2)).toEqual(['2025-05-01T14:00:00.000Z', '2025-05-15T14:00:00.000Z']);
    expect(slotsOf(odd, 'minor', from, 2)).toEqual(['2025-05-08T14:00:00.000Z', '2025-05-22T14:00:00.000Z']);
    // An anchor far in the past or the future counts the same fortnights.
    const later = policy(`releaseTypes: { minor: { cadence: { kind: biweekly, weekday: thursday, time: '14:00', anchor: '2030-10-17' } } }`);
    expect(slotsOf(later, 'minor', from, 2)).toEqual(slotsOf(odd, 'minor', from, 2));
  });

  it.each([
    // Sundays at 02:30 in Berlin: on 2025-03-30 02:30 does not exist (moved on to 03:30 CEST);
    // on 2025-10-26 it happens twice (the first, CEST, is taken).
    ['skipped by spring forward', '2025-03-29T00:00:00Z', '2025-03-30T01:30:00.000Z'],
    ['repeated by fall back', '2025-10-25T00:00:00Z', '2025-10-26T00:30:00.000Z'],
    ['an ordinary summer Sunday', '2025-04-12T00:00:00Z', '2025-04-13T00:30:00.000Z'],
  ])('a wall-clock time %s', (_name, from, expected) => {
    const night = policy(`
timezone: Europe/Berlin
releaseTypes: { minor: { cadence: { kind: biweekly, weekday: sunday, time: '02:30', anchor: '2025-03-30' } } }
`);
    expect(slotsOf(night, 'minor', from, 1)).toEqual([expected]);
  });

  it('gives what is asked for', () => {
    expect(nextSlots(guide, 'minor', new Date('2025-01-01T00:00:00Z'), 0)).toEqual([]);
    expect(nextSlots(guide, 'minor', new Date('2025-01-01T00:00:00Z'), 1)).toEqual([{ type: 'minor', at: new Date('2025-01-09T14:00:00Z') }]);
    expect(nextSlots(guide, 'minor', new Date('2025-01-01T00:00:00Z'), 60)).toHaveLength(60);
  });
});

describe('nextSlots: major releases, the first Friday of Jan, Apr, Jul and Oct at 06:00', () => {
  const berlinMajor = policy('timezone: Europe/Berlin');

  it.each([
    ['guide, a year of them', guide, '2025-01-01T00:00:00Z', ['2025-01-03T06:00:00.000Z', '2025-04-04T06:00:00.000Z', '2025-07-04T06:00:00.000Z', '2025-10-03T06:00:00.000Z']],
    ['guide, Oct to Jan across a year end', guide, '2025-10-03T06:00:01Z', ['2026-01-02T06:00:00.000Z', '2026-04-03T06:00:00.000Z']],
    ['guide, on New Year’s Eve', guide, '2025-12-31T23:59:59Z', ['2026-01-02T06:00:00.000Z']],
    ['guide, from within a release month', guide, '2025-04-05T00:00:00Z', ['2025-07-04T06:00:00.000Z']],
    ['guide, a month whose first day is the Friday', guide, '2027-01-01T00:00:00Z', ['2027-01-01T06:00:00.000Z']],
    // Berlin: 06:00 local is 05:00Z in January and 04:00Z in April; the new year there starts at 23:00Z.
    ['Berlin, winter and summer', berlinMajor, '2025-12-31T23:30:00Z', ['2026-01-02T05:00:00.000Z', '2026-04-03T04:00:00.000Z', '2026-07-03T04:00:00.000Z', '2026-10-02T04:00:00.000Z']],
    ['other months', policy(`releaseTypes: { major: { cadence: { kind: quarterly, months: [12, 3], weekday: monday, time: '09:30' } } }`), '2025-11-30T00:00:00Z', ['2025-12-01T09:30:00.000Z', '2026-03-02T09:30:00.000Z', '2026-12-07T09:30:00.000Z']],
  ])('%s', (_name, p, from, expected) => {
    expect(slotsOf(p, 'major', from, expected.length)).toEqual(expected);
  });

  it('a type whose cadence has no slots has none', () => {
    const anyTime = policy(`releaseTypes: { major: { cadence: { kind: onDemand } } }`);
    expect(nextSlots(anyTime, 'major', new Date('2025-01-01T00:00:00Z'), 3)).toEqual([]);
    expect(isOnSlot(anyTime, 'major', new Date('2025-01-03T06:00:00Z'), HOUR)).toBe(false);
  });
});

describe('isOnSlot', () => {
  const slot = new Date('2025-01-09T14:00:00Z').getTime();

  it.each([
    ['on the slot, no tolerance', slot, 0, true],
    ['a millisecond late, no tolerance', slot + 1, 0, false],
    ['an hour early, tolerance 1h', slot - HOUR, HOUR, true],
    ['an hour late, tolerance 1h', slot + HOUR, HOUR, true],
    ['just over an hour early', slot - HOUR - 1, HOUR, false],
    ['just over an hour late', slot + HOUR + 1, HOUR, false],
    ['the off week', slot + 7 * 24 * HOUR, HOUR, false],
    ['the next on week', slot + 14 * 24 * HOUR + 30 * MINUTE, HOUR, true],
  ])('minor, %s', (_name, at, tolerance, expected) => {
    expect(isOnSlot(guide, 'minor', new Date(at), tolerance)).toBe(expected);
  });

  it.each([
    ['Berlin summer slot at 12:00Z', '2025-04-03T12:00:00Z', true],
    ['Berlin summer, 14:00Z is not 14:00 local', '2025-04-03T14:00:00Z', false],
    ['Berlin winter slot at 13:00Z', '2025-03-20T13:10:00Z', true],
  ])('minor, %s', (_name, at, expected) => {
    expect(isOnSlot(berlin, 'minor', new Date(at), 15 * MINUTE)).toBe(expected);
  });

  it.each([
    ['first Friday of April', '2025-04-04T06:30:00Z', true],
    ['second Friday of April', '2025-04-11T06:00:00Z', false],
    ['first Friday of May', '2025-05-02T06:00:00Z', false],
  ])('major, %s', (_name, at, expected) => {
    expect(isOnSlot(guide, 'major', new Date(at), HOUR)).toBe(expected);
  });
});

describe('checkCadence', () => {
  describe('patch: at most 2 a week', () => {
    // 2025-03-10 is a Monday.
    it.each([
      ['the first of the week', guide, '2025-03-10T09:00:00Z', [], null],
      ['the second of the week', guide, '2025-03-11T09:00:00Z', ['2025-03-10T09:00:00Z'], null],
      ['the third of the week', guide, '2025-03-12T09:00:00Z', ['2025-03-10T09:00:00Z', '2025-03-11T09:00:00Z'], '2025-03-17T00:00:00.000Z'],
      ['the third, late on Sunday', guide, '2025-03-16T23:59:59Z', ['2025-03-10T00:00:00Z', '2025-03-11T09:00:00Z'], '2025-03-17T00:00:00.000Z'],
      ['a new week', guide, '2025-03-17T00:00:00Z', ['2025-03-10T09:00:00Z', '2025-03-11T09:00:00Z'], null],
      ['last week’s do not count', guide, '2025-03-12T09:00:00Z', ['2025-03-09T23:59:59Z', '2025-03-08T09:00:00Z', '2025-03-10T09:00:00Z'], null],
      // Berlin's week starts at Sunday 23:00Z in winter (22:00Z in summer).
      ['Berlin, Sunday 23:30Z is already Monday', berlin, '2025-03-16T23:30:00Z', ['2025-03-12T09:00:00Z', '2025-03-13T09:00:00Z'], null],
      ['Berlin, Sunday 22:30Z is still Sunday', berlin, '2025-03-16T22:30:00Z', ['2025-03-12T09:00:00Z', '2025-03-13T09:00:00Z'], '2025-03-16T23:00:00.000Z'],
      ['Berlin, Monday 00:30 local counts for the new week', berlin, '2025-03-18T09:00:00Z', ['2025-03-16T23:30:00Z', '2025-03-17T12:00:00Z'], '2025-03-23T23:00:00.000Z'],
      ['Berlin, a week ending in summer time', berlin, '2025-03-27T09:00:00Z', ['2025-03-24T09:00:00Z', '2025-03-25T09:00:00Z'], '2025-03-30T22:00:00.000Z'],
      ['Berlin, a week ending in winter time', berlin, '2025-10-22T09:00:00Z', ['2025-10-20T09:00:00Z', '2025-10-21T09:00:00Z'], '2025-10-26T23:00:00.000Z'],
    ])('%s', (_name, p, now, earlier, refusedUntil) => {
      const check = checkCadence(p, 'patch', new Date(now), dates(...earlier), 0);
      if (refusedUntil === null) {
        expect(check).toEqual({ ok: true });
      } else {
        expect(check).toEqual({ ok: false, rule: 'At most 2 patch releases a week', nextAllowed: new Date(refusedUntil) });
      }
    });

    it('in UTC the same instants are one week', () => {
      const check = checkCadence(guide, 'patch', new Date('2025-03-16T23:30:00Z'), dates('2025-03-12T09:00:00Z', '2025-03-13T09:00:00Z'), 0);
      expect(check).toEqual({ ok: false, rule: 'At most 2 patch releases a week', nextAllowed: new Date('2025-03-17T00:00:00Z') });
    });

    it('one a week reads in the singular', () => {
      const once = policy('releaseTypes: { patch: { cadence: { kind: asNeeded, maxPerWeek: 1 } } }');
      const check = checkCadence(once, 'patch', new Date('2025-03-12T09:00:00Z'), dates('2025-03-10T09:00:00Z'), 0);
      expect(check).toMatchObject({ ok: false, rule: 'At most 1 patch release a week' });
    });
  });

  describe('minor and major: on a slot', () => {
    it.each([
      ['minor on its slot', guide, 'minor', '2025-01-09T14:00:00Z', null, null],
      ['minor within tolerance', guide, 'minor', '2025-01-09T15:00:00Z', null, null],
      [
        'minor on the off week',
        guide,
        'minor',
        '2025-01-16T14:00:00Z',
        'Minor releases go out every second Thursday at 14:00 UTC',
        '2025-01-23T13:00:00.000Z',
      ],
      [
        'minor just after the window',
        guide,
        'minor',
        '2025-01-09T15:00:00.001Z',
        'Minor releases go out every second Thursday at 14:00 UTC',
        '2025-01-23T13:00:00.000Z',
      ],
      [
        'minor in Berlin at 14:00Z in summer',
        berlin,
        'minor',
        '2025-04-03T14:00:00Z',
        'Minor releases go out every second Thursday at 14:00 Europe/Berlin',
        '2025-04-17T11:00:00.000Z',
      ],
      ['major on the first Friday of October', guide, 'major', '2025-10-03T05:30:00Z', null, null],
      [
        'major in November',
        guide,
        'major',
        '2025-11-07T06:00:00Z',
        'Major releases go out quarterly (Jan, Apr, Jul, Oct) on a Friday at 06:00 UTC',
        '2026-01-02T05:00:00.000Z',
      ],
    ] as const)('%s', (_name, p, type, now, rule, nextAllowed) => {
      const check = checkCadence(p, type, new Date(now), [], HOUR);
      expect(check).toEqual(rule === null ? { ok: true } : { ok: false, rule, nextAllowed: new Date(nextAllowed ?? '') });
    });

    it('an earlier release in the same slot does not stop another (a retry)', () => {
      expect(checkCadence(guide, 'minor', new Date('2025-01-09T14:30:00Z'), dates('2025-01-09T14:00:00Z'), HOUR)).toEqual({ ok: true });
    });
  });

  it('hotfix: always', () => {
    const many = dates('2025-03-10T09:00:00Z', '2025-03-10T10:00:00Z', '2025-03-10T11:00:00Z');
    expect(checkCadence(guide, 'hotfix', new Date('2025-03-10T12:00:00Z'), many, 0)).toEqual({ ok: true });
    expect(checkCadence(guide, 'hotfix', new Date('2025-03-15T03:00:00Z'), [], 0)).toEqual({ ok: true });
  });
});
