/**
 * The release state machine. User requests are imperative (`approve`, `reject`, `abort`); signals from the
 * outside world are past tense (`tag_created`, `deploy_succeeded`, `production_approved_on_github`). Every
 * state change a release can make is in TRANSITIONS. GitHub is the source of truth for the deploy: whoever
 * acted (a person in Slack, a reviewer in GitHub's UI, an admin who re-ran or cancelled the run), the
 * release follows what happened.
 */
export const RELEASE_STATES = [
  'awaiting_approval',
  'started',
  'tagged',
  'deploying',
  'awaiting_production_approval',
  'verifying',
  'completed',
  'stable',
  'rolling_back',
  'rolled_back',
  'failed',
  'rejected',
  'aborted',
] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];

export const RELEASE_EVENTS = [
  'approve',
  'reject',
  'abort',
  'tag_created',
  'start_failed',
  'deploy_run_found',
  'deploy_run_missing',
  'deploy_run_lost',
  'production_approval_requested',
  'approve_production',
  'production_approved_on_github',
  'production_rejected_on_github',
  'deploy_succeeded',
  'deploy_failed',
  'deploy_rerun',
  'post_deploy_checks_passed',
  'post_deploy_checks_confirmed',
  'post_deploy_checks_failed',
  'watch_passed',
  'start_rollback',
  'rollback_succeeded',
  'rollback_failed',
] as const;
export type ReleaseEvent = (typeof RELEASE_EVENTS)[number];

/** The deploy is under way: tminus follows the deploy workflow run, or is about to. */
const DEPLOY_STATES = ['tagged', 'deploying', 'awaiting_production_approval'] as const;

const TRANSITIONS: Record<ReleaseEvent, { from: readonly ReleaseState[]; to: ReleaseState }> = {
  approve: { from: ['awaiting_approval'], to: 'started' },
  reject: { from: ['awaiting_approval', 'awaiting_production_approval'], to: 'rejected' },
  // A way out by hand from every state that is not over yet.
  abort: { from: ['awaiting_approval', 'started', ...DEPLOY_STATES, 'verifying', 'rolling_back'], to: 'aborted' },
  tag_created: { from: ['started'], to: 'tagged' },
  start_failed: { from: ['awaiting_approval', 'started'], to: 'failed' },
  deploy_run_found: { from: ['tagged'], to: 'deploying' },
  deploy_run_missing: { from: ['tagged'], to: 'failed' },
  // The run was deleted on GitHub: what production runs is unknown, a person must look.
  deploy_run_lost: { from: DEPLOY_STATES, to: 'failed' },
  production_approval_requested: { from: ['deploying'], to: 'awaiting_production_approval' },
  approve_production: { from: ['awaiting_production_approval'], to: 'deploying' },
  // The pending deployment was answered outside Slack: in GitHub's UI, by another tool, by an admin bypass.
  production_approved_on_github: { from: ['awaiting_production_approval'], to: 'deploying' },
  production_rejected_on_github: { from: ['deploying', 'awaiting_production_approval'], to: 'rejected' },
  // From the production gate too: the run may have been approved elsewhere and finished between two looks.
  // Production runs the new version; the guide's post-deploy checks (T+60) decide whether it is complete.
  deploy_succeeded: { from: ['deploying', 'awaiting_production_approval'], to: 'verifying' },
  post_deploy_checks_passed: { from: ['verifying'], to: 'completed' },
  // A person read what tminus could not (Datadog unreachable, no data) and says the release is good.
  post_deploy_checks_confirmed: { from: ['verifying'], to: 'completed' },
  // Still breached at the checks' deadline: the release is not complete; rolling back stays possible.
  post_deploy_checks_failed: { from: ['verifying'], to: 'failed' },
  deploy_failed: { from: ['deploying', 'awaiting_production_approval'], to: 'failed' },
  // Someone re-ran the failed deploy run on GitHub: tminus follows the new attempt.
  deploy_rerun: { from: ['failed'], to: 'deploying' },
  watch_passed: { from: ['completed'], to: 'stable' },
  // From aborted too: a release aborted after its deploy touched production may be what production runs.
  // During the deploy once production was touched, and during the post-deploy checks: the guide's clock runs
  // from detection, not from the end of the deploy.
  start_rollback: { from: ['deploying', 'verifying', 'completed', 'stable', 'failed', 'aborted'], to: 'rolling_back' },
  rollback_succeeded: { from: ['rolling_back'], to: 'rolled_back' },
  // A rollback that failed or gave up ends in a state that blocks nothing; the thread says what to do by hand.
  rollback_failed: { from: ['rolling_back'], to: 'failed' },
};

/** A deployment is running: the guide allows none alongside it. */
export const IN_FLIGHT_STATES: readonly ReleaseState[] = ['started', ...DEPLOY_STATES, 'verifying', 'rolling_back'];
/** Not yet ended: waiting for approval, or deploying, or rolling back. */
export const OPEN_STATES: readonly ReleaseState[] = ['awaiting_approval', ...IN_FLIGHT_STATES];
/** Release day is running (T-0 to the post-deploy checks): the only states with "Release In Progress" updates. */
export const RELEASE_DAY_STATES: readonly ReleaseState[] = ['started', ...DEPLOY_STATES, 'verifying'];
/** Deployed and live: watched by post-release verification until stable, or rolled back. */
export const LIVE_STATES: readonly ReleaseState[] = ['completed', 'stable'];
/** Over: nothing moves the release on by itself (a failed one may still be rolled back or its run re-run). */
export const ENDED_STATES: readonly ReleaseState[] = ['completed', 'stable', 'rolled_back', 'failed', 'rejected', 'aborted'];

export function isInFlight(state: ReleaseState): boolean {
  return IN_FLIGHT_STATES.includes(state);
}

export function isOpen(state: ReleaseState): boolean {
  return OPEN_STATES.includes(state);
}

export function isReleaseDay(state: ReleaseState): boolean {
  return RELEASE_DAY_STATES.includes(state);
}

export function isReleaseState(value: string): value is ReleaseState {
  return (RELEASE_STATES as readonly string[]).includes(value);
}

export type TransitionResult = { ok: true; to: ReleaseState } | { ok: false; reason: string };

export function transition(from: ReleaseState, event: ReleaseEvent): TransitionResult {
  const rule = TRANSITIONS[event];
  if (!rule.from.includes(from)) {
    return { ok: false, reason: `a release that is ${from.replace(/_/g, ' ')} cannot take "${event}"` };
  }
  return { ok: true, to: rule.to };
}

/** Every transition, for the README's state diagram and its test. */
export function transitions(): { from: ReleaseState; event: ReleaseEvent; to: ReleaseState }[] {
  return RELEASE_EVENTS.flatMap((event) => TRANSITIONS[event].from.map((from) => ({ from, event, to: TRANSITIONS[event].to })));
}

/** Human words for a state, as the thread and `/release status` show it. */
export const STATE_LABELS: Record<ReleaseState, string> = {
  awaiting_approval: 'waiting for approval',
  started: 'starting: the readiness gate, then the tag',
  tagged: 'tagged: waiting for the deploy workflow',
  deploying: 'deploying',
  awaiting_production_approval: 'waiting for production approval',
  verifying: 'deployed: running post-deploy checks',
  completed: 'completed',
  stable: 'stable',
  rolling_back: 'rolling back',
  rolled_back: 'rolled back',
  failed: 'failed',
  rejected: 'rejected',
  aborted: 'aborted',
};
