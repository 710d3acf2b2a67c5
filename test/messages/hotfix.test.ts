import { describe, expect, it } from 'vitest';
import { hotfixMessage, type HotfixMessageInput } from '../../src/messages/hotfix.js';
import { visibleText } from '../support/harness.js';

const DEPLOYED = new Date('2026-12-03T14:41:00Z');

function input(over: Partial<HotfixMessageInput> = {}): HotfixMessageInput {
  return {
    version: 'v1.2.1',
    type: 'hotfix',
    state: 'deploying',
    requestedBy: 'U0ENG',
    startedAt: new Date('2026-12-03T14:30:00Z'),
    expectedCompletion: new Date('2026-12-03T15:00:00Z'),
    taggedAt: new Date('2026-12-03T14:31:00Z'),
    targetBranch: 'hotfix/v1.2.1',
    targetSha: 'c'.repeat(40),
    runUrl: 'https://github.com/acme/shop/actions/runs/1',
    finishedAt: null,
    failureReason: null,
    milestones: [
      { key: 'images', label: 'Docker images built', expectedAt: 30, state: 'done', finishedAt: new Date('2026-12-03T14:35:00Z') },
      { key: 'production', label: 'Deployed to production', expectedAt: 60, state: 'done', startedAt: new Date('2026-12-03T14:36:00Z'), finishedAt: DEPLOYED },
      { key: 'complete', label: 'Release complete', expectedAt: 90, state: 'running' },
    ],
    now: new Date('2026-12-03T14:42:00Z'),
    timeZone: 'UTC',
    releaseId: '00000000-0000-4000-8000-000000000001',
    gateOpen: false,
    details: {
      issue: 'checkout double-charges cards',
      severity: 'critical',
      steps: { hotfixApproved: { at: '2026-12-03T14:30:00Z', by: 'U0VP' } },
      ships: { branch: 'hotfix/v1.2.1', sha: 'c'.repeat(40), ahead: 1, text: '`ccccccc` on `hotfix/v1.2.1`, 1 commit beyond production v1.2.0' },
    },
    detectedAt: new Date('2026-12-03T14:00:00Z'),
    steps: [
      { key: 'hotfixApproved', label: 'Hotfix approved by VP Eng', byButton: false },
      { key: 'deployed', label: 'Deployed to production', byButton: false },
      { key: 'monitored', label: 'Monitored after the deploy', byButton: true },
    ],
    ...over,
  };
}

describe('the hotfix message', () => {
  it('says "deployed" once the production job is done, as its deploy view does, not only at the run’s end', () => {
    const text = visibleText(hotfixMessage(input()));
    expect(text).toContain('✅ Deployed to production — at 14:41');
    expect(text).not.toContain('⏳ Deployed to production');
  });

  it('waits on "deployed" while the production job runs', () => {
    const running = input().milestones.map((m) => (m.key === 'production' ? { ...m, state: 'running' as const, finishedAt: undefined } : m));
    expect(visibleText(hotfixMessage(input({ milestones: running })))).toContain('⏳ Deployed to production');
  });

  it('says what it ships', () => {
    expect(visibleText(hotfixMessage(input()))).toContain('*Ships:* `ccccccc` on `hotfix/v1.2.1`, 1 commit beyond production v1.2.0');
  });
});
