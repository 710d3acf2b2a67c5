import { describe, expect, it } from 'vitest';
import { lateFixes, releaseDayDeadline, watchInterval } from '../../src/domain/deploy-within.js';
import { loadPolicy } from '../../src/domain/policy.js';

const policy = loadPolicy('', 'defaults');
const HOUR = 3_600_000;
const now = new Date('2025-03-06T14:00:00Z');
const pr = (number: number, title: string, labels: string[], mergedHoursAgo: number | null) => ({
  number,
  title,
  url: `https://github.example/pull/${number}`,
  labels,
  files: [],
  mergedAt: mergedHoursAgo === null ? null : new Date(now.getTime() - mergedHoursAgo * HOUR).toISOString(),
});

describe('deployWithin', () => {
  it('names the bug fixes merged longer ago than the patch deadline, by label or fix: title', () => {
    const pulls = [
      pr(1, 'Totals round the wrong way', ['bug'], 25),
      pr(2, 'fix: refunds show twice', [], 30),
      pr(3, 'Fees counted twice', ['Fix'], 23),
      pr(4, 'feat: wallet top-ups', ['feature'], 48),
      pr(5, 'Docs', ['documentation'], 48),
      pr(6, 'Never merged', ['bug'], null),
    ];
    expect(lateFixes(pulls, policy.releaseTypes.patch.deployWithin!, now, policy.planning).map((f) => [f.number, f.lateBy / HOUR])).toEqual([
      [1, 1],
      [2, 6],
    ]);
  });

  it('counts a release day from T-0 for minor (2h) and not at all for major, hotfix or patch by default', () => {
    const t0 = new Date('2025-03-06T14:00:00Z');
    expect(releaseDayDeadline(policy, 'minor', t0)?.toISOString()).toBe('2025-03-06T16:00:00.000Z');
    expect(releaseDayDeadline(policy, 'major', t0)).toBeUndefined();
    expect(releaseDayDeadline(policy, 'hotfix', t0)).toBeUndefined();
    expect(releaseDayDeadline(policy, 'patch', t0)).toBeUndefined();
    const set = loadPolicy('releaseTypes:\n  hotfix:\n    deployWithin: 30m\n', 'test');
    expect(releaseDayDeadline(set, 'hotfix', t0)?.toISOString()).toBe('2025-03-06T14:30:00.000Z');
  });

  it('looks often enough to warn within a twenty-fourth of the shortest deadline, between 1s and 15m', () => {
    expect(watchInterval(policy)).toBe(5 * 60_000);
    expect(watchInterval(loadPolicy('releaseTypes:\n  minor:\n    deployWithin: 2s\n', 'test'))).toBe(1_000);
    expect(watchInterval(loadPolicy('releaseTypes:\n  patch:\n    deployWithin: null\n  minor:\n    deployWithin: null\n', 'test'))).toBeUndefined();
  });
});
