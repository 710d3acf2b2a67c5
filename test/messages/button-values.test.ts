import { describe, expect, it } from 'vitest';
import { checklistItems } from '../../src/domain/checklist.js';
import { classifyBreach } from '../../src/domain/decision-matrix.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { ROLLBACK_CHECKLIST } from '../../src/domain/rollback.js';
import type { CheckResult } from '../../src/domain/verification.js';
import { ACTIONS, gateMessage, rejectModal } from '../../src/messages/approval-gate.js';
import {
  checklistItemValue,
  gateValue,
  hotfixStepValue,
  parseChecklistBlockId,
  parseChecklistItemValue,
  parseGateValue,
  parseHotfixStepValue,
  parsePlanValue,
  parseRollbackItemValue,
  parseRollbackNowValue,
  planValue,
  rollbackItemValue,
  rollbackNowValue,
  VALUE_LIMITS,
} from '../../src/messages/button-values.js';
import { checklistMessage, overrideModal } from '../../src/messages/checklist.js';
import { hotfixMessage } from '../../src/messages/hotfix.js';
import { rollbackChecklistMessage } from '../../src/messages/rollback.js';
import { breachAlertMessage, ROLLBACK_NOW_ACTION } from '../../src/messages/verification.js';

const RELEASE = '6f1c2a3e-7b4d-4c5e-9f60-1a2b3c4d5e6f';
const GATE = '0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d';
const PLAN = 'c3d4e5f6-a7b8-4c9d-8e0f-112233445566';
const policy = loadPolicy(undefined);

/** What a person or a forger might send instead of a value tminus made. */
const MALFORMED: [string, unknown][] = [
  ['garbage', 'garbage'],
  ['a malformed uuid', 'not-a-uuid|x'],
  ['empty', ''],
  ['missing', undefined],
  ['not a string', 42],
  ['3000 characters', 'x'.repeat(3000)],
  ['a valid value padded past the limit', `${RELEASE}|${GATE}|${'x'.repeat(2000)}`],
  ['a uuid with a SQL tail', `${RELEASE}'; drop table releases;--|${GATE}`],
  ['too many fields', `${RELEASE}|${GATE}|${GATE}`],
];

interface Actions {
  type: string;
  block_id?: string;
  elements: { type: string; action_id: string; value?: string; options?: { value: string }[]; initial_options?: { value: string }[] }[];
}
const actionsOf = (blocks: unknown[]) => blocks.filter((b): b is Actions => (b as { type: string }).type === 'actions');

describe('button values', () => {
  it('round-trip every kind of value', () => {
    expect(parseGateValue(gateValue({ releaseId: RELEASE, gateId: GATE }))).toEqual({ releaseId: RELEASE, gateId: GATE });
    expect(parseHotfixStepValue(hotfixStepValue({ releaseId: RELEASE, step: 'emergencyCall' }))).toEqual({ releaseId: RELEASE, step: 'emergencyCall' });
    expect(parseRollbackNowValue(rollbackNowValue({ releaseId: RELEASE, version: 'v1.3.0' }))).toEqual({ releaseId: RELEASE, version: 'v1.3.0' });
    expect(parseRollbackNowValue(rollbackNowValue({ releaseId: RELEASE, version: 'v1.3.0-rc.1' }))).toEqual({ releaseId: RELEASE, version: 'v1.3.0-rc.1' });
    expect(parseRollbackItemValue(rollbackItemValue({ releaseId: RELEASE, item: 'dataIntegrity' }))).toEqual({ releaseId: RELEASE, item: 'dataIntegrity' });
    expect(parseChecklistItemValue(checklistItemValue({ planId: PLAN, checklist: 'before24h', item: '1.12' }))).toEqual({ planId: PLAN, checklist: 'before24h', item: '1.12' });
    expect(parsePlanValue(planValue(PLAN))).toBe(PLAN);
  });

  it('read the values of messages posted before they named the release', () => {
    expect(parseGateValue(GATE)).toEqual({ gateId: GATE });
    expect(parseRollbackNowValue(RELEASE)).toEqual({ releaseId: RELEASE });
    expect(parseChecklistItemValue('0.3', `checklist:${PLAN}:before72h:0:0`)).toEqual({ planId: PLAN, checklist: 'before72h', item: '0.3' });
    expect(parseChecklistBlockId(`checklist:${PLAN}:before4h:2:10`)).toEqual({ planId: PLAN, checklist: 'before4h' });
  });

  it.each(MALFORMED)('refuse %s for every kind', (_, value) => {
    expect(parseGateValue(value)).toBeUndefined();
    expect(parseHotfixStepValue(value)).toBeUndefined();
    expect(parseRollbackNowValue(value)).toBeUndefined();
    expect(parseRollbackItemValue(value)).toBeUndefined();
    expect(parseChecklistItemValue(value, `checklist:${PLAN}:before72h:0:0`)).toBeUndefined();
    expect(parsePlanValue(value)).toBeUndefined();
  });

  it('refuse fields that are shaped right but name nothing tminus makes', () => {
    expect(parseHotfixStepValue(`${RELEASE}|dropTables`)).toBeUndefined();
    expect(parseHotfixStepValue(`${GATE}|${RELEASE}`)).toBeUndefined();
    expect(parseRollbackNowValue(`${RELEASE}|1.3.0`)).toBeUndefined();
    expect(parseRollbackNowValue(`${RELEASE}|v1.3.0+build.5`)).toBeUndefined();
    expect(parseRollbackItemValue(`${RELEASE}|everythingFine`)).toBeUndefined();
    expect(parseChecklistItemValue(`${PLAN}|before1h|0.1`)).toBeUndefined();
    expect(parseChecklistItemValue(`${PLAN}|before72h|zero`)).toBeUndefined();
    expect(parseChecklistItemValue('0.3', 'checklist:p1:before72h:0:0')).toBeUndefined();
    expect(parseChecklistItemValue('0.3', undefined)).toBeUndefined();
  });

  it('stay within Slack\'s limits, and a builder never sends one past them', () => {
    expect(gateValue({ releaseId: RELEASE, gateId: GATE }).length).toBeLessThanOrEqual(VALUE_LIMITS.button);
    for (const item of ROLLBACK_CHECKLIST) expect(rollbackItemValue({ releaseId: RELEASE, item: item.key }).length).toBeLessThanOrEqual(VALUE_LIMITS.option);
    expect(checklistItemValue({ planId: PLAN, checklist: 'before72h', item: '999.999' }).length).toBeLessThanOrEqual(VALUE_LIMITS.option);
    expect(() => rollbackNowValue({ releaseId: RELEASE, version: `v1.0.0-${'x'.repeat(2000)}` })).toThrow(/over Slack's limit of 2000/);
    expect(() => rollbackItemValue({ releaseId: RELEASE, item: 'x'.repeat(150) })).toThrow(/over Slack's limit of 150/);
  });
});

describe('the messages carry the values', () => {
  it('a gate: Approve and Reject name the release and the gate; the rejection modal carries the same', () => {
    const message = gateMessage({
      releaseId: RELEASE,
      gateId: GATE,
      kind: 'release',
      version: 'v1.3.0',
      type: 'minor',
      needs: 'engineering leadership',
      approvers: ['U0HEAD'],
      state: 'open',
      decisions: [],
      counted: 0,
      needed: 1,
      testing: 'Full regression',
      timeZone: 'UTC',
    });
    const [buttons] = actionsOf(message.blocks);
    expect(buttons!.elements.map((e) => [e.action_id, e.value])).toEqual([
      [ACTIONS.approve, `${RELEASE}|${GATE}`],
      [ACTIONS.reject, `${RELEASE}|${GATE}`],
    ]);
    expect(rejectModal({ releaseId: RELEASE, gateId: GATE }, 'v1.3.0').private_metadata).toBe(`${RELEASE}|${GATE}`);
  });

  it('a closed gate has no buttons and says the release ended', () => {
    const message = gateMessage({
      releaseId: RELEASE,
      gateId: GATE,
      kind: 'production',
      version: 'v1.3.0',
      type: 'minor',
      needs: '2 different people',
      approvers: [],
      state: 'closed',
      decisions: [],
      counted: 0,
      needed: 2,
      testing: '',
      timeZone: 'UTC',
    });
    expect(actionsOf(message.blocks)).toHaveLength(0);
    expect(JSON.stringify(message.blocks)).toContain('Closed*: the release ended before this was decided.');
  });

  it('"Roll back now" names the release and the version it was made for', () => {
    const result: CheckResult = { key: 'errorRate', label: 'Error rate', state: 'breach', value: 2.5, unit: 'percent', threshold: 0.1, direction: 'above' };
    const message = breachAlertMessage({
      releaseId: RELEASE,
      version: 'v1.3.0',
      result,
      classification: { ...classifyBreach(policy, result), rollbackNow: true },
      deadline: new Date('2026-12-03T14:05:00Z'),
      mentions: ['U0ONCALL'],
      timeZone: 'UTC',
      autoRollback: false,
    });
    const button = actionsOf(message.blocks)[0]!.elements[0]!;
    expect(button.action_id).toBe(ROLLBACK_NOW_ACTION);
    expect(parseRollbackNowValue(button.value)).toEqual({ releaseId: RELEASE, version: 'v1.3.0' });
  });

  it('the rollback checklist\'s options name the release and the item', () => {
    const message = rollbackChecklistMessage({ releaseId: RELEASE, version: 'v1.3.0', ticked: { teamNotified: { at: '2026-12-03T14:05:00Z', by: 'tminus' } }, timeZone: 'UTC' });
    const checkboxes = actionsOf(message.blocks)[0]!.elements[0]!;
    // One list: every item is a box, the ticked ones shown ticked (Slack's initial_options are options of the element).
    expect(checkboxes.options!.map((o) => parseRollbackItemValue(o.value)?.item)).toEqual(ROLLBACK_CHECKLIST.map((i) => i.key));
    expect(checkboxes.options!.every((o) => parseRollbackItemValue(o.value)?.releaseId === RELEASE)).toBe(true);
    expect(checkboxes.initial_options!.map((o) => parseRollbackItemValue(o.value)?.item)).toEqual(['teamNotified']);
  });

  it('a pre-release checklist\'s options name the plan, the checklist and the item; the override modal names the plan', () => {
    const checklist = policy.checklists.before72h;
    const message = checklistMessage({ planId: PLAN, version: 'v1.3.0', key: 'before72h', checklist, items: checklistItems(checklist, 'v1.3.0'), ticks: [], timeZone: 'UTC' });
    for (const actions of actionsOf(message.blocks)) {
      for (const option of actions.elements[0]!.options!) {
        expect(parseChecklistItemValue(option.value)).toMatchObject({ planId: PLAN, checklist: 'before72h' });
        expect(option.value.length).toBeLessThanOrEqual(VALUE_LIMITS.option);
      }
    }
    expect(overrideModal(PLAN, 'v1.3.0').private_metadata).toBe(PLAN);
  });

  it('a hotfix: step buttons name the release and the step, its Approve the release and the gate; none once it ended', () => {
    const input = {
      version: 'v1.2.1',
      type: 'hotfix',
      state: 'awaiting_approval' as const,
      requestedBy: 'U0ENG',
      startedAt: new Date('2026-12-03T14:00:00Z'),
      expectedCompletion: new Date('2026-12-03T14:30:00Z'),
      taggedAt: null,
      targetBranch: null,
      targetSha: null,
      runUrl: null,
      finishedAt: null,
      failureReason: null,
      milestones: [],
      now: new Date('2026-12-03T14:01:00Z'),
      timeZone: 'UTC',
      releaseId: RELEASE,
      gateId: GATE,
      gateOpen: true,
      details: { issue: 'checkout is down', severity: 'critical' as const, steps: {} },
      detectedAt: new Date('2026-12-03T14:00:00Z'),
      steps: [
        { key: 'emergencyCall', label: 'Emergency call initiated', dueAt: new Date('2026-12-03T14:15:00Z'), byButton: true },
        { key: 'hotfixApproved', label: 'Hotfix approved by VP Eng', byButton: false },
      ],
    };
    const [steps, gate] = actionsOf(hotfixMessage(input).blocks);
    expect(steps!.elements.map((e) => parseHotfixStepValue(e.value))).toEqual([{ releaseId: RELEASE, step: 'emergencyCall' }]);
    expect(gate!.elements.map((e) => parseGateValue(e.value))).toEqual([
      { releaseId: RELEASE, gateId: GATE },
      { releaseId: RELEASE, gateId: GATE },
    ]);
    for (const state of ['rejected', 'aborted', 'failed', 'completed'] as const) {
      expect(actionsOf(hotfixMessage({ ...input, state, gateOpen: false }).blocks)).toHaveLength(0);
    }
  });
});
