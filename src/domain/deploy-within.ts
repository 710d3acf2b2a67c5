import type { Policy } from './policy.js';
import { classifyPullRequest, type PlannedPullRequest } from './release-plan.js';
import type { ReleaseType } from './version.js';

/**
 * The guide's "Deployment" rule of each type as a deadline (`releaseTypes.<type>.deployWithin`). A patch
 * deploys "within 24 hours of merge": counted from when a bug fix was merged into the default branch. The
 * others count from T-0 ("within 2 hours of release"); a hotfix's T-0 is the VP Eng's approval.
 */
export type DeadlineStart = 'merge' | 'releaseDay';

export function deadlineStart(type: ReleaseType): DeadlineStart {
  return type === 'patch' ? 'merge' : 'releaseDay';
}

/** A bug fix merged into the default branch that no released version carries yet, past the patch's deadline. */
export interface LateFix {
  number: number;
  title: string;
  url: string;
  mergedAt: Date;
  /** How long past the deadline. */
  lateBy: number;
}

/** The merged bug fixes (labels `planning.labels.fixes`, or `fix:` titles) waiting longer than `within`. */
export function lateFixes(pulls: readonly PlannedPullRequest[], within: number, now: Date, planning: Policy['planning']): LateFix[] {
  return pulls.flatMap((pr) => {
    if (pr.mergedAt === null || classifyPullRequest(pr, planning).kind !== 'fixes') return [];
    const mergedAt = new Date(pr.mergedAt);
    const lateBy = now.getTime() - mergedAt.getTime() - within;
    return lateBy > 0 ? [{ number: pr.number, title: pr.title, url: pr.url, mergedAt, lateBy }] : [];
  });
}

/** When a release day that started at `startedAt` is past its type's deadline; undefined when the type has none. */
export function releaseDayDeadline(policy: Policy, type: ReleaseType, startedAt: Date): Date | undefined {
  const within = policy.releaseTypes[type].deployWithin;
  if (within === undefined || deadlineStart(type) !== 'releaseDay') return undefined;
  return new Date(startedAt.getTime() + within);
}

/**
 * How often the watch looks: often enough to warn within about a twenty-fourth of the shortest deadline
 * (an hour late at most for 24 hours, five minutes for 2 hours), never more than every 15 minutes nor
 * more often than every second. Undefined when no type has a deadline.
 */
export function watchInterval(policy: Policy): number | undefined {
  const deadlines = Object.values(policy.releaseTypes).flatMap((t) => (t.deployWithin === undefined ? [] : [t.deployWithin]));
  if (deadlines.length === 0) return undefined;
  return Math.min(15 * 60_000, Math.max(1_000, Math.min(...deadlines) / 24));
}
