import { describe, expect, it } from 'vitest';
import { nextUnusedPatch, productionVersion, type ReleaseRecord, type TagRecord } from '../../src/domain/production.js';
import type { ReleaseState } from '../../src/domain/release.js';
import { parseVersion, type Version } from '../../src/domain/version.js';

function v(text: string): Version {
  const result = parseVersion(text);
  if (!result.ok) throw new Error(result.reason);
  return result.version;
}

/** Minutes since an arbitrary day: the order of events is what matters. */
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1) + minute * 60_000);
/** A release started at `started` and finished ten minutes later. */
const release = (version: string, state: ReleaseState, started: number, finished: number | null = started + 10): ReleaseRecord => ({
  version,
  state,
  startedAt: at(started),
  finishedAt: finished === null ? null : at(finished),
});
/** Tags read when tminus was installed (minute 0), unless said otherwise. */
const tags = (...versions: string[]): TagRecord[] => versions.map((version) => ({ version, recordedAt: at(0) }));
const tagAt = (version: string, minute: number): TagRecord => ({ version, recordedAt: at(minute) });

describe('productionVersion', () => {
  const cases: [string, ReleaseRecord[], TagRecord[], string | undefined][] = [
    ['nothing released yet', [], [], undefined],
    ['only tags: the highest one', [], tags('v1.0.0', 'v1.2.0', 'v1.1.3'), 'v1.2.0'],
    ['only tags: pre-releases are not production', [], tags('v1.2.0', 'v1.3.0-rc.1'), 'v1.2.0'],
    ['a failed minor is not production', [release('v1.3.0', 'failed', 100)], tags('v1.2.0', 'v1.3.0'), 'v1.2.0'],
    ['a rejected or aborted release is not production', [release('v1.3.0', 'rejected', 100, null), release('v1.3.1', 'aborted', 200, null)], tags('v1.2.0', 'v1.3.0', 'v1.3.1'), 'v1.2.0'],
    ['a release still open is not production yet', [release('v1.3.0', 'deploying', 100, null)], tags('v1.2.0', 'v1.3.0'), 'v1.2.0'],
    ['a completed release is', [release('v1.3.0', 'completed', 100)], tags('v1.2.0', 'v1.3.0'), 'v1.3.0'],
    ['a stable release is', [release('v1.3.0', 'stable', 100)], tags('v1.2.0'), 'v1.3.0'],
    ['the live release that finished last, not the highest', [release('v1.3.0', 'stable', 100), release('v1.2.1', 'completed', 50, 300)], tags('v1.2.0'), 'v1.2.1'],
    ['a rolled-back release gives way to the one before it', [release('v1.4.0', 'stable', 100), release('v1.5.0', 'rolled_back', 200)], tags('v1.2.0', 'v1.4.0', 'v1.5.0'), 'v1.4.0'],
    ['a release being rolled back is no longer production', [release('v1.4.0', 'stable', 100), release('v1.5.0', 'rolling_back', 200)], tags('v1.2.0'), 'v1.4.0'],
    ['a hotfix shipped while a minor waited counts', [release('v1.3.0', 'awaiting_approval', 100, null), release('v1.2.1', 'completed', 150)], tags('v1.2.0'), 'v1.2.1'],
    ['tminus\'s record beats a higher tag', [release('v1.3.0', 'completed', 100)], [...tags('v1.2.0'), tagAt('v2.0.0', 500)], 'v1.3.0'],
    ['all of tminus\'s releases rolled back: the tags from before tminus', [release('v1.3.0', 'rolled_back', 100)], [...tags('v1.2.0', 'v1.3.0'), tagAt('v1.3.5', 150)], 'v1.2.0'],
    ['a failure that never deployed does not cut the tags', [release('v1.3.0', 'failed', 100)], [...tags('v1.2.0', 'v1.3.0'), tagAt('v1.2.1', 150)], 'v1.2.1'],
    ['a version tminus knows is not read as a tag', [release('v1.2.0', 'failed', 100)], tags('v1.1.0', 'v1.2.0'), 'v1.1.0'],
    ['a live pre-release is what production runs', [release('v1.3.0-rc.1', 'completed', 100)], tags('v1.2.0'), 'v1.3.0-rc.1'],
  ];

  it.each(cases)('%s', (_what, releases, tagged, expected) => {
    expect(productionVersion({ releases, tags: tagged })?.tag).toBe(expected);
  });
});

describe('nextUnusedPatch', () => {
  it.each([
    ['v1.2.0', [], 'v1.2.1'],
    ['v1.2.0', ['v1.2.1', 'v1.2.2'], 'v1.2.3'],
    ['v1.3.0', ['v1.3.0', 'v1.4.0'], 'v1.3.1'],
    ['v1.3.0-rc.1', [], 'v1.3.1'],
  ])('after %s, with %j used: %s', (from, used, expected) => {
    expect(nextUnusedPatch(v(from), new Set(used)).tag).toBe(expected);
  });
});
