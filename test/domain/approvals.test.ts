import { describe, expect, it } from 'vitest';
import { describeGate, gateStatus, mayDecide, productionGate, releaseGate, type Approver } from '../../src/domain/approvals.js';
import { defaultPolicy } from '../../src/domain/policy.js';

const policy = defaultPolicy();
const REQUESTER = 'U0REQ';

describe('the guide\'s gates', () => {
  it.each([
    ['patch', 'an engineering lead'],
    ['minor', 'engineering leadership'],
    ['major', 'the CTO and the VP Eng'],
    ['hotfix', 'the VP Eng'],
  ] as const)('%s needs %s', (type, words) => {
    expect(describeGate(releaseGate(policy, type))).toBe(words);
  });

  it('production needs two different people', () => {
    expect(describeGate(productionGate(policy))).toMatch(/^2 different people from an engineering lead, /);
  });
});

describe('who may decide', () => {
  const minor = releaseGate(policy, 'minor');
  it.each([
    ['the role holder', 'U1', ['engineeringLeadership'], true, ''],
    ['someone without the role', 'U2', ['qaLead'], false, "you can't approve this: it needs engineering leadership"],
    ['no roles at all', 'U3', [], false, "you can't approve this: it needs engineering leadership"],
    ['the requester, even with the role', REQUESTER, ['engineeringLeadership'], false, 'you started this release'],
  ] as const)('%s', (_what, user, roles, ok, reason) => {
    const check = mayDecide(minor, user, [...roles], REQUESTER);
    expect(check.ok).toBe(ok);
    if (!check.ok) expect(check.reason).toContain(reason);
  });
});

describe('gate status', () => {
  const a = (userId: string, ...roles: Approver['roles']): Approver => ({ userId, roles });

  it('one engineering lead satisfies a patch', () => {
    expect(gateStatus(releaseGate(policy, 'patch'), [a('U1', 'engineeringLead')], REQUESTER).satisfied).toBe(true);
  });

  it('the major gate needs both the CTO and the VP Eng, from two people', () => {
    const major = releaseGate(policy, 'major');
    expect(gateStatus(major, [a('U1', 'cto')], REQUESTER)).toEqual({ satisfied: false, counted: 1, needed: 2, missingRoles: ['vpEng'] });
    expect(gateStatus(major, [a('U1', 'cto'), a('U2', 'vpEng')], REQUESTER).satisfied).toBe(true);
    // One person holding both roles counts once.
    expect(gateStatus(major, [a('U1', 'cto', 'vpEng')], REQUESTER).satisfied).toBe(false);
    expect(gateStatus(major, [a('U1', 'cto', 'vpEng'), a('U2', 'cto')], REQUESTER).satisfied).toBe(true);
  });

  it('production needs two distinct approvers; duplicates and the requester do not count', () => {
    const prod = productionGate(policy);
    expect(gateStatus(prod, [a('U1', 'devopsLead'), a('U1', 'devopsLead')], REQUESTER).counted).toBe(1);
    expect(gateStatus(prod, [a('U1', 'devopsLead'), a(REQUESTER, 'cto')], REQUESTER).satisfied).toBe(false);
    expect(gateStatus(prod, [a('U1', 'devopsLead'), a('U2', 'qaLead')], REQUESTER)).toEqual({ satisfied: true, counted: 2, needed: 2, missingRoles: [] });
    expect(gateStatus(prod, [a('U1', 'onCall'), a('U2', 'qaLead')], REQUESTER).satisfied).toBe(false);
  });
});
