import { describe, expect, it } from 'vitest';
import { checklistItems, missingItems, progressBar } from '../../src/domain/checklist.js';
import { checklistsDue, dueEvents, planEvents } from '../../src/domain/plan-schedule.js';
import { loadPolicy } from '../../src/domain/policy.js';

const policy = loadPolicy(undefined);
const slot = new Date('2026-12-03T14:00:00Z');
const hours = (h: number) => new Date(slot.getTime() - h * 3_600_000);

describe('planEvents', () => {
  it('lists a minor plan: announcement, checklists, the minor timeline and the start, in time order', () => {
    const events = planEvents(policy, { type: 'minor', plannedAt: slot });
    expect(events.map((e) => [e.key, e.dueAt.toISOString()])).toEqual([
      ['timeline-branchCut', hours(8 * 24).toISOString()],
      ['announcement', hours(72).toISOString()],
      ['checklist-before72h', hours(72).toISOString()],
      ['timeline-codeFreeze', hours(72).toISOString()],
      ['timeline-finalTesting', hours(48).toISOString()],
      ['checklist-before24h', hours(24).toISOString()],
      ['timeline-releaseDay', hours(6).toISOString()],
      ['checklist-before4h', hours(4).toISOString()],
      ['start', slot.toISOString()],
    ]);
  });

  it.each([
    ['patch', ['announcement', 'start']],
    ['major', ['announcement', 'checklist-before72h', 'checklist-before24h', 'checklist-before4h', 'start']],
  ])('%s plans have no minor timeline; checklists only where the policy applies them', (type, keys) => {
    expect(planEvents(policy, { type, plannedAt: slot }).map((e) => e.key)).toEqual(keys);
  });
});

describe('dueEvents', () => {
  const events = planEvents(policy, { type: 'major', plannedAt: slot });
  const grace = 2 * 3_600_000;
  it.each([
    ['nothing before the announcement', hours(73), []],
    ['the announcement and the 72 h checklist at T-72h', hours(72), ['announcement:on time', 'checklist-before72h:on time']],
    ['past the grace, earlier ones are late', hours(23), ['announcement:late', 'checklist-before72h:late', 'checklist-before24h:on time']],
    ['at T-0 the start', slot, ['announcement:late', 'checklist-before72h:late', 'checklist-before24h:late', 'checklist-before4h:late', 'start:on time']],
  ] as const)('%s', (_name, now, expected) => {
    expect(dueEvents(events, now, grace).map((d) => `${d.event.key}:${d.late ? 'late' : 'on time'}`)).toEqual(expected);
  });

  it('the T-0 gate requires the checklists due so far', () => {
    expect(checklistsDue(events, hours(30))).toEqual(['before72h']);
    expect(checklistsDue(events, slot)).toEqual(['before72h', 'before24h', 'before4h']);
  });
});

describe('checklist items', () => {
  it("fills the version into the guide's items and knows which tminus can check", () => {
    const items = checklistItems(policy.checklists.before72h, 'v1.3.0');
    expect(items).toHaveLength(16);
    expect(items.find((i) => i.text.startsWith('Release branch created'))).toMatchObject({ id: '2.0', text: 'Release branch created: `release/v1.3.0`', auto: ['releaseBranch', 'noTag'] });
    expect(items.find((i) => i.text === 'No failing tests in main branch')?.auto).toEqual(['ciGreen']);
    const ticks = [{ checklist: 'before72h', item: '0.0', tickedBy: 'U1', evidence: null, at: slot }];
    expect(missingItems(items, ticks, 'before72h')).toHaveLength(15);
    expect(missingItems(items, ticks, 'before24h')).toHaveLength(16);
  });

  it.each([
    [0, 12, '░░░░░░░░░░░░ 0/12'],
    [5, 12, '▓▓▓▓▓░░░░░░░ 5/12'],
    [12, 12, '▓▓▓▓▓▓▓▓▓▓▓▓ 12/12'],
    [1, 3, '▓▓▓▓░░░░░░░░ 1/3'],
  ])('progress bar %i/%i', (done, total, bar) => {
    expect(progressBar(done, total)).toBe(bar);
  });
});
