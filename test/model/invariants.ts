import { ENDED_STATES, transitions, type ReleaseState } from '../../src/domain/release.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { DEPLOY_WORKFLOW } from '../support/harness.js';
import { endingOf, judge } from './settle.js';
import { FIRST_PRODUCTION, OTHER_TAG_WORKFLOW, ROLLBACK_WORKFLOW, threadOf, type Real, type Snapshot } from './world-model.js';

/**
 * The invariants, read only from what an outside observer sees: the messages of #releases, the calls
 * GitHub received, the database, and the answers people got. Each returns the violations it found.
 *
 * (1) every release is over after settling and aborting, and its thread says how;
 * (2) nothing after the end: no status update after the release ended or while it rolled back, nothing
 *     after "was aborted", nothing new once the world settled;
 * (3) no post twice (metadata key, T+N label);
 * (4) rollback dispatches ≤ rollbacks started ≤ rollbacks asked for, per release, each to its target;
 * (5) a new release starts once none is in flight (property.ts), and two starts at once are never both
 *     accepted (slack-commands.ts);
 * (6) the rollback target (and the version a release replaces) is the last good production version;
 * (7) every command and click is acknowledged, never with tminus's internal-error answer;
 * (8) a release said to be rejected did not deploy to production on GitHub;
 * (9) no completion without a verification source: Datadog's readings, a person and what they checked, or
 *     a policy that says `verification.source: none`;
 * (12) tminus acts only on its own run: a release follows a run of the deploy workflow for its tag, and no
 *     call tminus made to GitHub reviews, cancels or re-runs another tag-triggered workflow's run.
 * (13) a webhook delivery is taken once: GitHub's redelivery or its signed body under a new id is answered
 *     "already received", an altered body is refused (webhook-commands.ts; checked as the replay is sent).
 */

const isStatusUpdate = (m: StoredMessage) => m.text.includes('IN PROGRESS');
const metadataKey = (m: StoredMessage) => (typeof m.metadata?.event_payload.key === 'string' ? m.metadata.event_payload.key : undefined);

/** (1) Every release is over, and its thread says how. */
export function everyReleaseOver(snapshot: Snapshot): string[] {
  return snapshot.releases.flatMap((release) => {
    if (!(ENDED_STATES as readonly string[]).includes(release.state)) {
      const run = snapshot.runs.find((r) => r.id === release.deployRunId);
      return [`(1) ${release.version} is still ${release.state} after the world settled and waiting releases were aborted${run ? ` (its run on GitHub: ${run.status}, attempt ${run.run_attempt})` : ''}`];
    }
    const verdict = judge(release, snapshot);
    return verdict.kind === 'over' ? [] : [`(1) ${release.version}: ${verdict.kind === 'moving' ? verdict.why : 'still shows an open gate'}`];
  });
}

/**
 * (2) Nothing after the end: no "IN PROGRESS" update after the thread said the release ended (unless a re-run
 * on GitHub resumed it) or after its rollback notice, and nothing after "was aborted" but the post-mortem an
 * abort after production was touched opens ("Schedule post-mortem if issues").
 */
export function nothingAfterTheEnd(snapshot: Snapshot): string[] {
  const violations: string[] = [];
  for (const release of snapshot.releases) {
    const thread = threadOf(snapshot, release);
    let ended: StoredMessage | undefined;
    let aborted: StoredMessage | undefined;
    const notice = snapshot.messages.find((m) => m.threadTs === undefined && m.text.startsWith(`⚠️ ROLLBACK NOTICE: ${release.version} `));
    for (const message of thread) {
      if (aborted && !message.text.startsWith('📝 Post-mortem issue for')) violations.push(`(2) ${release.version}: "${first(message)}" was posted after "${first(aborted)}"`);
      const ending = endingOf(message);
      if (ending === 'resumed') ended = undefined;
      else if (ending) ended ??= message;
      if (ending === 'aborted') aborted ??= message;
      if (!isStatusUpdate(message)) continue;
      if (ended) violations.push(`(2) ${release.version}: status update "${first(message)}" posted after "${first(ended)}"`);
      if (notice && Number(message.ts) > Number(notice.ts)) violations.push(`(2) ${release.version}: status update "${first(message)}" posted while it was rolling back`);
    }
  }
  return violations;
}

/** (2) After the world settled, a release that is over posts nothing more in its thread (watch messages of completed releases aside). */
export function quietAfterTheEnd(before: Snapshot, after: Snapshot): string[] {
  const QUIET: readonly string[] = ['aborted', 'rejected', 'rolled_back', 'failed', 'stable'];
  return before.releases.flatMap((release) => {
    const now = after.releases.find((r) => r.id === release.id);
    if (!QUIET.includes(release.state) || now?.state !== release.state) return [];
    const seen = new Set(threadOf(before, release).map((m) => m.ts));
    // The post-mortem issue is opened after the rollback, on GitHub's time: it may land late.
    const late = threadOf(after, release).filter((m) => !seen.has(m.ts) && !m.text.startsWith('📝 Post-mortem'));
    return late.map((m) => `(2) ${release.version} is ${release.state}, yet "${first(m)}" was posted after the world settled`);
  });
}

/** (3) No post twice: no metadata key twice in #releases, no T+N label twice in a thread. */
export function noPostTwice(snapshot: Snapshot): string[] {
  const violations: string[] = [];
  const byKey = new Map<string, StoredMessage[]>();
  for (const m of snapshot.messages) {
    const key = metadataKey(m);
    if (key) byKey.set(key, [...(byKey.get(key) ?? []), m]);
  }
  for (const [key, posts] of byKey) if (posts.length > 1) violations.push(`(3) ${key} was posted ${posts.length} times: "${first(posts[0]!)}"`);
  for (const release of snapshot.releases) {
    const labels = threadOf(snapshot, release)
      .filter(isStatusUpdate)
      .map((m) => m.text.match(/IN PROGRESS · (.+?) —/)?.[1] ?? m.text);
    const twice = labels.filter((label, i) => labels.indexOf(label) !== i);
    if (twice.length > 0) violations.push(`(3) ${release.version}: status update ${[...new Set(twice)].join(', ')} posted more than once`);
  }
  return violations;
}

/** (4) Per release: rollback dispatches ≤ rollbacks started ≤ rollbacks asked for, each dispatch to the recorded target. */
export function rollbackDispatchedOnce(snapshot: Snapshot, real: Real): string[] {
  const violations: string[] = [];
  const dispatches = real.world.github.dispatches().filter((d) => d.workflow === ROLLBACK_WORKFLOW);
  for (const d of dispatches) {
    if (!snapshot.releases.some((r) => r.version === d.inputs.from)) violations.push(`(4) a rollback was dispatched from ${String(d.inputs.from)}, which tminus never released`);
  }
  for (const release of snapshot.releases) {
    const sent = dispatches.filter((d) => d.inputs.from === release.version);
    const started = snapshot.events.filter((e) => e.releaseId === release.id && e.action === 'release.start_rollback').length;
    const asked = real.rollbackAsks.filter((a) => ('version' in a ? a.version === release.version : a.releaseId === release.id)).length;
    if (sent.length > started) violations.push(`(4) ${release.version}: ${sent.length} rollback dispatches for ${started} rollback(s) started`);
    if (started > asked) violations.push(`(4) ${release.version}: ${started} rollback(s) started, ${asked} asked for`);
    for (const d of sent) {
      if (d.inputs.version !== release.rollback?.toVersion) violations.push(`(4) ${release.version}: a rollback dispatched to ${String(d.inputs.version)}, but its rollback target is ${release.rollback?.toVersion}`);
    }
  }
  return violations;
}

const TARGET_OF_EVENT = new Map<string, ReleaseState>(transitions().map((t) => [`release.${t.event}`, t.to]));

/**
 * What production ran just before event `cut`: the last release that completed (by the order of the audit
 * log) and was still live then; the world's first tag when none was.
 */
export function productionBefore(snapshot: Snapshot, cut: number): string {
  const state = new Map<string, ReleaseState>();
  const completedAt = new Map<string, number>();
  for (const event of snapshot.events) {
    if (event.id >= cut) break;
    const to = TARGET_OF_EVENT.get(event.action);
    if (!to) continue;
    state.set(event.releaseId, to);
    if (to === 'completed') completedAt.set(event.releaseId, event.id);
  }
  const live = [...state]
    .filter(([, s]) => s === 'completed' || s === 'stable')
    .map(([id]) => id)
    .sort((a, b) => completedAt.get(a)! - completedAt.get(b)!);
  const last = live.at(-1);
  return last ? snapshot.releases.find((r) => r.id === last)!.version : FIRST_PRODUCTION;
}

/** (6) A release's rollback target (and, once tagged, the version it replaces) is the last good production version before it. */
export function rollbackTargetIsLastGood(snapshot: Snapshot): string[] {
  const violations: string[] = [];
  for (const release of snapshot.releases) {
    const created = snapshot.events.find((e) => e.releaseId === release.id);
    if (!created) continue;
    const expected = productionBefore(snapshot, created.id);
    if (release.rollback && release.rollback.toVersion !== expected) {
      violations.push(`(6) ${release.version} was rolled back to ${release.rollback.toVersion}, but the last good production version before it was ${expected}`);
    } else if (release.targetSha && release.previousVersion !== expected) {
      violations.push(`(6) ${release.version} records ${release.previousVersion} as the version it replaces, but production ran ${expected}`);
    }
  }
  return violations;
}

/**
 * (8) The thread tells GitHub's truth: a release tminus says was rejected did not deploy to production in
 * the attempt of the run it followed ("production still runs the previous version").
 */
export function rejectedMeansNotDeployed(snapshot: Snapshot, real: Real): string[] {
  return snapshot.releases.flatMap((release) => {
    if (release.state !== 'rejected' || release.deployRunId === null) return [];
    const run = real.world.github.runs().find((r) => r.id === release.deployRunId);
    if (!run || run.run_attempt !== release.deployRunAttempt) return [];
    const production = real.world.github.jobs(run.id).find((j) => j.name === 'deploy-production');
    if (!production || (production.status !== 'in_progress' && production.conclusion !== 'success')) return [];
    return [`(8) ${release.version} is rejected and its thread says production still runs the previous version, but on GitHub its production job ${production.conclusion === 'success' ? 'succeeded' : 'is running'} (run ${run.id}, attempt ${run.run_attempt})`];
  });
}

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/** (9) Each completion names its verification: readings with values, a Slack user and what they checked, or `verification.source: none`. */
export function noCompletionUnverified(snapshot: Snapshot, real: Real): string[] {
  const verifiesNothing = real.bot.policy.verification.source === 'none';
  return snapshot.events.flatMap((e) => {
    const version = snapshot.releases.find((r) => r.id === e.releaseId)?.version ?? e.releaseId;
    if (e.action === 'release.post_deploy_checks_passed') {
      const readings = e.details.readings as { value?: unknown }[] | undefined;
      if (Array.isArray(readings) && readings.length > 0 && readings.every((r) => typeof r.value === 'number')) return [];
      if (verifiesNothing && e.details.source === 'none') return [];
      return [`(9) ${version} completed with no Datadog readings and no \`verification.source: none\`: ${JSON.stringify(e.details)}`];
    }
    if (e.action !== 'release.post_deploy_checks_confirmed') return [];
    const checked = e.details.checked;
    if (SLACK_USER.test(e.actor) && typeof checked === 'string' && checked.trim().length >= 3) return [];
    return [`(9) ${version} was confirmed by ${e.actor} without a person and what they checked: ${JSON.stringify(e.details)}`];
  });
}

const INTERNAL_ERRORS = ['Something went wrong on tminus', 'could not handle this click'];

/** (7) Every command and click was acknowledged, and none was answered with tminus's own failure. */
export function everyRequestAnswered(real: Real): string[] {
  const violations = real.answers.filter((a) => a.status !== 200).map((a) => `(7) ${a.what} got HTTP ${a.status}`);
  const texts = [
    ...real.answers.map((a) => ({ what: a.what, text: a.text })),
    ...real.world.slack.responses().map((r) => ({ what: `response_url ${r.url}`, text: JSON.stringify(r.body) })),
    ...real.collector.bodies.map((b) => ({ what: `stale click answer ${b.url}`, text: b.text })),
  ];
  for (const { what, text } of texts) if (INTERNAL_ERRORS.some((e) => text.includes(e))) violations.push(`(7) ${what} was answered with an internal error: ${text.slice(0, 200)}`);
  return violations;
}

export function allInvariants(snapshot: Snapshot, real: Real): string[] {
  return [
    ...everyReleaseOver(snapshot),
    ...nothingAfterTheEnd(snapshot),
    ...noPostTwice(snapshot),
    ...rollbackDispatchedOnce(snapshot, real),
    ...rollbackTargetIsLastGood(snapshot),
    ...rejectedMeansNotDeployed(snapshot, real),
    ...noCompletionUnverified(snapshot, real),
    ...noTagOnRedCi(snapshot, real),
    ...noTagInAFreeze(snapshot),
    ...onlyItsOwnRun(snapshot, real),
    ...everyRequestAnswered(real),
  ];
}

export function onlyItsOwnRun(snapshot: Snapshot, real: Real): string[] {
  const other = new Set(snapshot.runs.filter((r) => r.path.endsWith(`/${OTHER_TAG_WORKFLOW}`)).map((r) => r.id));
  const violations = snapshot.releases.flatMap((release) => {
    const run = snapshot.runs.find((r) => r.id === release.deployRunId);
    if (!run || (run.path.endsWith(`/${DEPLOY_WORKFLOW}`) && run.head_branch === release.version)) return [];
    return [`(12) ${release.version} follows run ${run.id} of ${run.path} for ${run.head_branch}, not its deploy run`];
  });
  for (const request of real.world.github.requests) {
    const id = Number(/\/actions\/runs\/(\d+)\/[a-z_-]+$/.exec(request.path)?.[1]);
    if (request.method === 'POST' && other.has(id)) violations.push(`(12) tminus called ${request.method} ${request.path} on another workflow's run`);
  }
  return violations;
}

/** How long a CI change may take to be seen: the readiness gate judges, then tags (the policy re-judges every second). */
const CI_SEEN_WITHIN_MS = 1_500;

/**
 * (10) No production deploy without the gates that applied: no tag is created on a commit whose CI was red,
 * running or showed no check at all for longer than it takes to see a change (the world's CI history).
 */
export function noTagOnRedCi(snapshot: Snapshot, real: Real): string[] {
  return snapshot.events
    .filter((e) => e.action === 'release.tag_created')
    .flatMap((e) => {
      const sha = String(e.details.sha);
      const at = e.at.getTime();
      const history = real.ci.filter((c) => c.sha === sha && c.at <= at);
      const shown = history.at(-1);
      if (!shown || shown.state === 'green' || at - shown.at < CI_SEEN_WITHIN_MS) return [];
      const version = snapshot.releases.find((r) => r.id === e.releaseId)?.version ?? e.releaseId;
      return [`(10) ${version} was tagged at ${sha.slice(0, 7)} while its CI was ${shown.state} (for ${((at - shown.at) / 1000).toFixed(1)} s)`];
    });
}

/** How long a freeze may take to be seen: the tag's judgement and the tag itself are two steps apart. */
const FREEZE_SEEN_WITHIN_MS = 1_500;

/**
 * (11) No tag while an ad-hoc deploy freeze was in force (from its `/release freeze` to its unfreeze or until),
 * unless the release's freeze was waived before the tag (`/release waive vX.Y.Z freeze`).
 */
export function noTagInAFreeze(snapshot: Snapshot): string[] {
  return snapshot.events
    .filter((e) => e.action === 'release.tag_created')
    .flatMap((e) => {
      const at = e.at.getTime();
      const waived = snapshot.events.some((w) => w.releaseId === e.releaseId && w.action === 'readiness.waived' && w.details.line === 'freeze' && w.at.getTime() <= at);
      if (waived) return [];
      const inForce = snapshot.freezes.find((f) => {
        const end = f.endedAt ?? f.until;
        return f.createdAt.getTime() + FREEZE_SEEN_WITHIN_MS <= at && (end === null || end.getTime() > at);
      });
      if (!inForce) return [];
      const version = snapshot.releases.find((r) => r.id === e.releaseId)?.version ?? e.releaseId;
      return [`(11) ${version} was tagged while the freeze “${inForce.reason}” was in force (since ${((at - inForce.createdAt.getTime()) / 1000).toFixed(1)} s), with no waiver`];
    });
}

function first(m: Pick<StoredMessage, 'text'>): string {
  return m.text.split('\n')[0]!.slice(0, 100);
}
