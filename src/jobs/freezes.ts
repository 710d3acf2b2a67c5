import { freezesInForce, type FreezeInForce } from '../domain/freezes.js';
import type { FreezeFacts, Waiver } from '../domain/readiness.js';
import type { Release } from '../integrations/database/release-store.js';
import type { FreezeRow } from '../integrations/database/schema.js';
import { DatadogUnavailableError } from '../integrations/datadog.js';
import { StatusPageRefusedError, StatusPageUnavailableError } from '../integrations/status-page.js';
import { dateAndTime, escape, mention } from '../messages/format.js';
import type { JobContext } from './context.js';

type Found = { inForce: FreezeFacts['inForce']; unknown: string[] };

/** The ad-hoc freezes in force, as the domain reads them. */
export function adHocFreezes(rows: readonly FreezeRow[]) {
  return rows.map((r) => ({ reason: r.reason, by: r.createdBy, from: r.createdAt, until: r.until }));
}

/** "Friday release freeze (until 2026-12-11 18:00 UTC)", escaped: what a person wrote never reaches Slack raw. */
export function shownFreeze(ctx: Pick<JobContext, 'policy'>, freeze: FreezeInForce): FreezeFacts['inForce'][number] {
  const by = freeze.by ? ` (frozen by ${mention(freeze.by)})` : '';
  const until = freeze.until ? dateAndTime(freeze.until, ctx.policy.timezone) : 'unfrozen';
  return { reason: `${escape(freeze.reason)}${by}`, until: freeze.by && freeze.until ? `${until}, or unfrozen` : until };
}

/** `freezeWhile.monitors`: the named Datadog monitors alerting now. Datadog unread is not taken as quiet. */
async function monitorFreezes(ctx: JobContext, release: Release, found: Found): Promise<void> {
  const names = ctx.policy.freezeWhile.monitors;
  if (names.length === 0) return;
  if (!ctx.observability) {
    found.unknown.push('Datadog is not configured (DD_API_KEY), so the monitors of `freezeWhile.monitors` cannot be read');
    return;
  }
  try {
    const alerting = (await ctx.observability.alertingMonitors()).filter((m) => names.includes(m.name));
    for (const m of alerting) found.inForce.push({ reason: `the Datadog monitor "${escape(m.name)}" is alerting`, until: 'it recovers' });
  } catch (error) {
    if (!(error instanceof DatadogUnavailableError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error.message }, 'freezes: could not read the monitors');
    found.unknown.push('Datadog could not be asked whether the monitors of `freezeWhile.monitors` alert');
  }
}

/** `freezeWhile.statusPageIncident`: an open incident on the status page (a maintenance is not one). */
async function incidentFreezes(ctx: JobContext, release: Release, found: Found): Promise<void> {
  if (!ctx.policy.freezeWhile.statusPageIncident) return;
  if (!ctx.statusPage) {
    found.unknown.push('no status page is configured (STATUSPAGE_API_KEY), so `freezeWhile.statusPageIncident` cannot be read');
    return;
  }
  try {
    const open = (await ctx.statusPage.page.unresolvedIncidents()).filter((i) => !i.scheduledFor);
    for (const i of open) found.inForce.push({ reason: `the status page incident "${escape(i.name)}" is open (${i.status})`, until: 'it is resolved' });
  } catch (error) {
    if (!(error instanceof StatusPageUnavailableError || error instanceof StatusPageRefusedError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error.message }, 'freezes: could not read the status page');
    found.unknown.push(`${ctx.statusPage.page.label} could not be asked for open incidents`);
  }
}

/** The deploy freezes that hold `release` now: the policy's, the ad-hoc ones, and the automatic ones. */
export async function readFreezes(ctx: JobContext, release: Release, waived?: Waiver): Promise<FreezeFacts> {
  const adHoc = adHocFreezes(await ctx.freezes.inForce());
  const inForce = freezesInForce({ policy: ctx.policy.freezes, adHoc, type: release.type, at: ctx.clock(), zone: ctx.policy.timezone });
  const found: Found = { inForce: inForce.map((f) => shownFreeze(ctx, f)), unknown: [] };
  // The emergency lane: an alert or an incident is what a hotfix is for.
  if (release.type !== 'hotfix') {
    await monitorFreezes(ctx, release, found);
    await incidentFreezes(ctx, release, found);
  }
  return { ...found, ...(waived ? { waived } : {}) };
}
