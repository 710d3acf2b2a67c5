/**
 * The release state machine. User requests are imperative (`approve`, `reject`); signals from the outside
 * world are past tense (`tag_created`, `deploy_succeeded`). Every state change a release can make is in
 * TRANSITIONS.
 */
export const RELEASE_STATES = [
  'awaiting_approval',
  'started',
  'tagged',
  'deploying',
  'awaiting_production_approval',
  'completed',
  'stable',
  'rolling_back',
  'rolled_back',
  'failed',
  'rejected',
] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];

export const RELEASE_EVENTS = [
  'approve',
  'reject',
  'tag_created',
  'start_failed',
  'deploy_run_found',
  'deploy_run_missing',
  'production_approval_requested',
  'approve_production',
  'deploy_succeeded',
  'deploy_failed',
  'watch_passed',
  'start_rollback',
  'rollback_succeeded',
  'rollback_failed',
] as const;
export type ReleaseEvent = (typeof RELEASE_EVENTS)[number];

const TRANSITIONS: Record<ReleaseEvent, { from: readonly ReleaseState[]; to: ReleaseState }> = {
  approve: { from: ['awaiting_approval'], to: 'started' },
  reject: { from: ['awaiting_approval', 'awaiting_production_approval'], to: 'rejected' },
  tag_created: { from: ['started'], to: 'tagged' },
  start_failed: { from: ['awaiting_approval', 'started'], to: 'failed' },
  deploy_run_found: { from: ['tagged'], to: 'deploying' },
  deploy_run_missing: { from: ['tagged'], to: 'failed' },
  production_approval_requested: { from: ['deploying'], to: 'awaiting_production_approval' },
  approve_production: { from: ['awaiting_production_approval'], to: 'deploying' },
  deploy_succeeded: { from: ['deploying'], to: 'completed' },
  deploy_failed: { from: ['deploying', 'awaiting_production_approval'], to: 'failed' },
  watch_passed: { from: ['completed'], to: 'stable' },
  start_rollback: { from: ['completed', 'stable', 'failed'], to: 'rolling_back' },
  rollback_succeeded: { from: ['rolling_back'], to: 'rolled_back' },
  rollback_failed: { from: ['rolling_back'], to: 'failed' },
};

/** A deployment is running: the guide allows none alongside it. */
export const IN_FLIGHT_STATES: readonly ReleaseState[] = ['started', 'tagged', 'deploying', 'awaiting_production_approval', 'rolling_back'];
/** Not yet ended: waiting for approval, or deploying. */
export const OPEN_STATES: readonly ReleaseState[] = ['awaiting_approval', ...IN_FLIGHT_STATES];
/** Deployed and live: watched by post-release verification until stable, or rolled back. */
export const LIVE_STATES: readonly ReleaseState[] = ['completed', 'stable'];

export function isInFlight(state: ReleaseState): boolean {
  return IN_FLIGHT_STATES.includes(state);
}

export function isOpen(state: ReleaseState): boolean {
  return OPEN_STATES.includes(state);
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

/** Human words for a state, as the thread and `/release status` show it. */
export const STATE_LABELS: Record<ReleaseState, string> = {
  awaiting_approval: 'waiting for approval',
  started: 'starting: creating the tag',
  tagged: 'tagged: waiting for the deploy workflow',
  deploying: 'deploying',
  awaiting_production_approval: 'waiting for production approval',
  completed: 'completed',
  stable: 'stable',
  rolling_back: 'rolling back',
  rolled_back: 'rolled back',
  failed: 'failed',
  rejected: 'rejected',
};
