import semver from 'semver';

export const RELEASE_TYPES = ['patch', 'minor', 'major', 'hotfix'] as const;
export type ReleaseType = (typeof RELEASE_TYPES)[number];

export interface Version {
  /** `v1.3.0`: the git tag. */
  tag: string;
  major: number;
  minor: number;
  patch: number;
  /** `['rc', '1']` for `v1.3.0-rc.1`; empty for a release. */
  prerelease: string[];
  /** `1.3.0`: the tag without its `v`. */
  text: string;
}

export type VersionResult = { ok: true; version: Version } | { ok: false; reason: string };
type Bump = 'patch' | 'minor' | 'major';
export type InferResult = { ok: true; type: Bump } | { ok: false; reason: string };
export interface NextVersions {
  patch: Version;
  minor: Version;
  major: Version;
  /** The release a pre-release leads to (`v1.3.0` for `v1.3.0-rc.1`); absent after a release. */
  final?: Version;
}

const EXPECTED = 'expected vMAJOR.MINOR.PATCH like v1.3.0, or a pre-release like v1.3.0-rc.1';

export function parseVersion(input: string): VersionResult {
  const text = input.trim();
  if (text === '') return { ok: false, reason: `a version is required: ${EXPECTED}` };
  if (text.includes('+')) {
    return { ok: false, reason: `"${text}" has build metadata, which release tags do not carry: ${EXPECTED}` };
  }
  let parsed: semver.SemVer | null = null;
  try {
    parsed = semver.parse(text);
  } catch {
    // semver throws on numbers past MAX_SAFE_INTEGER; that is just another malformed version.
  }
  if (!parsed) return { ok: false, reason: `"${text}" is not a version: ${EXPECTED}` };
  return { ok: true, version: fromSemver(parsed) };
}

export function compareVersions(a: Version, b: Version): number {
  return semver.compare(a.text, b.text);
}

/** The highest version by semver precedence, pre-releases included. */
export function latestVersion(versions: readonly Version[]): Version | undefined {
  return versions.reduce<Version | undefined>(
    (best, version) => (best === undefined || compareVersions(version, best) > 0 ? version : best),
    undefined,
  );
}

/** The suggested next patch, minor and major after `latest`, counted from its MAJOR.MINOR.PATCH. */
export function nextVersions(latest: Version): NextVersions {
  const { major, minor, patch } = latest;
  const next: NextVersions = {
    patch: make(major, minor, patch + 1),
    minor: make(major, minor + 1, 0),
    major: make(major + 1, 0, 0),
  };
  if (latest.prerelease.length > 0) next.final = make(major, minor, patch);
  return next;
}

/**
 * The release type `next` is, by the guide: the highest component that changed since `latest` decides.
 * When `latest` is a pre-release, the release before it is unknown here, so the pre-release's own
 * shape stands in for it: `v1.3.0` after `v1.3.0-rc.1` is a minor (x.y.0). With the whole history
 * at hand, inferReleaseTypeFrom compares against the last non-prerelease version instead.
 */
export function inferReleaseType(next: Version, latest: Version | undefined): InferResult {
  if (latest === undefined) return { ok: true, type: typeByShape(next) };
  const refusal = notAbove(next, latest);
  if (refusal) return refusal;
  const change = highestChange(next, latest);
  // An unreleased pre-release's changes ship with whatever follows it, so they type it at least as high.
  if (latest.prerelease.length > 0) return { ok: true, type: higher(change, typeByShape(latest)) };
  return { ok: true, type: change };
}

/**
 * Like inferReleaseType, over every version already tagged: `next` must be above the latest of
 * them (pre-releases included) and is typed against the last version that is not a pre-release.
 */
export function inferReleaseTypeFrom(next: Version, tagged: readonly Version[]): InferResult {
  const latest = latestVersion(tagged);
  if (latest === undefined) return { ok: true, type: typeByShape(next) };
  const refusal = notAbove(next, latest);
  if (refusal) return refusal;
  const lastRelease = latestVersion(tagged.filter((version) => version.prerelease.length === 0));
  if (lastRelease === undefined) return { ok: true, type: typeByShape(next) };
  return { ok: true, type: highestChange(next, lastRelease) };
}

function notAbove(next: Version, latest: Version): InferResult | undefined {
  const order = compareVersions(next, latest);
  if (order > 0) return undefined;
  const suggested = nextVersions(latest);
  const options = [suggested.final, suggested.patch, suggested.minor, suggested.major]
    .filter((version): version is Version => version !== undefined)
    .map((version) => version.tag);
  const use = `use ${options.slice(0, -1).join(', ')} or ${options.at(-1)}`;
  if (order === 0) return { ok: false, reason: `${next.tag} is already the latest release: ${use}` };
  return { ok: false, reason: `${next.tag} is not above the latest release ${latest.tag}: ${use}` };
}

function highestChange(next: Version, previous: Version): Bump {
  if (next.major !== previous.major) return 'major';
  if (next.minor !== previous.minor) return 'minor';
  return 'patch';
}

/** A first release, or the end of a pre-release run: x.0.0 is a major, x.y.0 a minor, the rest patches. */
function typeByShape(version: Version): Bump {
  if (version.patch !== 0) return 'patch';
  return version.minor === 0 ? 'major' : 'minor';
}

const RANK = { patch: 0, minor: 1, major: 2 } as const;
function higher(a: Bump, b: Bump): Bump {
  return RANK[a] >= RANK[b] ? a : b;
}

function make(major: number, minor: number, patch: number): Version {
  return fromSemver(new semver.SemVer(`${major}.${minor}.${patch}`));
}

function fromSemver(parsed: semver.SemVer): Version {
  return {
    tag: `v${parsed.version}`,
    major: parsed.major,
    minor: parsed.minor,
    patch: parsed.patch,
    prerelease: parsed.prerelease.map(String),
    text: parsed.version,
  };
}

/** `v1.2`: the minor line a version belongs to. */
export function lineOf(version: Version): string {
  return `v${version.major}.${version.minor}`;
}

/** Whether `version` is on a minor line older than `mainLine`'s (v1.2.x while production runs v1.3.0). */
export function isOnOlderLine(version: Version, mainLine: Version): boolean {
  return version.major < mainLine.major || (version.major === mainLine.major && version.minor < mainLine.minor);
}

/** `lineExists` false: no vX.Y.z was ever released, so the version is no backport, just below production. */
export type BackportCheck = { ok: true; line: string; previous: Version } | { ok: false; reason: string; lineExists: boolean };

/**
 * The guide's patch "Security fixes (when backporting)": a patch on an older minor line than the one
 * production runs. It is accepted only as the next patch above the highest version on that line (every
 * version taken: tags, and releases tminus attempted whatever became of them), and only when the line exists.
 */
export function checkBackport(version: Version, mainLine: Version, taken: readonly Version[]): BackportCheck {
  const line = lineOf(version);
  if (version.prerelease.length > 0) {
    return { ok: false, lineExists: true, reason: `${version.tag} is a pre-release on the older ${line} line, while production runs ${mainLine.tag}: a backport is a patch release, without a pre-release part` };
  }
  const onLine = taken.filter((v) => v.major === version.major && v.minor === version.minor && v.prerelease.length === 0);
  const highest = latestVersion(onLine);
  if (highest === undefined) {
    return { ok: false, lineExists: false, reason: `no ${line}.x was ever released, so ${version.tag} cannot be a backport patch on that line` };
  }
  const expected = make(highest.major, highest.minor, highest.patch + 1);
  if (version.tag !== expected.tag) {
    return { ok: false, lineExists: true, reason: `${version.tag} is not the next patch on the ${line} line: a backport must be ${expected.tag} (the line's latest is ${highest.tag}; production runs ${mainLine.tag})` };
  }
  return { ok: true, line, previous: highest };
}

/**
 * How a GitHub release of `version` is published: a pre-release (`-rc.1`) is a GitHub pre-release and never
 * "Latest"; a release becomes Latest only above the current Latest, so a backport (v1.2.5 after v1.3.0) is not.
 */
export function releasePublication(version: Version, currentLatest: Version | undefined): { prerelease: boolean; latest: boolean } {
  if (version.prerelease.length > 0) return { prerelease: true, latest: false };
  return { prerelease: false, latest: currentLatest === undefined || compareVersions(version, currentLatest) > 0 };
}
