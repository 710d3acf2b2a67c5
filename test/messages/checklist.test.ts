import { describe, expect, it } from 'vitest';
import { checklistItems } from '../../src/domain/checklist.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { announcementFromPlan, checklistMessage, preReleaseAnnouncement } from '../../src/messages/checklist.js';

const policy = loadPolicy(undefined);

describe('checklist message', () => {
  it('splits a section past ten items over several checkboxes elements and shows ticks with the bar', () => {
    const checklist = { title: 'Big', before: 0, appliesTo: ['minor' as const], sections: [{ title: 'Many', items: Array.from({ length: 12 }, (_, i) => `Item ${i + 1}`) }] };
    const items = checklistItems(checklist, 'v1.3.0');
    const at = new Date('2026-12-03T10:15:00Z');
    const message = checklistMessage({
      planId: 'p1',
      version: 'v1.3.0',
      key: 'before72h',
      checklist,
      items,
      ticks: [{ checklist: 'before72h', item: '0.11', tickedBy: 'U0ENG', evidence: null, at }],
      timeZone: 'UTC',
    });
    const elements = message.blocks.filter((b) => b.type === 'actions').map((b) => (b as { elements: { options: unknown[]; initial_options?: { value: string }[] }[] }).elements[0]!);
    expect(elements.map((e) => e.options.length)).toEqual([10, 2]);
    // Each option names the plan, the checklist and the item: a click is checked against the plan as it is now.
    expect(elements[1]!.initial_options?.map((o) => o.value)).toEqual(['p1|before72h|0.11']);
    expect(message.text).toBe('Big for v1.3.0: 1/12 ticked');
    expect(JSON.stringify(message.blocks)).toContain('▓░░░░░░░░░░░ 1/12');
    expect(JSON.stringify(message.blocks)).toContain('Item 12: <@U0ENG> at 10:15 UTC');
  });

  it("fills the guide's pre-release announcement from the plan", () => {
    const plan = {
      version: 'v1.3.0',
      type: 'minor',
      plannedAt: new Date('2026-12-03T14:00:00Z'),
      plan: { sections: { features: [{ title: 'feat(wallet): wallet top-ups (#12)' }, { title: 'Admin portal search' }], breaking: [] } },
    };
    const message = preReleaseAnnouncement(announcementFromPlan(plan, policy, 'team'));
    const text = JSON.stringify(message.blocks);
    expect(message.text).toBe('Scheduled Maintenance: Thursday, 3 December 2026 v1.3.0 Release');
    expect(text).toContain('We are planning to release version v1.3.0 on Thursday, 3 December 2026 at 14:00 UTC.');
    // Plain sentences, not pull request titles.
    expect(text).toContain('Features included:\\n- Wallet top-ups\\n- Admin portal search');
    // The planned window ends at the one ETA: T-0 plus deploy.completeAt (T+90).
    expect(text).toContain('Planned window: 14:00 - 15:30 UTC');
    // The guide says blue-green for majors only: a minor claims no downtime figure at all.
    expect(text).not.toContain('Expected downtime');
    expect(text).not.toContain('How this affects you');
    const major = JSON.stringify(preReleaseAnnouncement(announcementFromPlan({ ...plan, version: 'v2.0.0', type: 'major' }, policy, 'team')).blocks);
    expect(major).toContain('Expected downtime: none expected (blue-green deployment)');
  });

  it('writes to customers with the greeting, what affects them and the sign-off the policy names', () => {
    const withWords = loadPolicy('communication:\n  signOff: The Acme Team\n  supportContact: support@acme.example\n  howThisAffectsYou:\n    major: [You will be asked to sign in again]');
    const plan = { version: 'v2.0.0', type: 'major', plannedAt: new Date('2026-12-04T06:00:00Z'), plan: { sections: { features: [], breaking: [{ title: 'feat!: remove the v1 payments API (#40)' }] } } };
    const text = JSON.stringify(preReleaseAnnouncement(announcementFromPlan(plan, withWords, 'customers')).blocks);
    expect(text).toContain('Dear Customers,');
    expect(text).toContain('How this affects you:\\n- You will be asked to sign in again\\n- Remove the v1 payments API: this may need changes on your side');
    expect(text).toContain('Questions? Contact: support@acme.example');
    expect(text).toContain('Thank you,\\nThe Acme Team');
    expect(text).not.toContain('Features included');
    // The team's version in #releases has neither greeting nor sign-off.
    const team = JSON.stringify(preReleaseAnnouncement(announcementFromPlan(plan, withWords, 'team')).blocks);
    expect(team).not.toContain('Dear Customers');
    expect(team).not.toContain('The Acme Team');
  });
});
