/**
 * The four DORA metrics from tminus's own records: deployment frequency, lead time for changes, change
 * failure rate and time to restore. Pure: the releases come in as values, the figures go out.
 *
 * What counts (written down in README "DORA"):
 * - A production deployment is a release whose deploy run succeeded (`deploy_succeeded`: it reached
 *   production), whatever happened after; `deployedAt` is the deploy run's end. Hotfixes count. A
 *   pre-release (`-rc.1`) that reached production counts: production ran it. A backport patch counts: it is
 *   a deployment to production of an older line, with its own changes and its own failures.
 * - Lead time: from the first commit of each merged pull request to the first production deployment that
 *   carried it. A pull request carried again (the final `v1.4.0` after `v1.4.0-rc.1`, a backport's cherry
 *   pick of the same pull request) counts once, at its first deployment.
 * - A deployment failed when, after reaching production, it ended failed (post-deploy checks, a rollback
 *   that failed), was rolled back (a rollback started), or a hotfix on top of it (the hotfix's previous
 *   version is this one) was asked for within the watch (`watchMs`, the first week).
 * - Time to restore: for a rollback, detection (else the rollback's start) to `restoredAt`; for a hotfix,
 *   its detection (else its request) to its deployment. Counted in the window in which service was restored.
 * - Lead time and time to restore are medians, as the DORA report gives them.
 */

import { offsetAt, wallToInstant } from './time-zone.js';

export type DoraBand = 'elite' | 'high' | 'medium' | 'low';
export type DoraBucket = 'week' | 'month';
export type DoraMetric = 'deploymentFrequency' | 'leadTime' | 'changeFailureRate' | 'timeToRestore';
export const DORA_METRICS: readonly DoraMetric[] = ['deploymentFrequency', 'leadTime', 'changeFailureRate', 'timeToRestore'];

/** A release as the DORA figures read it. */
export interface DoraRelease {
  version: string;
  type: 'patch' | 'minor' | 'major' | 'hotfix';
  /** What production ran when it was asked for: a hotfix names the release it fixes. */
  previousVersion: string | null;
  /** Asked for (the hotfix's request, when it has no detection time). */
  requestedAt: Date;
  /** When its deploy reached production; undefined when it never did. */
  deployedAt?: Date;
  /** It ended failed after production (post-deploy checks failed, its rollback failed). */
  failedAfterProduction: boolean;
  rollback?: { detectedAt?: Date; startedAt: Date; restoredAt?: Date };
  hotfix?: { detectedAt?: Date };
  /** The merged pull requests it carried, with their first commit (stored when it reached production). */
  changes: { number: number; firstCommitAt: Date }[];
}

export interface DoraWindow {
  from: Date;
  to: Date;
}

export interface DoraFigures {
  deployments: number;
  deploymentsPerWeek: number;
  deploymentsPerDay: number;
  /** Pull requests whose lead time is counted. */
  changes: number;
  /** Median lead time for changes, ms; undefined without changes. */
  leadTimeMs?: number;
  failures: number;
  /** failures / deployments (0..1); undefined without deployments. */
  changeFailureRate?: number;
  restores: number;
  /** Median time to restore, ms; undefined without restores. */
  timeToRestoreMs?: number;
}

export type DoraBands = Partial<Record<DoraMetric, DoraBand>>;
/** Compared with the previous window of the same length: better, worse or the same; undefined when either lacks data. */
export type DoraTrend = Partial<Record<DoraMetric, 'better' | 'worse' | 'same'>>;

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** A month as the DORA report's answers read it ("between once per week and once per month"). */
const MONTH = 30 * DAY;

/**
 * Performance bands: the cut-offs of the 2023 Accelerate State of DevOps Report (DORA, Google Cloud), "Software
 * delivery performance" table:
 * - deployment frequency: elite "on demand (multiple deploys per day)", taken as at least one a day; high
 *   "between once per day and once per week"; medium "between once per week and once per month"; low below.
 * - lead time for changes: elite "less than one day"; high "between one day and one week"; medium "between one
 *   week and one month"; low "between one week and one month" in 2023, "one to six months" in 2024: above a month.
 * - change failure rate: elite 5 %, high 10 %, medium 15 %, low 64 % (2023): at most 5 %, 10 %, 15 %, else low.
 * - time to restore (failed deployment recovery time): elite "less than one hour"; high "less than one day";
 *   medium "between one day and one week"; low above a week.
 */
export const DORA_BANDS = {
  deploymentFrequency: { elitePerDay: 1, highPerWeek: 1, mediumPerMonth: 1 },
  leadTime: { eliteMs: DAY, highMs: WEEK, mediumMs: MONTH },
  changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.15 },
  timeToRestore: { eliteMs: HOUR, highMs: DAY, mediumMs: WEEK },
} as const;

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function within(at: Date | undefined, w: DoraWindow): at is Date {
  return at !== undefined && at.getTime() >= w.from.getTime() && at.getTime() < w.to.getTime();
}

/** Whether a deployment failed: ended failed after production, rolled back, or hotfixed within the watch. */
export function deploymentFailed(release: DoraRelease, all: readonly DoraRelease[], watchMs: number): boolean {
  if (!release.deployedAt) return false;
  if (release.failedAfterProduction || release.rollback) return true;
  const deployed = release.deployedAt.getTime();
  return all.some(
    (h) => h.type === 'hotfix' && h.previousVersion === release.version && h.requestedAt.getTime() >= deployed && h.requestedAt.getTime() - deployed <= watchMs,
  );
}

/** Detection to restored: a rollback's, else a deployed hotfix's. */
export function restoreSpan(release: DoraRelease): { from: Date; to: Date } | undefined {
  if (release.rollback?.restoredAt) return { from: release.rollback.detectedAt ?? release.rollback.startedAt, to: release.rollback.restoredAt };
  if (release.type === 'hotfix' && release.deployedAt) return { from: release.hotfix?.detectedAt ?? release.requestedAt, to: release.deployedAt };
  return undefined;
}

/** Each pull request's lead time, counted at the first deployment that carried it. */
function leadTimes(releases: readonly DoraRelease[]): { at: Date; ms: number }[] {
  const first = new Map<number, { at: Date; ms: number }>();
  const deployed = releases.filter((r) => r.deployedAt).sort((a, b) => a.deployedAt!.getTime() - b.deployedAt!.getTime());
  for (const release of deployed) {
    for (const change of release.changes) {
      if (first.has(change.number)) continue;
      first.set(change.number, { at: release.deployedAt!, ms: Math.max(0, release.deployedAt!.getTime() - change.firstCommitAt.getTime()) });
    }
  }
  return [...first.values()];
}

/** The four figures over `window`, from every release that may bear on it (earlier ones included). */
export function doraFigures(releases: readonly DoraRelease[], window: DoraWindow, watchMs: number): DoraFigures {
  const deployments = releases.filter((r) => within(r.deployedAt, window));
  const failures = deployments.filter((r) => deploymentFailed(r, releases, watchMs)).length;
  const leads = leadTimes(releases).filter((l) => within(l.at, window));
  const restores = releases.flatMap((r) => {
    const span = restoreSpan(r);
    return span && within(span.to, window) ? [Math.max(0, span.to.getTime() - span.from.getTime())] : [];
  });
  const days = Math.max(1, (window.to.getTime() - window.from.getTime()) / DAY);
  const figures: DoraFigures = {
    deployments: deployments.length,
    deploymentsPerWeek: (deployments.length / days) * 7,
    deploymentsPerDay: deployments.length / days,
    changes: leads.length,
    failures,
    restores: restores.length,
  };
  const lead = median(leads.map((l) => l.ms));
  if (lead !== undefined) figures.leadTimeMs = lead;
  if (deployments.length > 0) figures.changeFailureRate = failures / deployments.length;
  const restore = median(restores);
  if (restore !== undefined) figures.timeToRestoreMs = restore;
  return figures;
}

/** The DORA performance band of each figure that has data (see DORA_BANDS for the cut-offs). */
export function doraBands(f: DoraFigures): DoraBands {
  const bands: DoraBands = {};
  const df = DORA_BANDS.deploymentFrequency;
  // No deployment at all is no performance: low, not "no data".
  bands.deploymentFrequency =
    f.deploymentsPerDay >= df.elitePerDay ? 'elite' : f.deploymentsPerWeek >= df.highPerWeek ? 'high' : (f.deploymentsPerDay * MONTH) / DAY >= df.mediumPerMonth ? 'medium' : 'low';
  if (f.leadTimeMs !== undefined) bands.leadTime = byUpperBound(f.leadTimeMs, DORA_BANDS.leadTime.eliteMs, DORA_BANDS.leadTime.highMs, DORA_BANDS.leadTime.mediumMs, true);
  if (f.changeFailureRate !== undefined) {
    const c = DORA_BANDS.changeFailureRate;
    bands.changeFailureRate = byUpperBound(f.changeFailureRate, c.elite, c.high, c.medium, false);
  }
  if (f.timeToRestoreMs !== undefined) {
    const t = DORA_BANDS.timeToRestore;
    bands.timeToRestore = byUpperBound(f.timeToRestoreMs, t.eliteMs, t.highMs, t.mediumMs, true);
  }
  return bands;
}

/** `strictElite`: the report's "less than one hour/day" leaves the bound itself to the next band. */
function byUpperBound(value: number, elite: number, high: number, medium: number, strictElite: boolean): DoraBand {
  if (strictElite ? value < elite : value <= elite) return 'elite';
  if (value <= high) return 'high';
  if (value <= medium) return 'medium';
  return 'low';
}

/** Each figure against the previous window: more deployments, shorter times and fewer failures are better. */
export function doraTrend(now: DoraFigures, before: DoraFigures): DoraTrend {
  const trend: DoraTrend = {};
  const compare = (a: number | undefined, b: number | undefined, higherIsBetter: boolean) => {
    if (a === undefined || b === undefined) return undefined;
    if (Math.abs(a - b) < 1e-9) return 'same' as const;
    return a > b === higherIsBetter ? ('better' as const) : ('worse' as const);
  };
  const set = (metric: DoraMetric, value: 'better' | 'worse' | 'same' | undefined) => {
    if (value) trend[metric] = value;
  };
  set('deploymentFrequency', before.deployments === 0 && now.deployments === 0 ? 'same' : compare(now.deploymentsPerWeek, before.deploymentsPerWeek, true));
  set('leadTime', compare(now.leadTimeMs, before.leadTimeMs, false));
  set('changeFailureRate', compare(now.changeFailureRate, before.changeFailureRate, false));
  set('timeToRestore', compare(now.timeToRestoreMs, before.timeToRestoreMs, false));
  return trend;
}

/** A bucket of a window's series; `whole` when it is a whole week or month, not one clipped by the window. */
export interface DoraSpan extends DoraWindow {
  whole: boolean;
}

/**
 * The window cut into weeks (from Monday 00:00) or calendar months, on the team's wall clock (`zone`, the
 * policy's time zone): a Friday-evening deployment in Los Angeles counts in Friday's week, not Saturday's.
 * The first and last bucket are clipped to the window, so every instant of it is in exactly one bucket.
 */
export function doraBuckets(window: DoraWindow, bucket: DoraBucket, zone = 'UTC'): DoraSpan[] {
  const buckets: DoraSpan[] = [];
  const next = (at: Date) => (bucket === 'week' ? nextMonday(at, zone) : nextMonthStart(at, zone));
  let from = window.from;
  // Whole when it starts on a boundary: the boundary before the window's end is where the bucket before it ends.
  let startsOnBoundary = window.from.getTime() === next(new Date(window.from.getTime() - 1)).getTime();
  while (from.getTime() < window.to.getTime()) {
    const boundary = next(from);
    const to = boundary.getTime() <= window.to.getTime() ? boundary : window.to;
    buckets.push({ from, to, whole: startsOnBoundary && to.getTime() === boundary.getTime() });
    from = to;
    startsOnBoundary = true;
  }
  return buckets;
}

/** `at` on `zone`'s wall clock, written as if it were UTC (so its UTC fields are the wall clock's). */
function wallClock(at: Date, zone: string): Date {
  return new Date(at.getTime() + offsetAt(at.getTime(), zone));
}

function nextMonday(at: Date, zone: string): Date {
  const wall = wallClock(at, zone);
  const day = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate());
  const daysToMonday = ((8 - wall.getUTCDay()) % 7) || 7;
  return new Date(wallToInstant(day + daysToMonday * DAY, zone));
}

function nextMonthStart(at: Date, zone: string): Date {
  const wall = wallClock(at, zone);
  return new Date(wallToInstant(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() + 1, 1), zone));
}

/** The calendar month that `now` falls in on `zone`'s wall clock, from its first midnight up to now. */
export function monthSoFar(now: Date, zone = 'UTC'): DoraWindow {
  const wall = wallClock(now, zone);
  return { from: new Date(wallToInstant(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), 1), zone)), to: now };
}

/** `/release stats` windows: `30d`, `90d`, `12w`. */
export const STATS_WINDOWS = ['30d', '90d', '12w'] as const;
export type StatsWindow = (typeof STATS_WINDOWS)[number];

export type StatsWindowChoice = { ok: true; window: StatsWindow; days: number; bucket: DoraBucket } | { ok: false; reason: string };

/** Reads `/release stats`'s argument: none is 30d; 30d and 12w go by week, 90d by month. */
export function parseStatsWindow(text: string | undefined): StatsWindowChoice {
  const value = (text ?? '').trim().toLowerCase() || '30d';
  switch (value) {
    case '30d':
      return { ok: true, window: '30d', days: 30, bucket: 'week' };
    case '90d':
      return { ok: true, window: '90d', days: 90, bucket: 'month' };
    case '12w':
      return { ok: true, window: '12w', days: 84, bucket: 'week' };
    default:
      return { ok: false, reason: `"${text?.trim()}" is not a window: give 30d, 90d or 12w` };
  }
}
