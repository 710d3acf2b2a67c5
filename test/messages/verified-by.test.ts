import { describe, expect, it } from 'vitest';
import { completingEvent, howVerified, readingsOf, type CompletingEvent } from '../../src/domain/verified-by.js';
import { confirmByHandMessage } from '../../src/messages/post-deploy-checks.js';
import { releaseCompleteMessage } from '../../src/messages/release-complete.js';
import { releasedBody } from '../../src/messages/status-page.js';
import { verifiedByForCustomers, verifiedByForTeam, verifiedByShort } from '../../src/messages/verified-by.js';
import { defaultPolicy } from '../../src/domain/policy.js';

const passed = (details: Record<string, unknown>): CompletingEvent => ({ action: 'release.post_deploy_checks_passed', actor: 'system', details });
const confirmed = (actor: string, checked: string): CompletingEvent => ({ action: 'release.post_deploy_checks_confirmed', actor, details: { checked } });
const READINGS = readingsOf([
  { key: 'errorRate', label: 'Error rate', state: 'pass', value: 0.02, threshold: 0.1, direction: 'below', unit: '%' },
  { key: 'latencyP99', label: 'Latency p99', state: 'pass', value: 210, threshold: 400, direction: 'below', unit: 'ms' },
  { key: 'cacheHitRate', label: 'Cache hit rate', state: 'pass', value: 96, threshold: 90, direction: 'above', unit: '%' },
  { key: 'queueDepth', label: 'Queue depth', state: 'pass', value: 12, unit: 'messages', baseline: { value: 10, factor: 2, limit: 100 } },
]);

describe('how a release was verified, the same in every place', () => {
  it.each<[string, CompletingEvent | undefined, string, string, string]>([
    [
      'Datadog readings',
      passed({ source: 'datadog', reading: 1, readings: READINGS }),
      '✅ Verified by Datadog checks (Error rate 0.020 % &lt; 0.100 %, Latency p99 210 ms &lt; 400 ms, ' +
        'Cache hit rate 96.0 % &gt; 90.0 %, Queue depth 12 messages ≤ 100 messages)',
      'verified by Datadog checks',
      'Verified after the deploy by our automated health checks.',
    ],
    [
      'a pass recorded before readings were kept',
      passed({ reading: 2 }),
      '✅ Verified by Datadog checks',
      'verified by Datadog checks',
      'Verified after the deploy by our automated health checks.',
    ],
    [
      'a person, with what they typed escaped',
      confirmed('U0ONCALL', 'error rate 0.02% <on> the dashboard & APM'),
      '👀 Confirmed by <@U0ONCALL>: error rate 0.02% &lt;on&gt; the dashboard &amp; APM',
      'confirmed by <@U0ONCALL>',
      'Checked after the deploy by our engineers.',
    ],
    ['source: none', passed({ source: 'none' }), '⚠️ Not verified (verification.source: none)', 'not verified', 'Not verified after the deploy.'],
    ['an old skip', passed({ skipped: 'no Datadog' }), '⚠️ Not verified (no Datadog)', 'not verified', 'Not verified after the deploy.'],
    ['nothing recorded', undefined, '⚠️ Not verified (no verification recorded)', 'not verified', 'Not verified after the deploy.'],
  ])('%s', (_, event, team, short, customers) => {
    const how = howVerified(event);
    expect(verifiedByForTeam(how)).toBe(team);
    expect(verifiedByShort(how)).toBe(short);
    expect(verifiedByForCustomers(how)).toBe(customers);
  });

  it('takes the last pass or confirmation of the audit log', () => {
    const other = (action: string) => ({ action, actor: 'system', details: {} });
    const events = [other('release.deploy_succeeded'), passed({ source: 'none' }), confirmed('U0LEAD', 'all green'), other('verification.run')];
    expect(completingEvent(events)).toBe(events[2]);
    expect(completingEvent([])).toBeUndefined();
  });

  it('the completion, the customer wording and the status page carry it', () => {
    const how = howVerified(confirmed('U0ONCALL', 'p99 210 ms'));
    const releaseUrl = 'https://github.com/acme/app/releases/tag/v1.3.0';
    const completedAt = new Date('2026-12-07T10:00:00Z');
    const base = { version: 'v1.3.0', completedAt, deploymentMs: 42 * 60_000, releaseUrl, notes: '', timeZone: 'UTC', verified: how };
    const team = releaseCompleteMessage(base);
    expect(team.text).toBe('✅ Release v1.3.0 COMPLETED in 42m, confirmed by <@U0ONCALL>');
    expect(JSON.stringify(team.blocks)).toContain('👀 Confirmed by <@U0ONCALL>: p99 210 ms');
    const customers = releaseCompleteMessage({ ...base, audience: 'customers' });
    expect(JSON.stringify(customers)).toContain('Checked after the deploy by our engineers.');
    expect(JSON.stringify(customers)).not.toContain('<@');
    expect(releasedBody('v1.3.0', base.completedAt, undefined, howVerified(passed({ source: 'none' })))).toBe(
      '✅ Released: version v1.3.0 is live since 10:00 UTC.\nNot verified after the deploy.\nThank you for your patience!',
    );
  });
});

describe('the ask to confirm by hand', () => {
  const checks = (['errorRate', 'latencyP99', 'cacheHitRate'] as const).map((key) => defaultPolicy().verification.checks[key]);
  it.each([
    ['no-datadog', 'Datadog is not configured (`DD_API_KEY`, `DD_APP_KEY`)'],
    ['no-checks', 'the policy names no post-deploy check (`deploy.postDeployChecks.checks`)'],
    ['manual', 'the policy has a person confirm every release (`verification.source: manual`)'],
  ] as const)('%s: why, what to check with the guide’s limits, and the exact command', (reason, why) => {
    const message = confirmByHandMessage({ version: 'v1.3.0', reason, checks, confirmers: 'the on-call engineer' });
    const shown = JSON.stringify(message.blocks);
    expect(message.text).toBe('Nothing can verify v1.3.0 automatically: check it, then /release confirm v1.3.0 &lt;what you checked&gt;');
    expect(shown).toContain(`Nothing can verify v1.3.0 automatically*: ${why}`);
    expect(shown).toContain('• Error rate &lt; 0.100 %\\n• Latency p99 &lt; 400 ms\\n• Cache hit rate &gt; 90.0 %');
    expect(shown).toContain('`/release confirm v1.3.0 &lt;what you checked&gt;` (the on-call engineer)');
  });

  it('unread by the deadline: says so, and that tminus keeps trying', () => {
    const message = confirmByHandMessage({ version: 'v1.3.0', reason: 'unread', checks, confirmers: 'the on-call engineer', retryEvery: 60_000 });
    expect(message.text).toBe('Post-deploy checks of v1.3.0 could not be read: confirm by hand or roll back');
    expect(JSON.stringify(message.blocks)).toContain('could not be read by their deadline.* tminus keeps trying every 1m');
  });
});
