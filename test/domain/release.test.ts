import { describe, expect, it } from 'vitest';
import { RELEASE_EVENTS, RELEASE_STATES, isInFlight, transition, type ReleaseEvent, type ReleaseState } from '../../src/domain/release.js';

const allowed: [ReleaseState, ReleaseEvent, ReleaseState][] = [
  ['started', 'tag_created', 'tagged'],
  ['started', 'start_failed', 'failed'],
  ['tagged', 'deploy_run_found', 'deploying'],
  ['tagged', 'deploy_run_missing', 'failed'],
  ['deploying', 'deploy_succeeded', 'completed'],
  ['deploying', 'deploy_failed', 'failed'],
];

describe('release state machine', () => {
  it.each(allowed)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toEqual({ ok: true, to });
  });

  const refused = RELEASE_STATES.flatMap((from) =>
    RELEASE_EVENTS.filter((event) => !allowed.some(([f, e]) => f === from && e === event)).map(
      (event) => [from, event] as const,
    ),
  );

  it('refuses every other pair', () => {
    expect(refused.length).toBe(RELEASE_STATES.length * RELEASE_EVENTS.length - allowed.length);
    for (const [from, event] of refused) {
      const result = transition(from, event);
      expect(result.ok, `${from} + ${event}`).toBe(false);
      if (!result.ok) expect(result.reason).toContain(from);
    }
  });

  it('a finished release takes no more events', () => {
    for (const event of RELEASE_EVENTS) {
      expect(transition('completed', event).ok).toBe(false);
      expect(transition('failed', event).ok).toBe(false);
    }
  });

  it('knows which states are in flight', () => {
    expect(RELEASE_STATES.filter(isInFlight)).toEqual(['started', 'tagged', 'deploying']);
  });
});
