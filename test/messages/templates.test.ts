import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KnownBlock } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/domain/policy.js';
import { announcementFromPlan, preReleaseAnnouncement } from '../../src/messages/checklist.js';
import { jargonIn, whatHappened, WHAT_HAPPENED, WHAT_HAPPENED_FALLBACK, plainChange } from '../../src/messages/plain-words.js';
import { releaseCompleteChanges, releaseCompleteMessage, type ReleaseCompleteInput } from '../../src/messages/release-complete.js';
import { rollbackNoticeMessage, type RollbackNoticeInput } from '../../src/messages/rollback.js';
import { statusUpdateMessage, type StatusUpdateInput } from '../../src/messages/status-update.js';
import type { SlackMessage } from '../../src/messages/types.js';
import { currentStep } from '../../src/domain/milestones.js';

/**
 * The guide's communication templates, rendered from fixed inputs and compared with golden files: a change
 * of wording is a visible diff in test/messages/golden/. After an intended change:
 *   UPDATE_GOLDEN=1 npx vitest run test/messages/templates.test.ts
 */
const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const MINUTE = 60_000;
const T0 = new Date('2026-12-03T14:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MINUTE);
const RUN_URL = 'https://github.com/acme/wallet/actions/runs/42';
const RELEASE_URL = 'https://github.com/acme/wallet/releases/tag/v1.3.0';

const bare = loadPolicy(undefined);
const worded = loadPolicy(
  [
    'communication:',
    '  supportContact: support@acme.example',
    '  signOff: The Acme Team',
    '  statusPageUrl: https://status.acme.example',
    '  howThisAffectsYou:',
    '    major: [You will be asked to sign in again once]',
  ].join('\n'),
);

const SECTIONS = {
  features: [{ title: 'feat(wallet): wallet top-ups (#12)' }, { title: 'Admin portal search [skip ci]' }],
  improvements: [{ title: 'perf: faster receipt export (#15)' }, { title: 'docs: clearer upgrade guide' }],
  fixes: [{ title: 'fix: rounding in receipts (#14)' }],
  breaking: [] as { title: string }[],
  migrations: [] as { title: string }[],
  other: [{ title: 'chore: bump eslint' }],
};
const minorPlan = { version: 'v1.3.0', type: 'minor', plannedAt: T0, plan: { sections: SECTIONS } };
const majorPlan = { version: 'v2.0.0', type: 'major', plannedAt: at(-8 * 60), plan: { sections: { ...SECTIONS, breaking: [{ title: 'feat!: remove the v1 payments API (#40)' }] } } };

const NOTES = [
  "## What's Changed",
  '* feat: admin portal search by @erin in https://github.com/acme/wallet/pull/14',
  '* perf: faster receipt export by @lee in https://github.com/acme/wallet/pull/15',
  '* fix: rounding in receipts by @lee in https://github.com/acme/wallet/pull/16',
  '* Bump eslint from 9.1 to 9.2 by @dependabot[bot] in https://github.com/acme/wallet/pull/17',
  '',
  '## New Contributors',
  '* @erin made their first contribution in https://github.com/acme/wallet/pull/14',
  '',
  '**Full Changelog**: https://github.com/acme/wallet/compare/v1.2.0...v1.3.0',
].join('\n');

const update: StatusUpdateInput = {
  version: 'v1.3.0',
  sinceStart: 60 * MINUTE,
  startedAt: T0,
  expectedCompletion: at(90),
  runUrl: RUN_URL,
  currentStep: 'Deploying to production',
  state: 'deploying',
  interval: 15 * MINUTE,
  timeZone: 'UTC',
};

// T+60 with the production gate open: the step is what the deploy waits for, worded by the domain as tminus posts it.
const gatedStep = currentStep(
  [
    { key: 'staging', label: 'Deployed to staging', expectedAt: 30 * MINUTE, state: 'done' },
    { key: 'production', label: 'Deployed to production', expectedAt: 60 * MINUTE, state: 'pending' },
  ],
  { state: 'awaiting_production_approval', productionGate: { state: 'open', counted: 0, needed: 2, needs: 'engineering leadership' } },
)!;

const complete: ReleaseCompleteInput = {
  version: 'v1.3.0',
  completedAt: at(88),
  deploymentMs: 88 * 60_000,
  releaseUrl: RELEASE_URL,
  changes: releaseCompleteChanges({ sections: SECTIONS, notes: NOTES }),
  timeZone: 'UTC',
};

const rollback: RollbackNoticeInput = {
  version: 'v1.3.0',
  toVersion: 'v1.2.0',
  reason: 'Data loss: Error rate breached (p99 fine)',
  whatHappened: whatHappened('Data loss'),
  by: 'U0ONCALL',
  startedAt: at(100),
  limit: 5 * MINUTE,
  // The team's last four rollbacks took 3 minutes at the median: the ETA (the 5-minute limit is the target, not an estimate).
  expected: { typicalMs: 3 * MINUTE, from: 4 },
  runUrl: RUN_URL,
  state: 'running',
  now: at(102),
  timeZone: 'UTC',
};

interface Template {
  name: string;
  audience: 'team' | 'customers';
  message: SlackMessage;
}

const TEMPLATES: Template[] = [
  { name: 'pre-release-announcement.team', audience: 'team', message: preReleaseAnnouncement(announcementFromPlan(minorPlan, bare, 'team')) },
  { name: 'pre-release-announcement.team.major-with-policy-words', audience: 'team', message: preReleaseAnnouncement(announcementFromPlan(majorPlan, worded, 'team')) },
  { name: 'pre-release-announcement.customers', audience: 'customers', message: preReleaseAnnouncement(announcementFromPlan(majorPlan, worded, 'customers')) },
  {
    name: 'pre-release-announcement.customers.bare',
    audience: 'customers',
    message: preReleaseAnnouncement(announcementFromPlan({ version: 'v1.2.4', type: 'patch', plannedAt: T0, plan: null }, bare, 'customers')),
  },
  { name: 'release-in-progress.team', audience: 'team', message: statusUpdateMessage(update) },
  { name: 'release-in-progress.team.late-no-run', audience: 'team', message: statusUpdateMessage({ ...update, runUrl: null, state: 'tagged', postedLate: true, currentStep: 'Next: Building Docker images (waiting for its job in the deploy run to start)', sinceStart: 75 * MINUTE }) },
  { name: 'release-in-progress.team.awaiting-production-approval', audience: 'team', message: statusUpdateMessage({ ...update, state: 'awaiting_production_approval', currentStep: gatedStep }) },
  { name: 'release-in-progress.customers', audience: 'customers', message: statusUpdateMessage({ ...update, audience: 'customers', statusPageUrl: 'https://status.acme.example' }) },
  { name: 'release-in-progress.customers.no-status-page', audience: 'customers', message: statusUpdateMessage({ ...update, audience: 'customers' }) },
  { name: 'release-complete.team', audience: 'team', message: releaseCompleteMessage({ ...complete, supportContact: 'support@acme.example' }) },
  { name: 'release-complete.team.from-notes', audience: 'team', message: releaseCompleteMessage({ ...complete, changes: releaseCompleteChanges({ sections: null, notes: NOTES }) }) },
  { name: 'release-complete.team.nothing-listed', audience: 'team', message: releaseCompleteMessage({ ...complete, deploymentMs: 1 * 60_000, changes: releaseCompleteChanges({ notes: '' }) }) },
  { name: 'release-complete.customers', audience: 'customers', message: releaseCompleteMessage({ ...complete, audience: 'customers', supportContact: 'support@acme.example' }) },
  { name: 'release-complete.customers.bare', audience: 'customers', message: releaseCompleteMessage({ ...complete, audience: 'customers', changes: releaseCompleteChanges({ notes: '' }) }) },
  { name: 'rollback-notice.team', audience: 'team', message: rollbackNoticeMessage({ ...rollback, supportContact: 'support@acme.example' }) },
  // Detected two minutes before the command (`--detected`, or the breach): the limit and time to restore count from it.
  { name: 'rollback-notice.team.detected-earlier', audience: 'team', message: rollbackNoticeMessage({ ...rollback, detectedAt: at(98), whatHappened: 'People could not pay at checkout.', now: at(101) }) },
  { name: 'rollback-notice.team.done-no-plain-reason', audience: 'team', message: rollbackNoticeMessage({ ...rollback, whatHappened: undefined, reason: 'emergency rollback', by: 'tminus', runUrl: undefined, state: 'done', restoredAt: at(103), now: at(104) }) },
  { name: 'rollback-notice.team.first-rollback', audience: 'team', message: rollbackNoticeMessage({ ...rollback, expected: undefined }) },
  { name: 'rollback-notice.customers.first-rollback', audience: 'customers', message: rollbackNoticeMessage({ ...rollback, expected: undefined, audience: 'customers' }) },
  { name: 'rollback-notice.customers', audience: 'customers', message: rollbackNoticeMessage({ ...rollback, audience: 'customers', supportContact: 'support@acme.example' }) },
  { name: 'rollback-notice.customers.done', audience: 'customers', message: rollbackNoticeMessage({ ...rollback, audience: 'customers', whatHappened: undefined, state: 'done', restoredAt: at(103), now: at(104) }) },
  { name: 'rollback-notice.customers.failed', audience: 'customers', message: rollbackNoticeMessage({ ...rollback, audience: 'customers', whatHappened: whatHappened('Performance issue'), state: 'failed', now: at(110) }) },
];

/** What people see in the channel: each block's mrkdwn or plain text, in order. */
function visible(blocks: KnownBlock[]): string {
  return blocks
    .flatMap((block): string[] => {
      if (block.type === 'header') return [block.text.text];
      if (block.type === 'section') return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((f) => f.text)];
      if (block.type === 'context') return block.elements.map((e) => ('text' in e && typeof e.text === 'string' ? e.text : ''));
      return [];
    })
    .join('\n');
}

/** The golden file: the notification text, what the channel shows, then the blocks as Slack receives them. */
function render(message: SlackMessage): string {
  return ['# text', message.text, '', '# visible', visible(message.blocks), '', '# blocks', JSON.stringify(message.blocks, null, 2), ''].join('\n');
}

function blockKitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (message.text.length === 0 || message.text.length > 40_000) problems.push(`fallback text of ${message.text.length} chars`);
  if (message.blocks.length > 50) problems.push(`${message.blocks.length} blocks`);
  for (const block of message.blocks) {
    if (block.type === 'section' && block.text && (block.text.text.length === 0 || block.text.text.length > 3000)) problems.push(`section of ${block.text.text.length} chars`);
    if (block.type === 'context' && (block.elements.length === 0 || block.elements.length > 10)) problems.push(`context of ${block.elements.length} elements`);
  }
  return problems;
}

describe('communication templates match their golden files', () => {
  it.each(TEMPLATES.map((t) => [t.name, t] as const))('%s', (name, template) => {
    const file = join(GOLDEN_DIR, `${name}.txt`);
    const actual = render(template.message);
    expect(blockKitProblems(template.message)).toEqual([]);
    if (UPDATE) {
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(file, actual);
      return;
    }
    if (!existsSync(file)) {
      expect.fail(`no golden file ${file}: write it with UPDATE_GOLDEN=1 npx vitest run test/messages/templates.test.ts, then read it and commit it`);
    }
    expect(actual, `${name}: the wording changed; if intended, UPDATE_GOLDEN=1 npx vitest run test/messages/templates.test.ts`).toBe(readFileSync(file, 'utf8'));
  });

  it('keeps no golden file that no template renders', async () => {
    const { readdirSync } = await import('node:fs');
    const names = new Set(TEMPLATES.map((t) => `${t.name}.txt`));
    expect(existsSync(GOLDEN_DIR) ? readdirSync(GOLDEN_DIR).filter((f) => !names.has(f)) : []).toEqual([]);
  });
});

describe('what customers read', () => {
  const customers = TEMPLATES.filter((t) => t.audience === 'customers');

  it('covers every template the guide writes to customers', () => {
    expect(new Set(customers.map((t) => t.name.split('.')[0]))).toEqual(new Set(['pre-release-announcement', 'release-in-progress', 'release-complete', 'rollback-notice']));
  });

  it.each(customers.map((t) => [t.name, t] as const))('%s: no Slack mention, no metric name, no internal jargon', (_, template) => {
    const all = `${template.message.text}\n${visible(template.message.blocks)}`;
    expect(all).not.toMatch(/<[@!]/);
    expect(jargonIn(all)).toEqual([]);
    expect(all).not.toMatch(/\b(feat|fix|perf|docs|chore)(\([^)]*\))?!?:/);
    expect(all).not.toMatch(/\(#\d+\)/);
  });

  it('the jargon check finds what it is meant to find, as whole words', () => {
    expect(jargonIn('Error rate over 0.1% at T+60 in the deploy run; p99 up')).toEqual(['p99', 'error rate', 'run', 'deploy run', 'T+']);
    expect(jargonIn('We are running the update; it runs smoothly')).toEqual([]);
  });

  it('the team variants do show the team what it needs: T+N, the run, who started the rollback, the reason given', () => {
    const team = (name: string) => visible(TEMPLATES.find((t) => t.name === name)!.message.blocks);
    expect(team('release-in-progress.team')).toContain('T+60');
    expect(team('release-in-progress.team')).toContain(RUN_URL);
    expect(team('release-in-progress.team.awaiting-production-approval')).toContain('Current step: Waiting for 2 approvals from engineering leadership to deploy to production');
    expect(team('release-in-progress.team.awaiting-production-approval')).not.toMatch(/Waiting to start|waiting for the deploy workflow run/);
    expect(team('release-in-progress.team.late-no-run')).toContain('🔗 Status: waiting for GitHub to start the deploy workflow run on the tag');
    expect(team('rollback-notice.team')).toContain('<@U0ONCALL>');
    expect(team('rollback-notice.team')).toContain('Reason given: Data loss: Error rate breached');
  });
});

describe('one duration format in every template', () => {
  it.each(TEMPLATES.map((t) => [t.name, t] as const))('%s: no "N minutes", no bare seconds, no milliseconds', (_, template) => {
    const all = `${template.message.text}\n${visible(template.message.blocks)}`;
    expect(all).not.toMatch(/\d+ (minutes?|min|seconds?|s)\b/);
    expect(all).not.toMatch(/\d+ms\b/);
    expect(all).not.toMatch(/\d+:\d{2} left/);
  });
});

describe('plain words', () => {
  it("has a plain sentence for every issue of the guide's decision matrix, and none names a metric", () => {
    for (const row of bare.decisionMatrix) {
      expect(whatHappened(row.issue)).toBe(WHAT_HAPPENED[row.issue]);
      expect(jargonIn(whatHappened(row.issue))).toEqual([]);
    }
    expect(whatHappened('data LOSS')).toBe(WHAT_HAPPENED['Data loss']);
    expect(whatHappened('something new')).toBe(WHAT_HAPPENED_FALLBACK);
    expect(whatHappened(undefined)).toBe(WHAT_HAPPENED_FALLBACK);
  });

  it('never says "emergency rollback" or a metric in "What happened", whatever reason was given', () => {
    const notice = visible(rollbackNoticeMessage({ ...rollback, whatHappened: undefined, reason: 'emergency rollback', audience: 'customers' }).blocks);
    expect(notice).toContain(`*What happened:*\n${WHAT_HAPPENED_FALLBACK}`);
    expect(notice).not.toContain('emergency');
    expect(notice).not.toContain('Error rate');
  });

  it.each([
    ['feat(wallet): wallet top-ups (#12)', 'Wallet top-ups'],
    ['fix!: rounding in receipts', 'Rounding in receipts'],
    ['Admin portal search [skip ci]', 'Admin portal search'],
    ['feat: admin portal search by @erin in https://github.com/acme/wallet/pull/14', 'Admin portal search'],
    ['Bump eslint by @dependabot[bot] in https://github.com/acme/wallet/pull/17', 'Bump eslint'],
    ['fix: rounding in receipts by @lee', 'Rounding in receipts'],
    ['perf: faster export (#15, #16)', 'Faster export'],
    ['Support Apple Pay', 'Support Apple Pay'],
  ])('%s → %s', (title, plain) => {
    expect(plainChange(title)).toBe(plain);
  });
});

describe('the Release Complete lists', () => {
  it("come from the release plan's sections when there is a plan, performance apart", () => {
    expect(releaseCompleteChanges({ sections: SECTIONS, notes: NOTES })).toEqual({
      source: 'plan',
      features: ['Wallet top-ups', 'Admin portal search'],
      performance: ['Faster receipt export'],
      improvements: ['Clearer upgrade guide'],
      fixes: ['Rounding in receipts'],
      other: ['Bump eslint'],
    });
  });

  it("fall back to GitHub's generated notes, sorted by their titles, without the New Contributors part", () => {
    expect(releaseCompleteChanges({ sections: null, notes: NOTES })).toEqual({
      source: 'notes',
      features: ['Admin portal search'],
      performance: ['Faster receipt export'],
      improvements: [],
      fixes: ['Rounding in receipts'],
      other: ['Bump eslint from 9.1 to 9.2'],
    });
    // A plan with nothing in it (drafted before anything was merged) is no plan.
    expect(releaseCompleteChanges({ sections: { features: [], fixes: [] }, notes: NOTES }).source).toBe('notes');
  });
});
