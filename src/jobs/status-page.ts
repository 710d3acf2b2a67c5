import { UnrecoverableError } from 'bullmq';
import { isReleaseDay } from '../domain/release.js';
import type { StatusPageCall } from '../integrations/database/status-page-calls.js';
import type { Release } from '../integrations/database/release-store.js';
import type { ReleasePlanRow } from '../integrations/database/schema.js';
import { StatusPageRefusedError, StatusPageUnavailableError, type ComponentStatus, type IncidentChange, type NewIncident, type PageIncident } from '../integrations/status-page.js';
import { announcementFromPlan } from '../messages/checklist.js';
import {
  announcementBody,
  cancelledBody,
  inProgressBody,
  maintenanceName,
  movedBody,
  notReleasedBody,
  releasedBody,
  rollbackBody,
  rollbackIncidentName,
  rollbackNotCompletedBody,
  rolledBackBody,
  unannouncedMaintenanceName,
} from '../messages/status-page.js';
import type { JobContext } from './context.js';
import { howReleaseWasVerified } from './how-verified.js';
import type { JobPayloads } from './queue.js';
import { knownProductionTouch } from './production-touched.js';
import { planPostKeys } from '../services/plan-checklists.js';

export type StatusPageEvent = JobPayloads['status-page']['event'];

/** Which policy switch (`communication.statusPage.events`) each moment answers to; closing a maintenance always may. */
const SWITCH: Record<StatusPageEvent, 'announcement' | 'inProgress' | 'complete' | 'rollback' | undefined> = {
  announced: 'announcement',
  moved: 'announcement',
  cancelled: 'announcement',
  started: 'inProgress',
  completed: 'complete',
  ended: undefined,
  rollback_started: 'rollback',
  rolled_back: 'rollback',
  rollback_failed: 'rollback',
};

function enabled(ctx: Pick<JobContext, 'statusPage' | 'policy'>, event: StatusPageEvent): boolean {
  const policy = ctx.policy.communication.statusPage;
  const needs = SWITCH[event];
  return Boolean(ctx.statusPage) && policy.enabled && (needs === undefined || policy.events.includes(needs));
}

/** Queues the status page's part of a moment of the release (when a page is configured and the policy wants it). */
export async function tellStatusPage(ctx: Pick<JobContext, 'statusPage' | 'policy' | 'jobs'>, event: StatusPageEvent, ids: Omit<JobPayloads['status-page'], 'event'>): Promise<void> {
  if (enabled(ctx, event)) await ctx.jobs.add('status-page', { event, ...ids });
}

/** The maintenance of a version (announced for the plan, or opened at T-0) and the rollback incident, by call. */
const keys = {
  maintenance: (version: string, step: 'create' | 'in_progress' | 'completed' | 'ended' | 'cancelled' | `moved:${number}`) => `maintenance:${version}:${step}`,
  rollback: (version: string, at: number, step: 'create' | 'resolved' | 'not_completed') => `rollback:${version}:${at}:${step}`,
  /** Where a cancelled plan's calls are filed, so that its version is free for a new maintenance. */
  retired: (planId: string) => `plan:${planId}:`,
};

/** A call whose earlier answer was lost is not made again until it could no longer land: the job tries later. */
class AnswerPending extends Error {
  override name = 'AnswerPending';
}

/**
 * One moment of a release on the status page, each call exactly once: the call is claimed in Postgres
 * before it is made, and its incident's id stored from the answer. A call whose answer was lost (a timeout,
 * a reset, a 5xx) is looked for on the page (by tminus's key, kept in the incident's metadata) before it is
 * made again. An unreachable page is retried by the queue and never holds up the release.
 */
export async function statusPageJob(ctx: JobContext, data: JobPayloads['status-page']): Promise<void> {
  if (!ctx.statusPage || !ctx.policy.communication.statusPage.enabled) return;
  try {
    await handle(ctx, data);
  } catch (error) {
    if (error instanceof StatusPageRefusedError) throw new UnrecoverableError(error.message);
    throw error;
  }
}

async function handle(ctx: JobContext, data: JobPayloads['status-page']): Promise<void> {
  if (data.event === 'moved' || data.event === 'cancelled') {
    const plan = data.planId ? await ctx.releasePlans.findById(data.planId) : undefined;
    if (!plan || data.eventId === undefined) return;
    return data.event === 'moved' ? moved(ctx, plan, data.eventId) : cancelled(ctx, plan);
  }
  if (data.event === 'announced') {
    const plan = data.planId ? await ctx.releasePlans.findById(data.planId) : undefined;
    if (!plan || plan.state !== 'planned') return;
    const until = new Date(plan.plannedAt.getTime() + ctx.policy.deploy.completeAt);
    await ensureIncident(ctx, keys.maintenance(plan.version, 'create'), { planId: plan.id }, {
      name: maintenanceName(plan.version, plan.plannedAt),
      status: 'scheduled',
      body: announcementBody(announcementFromPlan(plan, ctx.policy, 'customers')),
      impact: 'maintenance',
      scheduled: { from: plan.plannedAt, until, remindPrior: true, autoInProgress: false, autoCompleted: false },
      components: components(ctx, 'operational'),
    });
    return;
  }
  const release = data.releaseId ? await ctx.store.findById(data.releaseId) : undefined;
  if (!release) return;
  switch (data.event) {
    case 'started':
      return started(ctx, release);
    case 'completed':
      return completed(ctx, release);
    case 'ended':
      return ended(ctx, release);
    case 'rollback_started':
    case 'rolled_back':
    case 'rollback_failed':
      return rollback(ctx, release, data.event, data.rollbackAt);
  }
}

/**
 * The maintenance announced for this plan, once its create is known to have landed; undefined when the
 * page has none for it (never announced, turned away, or the version's maintenance is another's).
 */
async function plannedMaintenance(ctx: JobContext, plan: ReleasePlanRow): Promise<string | undefined> {
  const { page, calls } = ctx.statusPage!;
  const key = keys.maintenance(plan.version, 'create');
  const create = await calls.find(key);
  if (!create || create.planId !== plan.id) return undefined;
  if (create.outcome === 'done') return create.incidentId;
  if (create.outcome !== 'claimed') return undefined;
  const found = await page.findByKey(key, create.name ?? maintenanceName(plan.version, plan.plannedAt));
  if (found) {
    await calls.settle(key, create.claimedAt, { outcome: 'done', incidentId: found.id });
    return found.id;
  }
  waitForLostAnswer(ctx, create, key);
  return undefined;
}

/** `/release plan move`: the announced maintenance takes the new name and window, and says it moved. */
async function moved(ctx: JobContext, plan: ReleasePlanRow, eventId: number): Promise<void> {
  if (plan.state !== 'planned' && plan.state !== 'drafting') return;
  const event = await ctx.releasePlans.planEvent(eventId);
  // A move overtaken by a later one is left to that one's job: the page only ever shows the current window.
  if (event?.action !== 'plan.moved' || Date.parse(String(event.details.to)) !== plan.plannedAt.getTime()) return;
  const id = await plannedMaintenance(ctx, plan);
  if (!id) return;
  const from = new Date(String(event.details.from));
  const until = new Date(plan.plannedAt.getTime() + ctx.policy.deploy.completeAt);
  await ensureUpdate(
    ctx,
    { planId: plan.id },
    keys.maintenance(plan.version, `moved:${eventId}`),
    id,
    { status: 'scheduled', name: maintenanceName(plan.version, plan.plannedAt), body: movedBody(plan.version, from, plan.plannedAt, until), scheduled: { from: plan.plannedAt, until } },
    (incident) => incident.scheduledFor != null && Date.parse(incident.scheduledFor) === plan.plannedAt.getTime(),
  );
}

/**
 * `/release plan cancel`: the announced maintenance is completed with a note (Statuspage has no cancelled
 * status, and deleting it would leave subscribers told of it none the wiser); then the plan's calls are
 * filed away, so that the version planned or started again opens a maintenance of its own.
 */
async function cancelled(ctx: JobContext, plan: ReleasePlanRow): Promise<void> {
  if (plan.state !== 'cancelled') return;
  const id = await plannedMaintenance(ctx, plan);
  if (id) {
    await ensureUpdate(ctx, { planId: plan.id }, keys.maintenance(plan.version, 'cancelled'), id, {
      status: 'completed',
      body: cancelledBody(plan.version, plan.plannedAt),
      components: components(ctx, 'operational'),
    });
  }
  const create = await ctx.statusPage!.calls.find(keys.maintenance(plan.version, 'create'));
  if (create?.planId === plan.id) await ctx.statusPage!.calls.retire(`maintenance:${plan.version}:`, keys.retired(plan.id));
}

/** T-0: the announced maintenance moves to in progress; a release nobody announced opens one in progress. */
async function started(ctx: JobContext, release: Release): Promise<void> {
  const calls = await ctx.statusPage!.calls.under(`maintenance:${release.version}:`);
  if (calls.has('completed') || calls.has('ended')) return;
  const created = await ensureIncident(ctx, keys.maintenance(release.version, 'create'), { releaseId: release.id }, inProgressMaintenance(ctx, release));
  if (created.call.status === 'in_progress') return audit(ctx, { releaseId: release.id }, 'in_progress', created.id);
  await ensureUpdate(ctx, { releaseId: release.id }, keys.maintenance(release.version, 'in_progress'), created.id, {
    status: 'in_progress',
    body: inProgressBody(release.version, release.startedAt, new Date(release.startedAt.getTime() + ctx.policy.deploy.completeAt)),
    components: components(ctx, 'under_maintenance'),
  });
}

/** T+90, "Status page update: ✅ Released": the maintenance is completed. */
async function completed(ctx: JobContext, release: Release): Promise<void> {
  const created = await ensureIncident(ctx, keys.maintenance(release.version, 'create'), { releaseId: release.id }, inProgressMaintenance(ctx, release));
  const verified = await howReleaseWasVerified(ctx, release.id);
  await ensureUpdate(ctx, { releaseId: release.id }, keys.maintenance(release.version, 'completed'), created.id, {
    status: 'completed',
    body: releasedBody(release.version, release.completedAt ?? release.finishedAt ?? ctx.clock(), ctx.policy.communication.supportContact, verified),
    components: components(ctx, 'operational'),
  });
}

/** A release that failed or was aborted closes its maintenance (when it has one) saying what became of it. */
async function ended(ctx: JobContext, release: Release): Promise<void> {
  const calls = await ctx.statusPage!.calls.under(`maintenance:${release.version}:`);
  if (!calls.has('create') || calls.has('completed')) return;
  const created = await ensureIncident(ctx, keys.maintenance(release.version, 'create'), { releaseId: release.id }, inProgressMaintenance(ctx, release));
  const touched = (await knownProductionTouch(ctx, release)).touch !== 'untouched';
  const how = release.state === 'rolled_back' ? 'rolled_back' : touched ? 'failed' : release.state === 'aborted' ? 'aborted' : 'stopped';
  await ensureUpdate(ctx, { releaseId: release.id }, keys.maintenance(release.version, 'ended'), created.id, {
    status: 'completed',
    body: notReleasedBody(release.version, how, release.rollback?.toVersion),
    components: components(ctx, 'operational'),
  });
}

/** The Rollback Notice as an incident ("What happened" in plain words), resolved once rolled back. */
async function rollback(ctx: JobContext, release: Release, event: 'rollback_started' | 'rolled_back' | 'rollback_failed', at: number | undefined): Promise<void> {
  const details = release.rollback;
  if (!details || (at !== undefined && Date.parse(details.startedAt) !== at)) return;
  const startedAt = new Date(details.startedAt);
  const detectedAt = details.detectedAt ? new Date(details.detectedAt) : startedAt;
  const key = (step: 'create' | 'resolved' | 'not_completed') => keys.rollback(release.version, startedAt.getTime(), step);
  const created = await ensureIncident(ctx, key('create'), { releaseId: release.id }, {
    name: rollbackIncidentName(release.version, details.toVersion),
    status: 'identified',
    impact: 'major',
    body: rollbackBody({
      version: release.version,
      toVersion: details.toVersion,
      ...(details.whatHappened ? { whatHappened: details.whatHappened } : {}),
      startedAt,
      expectedAt: new Date(Math.max(detectedAt.getTime() + ctx.policy.rollback.timeLimit, startedAt.getTime())),
      ...(ctx.policy.communication.supportContact ? { supportContact: ctx.policy.communication.supportContact } : {}),
    }),
    components: components(ctx, 'degraded_performance'),
  });
  if (event === 'rollback_failed' && details.gaveUp && release.state === 'failed') {
    // Not resolved, not silent: the incident stays identified and says a person is restoring service.
    const body = rollbackNotCompletedBody(release.version, details.toVersion);
    await ensureUpdate(ctx, { releaseId: release.id }, key('not_completed'), created.id, { status: 'identified', body }, (incident) => incident.lastUpdate === body);
    await ended(ctx, release);
    return;
  }
  if (event !== 'rolled_back' || !details.restoredAt) return;
  await ensureUpdate(ctx, { releaseId: release.id }, key('resolved'), created.id, { status: 'resolved', body: rolledBackBody(details.toVersion, new Date(details.restoredAt)), components: components(ctx, 'operational') });
  // A maintenance still open (rolled back during release day) closes saying so.
  await ended(ctx, release);
}

function inProgressMaintenance(ctx: JobContext, release: Release): Omit<NewIncident, 'key'> {
  const until = new Date(release.startedAt.getTime() + ctx.policy.deploy.completeAt);
  return {
    name: unannouncedMaintenanceName(release.version),
    status: 'in_progress',
    impact: 'maintenance',
    body: inProgressBody(release.version, release.startedAt, until),
    scheduled: { from: release.startedAt, until, remindPrior: false, autoInProgress: false, autoCompleted: false },
    components: components(ctx, 'under_maintenance'),
  };
}

function components(ctx: JobContext, status: ComponentStatus): Record<string, ComponentStatus> {
  return Object.fromEntries(ctx.policy.communication.statusPage.componentIds.map((id) => [id, status]));
}

/**
 * Creates the incident under `key` once: claimed first; a claim whose answer was lost is looked for on
 * the page, and made again only when it is not there once it could no longer land.
 */
async function ensureIncident(ctx: JobContext, key: string, owner: { releaseId?: string; planId?: string }, spec: Omit<NewIncident, 'key'>): Promise<{ id: string; call: StatusPageCall }> {
  const { page, calls } = ctx.statusPage!;
  const earlier = await calls.find(key);
  if (earlier?.outcome === 'done') return { id: earlier.incidentId!, call: earlier };
  if (earlier?.outcome === 'refused') throw new StatusPageRefusedError(`the status page refused this before: ${earlier.error ?? ''}`, 400);
  if (earlier?.outcome === 'claimed') {
    const found = await page.findByKey(key, earlier.name ?? spec.name);
    if (found) {
      await calls.settle(key, earlier.claimedAt, { outcome: 'done', incidentId: found.id });
      await auditOwner(ctx, owner, key, found.id, 'found after a lost answer');
      return { id: found.id, call: { ...earlier, outcome: 'done', incidentId: found.id } };
    }
    waitForLostAnswer(ctx, earlier, key);
  }
  const now = ctx.clock();
  const claim: StatusPageCall = { claimedAt: now.toISOString(), attempts: (earlier?.attempts ?? 0) + 1, outcome: 'claimed', name: spec.name, status: spec.status, ...owner };
  if (!(await calls.claim(key, earlier, claim))) throw new AnswerPending(`status page call ${key} was claimed by another job`);
  try {
    const incident = await page.create({ ...spec, key });
    await calls.settle(key, claim.claimedAt, { outcome: 'done', incidentId: incident.id });
    await auditOwner(ctx, owner, key, incident.id);
    return { id: incident.id, call: { ...claim, outcome: 'done', incidentId: incident.id } };
  } catch (error) {
    await settleFailure(ctx, key, claim, error);
    throw error;
  }
}

/**
 * Moves the incident on once (`key`): a claim whose answer was lost is read back from the page first, and
 * counts as landed when `landed` says so of the page's incident (by default: it has the new status).
 */
async function ensureUpdate(
  ctx: JobContext,
  owner: { releaseId?: string; planId?: string },
  key: string,
  incidentId: string,
  change: IncidentChange,
  landed: (incident: PageIncident) => boolean = (incident) => incident.status === change.status,
): Promise<void> {
  const { page, calls } = ctx.statusPage!;
  const earlier = await calls.find(key);
  if (earlier?.outcome === 'done' || earlier?.outcome === 'refused') return;
  if (earlier?.outcome === 'claimed') {
    const incident = await page.get(incidentId);
    if (incident && landed(incident)) {
      await calls.settle(key, earlier.claimedAt, { outcome: 'done', incidentId });
      return audit(ctx, owner, change.status, incidentId);
    }
    waitForLostAnswer(ctx, earlier, key);
  }
  const claim: StatusPageCall = { claimedAt: ctx.clock().toISOString(), attempts: (earlier?.attempts ?? 0) + 1, outcome: 'claimed', status: change.status, incidentId, ...owner };
  if (!(await calls.claim(key, earlier, claim))) throw new AnswerPending(`status page call ${key} was claimed by another job`);
  try {
    await page.update(incidentId, change);
  } catch (error) {
    await settleFailure(ctx, key, claim, error);
    throw error;
  }
  await calls.settle(key, claim.claimedAt, { outcome: 'done' });
  await audit(ctx, owner, change.status, incidentId);
}

function waitForLostAnswer(ctx: JobContext, earlier: StatusPageCall, key: string): void {
  const age = ctx.clock().getTime() - Date.parse(earlier.claimedAt);
  if (age < ctx.statusPage!.page.answerLostAfterMs) throw new AnswerPending(`the answer to status page call ${key} was lost ${Math.round(age / 1000)} s ago; looking again before calling again`);
}

async function settleFailure(ctx: JobContext, key: string, claim: StatusPageCall, error: unknown): Promise<void> {
  const calls = ctx.statusPage!.calls;
  if (error instanceof StatusPageRefusedError) await calls.settle(key, claim.claimedAt, { outcome: 'refused', error: error.message });
  else if (error instanceof StatusPageUnavailableError && !error.maybeProcessed) await calls.settle(key, claim.claimedAt, { outcome: 'not_sent' });
}

/** A release's page calls are in its audit log; a plan's (no release yet) are kept by their claims alone. */
async function audit(ctx: JobContext, owner: { releaseId?: string }, status: string, incidentId: string): Promise<void> {
  if (owner.releaseId) await ctx.store.audit(owner.releaseId, 'status_page.updated', { status, incidentId, page: ctx.statusPage!.page.label });
}

async function auditOwner(ctx: JobContext, owner: { releaseId?: string }, key: string, incidentId: string, how?: string): Promise<void> {
  if (owner.releaseId) await ctx.store.audit(owner.releaseId, 'status_page.created', { key, incidentId, page: ctx.statusPage!.page.label, ...(how ? { how } : {}) });
}

/**
 * What the reconciler queues again for a release whose page is behind its state (a job lost with Redis's
 * data, or one that gave up while the page was down): the calls its state needs that are not done.
 */
export async function ensureStatusPage(ctx: JobContext, release: Release): Promise<void> {
  if (!ctx.statusPage) return;
  const maintenance = await ctx.statusPage.calls.under(`maintenance:${release.version}:`);
  const pending = (call: StatusPageCall | undefined) => call === undefined || (call.outcome !== 'done' && call.outcome !== 'refused');
  const want = async (event: StatusPageEvent, extra: { rollbackAt?: number } = {}) => {
    if (enabled(ctx, event)) await ctx.jobs.ensure('status-page', { event, releaseId: release.id, ...extra });
  };
  const create = maintenance.get('create');
  const closed = maintenance.has('completed') || maintenance.has('ended');
  if (release.state === 'completed' || release.state === 'stable') {
    if (pending(maintenance.get('completed')) && !maintenance.has('ended')) await want('completed');
  } else if (isReleaseDay(release.state) && release.state !== 'started' && !closed) {
    const inProgress = create?.status === 'in_progress' ? create : maintenance.get('in_progress');
    if (pending(create) || pending(inProgress)) await want('started');
  } else if ((release.state === 'failed' || release.state === 'aborted') && create && pending(maintenance.get('ended')) && !maintenance.has('completed')) {
    await want('ended');
  }
  if (release.rollback) {
    const at = Date.parse(release.rollback.startedAt);
    const incident = await ctx.statusPage.calls.under(`rollback:${release.version}:${at}:`);
    if (pending(incident.get('create'))) await want('rollback_started', { rollbackAt: at });
    if (release.state === 'rolled_back' && (pending(incident.get('create')) || pending(incident.get('resolved')))) await want('rolled_back', { rollbackAt: at });
    if (release.state === 'failed' && release.rollback.gaveUp && pending(incident.get('not_completed'))) await want('rollback_failed', { rollbackAt: at });
  }
}

/** A planned release announced in #releases whose maintenance is not on the page yet. */
export async function ensureAnnouncedOnStatusPage(ctx: JobContext, plan: { id: string; version: string }): Promise<void> {
  if (!ctx.statusPage || !enabled(ctx, 'announced')) return;
  const create = await ctx.statusPage.calls.find(keys.maintenance(plan.version, 'create'));
  if (create?.outcome === 'done' || create?.outcome === 'refused') return;
  await ctx.jobs.ensure('status-page', { event: 'announced', planId: plan.id });
}

/** The reconciler's pass: releases not over or ended within a day, and announced plans, whose page is behind. */
export async function reconcileStatusPage(ctx: JobContext, open: readonly Release[], now: Date): Promise<void> {
  if (!ctx.statusPage || !ctx.policy.communication.statusPage.enabled) return;
  const since = new Date(now.getTime() - 24 * 3_600_000);
  const ended = await Promise.all((['completed', 'stable', 'failed', 'aborted', 'rolled_back'] as const).map((state) => ctx.store.endedSince(state, since)));
  for (const release of [...open, ...ended.flat()]) await ensureStatusPage(ctx, release);
  for (const plan of (await ctx.plans?.planned()) ?? []) {
    if (await ctx.posts.tsOf(planPostKeys.announcement(plan.id, 'releases'))) await ensureAnnouncedOnStatusPage(ctx, plan);
  }
}
