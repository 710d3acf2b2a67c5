import { describe, expect, it } from 'vitest';
import { comingFreezes, freezesInForce, type AdHocFreeze } from '../../src/domain/freezes.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { freezeLine } from '../../src/domain/readiness.js';
import type { ReleaseType } from '../../src/domain/version.js';

/** The policy's freezes as an operator writes them, validated by the real schema. */
const freezesOf = (yaml: string) => loadPolicy(`freezes:\n${yaml}`).freezes;
const at = (iso: string) => new Date(iso);
const inForce = (yaml: string, when: string, zone: string, type: ReleaseType = 'patch', adHoc: AdHocFreeze[] = []) =>
  freezesInForce({ policy: freezesOf(yaml), adHoc, type, at: at(when), zone }).map((f) => ({ reason: f.reason, until: f.until?.toISOString() ?? null }));

const FRIDAY_LONDON = '  - { reason: Friday afternoon, weekly: { days: [friday], from: "16:00", until: "18:00" } }';

describe('deploy freezes in force: weekly windows on the team wall clock', () => {
  it.each<[string, string, string, { reason: string; until: string }[]]>([
    ['before the spring change, 16:00 GMT is 16:00 UTC: 15:30 UTC is outside', FRIDAY_LONDON, '2026-03-27T15:30:00Z', []],
    ['before the spring change, inside', FRIDAY_LONDON, '2026-03-27T16:30:00Z', [{ reason: 'Friday afternoon', until: '2026-03-27T18:00:00.000Z' }]],
    ['after the spring change, 16:00 BST is 15:00 UTC', FRIDAY_LONDON, '2026-04-03T15:30:00Z', [{ reason: 'Friday afternoon', until: '2026-04-03T17:00:00.000Z' }]],
    ['after the spring change, 17:30 UTC is 18:30 BST: over', FRIDAY_LONDON, '2026-04-03T17:30:00Z', []],
    ['before the autumn change, still BST', FRIDAY_LONDON, '2026-10-23T15:00:00Z', [{ reason: 'Friday afternoon', until: '2026-10-23T17:00:00.000Z' }]],
    ['after the autumn change, 15:30 UTC is 15:30 GMT: not yet', FRIDAY_LONDON, '2026-10-30T15:30:00Z', []],
    ['after the autumn change, inside', FRIDAY_LONDON, '2026-10-30T17:59:00Z', [{ reason: 'Friday afternoon', until: '2026-10-30T18:00:00.000Z' }]],
    ['another day of the week', FRIDAY_LONDON, '2026-04-02T16:30:00Z', []],
    ['the until is exclusive', FRIDAY_LONDON, '2026-03-27T18:00:00Z', []],
  ])('%s', (_, yaml, when, expected) => {
    expect(inForce(yaml, when, 'Europe/London')).toEqual(expected);
  });

  const NIGHTS = '  - { reason: Batch jobs run, weekly: { days: [friday, saturday], from: "22:00", until: "06:00" } }';
  it.each<[string, string, string | null]>([
    ['a window that crosses midnight holds after midnight, until the next morning', '2026-03-07T01:00:00Z', '2026-03-07T06:00:00.000Z'],
    ['and before midnight on its own day', '2026-03-06T23:00:00Z', '2026-03-07T06:00:00.000Z'],
    ['not on a Thursday night', '2026-03-05T23:00:00Z', null],
    ['a Sunday morning is Saturday night\'s window', '2026-03-08T05:59:00Z', '2026-03-08T06:00:00.000Z'],
    // Saturday 28 March 22:00 GMT to Sunday 29 March 06:00 BST: seven hours, not eight.
    ['the night the clocks go forward ends at 06:00 BST', '2026-03-29T04:30:00Z', '2026-03-29T05:00:00.000Z'],
    ['and is over at 06:00 UTC (07:00 BST)', '2026-03-29T06:00:00Z', null],
  ])('%s', (_, when, until) => {
    expect(inForce(NIGHTS, when, 'Europe/London')).toEqual(until ? [{ reason: 'Batch jobs run', until }] : []);
  });
});

describe('deploy freezes in force: one-off dates, release types, ad-hoc freezes', () => {
  const HOLIDAYS = '  - { reason: Holidays, from: 2026-12-24, until: 2026-12-27 }';
  it.each<[string, string, ReleaseType, boolean]>([
    ['a date is the start of that day on the wall clock (New York, UTC-5)', '2026-12-24T05:00:00Z', 'patch', true],
    ['not before it', '2026-12-24T04:59:00Z', 'minor', false],
    ['the until date is exclusive', '2026-12-27T05:00:00Z', 'major', false],
    ['a hotfix is the emergency lane: not held unless listed', '2026-12-25T12:00:00Z', 'hotfix', false],
  ])('%s', (_, when, type, held) => {
    expect(inForce(HOLIDAYS, when, 'America/New_York', type)).toEqual(held ? [{ reason: 'Holidays', until: '2026-12-27T05:00:00.000Z' }] : []);
  });

  it('a freeze that lists the hotfix holds one; date-times are read on the wall clock', () => {
    const yaml = '  - { reason: Data centre move, from: "2026-07-01T20:00", until: "2026-07-02T02:30", appliesTo: [hotfix, major] }';
    expect(inForce(yaml, '2026-07-01T19:30:00Z', 'Europe/London', 'hotfix')).toEqual([{ reason: 'Data centre move', until: '2026-07-02T01:30:00.000Z' }]);
    expect(inForce(yaml, '2026-07-01T19:30:00Z', 'Europe/London', 'patch')).toEqual([]);
  });

  it('ad-hoc freezes hold every type but a hotfix, until unfrozen or their until', () => {
    const adHoc: AdHocFreeze[] = [
      { reason: 'Payments incident', by: 'U0ONCALL', from: at('2026-05-01T10:00:00Z'), until: null },
      { reason: 'Launch day', by: 'U0HEAD', from: at('2026-05-01T09:00:00Z'), until: at('2026-05-01T12:00:00Z') },
    ];
    const run = (when: string, type: ReleaseType) => freezesInForce({ policy: [], adHoc, type, at: at(when), zone: 'UTC' });
    expect(run('2026-05-01T11:00:00Z', 'minor')).toEqual([
      { reason: 'Payments incident', until: null, by: 'U0ONCALL' },
      { reason: 'Launch day', until: at('2026-05-01T12:00:00Z'), by: 'U0HEAD' },
    ]);
    expect(run('2026-05-01T12:00:00Z', 'minor').map((f) => f.reason)).toEqual(['Payments incident']);
    expect(run('2026-05-01T09:30:00Z', 'minor').map((f) => f.reason)).toEqual(['Launch day']);
    expect(run('2026-05-01T11:00:00Z', 'hotfix')).toEqual([]);
  });
});

describe('the coming freezes, for the schedule', () => {
  it('lists every window of the next days in order, the one in force included', () => {
    const yaml = `${FRIDAY_LONDON}\n  - { reason: Holidays, from: 2026-12-24, until: 2026-12-27, appliesTo: [minor] }`;
    const coming = comingFreezes(freezesOf(yaml), at('2026-12-18T17:00:00Z'), 14, 'Europe/London');
    expect(coming.map((w) => [w.reason, w.from.toISOString(), w.until.toISOString(), w.appliesTo])).toEqual([
      ['Friday afternoon', '2026-12-18T16:00:00.000Z', '2026-12-18T18:00:00.000Z', ['patch', 'minor', 'major']],
      ['Holidays', '2026-12-24T00:00:00.000Z', '2026-12-27T00:00:00.000Z', ['minor']],
      ['Friday afternoon', '2026-12-25T16:00:00.000Z', '2026-12-25T18:00:00.000Z', ['patch', 'minor', 'major']],
      // Fourteen days on is 1 January 17:00: the window it falls in is coming too.
      ['Friday afternoon', '2027-01-01T16:00:00.000Z', '2027-01-01T18:00:00.000Z', ['patch', 'minor', 'major']],
    ]);
  });

  it('nothing when the policy has no freezes, or they are past', () => {
    expect(comingFreezes([], at('2026-12-18T17:00:00Z'), 14, 'UTC')).toEqual([]);
    expect(comingFreezes(freezesOf('  - { reason: Old, from: 2025-01-01, until: 2025-01-02 }'), at('2026-12-18T17:00:00Z'), 14, 'UTC')).toEqual([]);
  });
});

describe('the freeze line of the readiness gate', () => {
  const friday = { reason: 'Friday afternoon', until: '2026-12-18 18:00 GMT' };
  it.each<[string, Parameters<typeof freezeLine>[0], 'holds' | 'waiting', string]>([
    ['none in force', { inForce: [], unknown: [] }, 'holds', 'Deploy freeze: none in force'],
    ['one in force waits, and says until when and the way out', { inForce: [friday], unknown: [] }, 'waiting',
      'Deploy freeze: Friday afternoon (until 2026-12-18 18:00 GMT); it goes on by itself when the freeze ends, or an approver waives it with a reason'],
    ['a source that could not be read waits', { inForce: [], unknown: ['Datadog could not be asked'] }, 'waiting', 'Deploy freeze: Datadog could not be asked; looking again'],
    ['waived by an approver', { inForce: [friday], unknown: [], waived: { by: '<@U0HEAD>', reason: 'the fix for the outage' } }, 'holds',
      'Deploy freeze (Friday afternoon (until 2026-12-18 18:00 GMT)) overridden by <@U0HEAD>: the fix for the outage'],
  ])('%s', (_, facts, state, text) => {
    expect(freezeLine(facts)).toEqual({ key: 'freeze', state, text });
  });
});
