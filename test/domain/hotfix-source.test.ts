import { describe, expect, it } from 'vitest';
import { changeLine, describeHotfixChange, hotfixBranches, parseHotfixFrom, type HotfixChange } from '../../src/domain/hotfix-source.js';

const SHA = 'a'.repeat(40);
const PRODUCTION = { tag: 'v1.2.0', sha: 'b'.repeat(40) };
const change = (over: Partial<HotfixChange>): HotfixChange => ({ branch: 'hotfix/v1.2.1', sha: SHA, production: PRODUCTION, ...over });

describe('where a hotfix comes from', () => {
  it('looks for its own branch first, then the release branch', () => {
    expect(hotfixBranches('v1.2.1')).toEqual(['hotfix/v1.2.1', 'release/v1.2.1']);
  });

  it.each([
    ['hotfix/v1.2.1', true],
    ['patches/cards', true],
    [SHA, true],
    ['abc1234', true],
    ['hotfix/../main', false],
    ['/etc', false],
    ['trailing/', false],
    ['-rf', false],
    ['a b', false],
  ])('--from %s is accepted: %s', (text, ok) => {
    expect(parseHotfixFrom(text).ok).toBe(ok);
  });
});

describe('what a hotfix ships', () => {
  it.each<[string, Partial<HotfixChange>, 'holds' | 'waiting', string]>([
    ['a fix beyond production', { ahead: 1, behind: 0, newest: [{ sha: 'c'.repeat(40), title: 'fix: charge once' }] }, 'holds', 'Ships `aaaaaaa` on `hotfix/v1.2.1`, 1 commit beyond production v1.2.0 (`ccccccc` fix: charge once)'],
    ['more commits than listed', { ahead: 7, newest: [{ sha: 'c'.repeat(40), title: 'fix' }] }, 'holds', '7 commits beyond production v1.2.0 (`ccccccc` fix; …)'],
    ['a branch cut elsewhere lacks what production runs', { ahead: 2, behind: 3, newest: [] }, 'holds', '2 commits beyond production v1.2.0; it lacks 3 commits production runs'],
    ['the same code as production', { ahead: 0, behind: 0 }, 'waiting', 'the same code production runs (v1.2.0): nothing to ship. Push the fix to `hotfix/v1.2.1`'],
    ['GitHub could not compare', {}, 'waiting', 'could not be read yet; looking again'],
    ['nothing released yet', { production: undefined }, 'holds', '(nothing released yet to compare with)'],
  ])('%s', (_name, over, state, text) => {
    const line = changeLine(change(over));
    expect(line.key).toBe('change');
    expect(line.state).toBe(state);
    expect(line.text).toContain(text);
  });

  it('describes the change without the readiness wording, for the hotfix message', () => {
    expect(describeHotfixChange(change({ ahead: 1, newest: [] }))).toBe('`aaaaaaa` on `hotfix/v1.2.1`, 1 commit beyond production v1.2.0');
  });
});
