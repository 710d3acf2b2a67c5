import { describe, expect, it } from 'vitest';
import type { GateStatus } from '../../src/domain/approvals.js';
import { defaultPolicy, loadPolicy } from '../../src/domain/policy.js';
import {
  describeTickers,
  mayTick,
  missingChecks,
  monitoringByTminus,
  monitoringVerdict,
  preDeploymentChecksFor,
  productionGateMet,
  watchedMonitors,
  whyNotByTminus,
  type CheckRecord,
} from '../../src/domain/pre-deployment-checks.js';

const policy = defaultPolicy();
const items = policy.preDeploymentChecks.items;
const item = (key: string) => items.find((i) => i.key === key)!;
const at = new Date('2026-12-10T15:00:00Z');
const ticked = (key: string, by = 'U0ENG'): CheckRecord => ({ item: key, tickedBy: by, tickedAt: at, evidence: null, reading: null, readAt: null });
const ALERTING = 'Datadog: "Checkout" is alerting';
const reading = (key: string): CheckRecord => ({ item: key, tickedBy: null, tickedAt: null, evidence: ALERTING, reading: 'alerting', readAt: at });
/** The checks people tick by default (tminus reads the fourth). */
const PEOPLES = ['goNoGo', 'stakeholdersReady', 'supportStandingBy'];
const approvals = (counted: number, needed = 2): GateStatus => ({ satisfied: counted >= needed, counted, needed, missingRoles: [] });

describe("the guide's T+60 pre-deployment checks", () => {
  it('are the four items of the guide, in its order; monitoring is the one tminus reads', () => {
    expect(items.map((i) => i.label)).toEqual(['Final go/no-go decision', 'All stakeholders ready', 'Support team standing by', 'Monitoring active']);
    expect(items.filter((i) => i.auto === 'monitors').map((i) => i.key)).toEqual(['monitoringActive']);
  });

  it.each([
    ['default: the production gate\'s types', '', { patch: 4, minor: 4, major: 4, hotfix: 0 }],
    ['a hotfix given the production gate gets them too', 'productionApproval: { appliesTo: [minor, hotfix] }', { patch: 0, minor: 4, major: 0, hotfix: 4 }],
    ['an appliesTo of their own', 'preDeploymentChecks: { appliesTo: [major] }', { patch: 0, minor: 0, major: 4, hotfix: 0 }],
    ['items: [] turns them off', 'preDeploymentChecks: { items: [] }', { patch: 0, minor: 0, major: 0, hotfix: 0 }],
    ['no production gate, no checks', 'productionApproval: { appliesTo: [] }', { patch: 0, minor: 0, major: 0, hotfix: 0 }],
  ] as const)('%s', (_what, yaml, counts) => {
    const p = loadPolicy(yaml);
    for (const [type, n] of Object.entries(counts)) expect(preDeploymentChecksFor(p, type as 'patch'), type).toHaveLength(n);
  });
});

describe('when the production gate is met: approvals and every check, whichever comes last', () => {
  it.each([
    ['nothing yet', 0, [], false, ['2 more approvals', 'Final go/no-go decision', 'All stakeholders ready', 'Support team standing by', 'Monitoring active']],
    ['approvals first, checks missing', 2, [ticked('goNoGo')], false, ['All stakeholders ready', 'Support team standing by', 'Monitoring active']],
    ['every check, one approval short', 1, items.map((i) => ticked(i.key)), false, ['1 more approval']],
    ['a reading is not a tick', 2, [...PEOPLES.map((k) => ticked(k)), reading('monitoringActive')], false, ['Monitoring active']],
    ['both hold', 2, items.map((i) => ticked(i.key, i.auto ? 'tminus' : 'U0ENG')), true, []],
  ] as const)('%s', (_what, counted, records, met, waitingOn) => {
    expect(productionGateMet(approvals(counted), items, records)).toEqual({ met, waitingOn });
  });

  it('with no checks, the approvals alone', () => {
    expect(productionGateMet(approvals(2), [], [])).toEqual({ met: true, waitingOn: [] });
    expect(missingChecks(items, [ticked('goNoGo')]).map((i) => i.key)).toEqual(['stakeholdersReady', 'supportStandingBy', 'monitoringActive']);
  });
});

describe('who may tick', () => {
  const roles = loadPolicy('roles:\n  onCall: { users: [U0ONCALL] }\n  releaseEngineer: { users: [U0ENG] }');
  it.each([
    ['a release engineer calls the go/no-go', 'goNoGo', ['releaseEngineer'], true, ''],
    ['engineering leadership too', 'goNoGo', ['engineeringLeadership'], true, ''],
    ['not a QA lead (a production approver; the go/no-go is not theirs)', 'goNoGo', ['qaLead'], false, 'it needs a release engineer or engineering'],
    ['on call says support stands by', 'supportStandingBy', ['onCall'], true, ''],
    ['an engineering lead says the stakeholders are ready', 'stakeholdersReady', ['engineeringLead'], true, ''],
    ['nobody without a role', 'monitoringActive', [], false, 'it needs the on-call engineer or the DevOps lead (`preDeploymentChecks.items[].roles`)'],
  ] as const)('%s', (_what, key, held, ok, reason) => {
    const check = mayTick(roles, item(key), 'minor', { userId: 'U1', held: [...held], requester: 'U0REQ' });
    expect(check.ok).toBe(ok);
    if (!check.ok) expect(check.reason).toContain(reason);
  });

  it('names the roles to fill in when the policy names nobody for them', () => {
    const check = mayTick(policy, item('stakeholdersReady'), 'minor', { userId: 'U1', held: [], requester: 'U0REQ' });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toContain('names nobody for `roles.releaseEngineer`, `roles.engineeringLead`');
  });

  it('resolves the permission words', () => {
    const p = loadPolicy('preDeploymentChecks:\n  items:\n    - { key: goNoGo, label: Go, roles: [requester, approvers] }');
    expect(describeTickers(p, p.preDeploymentChecks.items[0]!, 'minor')).toBe('whoever asked for the release or engineering leadership');
    expect(mayTick(p, p.preDeploymentChecks.items[0]!, 'minor', { userId: 'U0REQ', held: [], requester: 'U0REQ' }).ok).toBe(true);
    expect(mayTick(p, p.preDeploymentChecks.items[0]!, 'patch', { userId: 'U1', held: ['engineeringLeadership'], requester: 'U0REQ' }).ok).toBe(false);
  });
});

const TWO = 'Datadog: "Login", "Checkout" are alerting';

describe('"Monitoring active" read by tminus', () => {
  it.each([
    ['Datadog configured and the verification source', 'verification: { source: datadog }', true, true, undefined],
    ['no Datadog', '', false, false, 'Datadog is not configured (DD_API_KEY), so tminus cannot read the monitors'],
    ['a person verifies', 'verification: { source: manual }', true, false, '`verification.source` is manual, so tminus does not read Datadog for this'],
  ] as const)('%s', (_what, yaml, datadog, byTminus, why) => {
    const p = loadPolicy(yaml);
    expect(monitoringByTminus(p, datadog)).toBe(byTminus);
    expect(whyNotByTminus(p, datadog)).toBe(why);
  });

  it.each([
    ['a named one alerting holds it', ['Checkout', 'Login'], [{ name: 'Checkout' }, { name: 'X' }], { clear: false, reading: 'alerting', evidence: ALERTING }],
    ['two alerting', ['Checkout', 'Login'], [{ name: 'Login' }, { name: 'Checkout' }], { clear: false, reading: 'alerting', evidence: TWO }],
    ['an unnamed monitor does not', ['Checkout'], [{ name: 'Other' }], { clear: true, evidence: 'Datadog: none of "Checkout" alerting' }],
    ['Datadog unread is never quiet', ['Checkout'], undefined, { clear: false, reading: 'unreadable', evidence: expect.stringContaining('not be read') }],
    ['no monitor named: Datadog answering is the evidence', [], [{ name: 'Other' }], { clear: true, evidence: expect.stringContaining('Datadog answers') }],
  ] as const)('%s', (_what, watched, alerting, verdict) => {
    expect(monitoringVerdict(watched, alerting)).toEqual(verdict);
  });

  it('watches its own monitors, else the freeze\'s', () => {
    expect(watchedMonitors(loadPolicy('freezeWhile: { monitors: [Checkout] }'))).toEqual(['Checkout']);
    expect(watchedMonitors(loadPolicy('freezeWhile: { monitors: [Checkout] }\npreDeploymentChecks: { monitors: [Payments] }'))).toEqual(['Payments']);
  });
});

describe('the policy key', () => {
  it.each([
    ['- { key: go no go, label: Go, roles: [onCall] }', 'items[0].key: "go no go" is not a key like goNoGo'],
    ['- { key: go, label: Go, roles: [] }', 'items[0].roles: needs at least 1 entry'],
    ['- { key: go, label: Go, roles: [support] }', expect.stringContaining('items[0].roles[0]: "support" is not one of')],
    ['- { key: go, label: Go, roles: [onCall] }\n    - { key: go, label: Again, roles: [onCall] }', 'items[1].key: "go" appears twice'],
    ['- { key: go, label: Go, roles: [onCall], auto: datadog }', 'items[0].auto: "datadog" is not one of monitors'],
  ])('rejects items %j', (entries, problem) => {
    const yaml = `preDeploymentChecks:\n  items:\n    ${entries}`;
    expect(() => loadPolicy(yaml)).toThrow();
    try {
      loadPolicy(yaml);
    } catch (error) {
      expect((error as Error).message.split('\n').map((l) => l.replace(/^RELEASE_POLICY: preDeploymentChecks\./, ''))).toContainEqual(problem);
    }
  });
});
