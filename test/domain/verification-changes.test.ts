import { describe, expect, it } from 'vitest';
import { defaultPolicy, loadPolicy } from '../../src/domain/policy.js';
import { changesBetween, milestoneOf, sparkline, type Reading } from '../../src/domain/verification-changes.js';
import { verificationSchedule } from '../../src/domain/verification.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const r = (state: Reading['state'], severity?: string): Reading => ({ check: 'errorRate', state, ...(severity ? { severity } : {}) });

describe('what a run changed', () => {
  it.each([
    ['healthy, still healthy', r('pass'), r('pass'), []],
    ['pass to breach', r('pass'), r('breach', 'high'), [{ kind: 'breached', from: 'pass', to: 'breach' }]],
    ['breach back to pass', r('breach', 'high'), r('pass'), [{ kind: 'recovered', from: 'breach', to: 'pass' }]],
    ['still breached, same severity', r('breach', 'high'), r('breach', 'high'), []],
    ['the severity changes', r('breach', 'high'), r('breach', 'critical'), [{ kind: 'severity', from: 'high', to: 'critical' }]],
    ['data for the first time', r('no-data'), r('pass'), [{ kind: 'data', from: 'no-data', to: 'pass' }]],
    ['data lost', r('pass'), r('unreachable'), [{ kind: 'no-data', from: 'pass', to: 'unreachable' }]],
    ['still no data', r('no-data'), r('unreachable'), []],
    ['no data to a breach', r('no-data'), r('breach', 'high'), [{ kind: 'breached', from: 'no-data', to: 'breach' }]],
    ['a check for a person', r('person'), r('person'), []],
  ] as const)('%s', (_what, before, after, expected) => {
    expect(changesBetween([before], [after])).toEqual(expected.map((c) => ({ ...c, key: 'errorRate' })));
  });

  it('the first run: only a breach is news (the live message says the rest)', () => {
    expect(changesBetween(undefined, [r('pass'), { check: 'memory', state: 'no-data' }])).toEqual([]);
    expect(changesBetween(undefined, [r('breach', 'high')])).toEqual([{ kind: 'breached', key: 'errorRate', from: 'unread', to: 'breach' }]);
  });

  it('a check the run before did not read (a 15-minute check) is compared with nothing: only a breach is news', () => {
    expect(changesBetween([r('pass')], [{ check: 'cacheHitRate', state: 'pass' }])).toEqual([]);
  });
});

describe("the guide's milestones", () => {
  it('the last run of each phase: T+1 h, T+24 h and the end of the week (final)', () => {
    const policy = defaultPolicy();
    const milestones = verificationSchedule(policy).flatMap((run) => {
      const m = milestoneOf(policy, run.at);
      return m ? [{ at: run.at, ...m }] : [];
    });
    expect(milestones).toEqual([
      { at: HOUR, index: 0, label: 'First hour', final: false },
      { at: 24 * HOUR, index: 1, label: 'First 24 hours', final: false },
      { at: 7 * 24 * HOUR, index: 2, label: 'First week', final: true },
    ]);
  });

  it('a phase whose end is not on its grid closes at its last run', () => {
    const yaml = 'verification:\n  schedule:\n    - { label: First hour, until: 50m, every: 15m }\n    - { label: First week, until: 7d, every: 1d }\n';
    const policy = loadPolicy(yaml, 'test');
    expect(milestoneOf(policy, 45 * MIN)).toEqual({ index: 0, label: 'First hour', final: false });
    expect(milestoneOf(policy, 30 * MIN)).toBeUndefined();
  });
});

describe('sparklines', () => {
  it.each([
    ['lowest to highest', [1, 2, 3, 4, 5, 6, 7, 8], '▁▂▃▄▅▆▇█'],
    ['flat', [5, 5, 5], '▁▁▁'],
    ['a run without data is a gap', [1, undefined, 2], '▁ █'],
    ['one reading is no line', [3], ''],
    ['the last twelve', Array.from({ length: 20 }, (_, i) => i), '▁▂▂▃▄▄▅▅▆▇▇█'],
  ] as const)('%s', (_what, values, expected) => {
    expect(sparkline([...values])).toBe(expected);
  });
});
