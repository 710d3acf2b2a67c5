/**
 * Who may do what, by the policy's `permissions`: start, plan, hotfix, abort, roll back, override the
 * cadence, tick a checklist. Pure: people arrive with the roles they hold.
 */
import { ROLE_LABELS } from './approvals.js';
import type { PermissionAction, Policy, RoleName } from './policy.js';
import type { ReleaseType } from './version.js';

export interface PermissionContext {
  /** Who is asking. */
  userId: string;
  /** Whoever asked for the release (or made the plan) the action is about. */
  requester?: string;
  /** The release's type: its approvers are `approvers`. */
  type?: ReleaseType;
  /** Roles a checklist item names for itself: they replace the action's list. */
  itemRoles?: readonly RoleName[];
  /** What the action is about, for the refusal: `v1.3.0`, `the plan of v1.3.0`. */
  subject?: string;
}

export type PermissionCheck = { ok: true } | { ok: false; reason: string };

const VERBS: Record<PermissionAction, (subject: string | undefined) => string> = {
  start: (s) => `start ${s ?? 'a release'}`,
  plan: (s) => `plan ${s ?? 'a release'}`,
  changePlan: (s) => `change the plan of ${s ?? 'this release'}`,
  hotfix: (s) => `raise ${s ? `hotfix ${s}` : 'a hotfix'}`,
  abort: (s) => `abort ${s ?? 'this release'}`,
  confirm: (s) => `confirm the post-deploy checks of ${s ?? 'this release'}`,
  coordinatedRollback: (s) => `ask for a coordinated rollback of ${s ?? 'this release'}`,
  rollback: (s) => `roll back ${s ?? 'this release'}`,
  overrideCadence: (s) => `override the cadence${s ? ` for ${s}` : ''}`,
  waive: (s) => `waive ${s ?? 'a readiness line'}`,
  freeze: (s) => `${s ?? 'freeze or unfreeze'} releases`,
  checklist: (s) => `tick ${s ?? 'this checklist item'}`,
  rollbackChecklist: (s) => `tick the rollback checklist${s ? ` of ${s}` : ''}`,
};

/** Who an action allows in `context`: anyone, or these roles (and the requester when `requester` is listed). */
export function allowedBy(policy: Policy, action: PermissionAction, context: Pick<PermissionContext, 'type' | 'itemRoles'>): 'anyone' | { roles: RoleName[]; requester: boolean } {
  const rule = context.itemRoles && context.itemRoles.length > 0 ? context.itemRoles : policy.permissions[action];
  if (rule === 'anyone') return 'anyone';
  const roles = new Set<RoleName>();
  for (const entry of rule) {
    if (entry === 'requester') continue;
    if (entry === 'approvers') (context.type ? policy.releaseTypes[context.type].approvers : []).forEach((r) => roles.add(r));
    else if (entry === 'productionApprovers') policy.productionApproval.roles.forEach((r) => roles.add(r));
    else roles.add(entry);
  }
  return { roles: [...roles], requester: (rule as readonly string[]).includes('requester') };
}

/** Whether someone holding `held` may do `action`; a refusal names the roles needed, and the policy key to fill in when nobody holds them. */
export function mayDo(policy: Policy, action: PermissionAction, held: readonly RoleName[], context: PermissionContext): PermissionCheck {
  const allowed = allowedBy(policy, action, context);
  if (allowed === 'anyone') return { ok: true };
  if (allowed.requester && context.requester !== undefined && context.requester === context.userId) return { ok: true };
  if (held.some((r) => allowed.roles.includes(r))) return { ok: true };
  const key = context.itemRoles && context.itemRoles.length > 0 ? 'the item\'s `roles`' : `\`permissions.${action}\``;
  const who = [...(allowed.requester ? ['whoever asked for it'] : []), ...allowed.roles.map((r) => ROLE_LABELS[r])];
  if (who.length === 0) return { ok: false, reason: `you can't ${VERBS[action](context.subject)}: the release policy allows nobody (${key}).` };
  const needs = `you can't ${VERBS[action](context.subject)}: it needs ${listOf(who)} (${key})`;
  const nobody = allowed.roles.filter((r) => policy.roles[r].users.length === 0 && policy.roles[r].groups.length === 0);
  if (allowed.roles.length > 0 && nobody.length === allowed.roles.length) {
    return { ok: false, reason: `${needs}. The release policy names nobody for ${listOf(nobody.map((r) => `\`roles.${r}\``))}: an operator adds Slack users or groups there.` };
  }
  return { ok: false, reason: `${needs}.` };
}

/** `permissions.<action>` in words: "anyone", "whoever asked for it, the on-call engineer or a release engineer". */
export function describePermission(policy: Policy, action: PermissionAction): string {
  const rule = policy.permissions[action];
  if (rule === 'anyone') return 'anyone';
  return listOf(
    rule.map((entry) => {
      if (entry === 'requester') return 'whoever asked for it';
      if (entry === 'approvers') return "the type's approvers";
      if (entry === 'productionApprovers') return "the production deploy's approvers";
      return ROLE_LABELS[entry];
    }),
  );
}

function listOf(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** Versions: at most one major above what production runs (`/release start v9999999999.0.0` is a typo, or worse). */
export function versionTooFar(next: { tag: string; major: number }, production: { tag: string; major: number } | undefined): string | undefined {
  if (!production || next.major <= production.major + 1) return undefined;
  return `${next.tag} is more than one major version above what production runs (${production.tag}): the next major is v${production.major + 1}.0.0.`;
}
