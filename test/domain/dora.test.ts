import { describe, expect, it } from 'vitest';
import { doraBands, doraBuckets, doraFigures, doraTrend, monthSoFar, parseStatsWindow, type DoraRelease } from '../../src/domain/dora.js';

const HOUR = 60 * 60_000;
const MIN = 60_000;
const WATCH = 7 * 24 * HOUR;
const at = (text: string) => new Date(`2026-${text}Z`);
const pr = (number: number, firstCommit: string) => ({ number, firstCommitAt: at(firstCommit) });

function release(version: string, r: Partial<DoraRelease> & { requested: string }): DoraRelease {
  const { requested, ...rest } = r as Partial<DoraRelease> & { requested: string };
  return { version, type: 'patch', previousVersion: null, requestedAt: at(requested), failedAfterProduction: false, changes: [], ...rest };
}

/**
 * Twenty releases. The window is October 2026 ([10-01, 10-31), 30 days); the previous window is [09-01, 10-01).
 * Deployments at 12:00 unless said; lead time is deployment minus the pull request's first commit.
 */
const HISTORY: DoraRelease[] = [
  // Previous window: two deployments, one rolled back (restored in 1 h).
  release('v1.0.0', { type: 'minor', requested: '09-20T10:00', deployedAt: at('09-20T12:00'), changes: [pr(1, '09-18T12:00')] }), // #1: 48 h
  release('v1.0.1', { requested: '09-24T10:00', deployedAt: at('09-24T12:00'), rollback: { detectedAt: at('09-24T13:00'), startedAt: at('09-24T13:01'), restoredAt: at('09-24T14:00') } }),
  // October.
  release('v1.1.0', { type: 'minor', requested: '10-01T10:00', deployedAt: at('10-01T12:00'), changes: [pr(2, '09-30T12:00'), pr(3, '09-29T12:00')] }), // 24 h, 48 h
  // Rolled back: detected 13:00, restored 13:30 → 30 min. Failed.
  release('v1.1.1', { requested: '10-03T10:00', deployedAt: at('10-03T12:00'), changes: [pr(4, '10-03T06:00')], rollback: { detectedAt: at('10-03T13:00'), startedAt: at('10-03T13:02'), restoredAt: at('10-03T13:30') } }), // 6 h
  // Hotfixed a day later (v1.1.3): failed.
  release('v1.1.2', { requested: '10-05T10:00', deployedAt: at('10-05T12:00'), changes: [pr(5, '10-04T12:00')] }), // 24 h
  // The hotfix: detected 09:00, deployed 11:00 → restored in 2 h.
  release('v1.1.3', { type: 'hotfix', previousVersion: 'v1.1.2', requested: '10-06T10:00', hotfix: { detectedAt: at('10-06T09:00') }, deployedAt: at('10-06T11:00'), changes: [pr(6, '10-06T09:30')] }), // 1.5 h
  // A release candidate that reached production counts as a deployment; its pull requests count here.
  release('v1.2.0-rc.1', { type: 'minor', requested: '10-08T10:00', deployedAt: at('10-08T12:00'), changes: [pr(7, '10-01T12:00'), pr(8, '10-07T12:00')] }), // 168 h, 24 h
  // The final version carries #7 and #8 again: counted once, at the candidate.
  release('v1.2.0', { type: 'minor', requested: '10-09T10:00', deployedAt: at('10-09T12:00'), changes: [pr(7, '10-01T12:00'), pr(8, '10-07T12:00'), pr(9, '10-08T12:00')] }), // #9: 24 h
  // A backport patch on the v1.1 line: a deployment with its own change.
  release('v1.1.4', { requested: '10-10T10:00', deployedAt: at('10-10T12:00'), changes: [pr(10, '10-09T12:00')] }), // 24 h
  // Post-deploy checks failed after production: failed, no restore time.
  release('v1.2.1', { requested: '10-12T10:00', deployedAt: at('10-12T12:00'), failedAfterProduction: true, changes: [pr(11, '10-12T00:00')] }), // 12 h
  // Never reached production: not deployments.
  release('v1.2.2', { requested: '10-13T10:00' }),
  release('v1.2.3', { requested: '10-14T10:00' }),
  // A hotfix on top of it came 8 days and 1 hour later, after the week's watch: not failed.
  release('v1.2.4', { requested: '10-15T10:00', deployedAt: at('10-15T12:00'), changes: [pr(12, '10-14T12:00')] }), // 24 h
  // Rolled back without a detection time: from the rollback's start, 14:00 → 14:20 = 20 min. Failed.
  release('v1.3.0', { type: 'minor', requested: '10-16T10:00', deployedAt: at('10-16T12:00'), changes: [pr(13, '10-02T12:00'), pr(14, '10-15T12:00')], rollback: { startedAt: at('10-16T14:00'), restoredAt: at('10-16T14:20') } }), // 336 h, 24 h
  // Hotfixed 5 days later (v1.3.2): failed.
  release('v1.3.1', { requested: '10-20T10:00', deployedAt: at('10-20T12:00'), changes: [pr(15, '10-19T12:00')] }), // 24 h
  // Detected 07:00, deployed 10:00 → 3 h.
  release('v1.3.2', { type: 'hotfix', previousVersion: 'v1.3.1', requested: '10-25T08:00', hotfix: { detectedAt: at('10-25T07:00') }, deployedAt: at('10-25T10:00'), changes: [pr(16, '10-25T07:30')] }), // 2.5 h
  // On v1.2.4, 8 d 1 h after it; no detection time: from its request, 13:00 → 15:00 = 2 h.
  release('v1.3.4', { type: 'hotfix', previousVersion: 'v1.2.4', requested: '10-23T13:00', hotfix: {}, deployedAt: at('10-23T15:00') }),
  // Hotfixed on 11-02, after the window but within the watch: failed.
  release('v1.3.3', { requested: '10-28T10:00', deployedAt: at('10-28T12:00'), changes: [pr(17, '10-27T12:00')] }), // 24 h
  // After the window: not counted here.
  release('v1.4.0', { type: 'minor', requested: '10-31T10:00', deployedAt: at('10-31T12:00'), changes: [pr(18, '10-30T12:00')] }),
  release('v1.3.5', { type: 'hotfix', previousVersion: 'v1.3.3', requested: '11-02T10:00', hotfix: {}, deployedAt: at('11-02T12:00') }),
];

const OCTOBER = { from: at('10-01T00:00'), to: at('10-31T00:00') };
const SEPTEMBER = { from: at('09-01T00:00'), to: at('10-01T00:00') };

describe('DORA figures of a hand-computed history of 20 releases', () => {
  it('has twenty releases', () => expect(HISTORY).toHaveLength(20));

  const october = doraFigures(HISTORY, OCTOBER, WATCH);

  it('counts production deployments: hotfixes, the candidate and the backport in; never-deployed ones and later ones out', () => {
    // v1.1.0 v1.1.1 v1.1.2 v1.1.3 v1.2.0-rc.1 v1.2.0 v1.1.4 v1.2.1 v1.2.4 v1.3.0 v1.3.1 v1.3.2 v1.3.4 v1.3.3 = 14
    expect(october.deployments).toBe(14);
    // 14 / 30 days × 7 = 3.2667 a week; 14 / 30 = 0.4667 a day
    expect(october.deploymentsPerWeek).toBeCloseTo(3.2667, 3);
    expect(october.deploymentsPerDay).toBeCloseTo(0.4667, 3);
  });

  it('takes the median lead time over each pull request once, at its first deployment', () => {
    // #2 24, #3 48, #4 6, #5 24, #6 1.5, #7 168, #8 24, #9 24, #10 24, #11 12, #12 24, #13 336, #14 24, #15 24, #16 2.5, #17 24 (h)
    // = 16; sorted 1.5 2.5 6 12 24×9 48 168 336: the 8th and 9th are 24 → 24 h
    expect(october.changes).toBe(16);
    expect(october.leadTimeMs).toBe(24 * HOUR);
  });

  it('counts failures: rolled back, failed after production, hotfixed within the week (also after the window)', () => {
    // v1.1.1 (rollback), v1.1.2 (hotfix 1 d), v1.2.1 (checks failed), v1.3.0 (rollback), v1.3.1 (hotfix 5 d), v1.3.3 (hotfix 5 d, in November)
    // not v1.2.4 (hotfix after 8 d 1 h). 6 / 14 = 0.428571
    expect(october.failures).toBe(6);
    expect(october.changeFailureRate).toBeCloseTo(6 / 14, 9);
  });

  it('takes the median time to restore over rollbacks and hotfixes restored in the window', () => {
    // v1.1.1 30 min, v1.1.3 120 min, v1.3.0 20 min, v1.3.2 180 min, v1.3.4 120 min → sorted 20 30 120 120 180 → 120 min
    expect(october.restores).toBe(5);
    expect(october.timeToRestoreMs).toBe(120 * MIN);
  });

  it('bands them by the DORA report', () => {
    // 3.27 a week: at least weekly, not daily → high; 24 h is not "less than one day" → high;
    // 42.9 % → low (above 15 %); 2 h: less than a day → high
    expect(doraBands(october)).toEqual({ deploymentFrequency: 'high', leadTime: 'high', changeFailureRate: 'low', timeToRestore: 'high' });
  });

  it('compares with the previous window of the same length', () => {
    const september = doraFigures(HISTORY, SEPTEMBER, WATCH);
    // September: v1.0.0 and v1.0.1; #1 48 h; v1.0.1 rolled back (1 failure of 2, restored in 60 min)
    expect(september).toMatchObject({ deployments: 2, failures: 1, changeFailureRate: 0.5, leadTimeMs: 48 * HOUR, restores: 1, timeToRestoreMs: 60 * MIN });
    // 3.27 > 0.47 a week; 24 h < 48 h; 0.43 < 0.5; 120 min > 60 min
    expect(doraTrend(october, september)).toEqual({ deploymentFrequency: 'better', leadTime: 'better', changeFailureRate: 'better', timeToRestore: 'worse' });
  });

  it('cuts the window into weeks from Monday, clipped to the window', () => {
    const weeks = doraBuckets(OCTOBER, 'week');
    // 2026-10-01 is a Thursday: [10-01, 10-05) [10-05, 10-12) [10-12, 10-19) [10-19, 10-26) [10-26, 10-31)
    expect(weeks.map((w) => w.from.toISOString().slice(5, 10))).toEqual(['10-01', '10-05', '10-12', '10-19', '10-26']);
    expect(weeks.at(-1)!.to).toEqual(OCTOBER.to);
    // v1.1.0 v1.1.1 | v1.1.2 v1.1.3 rc.1 v1.2.0 v1.1.4 | v1.2.1 v1.2.4 v1.3.0 | v1.3.1 v1.3.4 v1.3.2 | v1.3.3
    expect(weeks.map((w) => doraFigures(HISTORY, w, WATCH).deployments)).toEqual([2, 5, 3, 3, 1]);
  });

  it('cuts a window into calendar months', () => {
    const months = doraBuckets({ from: at('08-15T00:00'), to: at('10-31T00:00') }, 'month');
    expect(months.map((m) => m.from.toISOString().slice(5, 10))).toEqual(['08-15', '09-01', '10-01']);
    expect(months.map((m) => doraFigures(HISTORY, m, WATCH).deployments)).toEqual([0, 2, 14]);
  });

  it('says which buckets the window clips', () => {
    // Thursday 10-01 to Saturday 10-31: the first and last weeks are clipped, the three between are whole.
    expect(doraBuckets(OCTOBER, 'week').map((w) => w.whole)).toEqual([false, true, true, true, false]);
    // From Monday 10-05 to Monday 10-19: two whole weeks.
    expect(doraBuckets({ from: at('10-05T00:00'), to: at('10-19T00:00') }, 'week').map((w) => w.whole)).toEqual([true, true]);
    expect(doraBuckets({ from: at('09-01T00:00'), to: at('11-01T00:00') }, 'month').map((m) => m.whole)).toEqual([true, true]);
    expect(doraBuckets({ from: at('08-15T00:00'), to: at('10-31T00:00') }, 'month').map((m) => m.whole)).toEqual([false, true, false]);
  });

  it("cuts weeks and months on the team's wall clock, not UTC's", () => {
    const LA = 'America/Los_Angeles';
    // Monday 00:00 in Los Angeles is 07:00 UTC (PDT) until 11-01, then 08:00 UTC (PST).
    const weeks = doraBuckets({ from: at('10-20T00:00'), to: at('11-10T00:00') }, 'week', LA);
    expect(weeks.map((w) => w.from.toISOString())).toEqual(['2026-10-20T00:00:00.000Z', '2026-10-26T07:00:00.000Z', '2026-11-02T08:00:00.000Z', '2026-11-09T08:00:00.000Z']);
    // A deployment on Sunday 10-25 at 22:00 in Los Angeles (05:00 UTC Monday) is Sunday's week there.
    const sundayNight = release('v1.3.9', { requested: '10-26T04:00', deployedAt: at('10-26T05:00') });
    expect(weeks.map((w) => doraFigures([sundayNight], w, WATCH).deployments)).toEqual([1, 0, 0, 0]);
    expect(doraBuckets({ from: at('10-20T00:00'), to: at('11-10T00:00') }, 'week').map((w) => doraFigures([sundayNight], w, WATCH).deployments)).toEqual([0, 1, 0, 0]);

    // November starts at 13:00 UTC on 10-31 in Sydney (AEDT, +11).
    const months = doraBuckets({ from: at('10-15T00:00'), to: at('11-15T00:00') }, 'month', 'Australia/Sydney');
    expect(months.map((m) => m.from.toISOString())).toEqual(['2026-10-15T00:00:00.000Z', '2026-10-31T13:00:00.000Z']);
    expect(monthSoFar(at('10-31T14:00'), 'Australia/Sydney').from.toISOString()).toBe('2026-10-31T13:00:00.000Z');
    expect(monthSoFar(at('10-31T14:00')).from.toISOString()).toBe('2026-10-01T00:00:00.000Z');
  });

  it('has no figure where there is no data, and low deployment frequency for none', () => {
    const empty = doraFigures([], OCTOBER, WATCH);
    expect(empty).toEqual({ deployments: 0, deploymentsPerWeek: 0, deploymentsPerDay: 0, changes: 0, failures: 0, restores: 0 });
    expect(doraBands(empty)).toEqual({ deploymentFrequency: 'low' });
  });
});

describe('DORA bands at their bounds', () => {
  const base = { deployments: 0, deploymentsPerWeek: 0, deploymentsPerDay: 0, changes: 0, failures: 0, restores: 0 };
  it.each([
    [{ ...base, deploymentsPerDay: 1, deploymentsPerWeek: 7 }, 'deploymentFrequency', 'elite'],
    [{ ...base, deploymentsPerDay: 1 / 7, deploymentsPerWeek: 1 }, 'deploymentFrequency', 'high'],
    [{ ...base, deploymentsPerDay: 1 / 30, deploymentsPerWeek: 7 / 30 }, 'deploymentFrequency', 'medium'],
    [{ ...base, deploymentsPerDay: 1 / 31, deploymentsPerWeek: 7 / 31 }, 'deploymentFrequency', 'low'],
    [{ ...base, leadTimeMs: 23 * HOUR }, 'leadTime', 'elite'],
    [{ ...base, leadTimeMs: 7 * 24 * HOUR }, 'leadTime', 'high'],
    [{ ...base, leadTimeMs: 30 * 24 * HOUR }, 'leadTime', 'medium'],
    [{ ...base, leadTimeMs: 31 * 24 * HOUR }, 'leadTime', 'low'],
    [{ ...base, changeFailureRate: 0.05 }, 'changeFailureRate', 'elite'],
    [{ ...base, changeFailureRate: 0.1 }, 'changeFailureRate', 'high'],
    [{ ...base, changeFailureRate: 0.15 }, 'changeFailureRate', 'medium'],
    [{ ...base, changeFailureRate: 0.16 }, 'changeFailureRate', 'low'],
    [{ ...base, timeToRestoreMs: 59 * MIN }, 'timeToRestore', 'elite'],
    [{ ...base, timeToRestoreMs: HOUR }, 'timeToRestore', 'high'],
    [{ ...base, timeToRestoreMs: 3 * 24 * HOUR }, 'timeToRestore', 'medium'],
    [{ ...base, timeToRestoreMs: 8 * 24 * HOUR }, 'timeToRestore', 'low'],
  ] as const)('%o → %s %s', (figures, metric, band) => {
    expect(doraBands(figures)[metric]).toBe(band);
  });
});

describe('/release stats windows', () => {
  it.each([
    [undefined, { ok: true, window: '30d', days: 30, bucket: 'week' }],
    ['30d', { ok: true, window: '30d', days: 30, bucket: 'week' }],
    ['90D', { ok: true, window: '90d', days: 90, bucket: 'month' }],
    ['12w', { ok: true, window: '12w', days: 84, bucket: 'week' }],
  ])('%s', (text, expected) => expect(parseStatsWindow(text)).toEqual(expected));

  it('refuses anything else and says what it takes', () => {
    expect(parseStatsWindow('7y')).toEqual({ ok: false, reason: '"7y" is not a window: give 30d, 90d or 12w' });
  });
});
