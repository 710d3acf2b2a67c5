import { changesBetween, milestoneOf, type Reading } from '../domain/verification-changes.js';
import { fillQuery, verificationSchedule, type CheckKey, type CheckResult } from '../domain/verification.js';
import type { Release } from '../integrations/database/release-store.js';
import type { ReleaseEventRow } from '../integrations/database/schema.js';
import { liveVerificationMessage, verificationChangeMessage, verificationMessage } from '../messages/verification.js';
import { postKeys, type JobContext } from './context.js';

/** Slack shows an image block at the thread's width: a 2:1 picture 800 px wide fits it (Datadog's own size may not). */
export const GRAPH_SIZE = { width: 800, height: 400 } as const;

/** One run of the schedule, as verifyRelease read it. */
export interface ReadRun {
  run: number;
  attempt: number;
  /** When its checks were read (tminus's clock): the order runs are shown in, whatever order their jobs ran. */
  readAt: Date;
  phase: string;
  results: CheckResult[];
  readings: Reading[];
  /** Checks without data are read again this much later (no milestone until then). */
  retryIn?: number;
}

type Thread = { releaseId: string; channel: string; threadTs: string };

interface RecordedRun {
  run: number;
  attempt: number;
  readAt: number;
  readings: Reading[];
}

/** The runs recorded in the audit log (`verification.run`), each try once (its latest record), in read order. */
function recordedRuns(events: readonly ReleaseEventRow[]): RecordedRun[] {
  const byTry = new Map<string, RecordedRun>();
  for (const e of events) {
    if (e.action !== 'verification.run') continue;
    const d = e.details as { run?: number; attempt?: number; readAt?: string; results?: Reading[] };
    const readAt = (d.readAt ? Date.parse(d.readAt) : NaN) || e.at.getTime();
    const readings = (d.results ?? []).map((r) => ({
      check: r.check,
      state: r.state,
      ...(r.value !== undefined && r.value !== null ? { value: r.value } : {}),
      ...(r.severity ? { severity: r.severity } : {}),
    }));
    byTry.set(`${d.run}:${d.attempt}`, { run: d.run ?? 0, attempt: d.attempt ?? 1, readAt, readings });
  }
  return [...byTry.values()].sort((a, b) => a.readAt - b.readAt);
}

/**
 * What a run says in the thread: it edits the one live "Verification" message (created by the first run);
 * a reply of its own only when it changed something since the newest run read before it, or when it closes
 * a phase of the guide's schedule (once per phase). A run read before one already shown (a late job) changes
 * neither the live message nor posts a change: the newer readings stand.
 */
export async function reportRun(ctx: JobContext, release: Release, read: ReadRun): Promise<void> {
  const thread = { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs! };
  const schedule = verificationSchedule(ctx.policy);
  const finished = release.finishedAt!.getTime();
  const readAt = read.readAt.getTime();
  const others = recordedRuns(await ctx.store.events(release.id)).filter((r) => r.run !== read.run || r.attempt !== read.attempt);
  const late = others.some((r) => r.readAt > readAt);
  const earlier = others.filter((r) => r.readAt <= readAt);
  const history: Partial<Record<CheckKey, (number | undefined)[]>> = {};
  for (const r of [...earlier.map((e) => e.readings), read.readings]) {
    for (const reading of r) (history[reading.check] ??= []).push(reading.state === 'pass' || reading.state === 'breach' ? reading.value : undefined);
  }
  const next = schedule[read.run];
  const live = liveVerificationMessage({
    version: release.version,
    results: read.results,
    history,
    readAt: read.readAt,
    sinceDeploy: schedule[read.run - 1]!.at,
    phase: read.phase,
    runs: read.run,
    scheduled: schedule.length,
    attempt: read.attempt,
    ...(next ? { next: { at: new Date(finished + next.at), sinceDeploy: next.at } } : {}),
    ...(read.retryIn !== undefined ? { retryIn: read.retryIn } : {}),
    timeZone: ctx.policy.timezone,
  });
  const liveKey = postKeys.verificationLive(release.id);
  if (!late) await ctx.posts.postOnce(liveKey, thread, live);
  await ctx.posts.replaceAsOf(liveKey, thread, live, read.readAt);

  const changes = late ? [] : changesBetween(earlier.at(-1)?.readings, read.readings);
  if (changes.length > 0) {
    const withResults = changes.map((change) => ({ change, result: read.results.find((r) => r.key === change.key)! }));
    const message = verificationChangeMessage({ version: release.version, sinceDeploy: schedule[read.run - 1]!.at, changes: withResults });
    await ctx.posts.postOnce(postKeys.verificationChange(release.id, read.run, read.attempt), thread, message);
  }
  await postMilestone(ctx, release, read, thread);
}

/** The run closing a phase of the schedule (once its tries are over): the phase's summary with the graph, once. */
async function postMilestone(ctx: JobContext, release: Release, read: ReadRun, thread: Thread): Promise<void> {
  const sinceDeploy = verificationSchedule(ctx.policy)[read.run - 1]!.at;
  const milestone = milestoneOf(ctx.policy, sinceDeploy);
  if (!milestone || read.retryIn !== undefined) return;
  const key = postKeys.verificationMilestone(release.id, milestone.index);
  if (await ctx.posts.tsOf(key)) return;
  const graphUrl = await graphOf(ctx, release, read.readAt.getTime());
  await ctx.posts.postOnce(
    key,
    thread,
    verificationMessage({
      version: release.version,
      sinceDeploy,
      phase: read.phase,
      results: read.results,
      attempt: read.attempt,
      milestone: { label: milestone.label, final: milestone.final },
      ...(graphUrl ? { graphUrl } : {}),
    }),
  );
}

/** The error rate and p99 from before the deploy to now, sized for the thread; none when Datadog could not take it. */
async function graphOf(ctx: JobContext, release: Release, now: number): Promise<string | undefined> {
  const tags = { service: ctx.service, env: ctx.policy.verification.env, version: release.version };
  const queries = (['errorRate', 'latencyP99'] as const).flatMap((k) => {
    const q = ctx.policy.verification.checks[k].query;
    return q ? [fillQuery(q, tags)] : [];
  });
  if (queries.length === 0 || !ctx.observability) return undefined;
  const finished = release.finishedAt!.getTime();
  return ctx.observability
    .graphSnapshot(queries, finished - ctx.policy.verification.graphWindow, Math.max(now, finished + 60_000),
      `${release.version}: error rate and p99`, GRAPH_SIZE)
    .catch(() => undefined);
}
