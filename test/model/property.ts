import fc from 'fast-check';
import { allInvariants, quietAfterTheEnd } from './invariants.js';
import { settleAndAbort } from './settle.js';
import { slackCommands } from './slack-commands.js';
import { worldCommands } from './world-commands.js';
import { freezeCommands } from './freeze-commands.js';
import { webhookCommands } from './webhook-commands.js';
import { command } from './slack-client.js';
import { initialModel, isKnownBug, knownBugs, observe, sleep, startReal, stopReal, takeVersion, REQUESTER, type Model, type Real, type Snapshot, type WorldSettings } from './world-model.js';

/**
 * The property: a fresh world per run, a start and up to 7 random commands, the world settles, the
 * invariants hold. Kept apart from the test file so that a seed can be looked for without running it.
 */

/** The quiet period after settling: longer than two status-update intervals. */
const QUIET_MS = 2_500;

export const runOptions = {
  /** Print what each sequence did, passing or not. */
  log: false,
};

const gated = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const listingDelayMs = fc.integer({ min: 0, max: 3_000 });
/** The worlds of the command sets before `webhooks` (their seeds replay with exactly this arbitrary). */
export const worldSettings: fc.Arbitrary<WorldSettings> = fc.record({ gated, listingDelayMs });
/** From `webhooks` on: half the worlds deliver GitHub's webhooks to tminus. */
const webhookWorldSettings: fc.Arbitrary<WorldSettings> = fc.record({ gated, listingDelayMs, webhooks: fc.boolean() });

function settingsOf(commands: CommandSet): fc.Arbitrary<WorldSettings> {
  return commands === 'webhooks' ? webhookWorldSettings : worldSettings;
}

const { start, approve, reject, submitRejection, rollback, abort, click } = slackCommands;
const { cancel, rerun, failJob, deleteRun, review, outage, loseAnswer, slowListing, datadog, restart, wait, ci } = worldCommands;
/**
 * What people and the world do, the likelier twice: a sequence should have releases that reach the gate,
 * production and rollback. `replayPath` is the one fast-check prints with a shrunk counterexample.
 */
export function sequencesWith(replayPath?: string, commands: CommandSet = LATEST): fc.Arbitrary<Iterable<fc.AsyncCommand<Model, Real>>> {
  return fc.commands(COMMAND_SETS[commands], { maxCommands: 7, size: 'max', ...(replayPath !== undefined ? { replayPath } : {}) });
}

/**
 * The commands a sequence is drawn from. A seed replays only with the set it was found with: `before-gates` is
 * the set of the seeds kept before the readiness gate's commands (CI on the head) joined; `gates` before the
 * freezes and waivers joined.
 */
const BEFORE_GATES = [start, start, wait, wait, approve, approve, review, review, rollback, rollback, reject, submitRejection, abort, click, cancel, rerun, failJob, deleteRun, outage, loseAnswer, slowListing, datadog, restart];
const GATES = [...BEFORE_GATES, ci, ci];
const FREEZES = [...GATES, freezeCommands.freeze, freezeCommands.unfreeze, freezeCommands.waive];
const WEBHOOKS = [...FREEZES, webhookCommands.replay, webhookCommands.replay, webhookCommands.drop, webhookCommands.delay];
const COMMAND_SETS = { 'before-gates': BEFORE_GATES, gates: GATES, freezes: FREEZES, webhooks: WEBHOOKS };
export type CommandSet = keyof typeof COMMAND_SETS;
/** The set the random run draws from. */
const LATEST: CommandSet = 'webhooks';

export const sequences = sequencesWith();

/** One sequence: a fresh world, the commands, the world settles, the invariants. Throws with a report. */
export async function runSequence(settings: WorldSettings, first: fc.AsyncCommand<Model, Real>, commands: Iterable<fc.AsyncCommand<Model, Real>>): Promise<void> {
  const real = await startReal(settings);
  const model = initialModel();
  try {
    await fc.asyncModelRun(() => ({ model, real }), [first, ...commands]);
    const { last } = await settleAndAbort(real);
    await sleep(QUIET_MS);
    const after = await observe(real);
    const violations = [...real.violations, ...allInvariants(after, real), ...quietAfterTheEnd(last.snapshot, after)];
    if (last.ok) violations.push(...(await freshStartAccepted(real, model)));
    const counted = knownBugs.enforce ? violations : violations.filter((v) => !isKnownBug(v));
    if (counted.length > 0) throw new Error(report(violations, real, after));
    // Known bugs met again are said, not failed on: the random run goes on looking for new ones.
    if (violations.length > 0) console.warn(report(violations, real, after));
    else if (runOptions.log) console.log(report([], real, after));
  } finally {
    await stopReal(real);
  }
}

/** (5) Once nothing is in flight, a new release starts. */
async function freshStartAccepted(real: Real, model: Model): Promise<string[]> {
  const version = takeVersion(model, 'minor');
  const before = real.world.slack.responses().length;
  const answer = await command(real, `start ${version}`, REQUESTER);
  let text = answer.text;
  if (text.includes('Working on it')) {
    await sleep(3_000);
    text = real.world.slack.responses().slice(before).map((r) => JSON.stringify(r.body)).join(' ');
  }
  return text.includes('Starting') ? [] : [`(5) /release start ${version} after the world settled was not accepted: ${text.split('\n')[0]}`];
}

function report(violations: string[], real: Real, snapshot: Snapshot): string {
  const releases = snapshot.releases.map((r) => {
    const thread = r.threadTs ? snapshot.messages.filter((m) => m.threadTs === r.threadTs).map((m) => `      · ${m.text.split('\n')[0]!.slice(0, 110)}`) : [];
    return [`  ${r.version}: ${r.state}${r.failureReason ? ` (${r.failureReason.slice(0, 120)})` : ''}${r.rollback ? ` rollback→${r.rollback.toVersion}` : ''}`, ...thread].join('\n');
  });
  return [`${violations.length} invariant(s) broken:`, ...violations.map((v) => `  ${v}`), 'What happened:', ...real.log.map((l) => `  ${l}`), 'Releases and their threads:', ...releases].join('\n');
}

/** Every sequence opens with a start (release day begins), then up to 7 random commands. */
export function propertyWith(replayPath?: string): fc.IAsyncProperty<[WorldSettings, fc.AsyncCommand<Model, Real>, Iterable<fc.AsyncCommand<Model, Real>>]> {
  return fc.asyncProperty(settingsOf(LATEST), start, sequencesWith(replayPath), runSequence);
}

export const property = propertyWith();

/**
 * The sequence fast-check generates at `path` from `seed` (a shrunk path needs the `replayPath` it printed),
 * without running it: replaying through `fc.assert` would go on to the neighbours of a path that passes.
 */
export function sequenceAt(seed: number, path: string, replayPath?: string, commands: CommandSet = 'before-gates'): [WorldSettings, fc.AsyncCommand<Model, Real>, Iterable<fc.AsyncCommand<Model, Real>>] {
  const found = fc.check(fc.property(settingsOf(commands), start, sequencesWith(replayPath, commands), (_settings: WorldSettings, _first: fc.AsyncCommand<Model, Real>, _commands: Iterable<fc.AsyncCommand<Model, Real>>) => false), { seed, path, numRuns: 1, endOnFailure: true });
  if (!found.counterexample) throw new Error(`nothing generated at seed ${seed} path ${path}`);
  return found.counterexample;
}

