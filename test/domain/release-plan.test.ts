import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../src/domain/policy.js';
import {
  adviseType,
  buildReleasePlan,
  classifyPullRequest,
  describeChange,
  formatPlannedAt,
  parsePlannedAt,
  releaseNotesDraft,
  versionWarning,
  type PlannedPullRequest,
} from '../../src/domain/release-plan.js';
import { parseVersion, type Version } from '../../src/domain/version.js';

const policy = defaultPolicy();
const planning = policy.planning;

function v(text: string): Version {
  const result = parseVersion(text);
  if (!result.ok) throw new Error(result.reason);
  return result.version;
}

function pr(number: number, title: string, labels: string[] = [], files: string[] = ['src/app.ts']): PlannedPullRequest {
  return { number, title, url: `https://github.com/acme/shop/pull/${number}`, labels, files, mergedAt: '2026-11-20T10:00:00Z' };
}

describe('classifyPullRequest', () => {
  it.each([
    ['feat: wallet top-ups', [], { kind: 'features', breaking: false }],
    ['feat(api): search', [], { kind: 'features', breaking: false }],
    ['fix: rounding in receipts', [], { kind: 'fixes', breaking: false }],
    ['perf: faster receipts', [], { kind: 'improvements', breaking: false }],
    ['refactor: split the ledger', [], { kind: 'improvements', breaking: false }],
    ['docs: upgrade guide', [], { kind: 'improvements', breaking: false }],
    ['chore: bump deps', [], { kind: 'other', breaking: false }],
    ['Update the footer', [], { kind: 'other', breaking: false }],
    ['feat!: drop the v1 API', [], { kind: 'features', breaking: true }],
    ['fix(api)!: ids are strings', [], { kind: 'fixes', breaking: true }],
    ['refactor: BREAKING CHANGE remove legacy login', [], { kind: 'improvements', breaking: true }],
    // Labels from the policy decide before the title.
    ['Add dark mode', ['enhancement'], { kind: 'features', breaking: false }],
    ['feat: looks like a feature', ['bug'], { kind: 'fixes', breaking: false }],
    ['Speed up the ledger', ['Performance'], { kind: 'improvements', breaking: false }],
    ['Remove the old export', ['breaking-change'], { kind: 'other', breaking: true }],
    ['chore: tidy', ['unrelated'], { kind: 'other', breaking: false }],
  ] as const)('%j with labels %j', (title, labels, expected) => {
    expect(classifyPullRequest({ title, labels: [...labels], files: [] }, planning)).toEqual({ ...expected, migration: false });
  });

  it.each([
    [['drizzle/0005_x.sql'], true],
    [['src/db/schema.ts', 'migrations/20261120_add.sql'], true],
    [['db/migrate/001_init.rb'], true],
    [['src/drizzle/helper.ts'], false],
    [['README.md'], false],
    [[], false],
  ])('files %j: migration %s', (files, migration) => {
    expect(classifyPullRequest({ title: 'fix: x', labels: [], files }, planning).migration).toBe(migration);
  });
});

describe('buildReleasePlan and the advised type', () => {
  it.each([
    [[pr(1, 'fix: a'), pr(2, 'docs: b')], 'patch'],
    [[pr(1, 'fix: a'), pr(2, 'feat: b')], 'minor'],
    [[pr(1, 'feat: a'), pr(2, 'Drop the old API', ['breaking'])], 'major'],
    [[pr(1, 'chore: deps')], 'patch'],
    [[], 'none'],
  ] as const)('%#: %s', (pulls, advised) => {
    expect(buildReleasePlan(pulls, planning).advisedType).toBe(advised);
  });

  it('sorts pull requests into the sections, a breaking one and a migration in their own sections too', () => {
    const plan = buildReleasePlan(
      [pr(17, 'fix: rounding'), pr(15, 'feat: wallet top-ups', [], ['drizzle/0005_x.sql', 'src/wallet.ts']), pr(16, 'Faster search', ['performance']), pr(18, 'feat!: new ids')],
      planning,
    );
    const numbers = (section: keyof typeof plan.sections) => plan.sections[section].map((i) => i.number);
    expect(numbers('features')).toEqual([15, 18]);
    expect(numbers('fixes')).toEqual([17]);
    expect(numbers('improvements')).toEqual([16]);
    expect(numbers('breaking')).toEqual([18]);
    expect(numbers('migrations')).toEqual([15]);
    expect(numbers('other')).toEqual([]);
    expect(plan.sections.features[0]).toEqual({ number: 15, title: 'feat: wallet top-ups', url: 'https://github.com/acme/shop/pull/15', status: 'Merged' });
    expect(adviseType(plan.sections)).toBe('major');
  });
});

describe('versionWarning', () => {
  const minorPlan = buildReleasePlan([pr(1, 'feat: a'), pr(2, 'fix: b')], planning);
  const majorPlan = buildReleasePlan([pr(3, 'feat!: a')], planning);
  const patchPlan = buildReleasePlan([pr(4, 'fix: a')], planning);
  it.each([
    ['v1.3.0', minorPlan, undefined],
    ['v1.2.1', minorPlan, /v1\.2\.1 is a patch release, but the new features \(#1\) call for a minor: plan v1\.3\.0 instead/],
    ['v1.3.0', majorPlan, /v1\.3\.0 is a minor release, but the breaking changes \(#3\) call for a major: plan v2\.0\.0 instead/],
    ['v2.0.0', majorPlan, undefined],
    ['v1.2.1', patchPlan, undefined],
    ['v1.3.0', patchPlan, /call only for a patch: plan v1\.2\.1 instead/],
  ] as const)('%s', (requested, plan, expected) => {
    const warning = versionWarning(v(requested), v('v1.2.0'), plan);
    if (expected === undefined) expect(warning).toBeUndefined();
    else expect(warning).toMatch(expected);
  });
});

describe('releaseNotesDraft', () => {
  it("follows the guide's template", () => {
    const plan = buildReleasePlan([pr(15, 'feat: wallet top-ups', [], ['drizzle/0005_x.sql']), pr(17, 'fix: rounding in receipts')], planning);
    const notes = releaseNotesDraft({ version: 'v1.3.0', previous: 'v1.2.0', type: 'minor', date: '2026-12-03 14:00 UTC', plan, policy });
    expect(notes).toContain('# Release v1.3.0\n\n**Release Date:** 2026-12-03 14:00 UTC  \n**Type:** Minor Release  ');
    expect(notes).toContain('## New Features\n- Wallet top-ups - #15\n');
    expect(notes).toContain('## Bug Fixes\n- Rounding in receipts - #17\n');
    expect(notes).toContain('## Improvements\nNone\n');
    expect(notes).toContain('## Breaking Changes\nNone\n');
    expect(notes).toContain('2. Run the database migrations (#15).');
    expect(notes).toContain('## Rollback Instructions\nIf issues occur: docker-compose down && docker-compose -f docker-compose.v1.2.0.yml up -d');
  });

  it.each([
    ['feat(api): wallet top-ups', 'Wallet top-ups'],
    ['fix!: x', 'X'],
    ['Plain title', 'Plain title'],
  ])('describeChange(%j) = %j', (title, text) => {
    expect(describeChange(title)).toBe(text);
  });
});

describe('parsePlannedAt', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  it.each([
    ['2026-12-03 14:00', 'UTC', '2026-12-03T14:00:00.000Z'],
    ['2026-12-03', 'UTC', '2026-12-03T14:00:00.000Z'],
    ['2026-12-03T06:30', 'UTC', '2026-12-03T06:30:00.000Z'],
    ['2026-12-03 14:00', 'Europe/Berlin', '2026-12-03T13:00:00.000Z'],
    ['2027-07-01 14:00', 'Europe/Berlin', '2027-07-01T12:00:00.000Z'],
    ['2026-12-03 09:00', 'America/New_York', '2026-12-03T14:00:00.000Z'],
  ])('%s in %s', (text, zone, iso) => {
    expect(parsePlannedAt(text, zone, '14:00', now)).toEqual({ ok: true, at: new Date(iso) });
  });

  it.each([['tomorrow'], ['2026-02-30'], ['2026-12-03 25:00'], ['2026-11-20 14:00']])('refuses %j', (text) => {
    const result = parsePlannedAt(text, 'UTC', '14:00', now);
    expect(result.ok).toBe(false);
  });

  it('formats a plan date in the zone', () => {
    expect(formatPlannedAt(new Date('2026-12-03T13:00:00Z'), 'Europe/Berlin')).toBe('2026-12-03 14:00 Europe/Berlin');
  });
});
