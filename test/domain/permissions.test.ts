import { describe, expect, it } from 'vitest';
import { coordinatedRollbackGate, gateStatus, mayDecide } from '../../src/domain/approvals.js';
import { allowedBy, describePermission, mayDo, versionTooFar, type PermissionContext } from '../../src/domain/permissions.js';
import { defaultPolicy, loadPolicy, PERMISSION_ACTIONS, type PermissionAction, type RoleName } from '../../src/domain/policy.js';

/** The guide's defaults, with somebody named for every role (so refusals do not ask for the policy to be filled in). */
const policy = loadPolicy(`
roles:
  engineeringLead: { users: [U0LEAD] }
  engineeringLeadership: { users: [U0HEAD] }
  vpEng: { users: [U0VP] }
  cto: { users: [U0CTO] }
  devopsLead: { users: [U0OPS] }
  qaLead: { users: [U0QA] }
  releaseEngineer: { users: [U0REL] }
  onCall: { users: [U0ONCALL] }
`);
const empty = defaultPolicy();
const REQUESTER = 'U0REQ';

type Case = [what: string, action: PermissionAction, held: RoleName[], context: Partial<PermissionContext>, ok: boolean, reason?: string];

describe('mayDo, by the default permissions', () => {
  it.each<Case>([
    ['anyone may start', 'start', [], {}, true],
    ['an engineering lead may plan', 'plan', ['engineeringLead'], {}, true],
    ['a release engineer may plan', 'plan', ['releaseEngineer'], {}, true],
    ['nobody without a role may plan', 'plan', [], {}, false, "you can't plan v1.3.0: it needs an engineering lead, engineering leadership, a release engineer, the VP Eng or the CTO (`permissions.plan`)."],
    ['QA may not plan', 'plan', ['qaLead'], {}, false, 'it needs an engineering lead'],
    ['on-call may raise a hotfix', 'hotfix', ['onCall'], {}, true],
    ['nobody without a role may raise a hotfix', 'hotfix', [], {}, false, "you can't raise hotfix v1.3.0: it needs the on-call engineer, an engineering lead"],
    ['the DevOps lead may not raise a hotfix', 'hotfix', ['devopsLead'], {}, false, '(`permissions.hotfix`)'],
    ['the requester may abort their release', 'abort', [], { userId: REQUESTER, requester: REQUESTER, type: 'minor' }, true],
    ['the type\'s approver may abort', 'abort', ['engineeringLeadership'], { type: 'minor' }, true],
    ['another type\'s approver may not abort', 'abort', ['vpEng'], { type: 'minor' }, false, "you can't abort v1.3.0: it needs whoever asked for it, engineering leadership, the on-call engineer or a release engineer (`permissions.abort`)."],
    ['on-call may abort', 'abort', ['onCall'], { type: 'patch' }, true],
    ['on-call may roll back', 'rollback', ['onCall'], { type: 'minor' }, true],
    ['a production approver may roll back', 'rollback', ['qaLead'], { type: 'minor' }, true],
    ['the requester alone may not roll back', 'rollback', [], { userId: REQUESTER, requester: REQUESTER, type: 'minor' }, false, "you can't roll back v1.3.0: it needs the on-call engineer, engineering leadership"],
    ['the VP Eng may ask for a coordinated rollback', 'coordinatedRollback', ['vpEng'], { type: 'minor' }, true],
    ['nobody without a role may ask for one', 'coordinatedRollback', [], { type: 'minor' }, false, 'ask for a coordinated rollback of v1.3.0'],
    ['the type\'s approver may override the cadence', 'overrideCadence', ['engineeringLeadership'], { type: 'minor' }, true],
    ['an engineering lead may not override a minor cadence', 'overrideCadence', ['engineeringLead'], { type: 'minor' }, false, 'it needs engineering leadership (`permissions.overrideCadence`)'],
    ['the approvers are the type\'s own', 'overrideCadence', ['cto'], { type: 'hotfix' }, false, 'it needs the VP Eng'],
    ['QA may tick a checklist item', 'checklist', ['qaLead'], {}, true],
    ['on-call may not tick a checklist item', 'checklist', ['onCall'], {}, false, "you can't tick v1.3.0: it needs a release engineer, the QA lead, the DevOps lead"],
    ['an item\'s own roles replace the list', 'checklist', ['releaseEngineer'], { itemRoles: ['qaLead'] }, false, "it needs the QA lead (the item's `roles`)."],
    ['an item\'s own role holder ticks it', 'checklist', ['qaLead'], { itemRoles: ['qaLead'] }, true],
    ['the rollback checklist: on-call', 'rollbackChecklist', ['onCall'], { type: 'patch' }, true],
    ['the rollback checklist: no role', 'rollbackChecklist', [], { type: 'patch' }, false, '(`permissions.rollbackChecklist`)'],
  ])('%s', (_what, action, held, context, ok, reason) => {
    const check = mayDo(policy, action, held, { userId: 'U0SOMEONE', subject: 'v1.3.0', ...context });
    expect(check.ok).toBe(ok);
    if (!check.ok) expect(check.reason).toContain(reason);
  });
});

describe('mayDo, when the policy names nobody or changes the rule', () => {
  it('a refusal names the roles to fill in when nobody holds any of them', () => {
    const check = mayDo(empty, 'hotfix', [], { userId: 'U1' });
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('The release policy names nobody for `roles.onCall`, `roles.engineeringLead`') });
  });

  it('`anyone` allows anyone; a list replaces the default', () => {
    const open = loadPolicy('permissions: { plan: anyone, start: [releaseEngineer] }');
    expect(mayDo(open, 'plan', [], { userId: 'U1' })).toEqual({ ok: true });
    expect(mayDo(open, 'start', ['vpEng'], { userId: 'U1' })).toMatchObject({ ok: false, reason: expect.stringContaining('it needs a release engineer (`permissions.start`)') });
  });

  it('`approvers` of a type without approvers allows nobody, and says so', () => {
    const gateless = loadPolicy('releaseTypes: { patch: { approvers: [] } }\npermissions: { overrideCadence: [approvers] }');
    expect(mayDo(gateless, 'overrideCadence', ['cto'], { userId: 'U1', type: 'patch' })).toEqual({ ok: false, reason: "you can't override the cadence: the release policy allows nobody (`permissions.overrideCadence`)." });
  });

  it.each([
    ['a word it does not know', 'permissions: { plan: [everyone] }'],
    ['an empty list', 'permissions: { plan: [] }'],
    ['an unknown action', 'permissions: { deploy: anyone }'],
  ])('the policy refuses %s', (_what, yaml) => {
    expect(() => loadPolicy(yaml)).toThrow(/permissions\./);
  });

  it('expands `approvers` and `productionApprovers`', () => {
    expect(allowedBy(policy, 'rollback', { type: 'major' })).toEqual({ roles: ['onCall', 'cto', 'vpEng', 'engineeringLead', 'engineeringLeadership', 'devopsLead', 'qaLead', 'releaseEngineer'], requester: false });
    expect(allowedBy(policy, 'abort', { type: 'hotfix' })).toEqual({ roles: ['vpEng', 'onCall', 'releaseEngineer'], requester: true });
  });

  it.each(PERMISSION_ACTIONS.map((a) => [a]))('%s is described for /release roles', (action) => {
    expect(describePermission(policy, action).length).toBeGreaterThan(0);
  });
});

describe('versions at most one major above production', () => {
  const v = (major: number) => ({ tag: `v${major}.0.0`, major });
  it.each([
    [v(2), v(1), undefined],
    [v(1), v(1), undefined],
    [v(3), v(1), 'v3.0.0 is more than one major version above what production runs (v1.0.0): the next major is v2.0.0.'],
    [v(9_999_999_999), v(1), 'more than one major version above'],
    [v(9_999_999_999), undefined, undefined],
  ])('%o over %o', (next, production, reason) => {
    const refusal = versionTooFar(next, production);
    if (reason === undefined) expect(refusal).toBeUndefined();
    else expect(refusal).toContain(reason);
  });
});

describe('a coordinated rollback gate excludes whoever asked for it', () => {
  const gate = coordinatedRollbackGate('U0VP');
  it.each([
    ['the asker, even the VP Eng', 'U0VP', ['vpEng'], false, 'you asked for this rollback'],
    ['the release\'s requester, when they hold the role', 'U0VP2', ['vpEng'], true, ''],
    ['someone without the role', 'U0QA', ['qaLead'], false, 'it needs the VP Eng'],
  ] as const)('%s', (_what, user, roles, ok, reason) => {
    const check = mayDecide(gate, user, roles, 'U0VP2');
    expect(check.ok).toBe(ok);
    if (!check.ok) expect(check.reason).toContain(reason);
  });

  it('the asker never counts; the release\'s requester does', () => {
    expect(gateStatus(gate, [{ userId: 'U0VP', roles: ['vpEng'] }], 'U0VP2').satisfied).toBe(false);
    expect(gateStatus(gate, [{ userId: 'U0VP2', roles: ['vpEng'] }], 'U0VP2').satisfied).toBe(true);
  });
});
