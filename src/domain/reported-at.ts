/**
 * A time another service reported (GitHub's `completed_at`, a run's `created_at`), as tminus can hold it.
 * That service keeps its own clock: a time past tminus's "now" is skew, not the future, and would push every
 * deadline counted from it (the post-deploy checks, the watch) that far out. Unknown or later: now.
 */
export function reportedAt(reported: string | null | undefined, now: Date): Date {
  const at = reported ? Date.parse(reported) : Number.NaN;
  return Number.isFinite(at) && at < now.getTime() ? new Date(at) : now;
}
