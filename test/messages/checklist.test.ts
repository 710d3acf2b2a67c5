import { describe, expect, it } from 'vitest';
import { checklistItems } from '../../src/domain/checklist.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { checklistMessage, preReleaseAnnouncement } from '../../src/messages/checklist.js';

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
    const message = preReleaseAnnouncement({
      version: 'v1.3.0',
      plannedAt: new Date('2026-12-03T14:00:00Z'),
      windowEnd: new Date('2026-12-03T15:30:00Z'),
      features: ['Wallet top-ups', 'Admin portal search'],
      expectedDowntime: policy.communication.expectedDowntime,
    });
    const text = JSON.stringify(message.blocks);
    expect(message.text).toBe('Scheduled Maintenance: Thursday, 3 December 2026 v1.3.0 Release');
    expect(text).toContain('We are planning to release version v1.3.0 on Thursday, 3 December 2026 at 14:00 UTC.');
    expect(text).toContain('- Wallet top-ups\\n- Admin portal search');
    expect(text).toContain('Expected downtime: none expected (blue-green deployment)');
    expect(text).toContain('Planned window: 14:00 - 15:30 UTC');
  });
});
