import { LIVE_STATES, type ReleaseState } from './release.js';
import { compareVersions, latestVersion, parseVersion, type Version } from './version.js';

/** A release tminus ran, as its production history needs it. */
export interface ReleaseRecord {
  version: string;
  state: ReleaseState;
  /** T-0. */
  startedAt: Date;
  /** When the deploy ended (completed or failed). */
  finishedAt: Date | null;
  /** A backport patch on an older minor line: deployed by its own workflow, never production's main line. */
  backport?: boolean;
}

/** A version tag read from the repository (or recorded by tminus), and when tminus first saw it. */
export interface TagRecord {
  version: string;
  recordedAt: Date;
}

export interface ProductionRecords {
  releases: readonly ReleaseRecord[];
  tags: readonly TagRecord[];
}

/** States of a release that deployed to production at some point, whatever happened to it afterwards. */
const TOUCHED_PRODUCTION: readonly ReleaseState[] = [...LIVE_STATES, 'rolling_back', 'rolled_back'];

/**
 * The version production runs. Tags are not production: tminus's own record decides, which is its release
 * that completed last and was not rolled back. A backport patch (v1.2.5 shipped while v1.3.0 runs) never
 * counts: it runs where the older line is deployed. A release candidate that completed does count: it is
 * what production runs (and what a rollback returns to), and the final version is typed against it by its
 * shape (v1.4.0 after v1.4.0-rc.1 is a minor, see inferReleaseType). Without one, the highest tag that is not a pre-release
 * stands in, leaving out every version tminus knows did not stay in production and every tag seen after
 * tminus first deployed (tags only fill in the history that predates tminus).
 */
export function productionVersion(records: ProductionRecords): Version | undefined {
  const live = records.releases
    .filter((r) => LIVE_STATES.includes(r.state) && !r.backport)
    .flatMap((r) => {
      const parsed = parseVersion(r.version);
      return parsed.ok ? [{ version: parsed.version, at: (r.finishedAt ?? r.startedAt).getTime() }] : [];
    })
    .sort((a, b) => a.at - b.at || compareVersions(a.version, b.version));
  if (live.length > 0) return live.at(-1)!.version;

  const notInProduction = new Set(records.releases.map((r) => r.version));
  const firstDeploy = Math.min(...records.releases.filter((r) => TOUCHED_PRODUCTION.includes(r.state)).map((r) => r.startedAt.getTime()));
  const tagged = records.tags
    .filter((t) => !notInProduction.has(t.version) && t.recordedAt.getTime() < firstDeploy)
    .flatMap((t) => {
      const parsed = parseVersion(t.version);
      return parsed.ok && parsed.version.prerelease.length === 0 ? [parsed.version] : [];
    });
  return latestVersion(tagged);
}

/** The first patch after `version` that is neither tagged nor used by tminus: what to ship next. */
export function nextUnusedPatch(version: Version, known: ReadonlySet<string>): Version {
  for (let patch = version.patch + 1; ; patch++) {
    const next = parseVersion(`v${version.major}.${version.minor}.${patch}`);
    if (next.ok && !known.has(next.version.tag)) return next.version;
  }
}
