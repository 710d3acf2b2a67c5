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

/** Where a production gate stands: its approvals (counted of needed, from whom) and its pre-deployment checks. */
export interface ProductionGateWait {
  state: 'open' | 'approved' | 'rejected' | 'closed';
  counted: number;
  needed: number;
  /** Who may approve ("engineering leadership"), as describeGate words it. */
  needs?: string;
  checks?: { done: number; total: number };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * What the deploy to production waits for, said as it is ("Waiting for 2 approvals to deploy to production"):
 * the approvals still missing, the pre-deployment checks not ticked, or, once the gate is met in Slack while
 * the run still waits, GitHub's required reviewer. Undefined when nothing holds it.
 */
export function productionWaitingFor(gate: ProductionGateWait | undefined, state?: string): string | undefined {
  const waiting = state === 'awaiting_production_approval';
  if (!gate) return waiting ? 'Waiting for approval to deploy to production' : undefined;
  if (gate.state === 'rejected' || gate.state === 'closed') return undefined;
  if (gate.state === 'approved') return waiting ? "Approved in Slack: waiting for GitHub's required reviewer to release the production deployment" : undefined;
  const missing = Math.max(0, gate.needed - gate.counted);
  const parts = [
    missing > 0 ? `${plural(missing, gate.counted > 0 ? 'more approval' : 'approval')}${gate.needs ? ` from ${gate.needs}` : ''}` : '',
    gate.checks && gate.checks.done < gate.checks.total ? `the pre-deployment checks (${gate.checks.done} of ${gate.checks.total} ticked)` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `Waiting for ${parts.join(' and ')} to deploy to production` : 'Waiting to deploy to production';
}

/**
 * The step the release is on, in the present tense as the guide writes it ("Current step: Deploying to
 * production"): the running milestone's `doing` wording (its label when the policy gives none), or what the
 * next one waits for: the production gate's approvals and checks while it is open, else its job to start.
 * A release `verifying` is running the post-deploy checks, whatever its milestones say.
 */
export function currentStep(
  progress: readonly MilestoneProgress[],
  options: { rules?: readonly Pick<MilestoneRule, 'key' | 'label' | 'doing'>[]; state?: string; productionGate?: ProductionGateWait } = {},
): string | undefined {
  if (options.state === 'verifying') return POST_DEPLOY_CHECKS_STEP;
  if (options.state === 'started') return READINESS_STEP;
  const gated = productionWaitingFor(options.productionGate, options.state);
  if (gated && options.state === 'awaiting_production_approval') return gated;
  const doing = (m: MilestoneProgress): string => options.rules?.find((r) => r.key === m.key)?.doing ?? m.label;
  const running = progress.find((m) => m.state === 'running');
  if (running) return doing(running);
  const next = progress.find((m) => m.state === 'pending');
  if (next?.key === 'production' && gated) return gated;
  return next ? `Next: ${doing(next)} (waiting for its job in the deploy run to start)` : undefined;
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
