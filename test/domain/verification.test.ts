import { describe, expect, it } from 'vitest';
import { classifyBreach, lookupIncident } from '../../src/domain/decision-matrix.js';
import { defaultPolicy } from '../../src/domain/policy.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { fillQuery, judgeCheck, personChecks, runnableChecks, verificationSchedule, watchEnd, type CheckDefinition } from '../../src/domain/verification.js';

const policy = defaultPolicy();
const check = (key: 'errorRate' | 'cacheHitRate' | 'latencyP99' | 'queueDepth' | 'logErrors'): CheckDefinition => runnableChecks(policy).find((c) => c.key === key)!;
const MIN = 60_000;

describe('judging a check', () => {
  it.each([
    ['under the threshold', 'errorRate', [[0.02, 0.04]], 'pass', 0.03],
    ['at the threshold is a breach (the guide says < 0.1 %)', 'errorRate', [[0.1]], 'breach', 0.1],
    ['the worst of several series decides', 'latencyP99', [[200, 220], [390, 450]], 'breach', 420],
    ['"above" checks take the lowest series', 'cacheHitRate', [[95], [88, 86]], 'breach', 87],
    ['null points are skipped', 'errorRate', [[null, 0.05, null]], 'pass', 0.05],
    ['no series is no data, never healthy', 'errorRate', [], 'no-data', undefined],
    ['series of nulls only is no data', 'errorRate', [[null, null]], 'no-data', undefined],
  ] as const)('%s', (_what, key, series, state, value) => {
    const result = judgeCheck(check(key), series.map((values, i) => ({ scope: `host:web-${i}`, values: [...values] })));
    expect(result.state).toBe(state);
    if (value === undefined) expect(result.value).toBeUndefined();
    else expect(result.value).toBeCloseTo(value, 6);
  });

  it('fills the release into the query', () => {
    expect(fillQuery(check('latencyP99').query!, { service: 'shop', env: 'prod', version: 'v1.3.0' })).toBe('p99:trace.web.request{service:shop,env:prod} * 1000');
  });
});

describe('the guide\'s schedule', () => {
  it('every 5 minutes in the first hour, the 15-minute checks every third run, then hourly, then daily to the end of the first week', () => {
    const runs = verificationSchedule(policy);
    const firstHour = runs.filter((r) => r.at <= 60 * MIN);
    expect(firstHour.map((r) => r.at / MIN)).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]);
    expect(firstHour[0]!.checks).toEqual(['errorRate', 'latencyP99', 'cpu', 'memory']);
    expect(firstHour[2]!.checks).toEqual(['errorRate', 'latencyP99', 'cpu', 'memory', 'cacheHitRate', 'connectionPool', 'queueDepth', 'logErrors']);
    const day = runs.filter((r) => r.at > 60 * MIN && r.at <= 24 * 60 * MIN);
    expect(day).toHaveLength(23);
    expect(day[0]!.checks).toContain('cacheHitRate');
    expect(runs.filter((r) => r.at > 24 * 60 * MIN).map((r) => r.at / (24 * 60 * MIN))).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('goes to the end of the last phase whatever the type: stable marking is separate', () => {
    expect(verificationSchedule(policy).at(-1)!.at).toBe(7 * 24 * 60 * MIN);
    expect(watchEnd(policy)).toBe(7 * 24 * 60 * MIN);
    expect(policy.releaseTypes.minor.stableAfter).toBeLessThan(watchEnd(policy));
  });

  it('lists a check whose query was removed for a person, in the runs it is due', () => {
    const noQuery = loadPolicy('verification:\n  checks:\n    queueDepth: { query: null, baselineFactor: null, baselineMinimum: null }', 'test');
    expect(personChecks(noQuery).map((c) => c.key)).toEqual(['queueDepth']);
    expect(runnableChecks(noQuery).map((c) => c.key)).not.toContain('queueDepth');
    expect(verificationSchedule(noQuery)[2]!.checks).toContain('queueDepth');
  });
});

describe('"should be normal": judged against the baseline before the deploy', () => {
  it.each([
    ['at most twice the baseline is normal', 'queueDepth', [['rabbitmq_queue:orders', [300, 340]]], [['rabbitmq_queue:orders', [200]]], 'pass', 320, 400],
    ['over twice the baseline is a breach', 'queueDepth', [['rabbitmq_queue:orders', [900]]], [['rabbitmq_queue:orders', [200]]], 'breach', 900, 400],
    ['each queue against its own baseline: the small one that grew decides', 'queueDepth', [['rabbitmq_queue:orders', [900]], ['rabbitmq_queue:mail', [150]]], [['rabbitmq_queue:orders', [1000]], ['rabbitmq_queue:mail', [20]]], 'breach', 150, 100],
    ['a quiet baseline keeps the minimum', 'logErrors', [['*', [4]]], [['*', [0]]], 'pass', 4, 10],
    ['no baseline counts as 0', 'logErrors', [['*', [30]]], [], 'breach', 30, 10],
  ] as const)('%s', (_what, key, now, before, state, value, limit) => {
    const series = (list: readonly (readonly [string, readonly number[]])[]) => list.map(([scope, values]) => ({ scope, values: [...values] }));
    const result = judgeCheck(check(key), series(now), series(before));
    expect(result).toMatchObject({ state, value, baseline: { limit } });
  });
});

describe('the decision matrix', () => {
  it('a breached error rate is a broken feature; ten times the threshold is critical: roll back immediately, and still not "data loss"', () => {
    const broken = classifyBreach(policy, { ...judgeCheck(check('errorRate'), [{ scope: 'a', values: [0.5] }]) });
    expect(broken).toMatchObject({ severity: 'high', issue: 'Feature broken', action: 'Rollback or hotfix', timeline: 60 * MIN, rollbackNow: false });
    const spike = classifyBreach(policy, judgeCheck(check('errorRate'), [{ scope: 'a', values: [1.2] }]));
    expect(spike).toMatchObject({ severity: 'critical', issue: 'Feature broken', action: 'Rollback immediately', timeline: 5 * MIN, rollbackNow: true });
  });

  it('a newest reading already critical is alerted as critical now, not a run later when the mean catches up', () => {
    // Healthy for most of the window, then 2.5 % (25× the 0.1 % threshold) at its end: the mean is "only" high.
    const rising = [{ scope: 'host:web-1', values: [0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 2.5] }];
    const byMean = judgeCheck(check('errorRate'), rising);
    expect(classifyBreach(policy, byMean).severity).toBe('high');
    const now = judgeCheck(check('errorRate'), rising, [], { criticalAt: 0.1 * policy.verification.criticalErrorRateFactor });
    expect(now).toMatchObject({ state: 'breach', value: 2.5, scope: 'host:web-1', latest: true });
    expect(classifyBreach(policy, now)).toMatchObject({ severity: 'critical', action: 'Rollback immediately', rollbackNow: true });
    // A spike that already ended, or one below the critical bar, is judged by the mean as before.
    expect(judgeCheck(check('errorRate'), [{ scope: 'a', values: [2.5, 0.02, 0.02, 0.02] }], [], { criticalAt: 1 }).latest).toBeUndefined();
    expect(judgeCheck(check('errorRate'), [{ scope: 'a', values: [0.02, 0.5] }], [], { criticalAt: 1 })).toMatchObject({ state: 'breach', value: 0.26 });
  });

  it('latency is a performance issue: investigate within 4 hours', () => {
    expect(classifyBreach(policy, judgeCheck(check('latencyP99'), [{ scope: 'a', values: [900] }]))).toMatchObject({ severity: 'high', action: 'Investigate, maybe rollback', timeline: 240 * MIN });
  });

  it('answers /release incident by severity and issue', () => {
    expect(lookupIncident(policy, 'critical', 'security vulnerability in login')[0]).toMatchObject({ issue: 'Security vuln', action: 'Rollback or hotfix' });
    expect(lookupIncident(policy, 'HIGH', 'checkout feature broken')[0]).toMatchObject({ issue: 'Feature broken' });
    expect(lookupIncident(policy, 'urgent', 'x')).toEqual([]);
  });
});
