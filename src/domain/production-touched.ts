import type { MilestoneProgress } from './milestones.js';

/**
 * Whether a release's deploy touched production, from what GitHub recorded: its deployments of the release's
 * commit to the production environment and their statuses, and the production job's own result. A job's name
 * alone never decides: where GitHub's record leaves it open, the answer is 'unknown', and a rollback is offered.
 */

export type ProductionTouch = 'touched' | 'untouched' | 'unknown';

export interface ProductionTouchVerdict {
  touch: ProductionTouch;
  /** What the verdict rests on, as a clause for Slack ("GitHub shows deployment 42 of abc1234 to `production` as `success`"). */
  evidence: string;
}

/** One deployment as GitHub lists it, with its statuses newest first. */
export interface DeploymentFact {
  id: number;
  sha: string;
  /** What was deployed, as the workflow run named it: the release's tag for a tag-push run. */
  ref: string;
  environment: string;
  createdAt: string;
  statuses: { state: string; createdAt: string; logUrl: string | null }[];
}

/** A job of the deploy run; `environment` only where GitHub says which one it targets. */
export interface DeployJobFact {
  name: string;
  url: string | null;
  /** Whether any of its steps ran (a job rejected or cancelled at its environment runs none). */
  ran: boolean;
  environment?: string;
}

/** Whether a job ran a step: one in progress, or one that succeeded or failed. */
export function jobRan(job: { steps: readonly { status: string; conclusion: string | null }[] }): boolean {
  return job.steps.some((s) => s.status === 'in_progress' || s.conclusion === 'success' || s.conclusion === 'failure');
}

export interface ProductionTouchFacts {
  /** `productionApproval.environment`. */
  environment: string;
  /** The commit the release deploys; null when nothing was tagged. */
  sha: string | null;
  /** The release's tag: another release of the same commit deployed under its own tag, not this one's. */
  tag?: string;
  /** GitHub's deployments of `sha` to `environment`; undefined when GitHub could not be asked. */
  deployments?: readonly DeploymentFact[];
  jobs?: readonly DeployJobFact[];
  milestones: readonly MilestoneProgress[];
  /** The milestone the policy calls production. */
  productionKey?: string;
}

/** The audit action under which a job records its verdict, for the Slack paths that may not ask GitHub. */
export const PRODUCTION_TOUCH_ACTION = 'production.touch_read';

/** States a deployment reaches only once its job ran against the environment. */
const RAN = new Set(['in_progress', 'success', 'inactive']);
/** States that end a deployment, whether or not its job ran first. */
const ENDED = new Set(['failure', 'error']);

type DeploymentReading = 'ran' | 'never-ran' | 'ambiguous';

export function productionTouch(facts: ProductionTouchFacts): ProductionTouchVerdict {
  const env = `\`${facts.environment}\``;
  const sha = facts.tag === undefined ? (facts.sha?.slice(0, 7) ?? '') : `${facts.tag} (${facts.sha?.slice(0, 7) ?? ''})`;
  if (facts.sha === null) return { touch: 'untouched', evidence: 'nothing was tagged, so nothing was deployed' };
  const ranJob = facts.jobs?.find((j) => j.environment === facts.environment && j.ran);
  if (ranJob) return { touch: 'touched', evidence: `the job \`${ranJob.name}\` of ${env} ran` };
  if (facts.deployments === undefined) return { touch: 'unknown', evidence: `GitHub could not be asked for the deployments of ${sha} to ${env}` };
  const ofTag = (d: DeploymentFact): boolean => d.ref === facts.tag || d.ref === `refs/tags/${facts.tag}`;
  const ours = facts.tag === undefined ? facts.deployments : facts.deployments.filter(ofTag);
  const readings = ours.map((d) => ({ d, reading: readDeployment(d, facts.jobs) }));
  const ran = readings.find((r) => r.reading === 'ran');
  const shows = (d: DeploymentFact): string => `GitHub shows deployment ${d.id} of ${sha} to ${env}`;
  if (ran) return { touch: 'touched', evidence: `${shows(ran.d)} as \`${ran.d.statuses[0]?.state}\`` };
  const ambiguous = readings.find((r) => r.reading === 'ambiguous');
  if (ambiguous) {
    const state = ambiguous.d.statuses[0]?.state;
    return { touch: 'unknown', evidence: `${shows(ambiguous.d)} ended \`${state}\` without saying whether its job ran` };
  }
  const first = ours[0];
  if (first) {
    return { touch: 'untouched', evidence: `GitHub's deployment ${first.id} of ${sha} to ${env} never started (${first.statuses[0]?.state ?? 'no status'})` };
  }
  const production = facts.milestones.find((m) => m.key === (facts.productionKey ?? 'production'));
  if (production && ['running', 'done', 'failed'].includes(production.state)) {
    return { touch: 'unknown', evidence: `the production step ran, yet GitHub shows no deployment of ${sha} to ${env}` };
  }
  return { touch: 'untouched', evidence: `GitHub shows no deployment of ${sha} to ${env}` };
}

/** Ran once it was in progress; a failure before that ran only if the job it names started. */
function readDeployment(deployment: DeploymentFact, jobs: readonly DeployJobFact[] | undefined): DeploymentReading {
  if (deployment.statuses.some((s) => RAN.has(s.state))) return 'ran';
  const ended = deployment.statuses.find((s) => ENDED.has(s.state));
  if (!ended) return 'never-ran';
  const job = ended.logUrl === null ? undefined : jobs?.find((j) => j.url !== null && j.url === ended.logUrl);
  if (!job) return 'ambiguous';
  return job.ran ? 'ran' : 'never-ran';
}

/** A verdict a job recorded (the audit entry's details) for the run attempt `attempt`, if it is one. */
export function recordedTouch(details: Record<string, unknown> | undefined, attempt: number): ProductionTouchVerdict | undefined {
  const touch = details?.touch;
  if (details?.attempt !== attempt || (touch !== 'touched' && touch !== 'untouched' && touch !== 'unknown')) return undefined;
  return { touch, evidence: typeof details?.evidence === 'string' ? details.evidence : '' };
}

/**
 * Where no job has asked GitHub yet (a deploy still running, read on a Slack path): the milestones, which only
 * rule production out while the production job is known and has not started; anything else may have touched it.
 */
export function touchFromMilestones(milestones: readonly MilestoneProgress[], productionKey = 'production'): ProductionTouch {
  const production = milestones.find((m) => m.key === productionKey);
  if (production?.state === 'pending' || production?.state === 'skipped') return 'untouched';
  return production === undefined || production.state === 'absent' ? 'unknown' : 'touched';
}
