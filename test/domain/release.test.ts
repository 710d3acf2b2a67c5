import { describe, expect, it } from 'vitest';
import { RELEASE_EVENTS, RELEASE_STATES, isInFlight, isOpen, isReleaseDay, transition, transitions, type ReleaseEvent, type ReleaseState } from '../../src/domain/release.js';

const allowed: [ReleaseState, ReleaseEvent, ReleaseState][] = [
  ['awaiting_approval', 'approve', 'started'],
  ['awaiting_approval', 'reject', 'rejected'],
  ['awaiting_approval', 'start_failed', 'failed'],
  ['started', 'tag_created', 'tagged'],
  ['started', 'start_failed', 'failed'],
  ['tagged', 'deploy_run_found', 'deploying'],
  ['tagged', 'deploy_run_missing', 'failed'],
  ['deploying', 'production_approval_requested', 'awaiting_production_approval'],
  ['awaiting_production_approval', 'approve_production', 'deploying'],
  ['awaiting_production_approval', 'reject', 'rejected'],
  ['awaiting_production_approval', 'deploy_failed', 'failed'],
  ['deploying', 'deploy_succeeded', 'verifying'],
  ['deploying', 'deploy_failed', 'failed'],
  ['completed', 'watch_passed', 'stable'],
  ['completed', 'start_rollback', 'rolling_back'],
  ['stable', 'start_rollback', 'rolling_back'],
  ['failed', 'start_rollback', 'rolling_back'],
  ['aborted', 'start_rollback', 'rolling_back'],
  ['rolling_back', 'rollback_succeeded', 'rolled_back'],
  ['rolling_back', 'rollback_failed', 'failed'],
  // Ways out by hand: every state that is not over yet can be aborted.
  ['awaiting_approval', 'abort', 'aborted'],
  ['started', 'abort', 'aborted'],
  ['tagged', 'abort', 'aborted'],
  ['deploying', 'abort', 'aborted'],
  ['awaiting_production_approval', 'abort', 'aborted'],
  ['rolling_back', 'abort', 'aborted'],
  // GitHub is the source of truth for the deploy, whoever acted there.
  ['awaiting_production_approval', 'production_approved_on_github', 'deploying'],
  ['awaiting_production_approval', 'production_rejected_on_github', 'rejected'],
  ['deploying', 'production_rejected_on_github', 'rejected'],
  ['awaiting_production_approval', 'deploy_succeeded', 'verifying'],
  // T+60: production runs the release; the post-deploy checks decide whether it is complete.
  ['verifying', 'post_deploy_checks_passed', 'completed'],
  ['verifying', 'post_deploy_checks_confirmed', 'completed'],
  ['verifying', 'post_deploy_checks_failed', 'failed'],
  ['verifying', 'abort', 'aborted'],
  // Rollback where the guide allows it: once production was touched, also while the deploy runs.
  ['deploying', 'start_rollback', 'rolling_back'],
  ['verifying', 'start_rollback', 'rolling_back'],
  ['tagged', 'deploy_run_lost', 'failed'],
  ['deploying', 'deploy_run_lost', 'failed'],
  ['awaiting_production_approval', 'deploy_run_lost', 'failed'],
  ['failed', 'deploy_rerun', 'deploying'],
];

describe('release state machine', () => {
  it.each(allowed)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toEqual({ ok: true, to });
  });

  const refused = RELEASE_STATES.flatMap((from) =>
    RELEASE_EVENTS.filter((event) => !allowed.some(([f, e]) => f === from && e === event)).map((event) => [from, event] as const),
  );

  it('refuses every other pair, saying why', () => {
    expect(refused.length).toBe(RELEASE_STATES.length * RELEASE_EVENTS.length - allowed.length);
    for (const [from, event] of refused) {
      const result = transition(from, event);
      expect(result.ok, `${from} + ${event}`).toBe(false);
      if (!result.ok) expect(result.reason).toContain(event);
    }
  });

  it('a rejected or rolled-back release takes no more events; an aborted one only a rollback; a live one only its watch and a rollback', () => {
    expect(RELEASE_EVENTS.filter((e) => transition('aborted', e).ok)).toEqual(['start_rollback']);
    for (const final of ['rejected', 'rolled_back'] as const) {
      for (const event of RELEASE_EVENTS) expect(transition(final, event).ok).toBe(false);
    }
    expect(RELEASE_EVENTS.filter((e) => transition('completed', e).ok)).toEqual(['watch_passed', 'start_rollback']);
  });

  it('knows which states run a deployment and which are open', () => {
    expect(RELEASE_STATES.filter(isInFlight)).toEqual(['started', 'tagged', 'deploying', 'awaiting_production_approval', 'verifying', 'rolling_back']);
    expect(RELEASE_STATES.filter(isOpen)).toEqual(['awaiting_approval', 'started', 'tagged', 'deploying', 'awaiting_production_approval', 'verifying', 'rolling_back']);
    // Status updates belong to release day only (T-0 to the post-deploy checks): none while waiting for approval, none during a rollback.
    expect(RELEASE_STATES.filter(isReleaseDay)).toEqual(['started', 'tagged', 'deploying', 'awaiting_production_approval', 'verifying']);
  });

  it('every open state has a way out, and every state is reachable from a request', () => {
    for (const state of RELEASE_STATES.filter(isOpen)) expect(transition(state, 'abort'), state).toEqual({ ok: true, to: 'aborted' });
    const reached = new Set<ReleaseState>(['awaiting_approval', 'started']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const t of transitions()) if (reached.has(t.from) && !reached.has(t.to)) grew = Boolean(reached.add(t.to));
    }
    expect([...reached].sort()).toEqual([...RELEASE_STATES].sort());
  });
});

describe('the README’s state diagram', () => {
  it('shows every transition of the state machine, and no other', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const diagram = readme.slice(readme.indexOf('stateDiagram-v2'), readme.indexOf('```', readme.indexOf('stateDiagram-v2')));
    const shown = diagram.split('\n').filter((l) => /^\s+\w+ --> \w+: \w+$/.test(l)).map((l) => l.trim()).sort();
    expect(shown).toEqual(transitions().map((t) => `${t.from} --> ${t.to}: ${t.event}`).sort());
  });
});
