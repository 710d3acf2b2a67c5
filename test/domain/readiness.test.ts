import { describe, expect, it } from 'vitest';
import { cadenceLine, checklistsLine, ciLine, productionLine, readiness } from '../../src/domain/readiness.js';

const SHA = 'abcdef1234567890';
const ci = (over: Partial<Parameters<typeof ciLine>[0]>) => ciLine({ sha: SHA, branch: 'main', required: [], checks: [], ...over });

describe('the readiness gate: CI on the exact commit', () => {
  it.each([
    ['no check at all is not green', {}, 'waiting', 'no check has reported'],
    ['all passed', { checks: [{ name: 'unit', state: 'success' as const }] }, 'holds', 'CI green on `main` @ `abcdef1`: 1 check passed'],
    ['one running', { checks: [{ name: 'unit', state: 'success' as const }, { name: 'e2e', state: 'pending' as const }] }, 'waiting', 'e2e running'],
    ['one red, with its link', { checks: [{ name: 'unit', state: 'failure' as const, url: 'https://gh/run/1' }] }, 'failing', '<https://gh/run/1|unit> failed'],
    ['GitHub could not be asked', { checks: undefined }, 'waiting', 'GitHub could not be asked'],
    ['a required check not reported', { required: ['e2e'], checks: [{ name: 'unit', state: 'success' as const }] }, 'waiting', 'required e2e not reported'],
    ['an optional check red, the required green', { required: ['e2e'], checks: [{ name: 'lint', state: 'failure' as const }, { name: 'e2e', state: 'success' as const }] }, 'holds', 'required e2e passed'],
    ['a hotfix a person marked tested', { testedBy: '<@U0ENG>', checks: undefined }, 'holds', 'marked tested by <@U0ENG>'],
  ])('%s', (_, over, state, text) => {
    const line = ci(over);
    expect(line.state).toBe(state);
    expect(line.text).toContain(text);
  });
});

describe('the readiness gate: checklists, cadence, production', () => {
  it('checklists hold when ticked, waived or advisory, and wait on what is left', () => {
    expect(checklistsLine({ due: [], missing: [] }).state).toBe('holds');
    expect(checklistsLine({ due: ['72h'], missing: [{ checklist: '72h', text: 'All tests passing' }] })).toMatchObject({ state: 'waiting', text: expect.stringContaining('1 item not ticked ("All tests passing")') });
    expect(checklistsLine({ due: ['72h'], missing: [{ checklist: '72h', text: 'x' }], waived: { by: '<@U0HEAD>', reason: 'signed off' } })).toMatchObject({ state: 'holds', text: 'Checklists waived by <@U0HEAD>: signed off' });
    expect(checklistsLine({ due: ['72h'], missing: [{ checklist: '72h', text: 'x' }], advisory: true }).state).toBe('holds');
  });
  it('the cadence holds on its slot or overridden, and waits for the next slot off it', () => {
    expect(cadenceLine({ enforced: true, ok: false, rule: 'Minor releases go out every second Thursday', nextAllowed: '2026-12-24 12:00 UTC' })).toMatchObject({ state: 'waiting', text: expect.stringContaining('goes on by itself at 2026-12-24 12:00 UTC') });
    expect(cadenceLine({ enforced: true, overridden: { by: '<@U0HEAD>', reason: 'demo' } }).state).toBe('holds');
    expect(cadenceLine({ enforced: false, why: 'a hotfix goes out when it is needed' }).state).toBe('holds');
  });
  it('an unguarded production the policy asks a gate of fails the gate; an unknown one waits', () => {
    expect(productionLine({ how: 'no required reviewers.', refuse: 'Add reviewers.' })).toMatchObject({ state: 'failing', text: 'Production gate: no required reviewers. Add reviewers.' });
    expect(productionLine({ how: 'GitHub could not be asked', unknown: true }).state).toBe('waiting');
    expect(readiness([productionLine({ how: 'guarded' }), ci({ checks: [{ name: 'unit', state: 'success' }] })]).ready).toBe(true);
  });
});
