import { describe, expect, it } from 'vitest';
import { productionVersion } from '../../src/domain/production.js';
import {
  checkBackport,
  compareVersions,
  isOnOlderLine,
  releasePublication,
  inferReleaseType,
  inferReleaseTypeFrom,
  latestVersion,
  nextVersions,
  parseVersion,
  type Version,
} from '../../src/domain/version.js';

function v(text: string): Version {
  const result = parseVersion(text);
  if (!result.ok) throw new Error(result.reason);
  return result.version;
}

describe('parseVersion', () => {
  it.each([
    ['v1.3.0', { tag: 'v1.3.0', text: '1.3.0', major: 1, minor: 3, patch: 0, prerelease: [] }],
    ['1.3.0', { tag: 'v1.3.0', text: '1.3.0', major: 1, minor: 3, patch: 0, prerelease: [] }],
    ['v1.3.0-rc.1', { tag: 'v1.3.0-rc.1', text: '1.3.0-rc.1', major: 1, minor: 3, patch: 0, prerelease: ['rc', '1'] }],
    ['  v2.0.0 ', { tag: 'v2.0.0', text: '2.0.0', major: 2, minor: 0, patch: 0, prerelease: [] }],
    ['v0.0.1-beta', { tag: 'v0.0.1-beta', text: '0.0.1-beta', major: 0, minor: 0, patch: 1, prerelease: ['beta'] }],
  ])('reads %j', (input, version) => {
    expect(parseVersion(input)).toEqual({ ok: true, version });
  });

  it.each(['1.3', 'v1.3.0.1', 'latest', '', '   ', 'v01.2.3', 'v1.3.0+build.5', 'v1.3.0 v1.4.0', 'vv1.3.0', '99999999999999999999.0.0'])(
    'refuses %j with a reason that shows the expected form',
    (input) => {
      const result = parseVersion(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain('v1.3.0');
    },
  );

  it('names the bad input in the reason', () => {
    expect(parseVersion('latest')).toEqual({ ok: false, reason: expect.stringContaining('"latest" is not a version') });
  });
});

describe('compareVersions and latestVersion', () => {
  it.each([
    ['v1.2.3', 'v1.2.4', -1],
    ['v1.3.0', 'v1.2.9', 1],
    ['v2.0.0', 'v10.0.0', -1],
    ['v1.3.0-rc.1', 'v1.3.0', -1],
    ['v1.3.0-rc.2', 'v1.3.0-rc.10', -1],
    ['1.3.0', 'v1.3.0', 0],
  ])('%s against %s is %i', (a, b, order) => {
    expect(compareVersions(v(a), v(b))).toBe(order);
  });

  it.each([
    [[], undefined],
    [['v1.2.0'], 'v1.2.0'],
    [['v1.2.0', 'v1.10.0', 'v1.9.0'], 'v1.10.0'],
    [['v1.2.0', 'v1.3.0-rc.1'], 'v1.3.0-rc.1'],
    [['v1.3.0-rc.1', 'v1.3.0', 'v1.3.0-rc.2'], 'v1.3.0'],
  ])('latest of %j is %s', (tags, latest) => {
    expect(latestVersion(tags.map(v))?.tag).toBe(latest);
  });
});

describe('nextVersions', () => {
  it.each([
    ['v1.2.3', 'v1.2.4', 'v1.3.0', 'v2.0.0', undefined],
    ['v1.3.0', 'v1.3.1', 'v1.4.0', 'v2.0.0', undefined],
    ['v0.9.9', 'v0.9.10', 'v0.10.0', 'v1.0.0', undefined],
    ['v1.3.0-rc.1', 'v1.3.1', 'v1.4.0', 'v2.0.0', 'v1.3.0'],
  ])('after %s suggests %s, %s, %s (final %s)', (latest, patch, minor, major, final) => {
    const next = nextVersions(v(latest));
    expect([next.patch.tag, next.minor.tag, next.major.tag, next.final?.tag]).toEqual([patch, minor, major, final]);
    expect(next.patch.prerelease).toEqual([]);
  });
});

describe('inferReleaseType', () => {
  it.each([
    // The guide's examples.
    ['v1.2.4', 'v1.2.3', 'patch'],
    ['v1.0.1', 'v1.0.0', 'patch'],
    ['v1.3.0', 'v1.2.0', 'minor'],
    ['v2.0.0', 'v1.0.0', 'major'],
    // The highest component that changed decides.
    ['v1.3.5', 'v1.2.3', 'minor'],
    ['v2.1.1', 'v1.9.9', 'major'],
    ['v1.2.10', 'v1.2.9', 'patch'],
    // Pre-releases.
    ['v1.3.0-rc.1', 'v1.2.0', 'minor'],
    ['v1.2.1-rc.1', 'v1.2.0', 'patch'],
    ['v2.0.0-beta.1', 'v1.4.2', 'major'],
    ['v1.3.0', 'v1.3.0-rc.1', 'minor'],
    ['v1.3.0-rc.2', 'v1.3.0-rc.1', 'minor'],
    ['v2.0.0', 'v2.0.0-rc.3', 'major'],
    ['v1.2.4', 'v1.2.4-rc.1', 'patch'],
    ['v1.3.2', 'v1.3.0-rc.1', 'minor'],
    ['v1.4.0', 'v1.3.0-rc.1', 'minor'],
    ['v2.0.0', 'v1.3.0-rc.1', 'major'],
  ])('%s after %s is a %s', (next, latest, type) => {
    expect(inferReleaseType(v(next), v(latest))).toEqual({ ok: true, type });
  });

  it.each([
    ['v1.0.0', 'major'],
    ['v2.0.0', 'major'],
    ['v0.1.0', 'minor'],
    ['v1.3.0', 'minor'],
    ['v0.0.1', 'patch'],
    ['v1.2.3', 'patch'],
    ['v1.0.0-rc.1', 'major'],
  ])('a first release %s is typed by its shape: %s', (next, type) => {
    expect(inferReleaseType(v(next), undefined)).toEqual({ ok: true, type });
  });

  it.each([
    ['v1.2.0', 'v1.3.0', 'v1.2.0 is not above the latest release v1.3.0: use v1.3.1, v1.4.0 or v2.0.0'],
    ['v1.3.0', 'v1.3.0', 'v1.3.0 is already the latest release: use v1.3.1, v1.4.0 or v2.0.0'],
    ['v1.3.0-rc.1', 'v1.3.0', 'v1.3.0-rc.1 is not above the latest release v1.3.0: use v1.3.1, v1.4.0 or v2.0.0'],
    ['v1.2.9', 'v1.3.0-rc.1', 'v1.2.9 is not above the latest release v1.3.0-rc.1: use v1.3.0, v1.3.1, v1.4.0 or v2.0.0'],
  ])('refuses %s after %s', (next, latest, reason) => {
    expect(inferReleaseType(v(next), v(latest))).toEqual({ ok: false, reason });
  });
});

describe('inferReleaseTypeFrom the tagged history', () => {
  it.each([
    ['v1.3.0', [], 'minor'],
    ['v1.2.4', ['v1.0.0', 'v1.2.3', 'v1.1.0'], 'patch'],
    // Typed against the last non-prerelease release, above every tag.
    ['v1.3.0', ['v1.2.0', 'v1.3.0-rc.1', 'v1.3.0-rc.2'], 'minor'],
    ['v2.1.0', ['v1.2.0', 'v2.1.0-rc.1'], 'major'],
    ['v1.3.0-rc.2', ['v1.2.7', 'v1.3.0-rc.1'], 'minor'],
    ['v1.0.0', ['v1.0.0-rc.1'], 'major'],
  ])('%s after %j is a %s', (next, tags, type) => {
    expect(inferReleaseTypeFrom(v(next), tags.map(v))).toEqual({ ok: true, type });
  });

  it('refuses a version that is not above the latest tag', () => {
    expect(inferReleaseTypeFrom(v('v1.2.5'), ['v1.2.0', 'v1.3.0-rc.1'].map(v))).toEqual({
      ok: false,
      reason: 'v1.2.5 is not above the latest release v1.3.0-rc.1: use v1.3.0, v1.3.1, v1.4.0 or v2.0.0',
    });
  });
});

describe('backport patches', () => {
  it.each([
    ['v1.2.5', 'v1.3.0', true],
    ['v0.9.1', 'v1.3.0', true],
    ['v1.3.1', 'v1.3.0', false],
    ['v1.3.0-rc.1', 'v1.3.0', false],
    ['v2.0.1', 'v1.3.0', false],
  ])('%s is on an older line than %s: %s', (next, live, older) => {
    expect(isOnOlderLine(v(next), v(live))).toBe(older);
  });

  const taken = ['v1.2.0', 'v1.2.3', 'v1.2.4', 'v1.2.5-rc.1', 'v1.3.0'].map(v);
  it.each([
    ['v1.2.5', { ok: true, line: 'v1.2', previous: v('v1.2.4') }],
    ['v1.2.6', { ok: false, lineExists: true, reason: 'v1.2.6 is not the next patch on the v1.2 line: a backport must be v1.2.5 (the line\'s latest is v1.2.4; production runs v1.3.0)' }],
    ['v1.2.4', { ok: false, lineExists: true, reason: 'v1.2.4 is not the next patch on the v1.2 line: a backport must be v1.2.5 (the line\'s latest is v1.2.4; production runs v1.3.0)' }],
    ['v1.2.6-rc.1', { ok: false, lineExists: true, reason: 'v1.2.6-rc.1 is a pre-release on the older v1.2 line, while production runs v1.3.0: a backport is a patch release, without a pre-release part' }],
    ['v1.1.1', { ok: false, lineExists: false, reason: 'no v1.1.x was ever released, so v1.1.1 cannot be a backport patch on that line' }],
  ])('%s while v1.3.0 runs', (next, expected) => {
    expect(checkBackport(v(next), v('v1.3.0'), taken)).toEqual(expected);
  });

  it('a backport never becomes what production main line runs', () => {
    const at = (minutes: number) => new Date(Date.UTC(2025, 0, 1, 12, minutes));
    const releases = [
      { version: 'v1.3.0', state: 'completed' as const, startedAt: at(0), finishedAt: at(10) },
      { version: 'v1.2.5', state: 'completed' as const, startedAt: at(20), finishedAt: at(30), backport: true },
    ];
    expect(productionVersion({ releases, tags: [] })?.tag).toBe('v1.3.0');
    // Without the mark, the last release to complete would be taken for production's.
    expect(productionVersion({ releases: releases.map((r) => ({ ...r, backport: false })), tags: [] })?.tag).toBe('v1.2.5');
  });
});

describe('how a GitHub release is published', () => {
  it.each([
    ['v1.4.0-rc.1', 'v1.3.0', { prerelease: true, latest: false }],
    ['v1.4.0-rc.1', undefined, { prerelease: true, latest: false }],
    ['v1.4.0', 'v1.3.0', { prerelease: false, latest: true }],
    ['v1.4.0', undefined, { prerelease: false, latest: true }],
    ['v1.2.5', 'v1.3.0', { prerelease: false, latest: false }],
    ['v1.3.0', 'v1.3.0', { prerelease: false, latest: false }],
  ])('%s with %s as Latest', (tag, latest, expected) => {
    expect(releasePublication(v(tag), latest === undefined ? undefined : v(latest))).toEqual(expected);
  });
});
