import { describeGate, gateStatus } from '../domain/approvals.js';
import { nextSlots } from '../domain/calendar.js';
import { checklistItems, missingItems } from '../domain/checklist.js';
import { allowedBy, mayDo } from '../domain/permissions.js';
import { checklistsDue, planEvents, type ChecklistKey } from '../domain/plan-schedule.js';
import type { Policy, RoleName } from '../domain/policy.js';
import type { AppHomeStore, ReleaseOutcome } from '../integrations/database/app-home-store.js';
import type { PlanScheduleStore } from '../integrations/database/plan-schedule-store.js';
import type { Release } from '../integrations/database/release-store.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import type { GateMessageInput } from '../messages/approval-gate.js';
import { scheduleMessage } from '../messages/schedule.js';
import type { SlackMessage } from '../messages/types.js';
import { checkDecider, gateRule, type ApprovalDeps } from './approvals.js';
import { doraSummary, thisMonth, type DoraSummary } from './dora.js';
import type { DoraReader } from '../integrations/database/dora-records.js';
import type { FreezeStore } from '../integrations/database/freeze-store.js';
import { scheduleFreezes } from './freeze.js';

/** Homes of people who have not opened theirs for this long are no longer kept up to date. */
export const HOME_VIEWER_WINDOW_MS = 30 * 24 * 3_600_000;
const LAST_RELEASES = 10;
/** Releases shown with their progress: the one in flight, and one waiting for approval next to it. */
const OPEN_RELEASES_SHOWN = 2;

export interface AppHomeDeps extends ApprovalDeps {
  policy: Policy;
  home: AppHomeStore;
  /** Planned releases' checklists; absent in a process without the scheduler's stores. */
  plans?: PlanScheduleStore;
  /** The release's top message as #releases shows it (the progress view, or the hotfix checklist). */
  progress: (release: Release) => Promise<SlackMessage>;
  /** DORA's records (`doraSummary`): this month's figures. */
  dora?: DoraReader;
  /** Ad-hoc deploy freezes: the Home's schedule shows the ones in force. */
  freezes?: FreezeStore;
}

/** An open gate the viewer may decide now. */
export interface HomeGate extends Pick<GateMessageInput, 'releaseId' | 'gateId' | 'kind' | 'version' | 'type' | 'needs' | 'counted' | 'needed'> {
  /** A hotfix's approval waits for "developed + tested": an Approve is refused until then. */
  waitingForTest: boolean;
}

/** Items of a pre-release checklist that are due, not ticked, and assigned to the viewer's roles. */
export interface HomeChecklist {
  planId: string;
  version: string;
  key: ChecklistKey;
  title: string;
  plannedAt: Date;
  items: { id: string; section: number; text: string }[];
}

/** A step of an open hotfix, past its deadline, that the viewer may tick. */
export interface HomeHotfixStep {
  releaseId: string;
  version: string;
  step: string;
  label: string;
  dueAt: Date;
}

/** What one person's Home shows, read from Postgres at one moment. */
export interface HomeContent {
  userId: string;
  roles: RoleName[];
  gates: HomeGate[];
  checklists: HomeChecklist[];
  overdueSteps: HomeHotfixStep[];
  open: { version: string; progress: SlackMessage }[];
  schedule: SlackMessage;
  lastReleases: ReleaseOutcome[];
  /** This month's DORA figures and their bands; undefined when they could not be read. */
  dora: Pick<DoraSummary, 'window' | 'figures' | 'bands'> | undefined;
  now: Date;
  timeZone: string;
}

/** `app_home_opened`: remember who looks (and when), and publish their Home. */
export async function homeOpened(deps: { home: AppHomeStore; jobs: ReleaseJobs; clock: () => Date }, userId: string): Promise<void> {
  await deps.home.opened(userId, deps.clock());
  await deps.jobs.add('app-home', { userId }, { delayMs: 0 });
}

/** The people whose Home is kept up to date: those who opened it within the last 30 days. */
export async function homeViewers(deps: { home: AppHomeStore; clock: () => Date }): Promise<string[]> {
  const since = new Date(deps.clock().getTime() - HOME_VIEWER_WINDOW_MS);
  return (await deps.home.viewers(since)).map((v) => v.userId);
}

/** Everything `userId`'s Home shows: what needs them now, the release in flight, what comes, what was. */
export async function homeFor(deps: AppHomeDeps, userId: string): Promise<HomeContent> {
  const now = deps.clock();
  const roles = await deps.roles.rolesOf(userId);
  const open = await deps.store.open();
  const [gates, checklists, lastReleases, schedule, dora] = await Promise.all([
    gatesFor(deps, userId),
    checklistsFor(deps, userId, roles, now),
    deps.home.lastReleases(LAST_RELEASES),
    scheduleFor(deps, now),
    doraThisMonth(deps, now),
  ]);
  const shown = open.slice(0, OPEN_RELEASES_SHOWN);
  return {
    userId,
    roles,
    gates,
    checklists,
    overdueSteps: overdueStepsFor(deps.policy, open, userId, roles, now),
    open: await Promise.all(shown.map(async (release) => ({ version: release.version, progress: await deps.progress(release) }))),
    schedule,
    lastReleases,
    dora,
    now,
    timeZone: deps.policy.timezone,
  };
}

/** Open gates the viewer may decide now, by the same check a click on Approve goes through. */
async function gatesFor(deps: AppHomeDeps, userId: string): Promise<HomeGate[]> {
  const found: HomeGate[] = [];
  for (const { id, releaseId } of await deps.home.openGates()) {
    const check = await checkDecider(deps, { gateId: id, releaseId }, userId);
    if (!check.ok) continue;
    const rule = gateRule(check.gate);
    const decisions = await deps.gates.decisions(check.gate.id);
    const status = gateStatus(rule, decisions.filter((d) => d.decision === 'approved').map((d) => ({ userId: d.userId, roles: d.roles as RoleName[] })), check.release.requestedBy);
    found.push({
      releaseId: check.release.id,
      gateId: check.gate.id,
      kind: check.gate.kind,
      version: check.release.version,
      type: check.release.type,
      needs: describeGate(rule),
      counted: status.counted,
      needed: status.needed,
      waitingForTest: check.gate.kind === 'release' && check.release.type === 'hotfix' && !check.release.hotfix?.steps.hotfixTested,
    });
  }
  return found;
}

/**
 * Items of the checklists due for planned releases that nobody ticked and that name one of the viewer's
 * roles (an item's own `roles`, else `permissions.checklist`). Items anyone may tick are nobody's in particular.
 */
async function checklistsFor(deps: AppHomeDeps, userId: string, roles: RoleName[], now: Date): Promise<HomeChecklist[]> {
  if (!deps.plans) return [];
  const found: HomeChecklist[] = [];
  for (const plan of await deps.plans.planned()) {
    const due = checklistsDue(planEvents(deps.policy, plan), now);
    if (due.length === 0) continue;
    const ticks = await deps.plans.ticks(plan.id);
    for (const key of due) {
      const spec = deps.policy.checklists[key];
      const mine = missingItems(checklistItems(spec, plan.version), ticks, key).filter((item) => {
        const allowed = allowedBy(deps.policy, 'checklist', item.roles ? { itemRoles: item.roles } : {});
        return allowed !== 'anyone' && mayDo(deps.policy, 'checklist', roles, { userId, ...(item.roles ? { itemRoles: item.roles } : {}) }).ok;
      });
      if (mine.length > 0) found.push({ planId: plan.id, version: plan.version, key, title: spec.title, plannedAt: plan.plannedAt, items: mine.map((i) => ({ id: i.id, section: i.section, text: i.text })) });
    }
  }
  return found;
}

/** Steps of open hotfixes past their deadline (counted from detection) that the viewer may tick with a button. */
function overdueStepsFor(policy: Policy, open: Release[], userId: string, roles: RoleName[], now: Date): HomeHotfixStep[] {
  return open.flatMap((release) => {
    if (release.type !== 'hotfix' || !release.hotfix) return [];
    const may = userId === release.requestedBy || mayDo(policy, 'hotfix', roles, { userId, subject: release.version }).ok;
    if (!may) return [];
    const detected = release.hotfix.detectedAt ? Date.parse(release.hotfix.detectedAt) : release.requestedAt.getTime();
    return policy.releaseTypes.hotfix.steps
      // The approval is the gate's (shown with the gates), never a step's button.
      .filter((s) => s.key !== 'hotfixApproved' && !release.hotfix!.steps[s.key] && detected + s.within < now.getTime())
      .map((s) => ({ releaseId: release.id, version: release.version, step: s.key, label: s.label, dueAt: new Date(detected + s.within) }));
  });
}

/** The next slots of the cadence and the releases planned in them, as `/release schedule` shows them. */
async function scheduleFor(deps: AppHomeDeps, now: Date): Promise<SlackMessage> {
  const slots = [...nextSlots(deps.policy, 'minor', now, 2), ...nextSlots(deps.policy, 'major', now, 1)].sort((a, b) => a.at.getTime() - b.at.getTime());
  const patch = deps.policy.releaseTypes.patch.cadence;
  const rules = [patch.kind === 'asNeeded' ? `Patches: as needed, at most ${patch.maxPerWeek} a week.` : '', 'Hotfixes: on demand (`/release hotfix`).'].filter(Boolean);
  const freezes = deps.freezes ? await scheduleFreezes({ freezes: deps.freezes, policy: deps.policy, clock: deps.clock }) : undefined;
  return scheduleMessage({ slots, plans: await deps.store.upcomingPlans(), rules, timeZone: deps.policy.timezone, ...(freezes ? { freezes } : {}) });
}

/** This calendar month's DORA figures, from tminus's own records; a failure to read them is not the Home's failure. */
async function doraThisMonth(deps: AppHomeDeps, now: Date): Promise<HomeContent['dora']> {
  const records = deps.dora;
  if (!records) return undefined;
  return doraSummary({ dora: records, policy: deps.policy, clock: deps.clock }, thisMonth(now, deps.policy.timezone)).catch(() => undefined);
}
