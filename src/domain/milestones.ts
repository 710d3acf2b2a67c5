/**
 * The guide's release-day milestones (images built, staging, production, verification), read off the
 * deploy workflow's jobs. Pure: it takes the jobs as GitHub reports them and says where each milestone is.
 */
export interface MilestoneRule {
  key: string;
  /** What is done, in the past tense ("Deployed to production"): the progress view's line. */
  label: string;
  /** The step while it runs, in the present tense ("Deploying to production"): a status update's current step. */
  doing?: string;
  /** T+ offset in ms at which the guide expects the milestone. */
  at: number;
  /** Case-insensitive regular expression matched against the deploy workflow's job names. */
  jobPattern: string;
}

export interface WorkflowJob {
  name: string;
  status: string;
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
  url: string | null;
  steps: { name: string; status: string; conclusion: string | null }[];
}

export type MilestoneState = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'absent';

export interface MilestoneProgress {
  key: string;
  label: string;
  expectedAt: number;
  state: MilestoneState;
  startedAt?: Date;
  finishedAt?: Date;
  /** The job (and step) that failed, when the milestone failed. */
  failure?: { job: string; step?: string; url: string | null };
}

const FAILED = new Set(['failure', 'cancelled', 'timed_out', 'action_required', 'startup_failure']);

export function milestoneProgress(rules: readonly MilestoneRule[], jobs: readonly WorkflowJob[]): MilestoneProgress[] {
  return rules.map((rule) => {
    const pattern = new RegExp(rule.jobPattern, 'i');
    const matched = jobs.filter((job) => pattern.test(job.name));
    const base = { key: rule.key, label: rule.label, expectedAt: rule.at };
    if (matched.length === 0) return { ...base, state: 'absent' };
    const started = matched.map((j) => j.startedAt).filter((t): t is string => t !== null).sort();
    const startedAt = started[0] ? new Date(started[0]) : undefined;
    const failedJob = matched.find((j) => j.status === 'completed' && j.conclusion !== null && FAILED.has(j.conclusion));
    if (failedJob) {
      const step = failedJob.steps.find((s) => s.conclusion !== null && FAILED.has(s.conclusion));
      return {
        ...base,
        state: 'failed',
        startedAt,
        finishedAt: failedJob.completedAt ? new Date(failedJob.completedAt) : undefined,
        failure: { job: failedJob.name, ...(step ? { step: step.name } : {}), url: failedJob.url },
      };
    }
    if (matched.every((j) => j.status === 'completed')) {
      if (matched.every((j) => j.conclusion === 'skipped')) return { ...base, state: 'skipped' };
      const finished = matched.map((j) => j.completedAt).filter((t): t is string => t !== null).sort();
      const last = finished[finished.length - 1];
      return { ...base, state: 'done', startedAt, finishedAt: last ? new Date(last) : undefined };
    }
    if (matched.some((j) => j.status === 'in_progress' || (j.status === 'completed' && j.conclusion === 'success'))) {
      return { ...base, state: 'running', startedAt };
    }
    return { ...base, state: 'pending' };
  });
}

/** The current step while the post-deploy checks run (T+60 to T+90, the release `verifying`). */
export const POST_DEPLOY_CHECKS_STEP = 'Running post-deploy checks';

/** The current step of a release not tagged yet: held at (or passing) the readiness gate before T-0. */
export const READINESS_STEP = 'Readiness gate before T-0 (its card in this thread says what holds)';

/**
 * The step the release is on, in the present tense as the guide writes it ("Current step: Deploying to
 * production"): the running milestone's `doing` wording (its label when the policy gives none), or the next
 * one it waits for. A release `verifying` is running the post-deploy checks, whatever its milestones say.
 */
export function currentStep(
  progress: readonly MilestoneProgress[],
  options: { rules?: readonly Pick<MilestoneRule, 'key' | 'label' | 'doing'>[]; state?: string } = {},
): string | undefined {
  if (options.state === 'verifying') return POST_DEPLOY_CHECKS_STEP;
  if (options.state === 'started') return READINESS_STEP;
  const doing = (m: MilestoneProgress): string => options.rules?.find((r) => r.key === m.key)?.doing ?? m.label;
  const running = progress.find((m) => m.state === 'running');
  if (running) return doing(running);
  const next = progress.find((m) => m.state === 'pending');
  return next ? `Waiting to start: ${doing(next)}` : undefined;
}

/** The first failed milestone, if any. */
export function firstFailure(progress: readonly MilestoneProgress[]): MilestoneProgress | undefined {
  return progress.find((m) => m.state === 'failed');
}

/** Whether the run touched production: rolling back only makes sense then. */
export function productionTouched(progress: readonly MilestoneProgress[], productionKey = 'production'): boolean {
  const production = progress.find((m) => m.key === productionKey);
  return production !== undefined && production.state !== 'pending' && production.state !== 'absent' && production.state !== 'skipped';
}
