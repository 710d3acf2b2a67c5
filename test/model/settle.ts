import type { ReleaseRow } from '../../src/integrations/database/schema.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { abortByHand } from './slack-commands.js';
import { hasButton } from './slack-client.js';
import { note, observe, setDatadog, sleep, threadOf, type Real, type Snapshot } from './world-model.js';

/**
 * Letting the world settle: the outages end, and the release states are polled until every release is
 * over (and its thread says how) or waits on a person at a gate whose buttons are shown in #releases.
 */

export type Ending = 'completed' | 'failed' | 'aborted' | 'rejected' | 'rolled_back' | 'rollback_gave_up' | 'resumed';

/** What a thread message says about how its release ended (or that a re-run resumed it). */
export function endingOf(message: Pick<StoredMessage, 'text'>): Ending | undefined {
  const text = message.text;
  if (text.startsWith('✅ Release') && text.includes('COMPLETED')) return 'completed';
  if (text.startsWith('❌ Release') && text.includes('FAILED')) return 'failed';
  if (text.startsWith('⏹️') && text.includes('was aborted')) return 'aborted';
  if (text.startsWith('🚫') && (text.includes('was rejected') || text.includes('Rejected on GitHub'))) return 'rejected';
  if (text.startsWith('Rollback verification checklist')) return 'rolled_back';
  if (text.startsWith('❌ The rollback of')) return 'rollback_gave_up';
  if (text.startsWith('🔁')) return 'resumed';
  return undefined;
}

/** The thread's last word for each final state. */
const SAID: Record<string, readonly Ending[]> = {
  completed: ['completed'],
  stable: ['completed'],
  failed: ['failed', 'rollback_gave_up'],
  rejected: ['rejected'],
  aborted: ['aborted'],
  rolled_back: ['rolled_back'],
};

export type Verdict = { kind: 'over' } | { kind: 'waiting'; gate: StoredMessage } | { kind: 'moving'; why: string };

export function judge(release: ReleaseRow, snapshot: Pick<Snapshot, 'messages' | 'runs'>): Verdict {
  if (!release.threadTs) return { kind: 'moving', why: 'not announced in #releases' };
  const thread = threadOf(snapshot, release);
  if (release.state === 'awaiting_approval' || release.state === 'awaiting_production_approval') {
    const production = release.state === 'awaiting_production_approval';
    const gate = [...thread, ...snapshot.messages.filter((m) => m.ts === release.threadTs)]
      .filter((m) => hasButton(m, 'gate_approve') && (!production || m.text.startsWith('Production deploy of')))
      .at(-1);
    if (!gate) return { kind: 'moving', why: `${release.state} but no gate with buttons in #releases` };
    // The button must be able to do something: GitHub's run still waits for the review.
    const run = snapshot.runs.find((r) => r.id === release.deployRunId);
    if (production && run?.status !== 'waiting') return { kind: 'moving', why: `${release.state}, but its run on GitHub is ${run ? run.status : 'gone'}` };
    return { kind: 'waiting', gate };
  }
  if (release.state === 'started') {
    // Held at the readiness gate (CI red, no check): it waits for a person, as at a gate; its card says so.
    const card = thread.filter((m) => m.text.startsWith(`${release.version} is held before T-0`) || m.text.startsWith(`${release.version} is ready for T-0`)).at(-1);
    if (card?.text.startsWith(`${release.version} is held before T-0`)) return { kind: 'waiting', gate: card };
    return { kind: 'moving', why: card ? 'started and ready for T-0, but not tagged' : 'started, no readiness card yet' };
  }
  const said = SAID[release.state];
  if (!said) return { kind: 'moving', why: release.state };
  const last = thread.map(endingOf).filter((e): e is Ending => e !== undefined).at(-1);
  return last && said.includes(last) ? { kind: 'over' } : { kind: 'moving', why: `${release.state}, but the thread's last word is ${last ?? 'nothing'}` };
}

/** Ends every fault the commands started: GitHub answers again, Datadog is up and healthy. */
export function endFaults(real: Real): void {
  clearTimeout(real.outageTimer);
  real.world.github.outage(false);
  setDatadog(real.world, 'healthy');
}

export interface Settled {
  ok: boolean;
  snapshot: Snapshot;
  waiting: { release: ReleaseRow; gate: StoredMessage }[];
  stuck: { release: ReleaseRow; why: string }[];
}

/** How long the releases must look the same before the world counts as settled: several polls of tminus's. */
const STEADY_MS = 1_500;

/**
 * Polls until nothing moves by itself any more (the same picture for STEADY_MS: a release waiting at a gate
 * whose run was just deleted is about to move), or `timeoutMs` passed.
 */
export async function settle(real: Real, timeoutMs: number): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  let steady: { picture: string; since: number } | undefined;
  for (;;) {
    const snapshot = await observe(real);
    const verdicts = snapshot.releases.map((release) => ({ release, verdict: judge(release, snapshot) }));
    const stuck = verdicts.flatMap(({ release, verdict }) => (verdict.kind === 'moving' ? [{ release, why: verdict.why }] : []));
    const waiting = verdicts.flatMap(({ release, verdict }) => (verdict.kind === 'waiting' ? [{ release, gate: verdict.gate }] : []));
    const picture = verdicts.map(({ release, verdict }) => `${release.id}:${release.state}:${verdict.kind}`).join(',');
    if (stuck.length > 0 || steady?.picture !== picture) steady = { picture, since: Date.now() };
    if (stuck.length === 0 && Date.now() - steady.since >= STEADY_MS) return { ok: true, snapshot, waiting, stuck };
    if (Date.now() > deadline) return { ok: stuck.length === 0, snapshot, waiting, stuck };
    await sleep(250);
  }
}

/**
 * The world settles; releases left waiting at a gate are then ended by hand with `/release abort` (the way
 * out must work), and the world settles again.
 */
export async function settleAndAbort(real: Real, timeoutMs = 60_000): Promise<{ first: Settled; last: Settled }> {
  endFaults(real);
  note(real, 'settling');
  const first = await settle(real, timeoutMs);
  note(real, `settled: ${first.ok ? 'ok' : `stuck: ${first.stuck.map((s) => `${s.release.version} ${s.why}`).join('; ')}`}`);
  if (!first.ok || first.waiting.length === 0) return { first, last: first };
  for (const { release } of first.waiting) await abortByHand(real, release.version, 'model: nobody will press the gate', true);
  const last = await settle(real, timeoutMs / 2);
  note(real, `settled after the aborts: ${last.ok ? 'ok' : `stuck: ${last.stuck.map((s) => `${s.release.version} ${s.why}`).join('; ')}`}`);
  return { first, last };
}
