import { checkCadence } from '../domain/calendar.js';
import { checklistItems, missingItems } from '../domain/checklist.js';
import { formatDuration } from '../domain/duration.js';
import { CHECKLIST_KEYS, type ChecklistKey } from '../domain/plan-schedule.js';
import {
  cadenceLine,
  checklistsLine,
  ciLine,
  freezeLine,
  notHolding,
  productionLine,
  readiness,
  type CadenceFacts,
  type ChecklistFacts,
  type CommitCheck,
  type Readiness,
  type ReadinessLine,
  type Waiver,
} from '../domain/readiness.js';
import type { Release } from '../integrations/database/release-store.js';
import type { ReleaseEventRow } from '../integrations/database/schema.js';
import { GitHubUnavailableError } from '../integrations/github.js';
import { dateAndTime, escape, mention } from '../messages/format.js';
import { ciRedMessage, readinessCard } from '../messages/readiness.js';
import { planPostKeys, planThread, renderChecklist, runAutomaticChecks, type PlanContext } from '../services/plan-checklists.js';
import { postKeys, type JobContext } from './context.js';
import { CI_ACTOR } from './hotfix-check.js';
import { readFreezes } from './freezes.js';
import { readProductionGuard } from './production-guard.js';
import { hotfixChange, noteHotfixChange } from './hotfix-commit.js';
import { changeLine } from '../domain/hotfix-source.js';

/** The commit T-0 would tag now, and the branch it is the head of. */
export interface TagCommit {
  branch: string;
  sha: string;
}

/** Waivers people gave at the gate (`/release waive`), newest per line. */
function waiversOf(events: ReleaseEventRow[]): Map<string, Waiver> {
  const waivers = new Map<string, Waiver>();
  for (const e of events) {
    if (e.action !== 'readiness.waived') continue;
    const details = e.details as { line?: string; reason?: string };
    if (details.line) waivers.set(details.line, { by: mention(e.actor), reason: escape(details.reason ?? '') });
  }
  return waivers;
}

async function ciChecks(ctx: JobContext, release: Release, sha: string): Promise<CommitCheck[] | undefined> {
  try {
    return (await ctx.github.ciStatus(sha)).each.map((c) => ({ ...c, name: escape(c.name) }));
  } catch (error) {
    if (!(error instanceof GitHubUnavailableError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error.message }, 'readiness: could not read CI');
    return undefined;
  }
}

/** A hotfix a person marked tested: their word is its CI (CI's own tick is read on the commit like any other). */
function testedBy(release: Release): string | undefined {
  const tested = release.hotfix?.steps.hotfixTested;
  return tested && tested.by !== CI_ACTOR ? mention(tested.by) : undefined;
}

/**
 * The checklists due for the release's type. A planned release ticked them before T-0 (or its T-0 gate was
 * overridden); one started without a plan gets them now, in its thread, and waits on them.
 */
async function checklistFacts(ctx: JobContext, release: Release, events: ReleaseEventRow[], waived?: Waiver): Promise<ChecklistFacts> {
  const keys = CHECKLIST_KEYS.filter((key) => (ctx.policy.checklists[key].appliesTo as readonly string[]).includes(release.type));
  const due = keys.map((key) => ctx.policy.checklists[key].title);
  if (keys.length === 0 || !ctx.plans) return { due: [], missing: [] };
  const existing = await ctx.plans.ofRelease(release.id);
  if (existing?.state === 'started') {
    const override = events.find((e) => e.action === 'checklist.override');
    const reason = (override?.details as { reason?: string } | undefined)?.reason;
    return { due, missing: [], planned: true, ...(override ? { waived: { by: mention(override.actor), reason: escape(reason ?? '') } } : {}) };
  }
  const plan = existing ?? (release.threadTs ? await ctx.plans.gatingFor(release) : undefined);
  if (!plan || plan.state !== 'gating') return { due, missing: [{ checklist: due[0]!, text: 'the checklists could not be posted yet' }] };
  // tminus ticks what it can check; the messages are posted (and redrawn) by the readiness-card job, off the tag's path.
  for (const key of keys) await runAutomaticChecks(ctx as PlanContext, plan, key);
  const ticks = await ctx.plans.ticks(plan.id);
  const missing = keys.flatMap((key: ChecklistKey) =>
    missingItems(checklistItems(ctx.policy.checklists[key], release.version), ticks, key).map((item) => ({ checklist: ctx.policy.checklists[key].title, text: escape(item.text) })),
  );
  return { due, missing, ...(waived ? { waived } : {}), ...(ctx.policy.readiness.checklists === 'advisory' ? { advisory: true } : {}) };
}

/** The cadence at the moment of the tag: an override given at the request (or a waiver here) stands. */
async function cadenceFacts(ctx: JobContext, release: Release, events: ReleaseEventRow[], waived?: Waiver): Promise<CadenceFacts> {
  if (release.type === 'hotfix') return { enforced: false, why: 'a hotfix goes out when it is needed' };
  if (release.backport) return { enforced: false, why: `a backport patch on the ${release.backport.line} line` };
  if (!ctx.policy.planning.enforceCadence) return { enforced: false, why: 'not enforced (`planning.enforceCadence: false`)' };
  const override = events.find((e) => e.action === 'cadence.overridden');
  if (override) return { enforced: true, overridden: { by: mention(override.actor), reason: escape(String((override.details as { reason?: string }).reason ?? '')) } };
  if (waived) return { enforced: true, overridden: waived };
  const now = ctx.clock();
  const earlier = await ctx.store.startTimes(release.type, new Date(now.getTime() - 8 * 24 * 3_600_000), release.id);
  const check = checkCadence(ctx.policy, release.type, now, earlier, ctx.policy.planning.slotTolerance);
  return check.ok ? { enforced: true, ok: true } : { enforced: true, ok: false, rule: check.rule, nextAllowed: dateAndTime(check.nextAllowed, ctx.policy.timezone) };
}

/** Every line of the gate for `release` about to be tagged at `commit`, read now. */
export async function judgeReadiness(ctx: JobContext, release: Release, commit: TagCommit): Promise<Readiness> {
  const events = await ctx.store.events(release.id);
  const waivers = waiversOf(events);
  const tested = testedBy(release);
  const ci = ciLine({
    sha: commit.sha,
    branch: escape(commit.branch),
    required: ctx.policy.readiness.requiredChecks.map(escape),
    ...(tested ? { testedBy: tested } : { checks: await ciChecks(ctx, release, commit.sha) }),
  });
  const checklists = checklistsLine(await checklistFacts(ctx, release, events, waivers.get('checklists')));
  const cadence = cadenceLine(await cadenceFacts(ctx, release, events, waivers.get('cadence')));
  const freeze = freezeLine(await readFreezes(ctx, release, waivers.get('freeze')));
  const production = productionLine(await readProductionGuard(ctx, release));
  if (release.type !== 'hotfix' || release.backport) return readiness([ci, checklists, cadence, freeze, production]);
  // A hotfix ships something beyond what production runs: a branch just cut from production's tag waits for the fix.
  const change = await hotfixChange(ctx, release, { ...commit, named: Boolean(release.hotfix?.from) });
  await noteHotfixChange(ctx, release, change);
  return readiness([changeLine(change), ci, checklists, cadence, freeze, production]);
}

/** A judgement as the audit log keeps it: what the card shows. */
interface Judged {
  ready: boolean;
  sha: string;
  branch: string;
  held: string[];
  lines: ReadinessLine[];
}

/**
 * Records the judgement when it changed (the audit log: the commit and every line) and has it shown. Slack is
 * not on the tag's path: the card, the gate's checklists and a red CI are posted by the readiness-card job.
 */
export async function showReadiness(ctx: JobContext, release: Release, commit: TagCommit, judged: Readiness): Promise<void> {
  const lines = judged.lines.map((l) => ({ key: l.key, state: l.state, text: l.text, ...(l.link ? { link: l.link } : {}) }));
  const last = (await ctx.store.lastEvent(release.id, 'readiness.judged'))?.details as Judged | undefined;
  // Compared field by field: Postgres's jsonb keeps an object's keys in its own order.
  const same = (a: ReadinessLine[]) => a.length === lines.length && a.every((l, i) => l.key === lines[i]!.key && l.state === lines[i]!.state && l.text === lines[i]!.text && l.link === lines[i]!.link);
  if (!last || last.sha !== commit.sha || !same(last.lines)) {
    const details: Judged = { ready: judged.ready, sha: commit.sha, branch: commit.branch, held: notHolding(judged), lines };
    await ctx.store.audit(release.id, 'readiness.judged', { ...details });
  }
  await ctx.jobs.add('readiness-card', { releaseId: release.id });
}

/**
 * The readiness card in the release's thread, drawn from the last judgement recorded (posted once, redrawn as
 * it changes), the checklists a release started without a plan was given, and a red CI said once per commit.
 */
export async function readinessCardJob(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  const judged = release && ((await ctx.store.lastEvent(release.id, 'readiness.judged'))?.details as Judged | undefined);
  if (!release?.threadTs || !judged) return;
  const thread = { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs };
  const card = async () => readinessCard({ version: release.version, readiness: readiness(judged.lines), recheck: formatDuration(ctx.policy.readiness.recheckEvery) });
  const { posted } = await ctx.posts.postOnce(postKeys.readiness(release.id), thread, await card());
  if (!posted) await ctx.posts.refresh(postKeys.readiness(release.id), card);
  const red = judged.lines.find((l) => l.key === 'ci' && l.state === 'failing');
  if (red) await ctx.posts.postOnce(postKeys.readinessCiRed(release.id, judged.sha), thread, ciRedMessage(release.version, red));
  const plan = await ctx.plans?.ofRelease(release.id);
  if (!plan || plan.state !== 'gating') return;
  const planCtx = ctx as PlanContext;
  for (const key of CHECKLIST_KEYS.filter((k) => (ctx.policy.checklists[k].appliesTo as readonly string[]).includes(release.type))) {
    const { posted: fresh } = await ctx.posts.postOnce(planPostKeys.checklist(plan.id, key), planThread(plan), await renderChecklist(planCtx, plan, key));
    if (!fresh) await ctx.posts.refresh(planPostKeys.checklist(plan.id, key), () => renderChecklist(planCtx, plan, key));
  }
}

/** The look due after now, on slots of `readiness.recheckEvery` from T-0: the chain and the reconciler name the same one. */
export function nextReadinessLook(ctx: Pick<JobContext, 'policy' | 'clock'>, release: Pick<Release, 'startedAt'>): { look: number; delayMs: number } {
  const every = ctx.policy.readiness.recheckEvery;
  const now = ctx.clock().getTime();
  const look = Math.floor((now - release.startedAt.getTime()) / every) + 1;
  return { look, delayMs: Math.max(0, release.startedAt.getTime() + look * every - now) };
}

export async function scheduleReadinessLook(ctx: JobContext, release: Release): Promise<void> {
  const { look, delayMs } = nextReadinessLook(ctx, release);
  await ctx.jobs.add('readiness-check', { releaseId: release.id, look }, { delayMs });
}

