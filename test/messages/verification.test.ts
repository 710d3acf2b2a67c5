import { describe, expect, it } from 'vitest';
import type { CheckChange } from '../../src/domain/verification-changes.js';
import type { CheckResult } from '../../src/domain/verification.js';
import { liveVerificationMessage, verificationChangeMessage, verificationMessage, type LiveVerificationInput } from '../../src/messages/verification.js';
import type { SlackMessage } from '../../src/messages/types.js';

const MIN = 60_000;
const DEPLOYED = Date.parse('2026-12-10T14:00:00Z');

const errorRate = (value: number, state: CheckResult['state'] = value < 0.1 ? 'pass' : 'breach'): CheckResult =>
  ({ key: 'errorRate', label: 'Error rate', state, value, threshold: 0.1, direction: 'below', unit: '%' });
const latency = (value: number): CheckResult =>
  ({ key: 'latencyP99', label: 'Latency p99', state: value < 400 ? 'pass' : 'breach', value, threshold: 400, direction: 'below', unit: 'ms' });
/** One change with the reading behind it. */
const changed = (kind: CheckChange['kind'], from: string, to: string, result: CheckResult) => ({ change: { kind, key: result.key, from, to }, result });
const memoryWithoutData: CheckResult = { key: 'memory', label: 'Memory', state: 'no-data', threshold: 85, direction: 'below', unit: '%' };

/** What a person reads: the section and context texts, line by line. */
function lines(message: SlackMessage): string[] {
  return message.blocks.flatMap((b) => {
    if (b.type === 'section') return (b.text?.text ?? '').split('\n');
    if (b.type === 'context') return b.elements.map((e) => ('text' in e ? e.text : ''));
    return [];
  });
}

const live = (overrides: Partial<LiveVerificationInput> = {}): SlackMessage =>
  liveVerificationMessage({
    version: 'v1.3.0',
    results: [errorRate(0.02), latency(210)],
    history: { errorRate: [0.01, 0.02, 0.04, 0.02], latencyP99: [200, 210] },
    readAt: new Date(DEPLOYED + 20 * MIN),
    sinceDeploy: 20 * MIN,
    phase: 'First hour',
    runs: 4,
    scheduled: 43,
    attempt: 1,
    next: { at: new Date(DEPLOYED + 25 * MIN), sinceDeploy: 25 * MIN },
    timeZone: 'UTC',
    ...overrides,
  });

describe('the live "Verification" message', () => {
  it('shows the latest reading of each check against its threshold with a sparkline, when it was read, the run count and the next run', () => {
    const message = live();
    expect(message.text).toBe('🔎 Verification of v1.3.0 (live): ✅ All checks healthy');
    expect(lines(message)).toEqual([
      '*🔎 Verification of v1.3.0 (live)* — ✅ All checks healthy',
      '✅ Error rate: 0.020 % (threshold &lt; 0.100 %)  `▁▃█▃`',
      '✅ Latency p99: 210 ms (threshold &lt; 400 ms)  `▁█`',
      'Read at 14:20 UTC (20m after the deploy) · run 4 of 43 · next run at 14:25 UTC (25m after the deploy)',
      'First hour',
    ]);
    // No picture: the live message stays the thread's width whatever Datadog draws.
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'context']);
  });

  it('says a breach, missing data and a retry; the last run says the watch is over', () => {
    const breached = live({ results: [errorRate(0.5), memoryWithoutData], history: { errorRate: [0.02] }, attempt: 2, retryIn: MIN, next: undefined });
    expect(breached.text).toBe('🔎 Verification of v1.3.0 (live): ❌ 1 check breached');
    expect(lines(breached)).toEqual([
      '*🔎 Verification of v1.3.0 (live)* — ❌ 1 check breached',
      '❌ Error rate: 0.500 % (threshold &lt; 0.100 %)',
      '⚠️ Memory: no data (threshold &lt; 85.0 %)',
      'Read at 14:20 UTC (20m after the deploy) · run 4 of 43 (try 2) · the watch is over',
      'First hour',
      'Checks without data are tried again in 1m.',
    ]);
  });
});

describe('a run that changed something', () => {
  it('a breach: what changed, with the reading behind it', () => {
    const message = verificationChangeMessage({ version: 'v1.3.0', sinceDeploy: 25 * MIN, changes: [changed('breached', 'pass', 'breach', errorRate(0.5))] });
    expect(message.text).toBe('🔔 Verification of v1.3.0 · 25m after the deploy: Error rate breached');
    expect(lines(message)).toEqual([
      '*🔔 Verification of v1.3.0 · 25m after the deploy*',
      '*Error rate breached*: ❌ Error rate: 0.500 % (threshold &lt; 0.100 %)',
    ]);
  });

  it('a recovery and data back are good news; a lost reading is a warning; a severity change is news', () => {
    const good = verificationChangeMessage({
      version: 'v1.3.0',
      sinceDeploy: 30 * MIN,
      changes: [
        changed('recovered', 'breach', 'pass', errorRate(0.02)),
        changed('data', 'no-data', 'pass', latency(210)),
      ],
    });
    expect(good.text).toBe('✅ Verification of v1.3.0 · 30m after the deploy: Error rate is healthy again; Latency p99 has data');
    const lost = verificationChangeMessage({ version: 'v1.3.0', sinceDeploy: 35 * MIN, changes: [changed('no-data', 'pass', 'no-data', memoryWithoutData)] });
    expect(lost.text).toBe('⚠️ Verification of v1.3.0 · 35m after the deploy: Memory has no data');
    const worse = verificationChangeMessage({ version: 'v1.3.0', sinceDeploy: 40 * MIN, changes: [changed('severity', 'high', 'critical', errorRate(2.5))] });
    expect(worse.text).toBe('🔔 Verification of v1.3.0 · 40m after the deploy: Error rate went from high to critical');
  });

  it('escapes the policy\'s labels', () => {
    const hostile = { ...errorRate(0.5), label: 'Errors <!channel>' };
    const message = verificationChangeMessage({ version: 'v1.3.0', sinceDeploy: MIN, changes: [changed('breached', 'pass', 'breach', hostile)] });
    expect(JSON.stringify(message)).not.toContain('<!channel>');
  });
});

describe('the milestones', () => {
  const graphUrl = 'https://p.datadoghq.com/snapshot/view/x.png';
  const base = { version: 'v1.3.0', phase: 'First hour', results: [errorRate(0.02), latency(210)], attempt: 1, graphUrl };
  const WEEK = 7 * 24 * 60 * MIN;

  it('the end of the first hour: the summary with the graph', () => {
    const message = verificationMessage({ ...base, sinceDeploy: 60 * MIN, milestone: { label: 'First hour', final: false } });
    expect(message.text).toBe('📍 First hour of verification done: v1.3.0 · 1h after the deploy: ✅ All checks healthy');
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'image', 'context']);
  });

  it('the end of the week: verified, or not when a check breached', () => {
    const done = verificationMessage({ ...base, phase: 'First week', sinceDeploy: WEEK, milestone: { label: 'First week', final: true } });
    expect(done.text).toBe('✅ v1.3.0 verified: post-release verification done · 1w after the deploy: ✅ All checks healthy');
    const breached = verificationMessage({ ...base, results: [errorRate(0.5)], phase: 'First week', sinceDeploy: WEEK, milestone: { label: 'First week', final: true } });
    expect(breached.text).toBe('⚠️ v1.3.0 not verified: post-release verification ended · 1w after the deploy: ❌ 1 check breached');
  });
});
