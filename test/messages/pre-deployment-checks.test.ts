import type { KnownBlock } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { gateMessage, type GateMessageInput } from '../../src/messages/approval-gate.js';
import { parsePreDeploymentValue, preDeploymentValue, VALUE_LIMITS } from '../../src/messages/button-values.js';
import { PRE_DEPLOYMENT_ACTIONS, type PreDeploymentItemView } from '../../src/messages/pre-deployment-checks.js';

const RELEASE = '6f1c2a3e-7b4d-4c5e-9f60-1a2b3c4d5e6f';
const GATE = '0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d';
const AT = new Date('2026-12-10T15:02:00Z');
const HOSTILE = 'lock <held> by <!channel> & co';

const ITEMS: PreDeploymentItemView[] = [
  { key: 'goNoGo', label: 'Final go/no-go decision', who: 'a release engineer or engineering leadership', byTminus: false, tick: { by: 'U0REL', at: AT } },
  { key: 'stakeholdersReady', label: 'All stakeholders ready', who: 'a release engineer or an engineering lead', byTminus: false },
  { key: 'supportStandingBy', label: 'Support team standing by', who: 'the on-call engineer or a release engineer', byTminus: false },
  {
    key: 'monitoringActive',
    label: 'Monitoring active',
    who: 'the on-call engineer or the DevOps lead',
    byTminus: true,
    note: 'Datadog: "Checkout errors" is alerting (read at 15:01 UTC)',
  },
];

function production(overrides: Partial<GateMessageInput> = {}): GateMessageInput {
  return {
    releaseId: RELEASE,
    gateId: GATE,
    kind: 'production',
    version: 'v1.3.0',
    type: 'minor',
    needs: '2 different people from the DevOps lead or the QA lead',
    approvers: ['U0OPS', 'U0QA'],
    state: 'open',
    decisions: [],
    counted: 0,
    needed: 2,
    testing: 'Full test suite + E2E tests',
    timeZone: 'UTC',
    checks: { releaseId: RELEASE, gateId: GATE, items: ITEMS, timeZone: 'UTC' },
    ...overrides,
  };
}

interface Loose {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: Loose[];
  action_id?: string;
  options?: Loose[];
  initial_options?: Loose[];
  value?: string;
  description?: { text: string };
}

/** What Slack refuses in a message: block count, section text, checkbox options, values, ids (docs.slack.dev, "Blocks"). */
function limitProblems(message: { text: string; blocks: KnownBlock[] }): string[] {
  const problems: string[] = [];
  if (message.text.length === 0 || message.text.length > 40_000) problems.push('fallback text');
  if (message.blocks.length > 50) problems.push(`${message.blocks.length} blocks`);
  for (const block of message.blocks as unknown as Loose[]) {
    if ((block.block_id?.length ?? 0) > 255) problems.push('block_id');
    const length = block.text?.text.length ?? 0;
    if (block.type === 'section' && (length === 0 || length > 3000)) problems.push(`section of ${length}`);
    for (const element of block.elements ?? []) {
      if ((element.action_id?.length ?? 0) > 255) problems.push('action_id');
      if (element.type !== 'checkboxes') continue;
      if (element.options!.length === 0 || element.options!.length > 10) problems.push(`${element.options!.length} options`);
      for (const o of element.options!) {
        if (o.text!.text.length > 75) problems.push(`option text of ${o.text!.text.length}`);
        if (o.value!.length > 150) problems.push('option value');
        if (o.description && o.description.text.length > 75) problems.push('option description');
      }
    }
  }
  return problems;
}

const checkboxes = (blocks: KnownBlock[]) =>
  (blocks as unknown as Loose[]).flatMap((b) => b.elements ?? []).filter((e) => e.type === 'checkboxes');
const texts = (blocks: KnownBlock[]) => JSON.stringify(blocks);

describe("the production gate's pre-deployment checks", () => {
  it('shows each check with who ticked it and when, tminus\'s reading, and checkboxes that name the release, the gate and the check', () => {
    const message = gateMessage(production());
    expect(limitProblems(message)).toEqual([]);
    const text = texts(message.blocks);
    expect(text).toContain('*Pre-deployment checks* (1 of 4)');
    expect(text).toContain('✅ *Final go/no-go decision*: <@U0REL> at 15:02 UTC');
    expect(text).toContain('⬜ *Support team standing by*: ticked by the on-call engineer or a release engineer');
    expect(text).toContain('⛔ *Monitoring active*: Datadog: \\"Checkout errors\\" is alerting (read at 15:01 UTC). tminus ticks it once they recover');
    const [box] = checkboxes(message.blocks);
    expect(box!.action_id).toBe(PRE_DEPLOYMENT_ACTIONS.tick);
    expect(box!.options!.map((o) => o.value)).toEqual(ITEMS.map((i) => `${RELEASE}|${GATE}|${i.key}`));
    expect(box!.initial_options!.map((o) => o.value)).toEqual([`${RELEASE}|${GATE}|goNoGo`]);
    expect(box!.options![3]!.text!.text).toBe('Monitoring active (tminus checks)');
    expect(message.text).toBe('Production deploy of v1.3.0: waiting for approval (0 of 2) and the pre-deployment checks (1 of 4)');
  });

  it('approvals met before the checks: the gate says what it waits on', () => {
    const decisions = [
      { userId: 'U0OPS', decision: 'approved' as const, at: AT, reason: null },
      { userId: 'U0QA', decision: 'approved' as const, at: AT, reason: null },
    ];
    const message = gateMessage(production({ counted: 2, decisions }));
    const status = '⏳ *Approved (2 of 2): waiting on the pre-deployment checks (1 of 4)*: All stakeholders ready, Support team standing by, Monitoring active';
    expect(texts(message.blocks)).toContain(status);
    expect(message.text).toBe('Production deploy of v1.3.0: approved (2 of 2), waiting on the pre-deployment checks (1 of 4)');
  });

  it('every check ticked: only the approvals are waited on; tminus\'s tick shows its evidence', () => {
    const evidence = 'Datadog: none of "Checkout errors" alerting';
    const items = ITEMS.map((i) => ({ ...i, tick: { by: i.byTminus ? 'tminus' : 'U0REL', at: AT, ...(i.byTminus ? { evidence } : {}) } }));
    const message = gateMessage(production({ counted: 1, checks: { releaseId: RELEASE, gateId: GATE, items, timeZone: 'UTC' } }));
    expect(message.text).toBe('Production deploy of v1.3.0: waiting for approval (1 of 2)');
    expect(texts(message.blocks)).toContain('✅ *Monitoring active*: tminus at 15:02 UTC (Datadog: none of \\"Checkout errors\\" alerting)');
    expect(checkboxes(message.blocks)[0]!.options![3]!.description!.text).toBe('tminus at 15:02 UTC');
  });

  it('a closed gate keeps the ticks and has no checkboxes', () => {
    const message = gateMessage(production({ state: 'approved', counted: 2 }));
    expect(checkboxes(message.blocks)).toHaveLength(0);
    expect(texts(message.blocks)).toContain('*Pre-deployment checks* (1 of 4)');
    expect(message.text).toBe('Production deploy of v1.3.0: approved');
  });

  it('a gate without checks is as it was', () => {
    const { checks: _, ...rest } = production();
    const message = gateMessage(rest);
    expect(texts(message.blocks)).not.toContain('Pre-deployment');
    expect(message.text).toBe('Production deploy of v1.3.0: waiting for approval (0 of 2)');
  });

  it("holds Slack's limits with ten outsized, hostile checks, and escapes what an operator or Datadog wrote", () => {
    const items = Array.from({ length: 10 }, (_, i): PreDeploymentItemView => ({
      key: `check${i}${'x'.repeat(30)}`,
      label: `${HOSTILE} ${'L'.repeat(300)}`,
      who: 'w'.repeat(500),
      byTminus: i % 2 === 0,
      ...(i < 5
        ? { tick: { by: i === 0 ? 'tminus' : 'U0REL', at: AT, evidence: `${HOSTILE} ${'e'.repeat(1000)}` } }
        : { note: `${HOSTILE} ${'n'.repeat(1000)}` }),
    }));
    const message = gateMessage(production({ checks: { releaseId: RELEASE, gateId: GATE, items, timeZone: 'Pacific/Chatham' } }));
    expect(limitProblems(message)).toEqual([]);
    expect(texts(message.blocks)).not.toContain('<!channel>');
    expect(texts(message.blocks)).toContain('&lt;!channel&gt;');
  });

  it('option values round-trip, within Slack\'s 150 characters, and a forged one is not read', () => {
    const value = preDeploymentValue({ releaseId: RELEASE, gateId: GATE, key: `k${'a'.repeat(39)}` });
    expect(value.length).toBeLessThanOrEqual(VALUE_LIMITS.option);
    expect(parsePreDeploymentValue(value)).toEqual({ releaseId: RELEASE, gateId: GATE, key: `k${'a'.repeat(39)}` });
    expect(parsePreDeploymentValue(`${RELEASE}|${GATE}|go no go`)).toBeUndefined();
    expect(parsePreDeploymentValue(`${RELEASE}|not-a-gate|goNoGo`)).toBeUndefined();
    expect(parsePreDeploymentValue(`${RELEASE}|${GATE}`)).toBeUndefined();
  });
});
