import { doraBands, doraBuckets, doraFigures, doraTrend, monthSoFar, type DoraBands, type DoraBucket, type DoraFigures, type DoraTrend } from '../domain/dora.js';
import type { Policy } from '../domain/policy.js';
import type { DoraReader } from '../integrations/database/dora-records.js';

/**
 * What `doraSummary` answers (`/release stats`, the App Home's "this month" figures):
 * - `window`: the period asked for, `[from, to)`, how its series is cut (`week`: from Monday 00:00,
 *   `month`: calendar months; the first and last bucket clipped to the window) and on which wall clock
 *   (`timeZone`, the policy's).
 * - `figures`: the four DORA metrics over the window: `deployments` with `deploymentsPerWeek` and
 *   `deploymentsPerDay`; `leadTimeMs` (median, first commit of each merged pull request to production) over
 *   `changes` pull requests; `changeFailureRate` (0..1) = `failures` / `deployments`; `timeToRestoreMs`
 *   (median, detection to restored) over `restores`. A figure without data is undefined.
 * - `bands`: each figure's DORA performance band, `elite` | `high` | `medium` | `low` (cut-offs in
 *   src/domain/dora.ts, DORA_BANDS); absent where the figure is.
 * - `previous` and `trend`: the same figures over the window of the same length just before, and per metric
 *   `better` | `worse` | `same` (absent when either window lacks data).
 * - `series`: per bucket, its `from`, `to`, whether it is `whole` (not clipped by the window) and its
 *   figures: what the chart draws.
 */
export interface DoraSummary {
  window: { from: Date; to: Date; bucket: DoraBucket; timeZone: string };
  figures: DoraFigures;
  bands: DoraBands;
  previous: DoraFigures;
  trend: DoraTrend;
  series: { from: Date; to: Date; whole: boolean; figures: DoraFigures }[];
}

export interface DoraDeps {
  /** The records (src/integrations/database/dora-records.ts, `new DoraRecords(db, clock)`; the job context's `dora`). */
  dora: DoraReader;
  policy: Policy;
  clock: () => Date;
}

/**
 * The watch after a deployment within which a hotfix on top of it makes it a failed change: the guide's
 * post-release verification ends with its "First week" (the last phase of `verification.schedule`).
 */
export function watchOf(policy: Policy): number {
  const phases = policy.verification.schedule.map((p) => p.until);
  return phases.length > 0 ? Math.max(...phases) : 7 * 24 * 60 * 60_000;
}

/** The DORA figures of `window` from tminus's own records: no GitHub or Datadog call. */
export async function doraSummary(deps: DoraDeps, window: { from: Date; to: Date; bucket: 'week' | 'month' }): Promise<DoraSummary> {
  const watchMs = watchOf(deps.policy);
  const length = window.to.getTime() - window.from.getTime();
  const previousWindow = { from: new Date(window.from.getTime() - length), to: window.from };
  // Hotfixes asked for within the watch after the window still mark its deployments as failed.
  const horizon = new Date(Math.min(window.to.getTime() + watchMs, Math.max(window.to.getTime(), deps.clock().getTime())));
  const releases = await deps.dora.releasesBefore(horizon);
  const figures = doraFigures(releases, window, watchMs);
  const previous = doraFigures(releases, previousWindow, watchMs);
  return {
    window: { from: window.from, to: window.to, bucket: window.bucket, timeZone: deps.policy.timezone },
    figures,
    bands: doraBands(figures),
    previous,
    trend: doraTrend(figures, previous),
    series: doraBuckets(window, window.bucket, deps.policy.timezone).map((b) => ({ ...b, figures: doraFigures(releases, b, watchMs) })),
  };
}

/** The calendar month that `now` falls in on the team's wall clock, up to now: the App Home's "this month". */
export function thisMonth(now: Date, timeZone: string): { from: Date; to: Date; bucket: 'week' } {
  return { ...monthSoFar(now, timeZone), bucket: 'week' };
}
