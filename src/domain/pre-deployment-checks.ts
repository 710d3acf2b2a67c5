/**
 * The guide's T+60 "Pre-deployment Checks" (final go/no-go, stakeholders ready, support standing by,
 * monitoring active), as part of the production gate: the gate is met when its approvals and every check
 * hold, whichever comes last. Pure: people arrive with the roles they hold, Datadog's answer as data.
 */
import { ROLE_LABELS, type GateStatus } from './approvals.js';
import type { PermissionSubject, Policy, PreDeploymentCheck, RoleName } from './policy.js';
import type { ReleaseType } from './version.js';

/** What tminus read from Datadog for an `auto: monitors` check that it did not tick. */
export type MonitoringReading = 'alerting' | 'unreadable';

/** A check's row: ticked (who, when, evidence), or for tminus's own check its last reading. */
export interface CheckRecord {
  item: string;
  tickedBy: string | null;
  tickedAt: Date | null;
  evidence: string | null;
  reading: MonitoringReading | null;
  readAt: Date | null;
}

/** The checks a release's production gate holds: none for a type left out, or when the policy lists none. */
export function preDeploymentChecksFor(policy: Policy, type: ReleaseType): PreDeploymentCheck[] {
  const checks = policy.preDeploymentChecks;
  const types = checks.appliesTo ?? policy.productionApproval.appliesTo;
  return types.includes(type) ? checks.items : [];
}

/** The monitors tminus reads for `auto: monitors`: the check's own list, else the freeze's. */
export function watchedMonitors(policy: Policy): string[] {
  return policy.preDeploymentChecks.monitors.length > 0 ? policy.preDeploymentChecks.monitors : policy.freezeWhile.monitors;
}

/** Whether tminus can tell "Monitoring active" itself: Datadog is configured and is the policy's verification source. */
export function monitoringByTminus(policy: Policy, datadogConfigured: boolean): boolean {
  return datadogConfigured && policy.verification.source === 'datadog';
}

/** Why tminus does not tick `auto: monitors` checks itself, when it does not. */
export function whyNotByTminus(policy: Policy, datadogConfigured: boolean): string | undefined {
  if (!datadogConfigured) return 'Datadog is not configured (DD_API_KEY), so tminus cannot read the monitors';
  if (policy.verification.source !== 'datadog') return `\`verification.source\` is ${policy.verification.source}, so tminus does not read Datadog for this`;
  return undefined;
}

export type MonitoringVerdict = { clear: true; evidence: string } | { clear: false; reading: MonitoringReading; evidence: string };

/**
 * Datadog's answer for "Monitoring active": the monitors watched must not alert. `alerting` is the list of
 * monitors Datadog says alert; undefined when Datadog could not be read (never taken as quiet).
 */
export function monitoringVerdict(watched: readonly string[], alerting: readonly { name: string }[] | undefined): MonitoringVerdict {
  if (!alerting) {
    return { clear: false, reading: 'unreadable', evidence: 'Datadog could not be read: a person may tick it, or tminus ticks it once Datadog answers' };
  }
  if (watched.length === 0) return { clear: true, evidence: 'Datadog answers; no monitor is named in preDeploymentChecks.monitors or freezeWhile.monitors' };
  const firing = alerting.filter((m) => watched.includes(m.name)).map((m) => m.name);
  const named = firing.map((n) => `"${n}"`).join(', ');
  if (firing.length > 0) return { clear: false, reading: 'alerting', evidence: `Datadog: ${named} ${firing.length === 1 ? 'is' : 'are'} alerting` };
  return { clear: true, evidence: `Datadog: none of ${watched.map((n) => `"${n}"`).join(', ')} alerting` };
}

/** The checks not ticked yet. */
export function missingChecks(items: readonly PreDeploymentCheck[], records: readonly CheckRecord[]): PreDeploymentCheck[] {
  const ticked = new Set(records.filter((r) => r.tickedBy !== null).map((r) => r.item));
  return items.filter((i) => !ticked.has(i.key));
}

export interface ProductionGateMet {
  met: boolean;
  /** What the gate waits on, in words: "1 more approval", "Support team standing by". */
  waitingOn: string[];
}

/** The production gate is met when its approvals and every pre-deployment check hold. */
export function productionGateMet(approvals: GateStatus, items: readonly PreDeploymentCheck[], records: readonly CheckRecord[]): ProductionGateMet {
  const more = approvals.satisfied ? 0 : Math.max(1, approvals.needed - approvals.counted);
  const waitingOn = [...(more > 0 ? [`${more} more approval${more === 1 ? '' : 's'}`] : []), ...missingChecks(items, records).map((i) => i.label)];
  return { met: waitingOn.length === 0, waitingOn };
}

/** The roles an item names, the permission words resolved (`productionApprovers`, the type's `approvers`). */
export function tickerRoles(policy: Policy, item: PreDeploymentCheck, type: ReleaseType): { roles: RoleName[]; requester: boolean } {
  const roles = new Set<RoleName>();
  for (const entry of item.roles) {
    if (entry === 'requester') continue;
    if (entry === 'approvers') policy.releaseTypes[type].approvers.forEach((r) => roles.add(r));
    else if (entry === 'productionApprovers') policy.productionApproval.roles.forEach((r) => roles.add(r));
    else roles.add(entry);
  }
  return { roles: [...roles], requester: (item.roles as readonly (RoleName | PermissionSubject)[]).includes('requester') };
}

/** "a release engineer or engineering leadership": who may tick the item. */
export function describeTickers(policy: Policy, item: PreDeploymentCheck, type: ReleaseType): string {
  const { roles, requester } = tickerRoles(policy, item, type);
  const who = [...(requester ? ['whoever asked for the release'] : []), ...roles.map((r) => ROLE_LABELS[r])];
  return who.length <= 1 ? (who[0] ?? 'nobody') : `${who.slice(0, -1).join(', ')} or ${who.at(-1)}`;
}

export type TickCheck = { ok: true } | { ok: false; reason: string };

/** Whether someone holding `held` may tick `item`; a refusal names who may, and the policy key. */
export function mayTick(
  policy: Policy,
  item: PreDeploymentCheck,
  type: ReleaseType,
  person: { userId: string; held: readonly RoleName[]; requester: string },
): TickCheck {
  const { roles, requester } = tickerRoles(policy, item, type);
  if (requester && person.userId === person.requester) return { ok: true };
  if (person.held.some((r) => roles.includes(r))) return { ok: true };
  const nobody = roles.length > 0 && roles.every((r) => policy.roles[r].users.length === 0 && policy.roles[r].groups.length === 0);
  const keys = roles.map((r) => `\`roles.${r}\``).join(', ');
  const fill = nobody ? ` The release policy names nobody for ${keys}: an operator adds Slack users or groups there.` : '';
  const needs = `it needs ${describeTickers(policy, item, type)} (\`preDeploymentChecks.items[].roles\`)`;
  return { ok: false, reason: `you can't tick “${item.label}”: ${needs}.${fill}` };
}
