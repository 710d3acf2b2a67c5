/**
 * The release state machine. User requests are imperative (`start`); signals from the outside world are
 * past tense (`tag_created`, `deploy_succeeded`). Every state change a release can make is in TRANSITIONS.
 */
export const RELEASE_STATES = ['started', 'tagged', 'deploying', 'completed', 'failed'] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];

export const RELEASE_EVENTS = [
  'tag_created',
  'start_failed',
  'deploy_run_found',
  'deploy_run_missing',
  'deploy_succeeded',
  'deploy_failed',
] as const;
export type ReleaseEvent = (typeof RELEASE_EVENTS)[number];

const TRANSITIONS: Record<ReleaseEvent, { from: readonly ReleaseState[]; to: ReleaseState }> = {
  tag_created: { from: ['started'], to: 'tagged' },
  start_failed: { from: ['started'], to: 'failed' },
  deploy_run_found: { from: ['tagged'], to: 'deploying' },
  deploy_run_missing: { from: ['tagged'], to: 'failed' },
  deploy_succeeded: { from: ['deploying'], to: 'completed' },
  deploy_failed: { from: ['deploying'], to: 'failed' },
};

export const IN_FLIGHT_STATES: readonly ReleaseState[] = ['started', 'tagged', 'deploying'];
export const FINAL_STATES: readonly ReleaseState[] = ['completed', 'failed'];

export function isInFlight(state: ReleaseState): boolean {
  return IN_FLIGHT_STATES.includes(state);
}

export function isReleaseState(value: string): value is ReleaseState {
  return (RELEASE_STATES as readonly string[]).includes(value);
}

export type TransitionResult = { ok: true; to: ReleaseState } | { ok: false; reason: string };

export function transition(from: ReleaseState, event: ReleaseEvent): TransitionResult {
  const rule = TRANSITIONS[event];
  if (!rule.from.includes(from)) {
    return { ok: false, reason: `a release that is ${from} cannot take "${event}"` };
  }
  return { ok: true, to: rule.to };
}

/** Human words for a state, as the thread and `/release status` show it. */
export const STATE_LABELS: Record<ReleaseState, string> = {
  started: 'starting: creating the tag',
  tagged: 'tagged: waiting for the deploy workflow',
  deploying: 'deploying',
  completed: 'completed',
  failed: 'failed',
};
