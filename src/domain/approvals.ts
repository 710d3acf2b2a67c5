/**
 * Approval gates, by the guide's "Decision Making": who may approve a release of each type, the production
 * deploy's two approvers, and the hotfix's VP Eng. Pure: people arrive with the roles they hold.
 */
import type { Policy, RoleName } from './policy.js';
import type { ReleaseType } from './version.js';

export type GateKind = 'release' | 'production' | 'rollback';

export interface GateRule {
  kind: GateKind;
  roles: RoleName[];
  /** `any`: `approvers` distinct people holding any of the roles; `all`: one distinct person per role. */
  rule: 'any' | 'all';
  approvers: number;
  /** Who asked for what the gate decides, when not the release's requester: a coordinated rollback's asker. */
  requestedBy?: string;
}

export interface Approver {
  userId: string;
  roles: RoleName[];
}

export const ROLE_LABELS: Record<RoleName, string> = {
  engineeringLead: 'an engineering lead',
  engineeringLeadership: 'engineering leadership',
  vpEng: 'the VP Eng',
  cto: 'the CTO',
  devopsLead: 'the DevOps lead',
  qaLead: 'the QA lead',
  releaseEngineer: 'a release engineer',
  onCall: 'the on-call engineer',
};

export function releaseGate(policy: Policy, type: ReleaseType): GateRule {
  const t = policy.releaseTypes[type];
  return { kind: 'release', roles: [...t.approvers], rule: t.approvalRule, approvers: t.approvalRule === 'all' ? t.approvers.length : 1 };
}

/** The guide's coordinated rollback: "Get approval from VP Eng", never from whoever asked for it. */
export function coordinatedRollbackGate(requestedBy?: string): GateRule {
  return { kind: 'rollback', roles: ['vpEng'], rule: 'any', approvers: 1, ...(requestedBy !== undefined ? { requestedBy } : {}) };
}

export function productionGate(policy: Policy): GateRule {
  return { kind: 'production', roles: [...policy.productionApproval.roles], rule: 'any', approvers: policy.productionApproval.approvers };
}

/** "the CTO and the VP Eng", "an engineering lead", "2 of: …" — who a gate needs, in words. */
export function describeGate(gate: GateRule): string {
  const labels = gate.roles.map((r) => ROLE_LABELS[r]);
  const list = labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} ${gate.rule === 'all' ? 'and' : 'or'} ${labels.at(-1)}`;
  if (gate.rule === 'all') return list;
  return gate.approvers === 1 ? list : `${gate.approvers} different people from ${list}`;
}

export type ApprovalCheck = { ok: true; roles: RoleName[] } | { ok: false; reason: string };

/**
 * Whether `userId` may approve (or reject) at this gate: holds a role the gate needs, and did not ask for what
 * it decides (the release, or for a coordinated rollback the rollback: `gate.requestedBy`).
 */
export function mayDecide(gate: GateRule, userId: string, userRoles: readonly RoleName[], requestedBy: string): ApprovalCheck {
  if (gate.requestedBy !== undefined && userId === gate.requestedBy) {
    return { ok: false, reason: "you can't approve this: you asked for this rollback, and the guide wants someone else to decide" };
  }
  if (gate.requestedBy === undefined && userId === requestedBy) return { ok: false, reason: "you can't approve this: you started this release, and the guide wants someone else to decide" };
  const roles = userRoles.filter((r) => gate.roles.includes(r));
  if (roles.length === 0) return { ok: false, reason: `you can't approve this: it needs ${describeGate(gate)}` };
  return { ok: true, roles };
}

export interface GateStatus {
  satisfied: boolean;
  /** Distinct people who count towards the gate. */
  counted: number;
  needed: number;
  /** For `all` gates: the roles nobody has covered yet. */
  missingRoles: RoleName[];
}

/**
 * Where a gate stands. The requester (or the gate's own asker) never counts; a person counts once even if they hold two roles, so
 * for `all` gates each role must be covered by a different person (a matching of people to roles).
 */
export function gateStatus(gate: GateRule, approvals: readonly Approver[], requestedBy: string): GateStatus {
  const asker = gate.requestedBy ?? requestedBy;
  const people = new Map<string, RoleName[]>();
  for (const a of approvals) {
    if (a.userId === asker) continue;
    const roles = a.roles.filter((r) => gate.roles.includes(r));
    if (roles.length > 0) people.set(a.userId, [...new Set([...(people.get(a.userId) ?? []), ...roles])]);
  }
  if (gate.rule === 'any') {
    return { satisfied: people.size >= gate.approvers, counted: Math.min(people.size, gate.approvers), needed: gate.approvers, missingRoles: [] };
  }
  const covered = matchRoles(gate.roles, [...people.values()]);
  const missingRoles = gate.roles.filter((r) => !covered.has(r));
  return { satisfied: missingRoles.length === 0, counted: covered.size, needed: gate.roles.length, missingRoles };
}

/** The largest set of roles that distinct people can cover (augmenting paths; gates have a handful of roles). */
function matchRoles(roles: readonly RoleName[], people: RoleName[][]): Set<RoleName> {
  const holder = new Map<RoleName, number>();
  const tryAssign = (person: number, seen: Set<RoleName>): boolean => {
    for (const role of people[person]!) {
      if (!roles.includes(role) || seen.has(role)) continue;
      seen.add(role);
      const current = holder.get(role);
      if (current === undefined || tryAssign(current, seen)) {
        holder.set(role, person);
        return true;
      }
    }
    return false;
  };
  people.forEach((_, i) => tryAssign(i, new Set()));
  return new Set(holder.keys());
}
