import { describe, expect, it } from 'vitest';
import { freezeNotice } from '../../src/messages/freeze.js';
import { freezesBlock } from '../../src/messages/schedule.js';

const at = (iso: string) => new Date(iso);
const textOf = (block: unknown) => (block as { text: { text: string } }).text.text;

describe('deploy freezes as Slack shows them', () => {
  it('the schedule lists the freezes in force and coming; what people wrote is escaped', () => {
    const block = freezesBlock({
      inForce: [{ reason: 'payments <!channel> & cards', from: at('2026-12-10T10:00:00Z'), until: null, by: 'U0ONCALL' }],
      coming: [{ reason: 'Year end', from: at('2026-12-23T00:00:00Z'), until: at('2027-01-04T00:00:00Z'), appliesTo: ['minor', 'major'] }],
      automatic: ['while a Datadog monitor alerts: Checkout <errors>'],
      days: 14,
    }, 'UTC');
    expect(textOf(block).split('\n')).toEqual([
      '*Deploy freezes* (releases wait; a hotfix only when a freeze lists it):',
      '🧊 *In force:* payments &lt;!channel&gt; &amp; cards (frozen by <@U0ONCALL>), until unfrozen',
      '• Wed, 23 Dec 2026 00:00 UTC: Year end (minor, major), until Mon, 4 Jan 2027 00:00 UTC',
      '• Automatic: while a Datadog monitor alerts: Checkout &lt;errors&gt;',
    ]);
  });

  it('says when there is none, and stays within a section\'s 3000 characters however many windows come', () => {
    expect(textOf(freezesBlock({ inForce: [], coming: [], automatic: [], days: 14 }, 'UTC'))).toContain('No deploy freeze in force or in the next 14 days.');
    const many = Array.from({ length: 200 }, (_, i) => ({ reason: `Window ${i} ${'x'.repeat(40)}`, from: at('2026-12-11T16:00:00Z'), until: at('2026-12-11T18:00:00Z') }));
    expect(textOf(freezesBlock({ inForce: [], coming: many, automatic: [], days: 14 }, 'UTC')).length).toBeLessThanOrEqual(3000);
  });

  it('#releases hears of a freeze and of its end, escaped', () => {
    const frozen = freezeNotice({ reason: 'launch <@U0ALL>', by: 'U0ONCALL', until: at('2026-12-11T18:00:00Z'), held: ['v1.2.1'], timeZone: 'UTC' });
    expect(frozen.text).toBe('🧊 *Deploy freeze* by <@U0ONCALL>, until 2026-12-11 18:00 UTC (or `/release unfreeze`): launch &lt;@U0ALL&gt;. Every release but a hotfix waits at its readiness gate. Held at the readiness gate: v1.2.1.');
    const ended = freezeNotice({ reason: 'launch', by: 'U0ONCALL', until: null, held: [], timeZone: 'UTC', ended: { by: 'U0HEAD', reason: null } });
    expect(ended.text).toBe('✅ *Deploy freeze ended* by <@U0HEAD>. It was: launch. Releases held by it go on.');
  });
});
