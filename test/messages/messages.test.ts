import type { KnownBlock } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import type { MilestoneProgress, MilestoneState } from '../../src/domain/milestones.js';
import { COMMANDS, helpMessage } from '../../src/messages/help.js';
import { changesFromNotes, releaseCompleteMessage, type ReleaseCompleteInput } from '../../src/messages/release-complete.js';
import { releaseFailedMessage, type ReleaseFailedInput } from '../../src/messages/release-failed.js';
import { releaseProgressMessage, type ReleaseProgressInput } from '../../src/messages/release-progress.js';
import { releaseStatusMessage, type ReleaseStatusInput } from '../../src/messages/release-status.js';
import { statusUpdateMessage, tPlus, type StatusUpdateInput } from '../../src/messages/status-update.js';
import type { SlackMessage } from '../../src/messages/types.js';
import { auditLogMessage } from '../../src/messages/audit-log.js';
import { statsMessage } from '../../src/messages/stats.js';

const MINUTE = 60_000;
/** T-0 of every release here: a Wednesday in November, when Berlin is on CET (UTC+1). */
const T0 = new Date('2025-11-12T14:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MINUTE);

const RUN_URL = 'https://github.com/acme/wallet/actions/runs/42';
const JOB_URL = 'https://github.com/acme/wallet/actions/runs/42/job/7';
const RELEASE_URL = 'https://github.com/acme/wallet/releases/tag/v1.3.0';
const THREAD_URL = 'https://acme.slack.com/archives/C0RELEASES/p1762956000000100';

/** User-provided text with all three characters Slack's mrkdwn needs escaped, and a mention it must not fire. */
const HOSTILE = 'lock <held> by <!channel> & co';
const HOSTILE_ESCAPED = 'lock &lt;held&gt; by &lt;!channel&gt; &amp; co';

// Slack's limits: https://api.slack.com/reference/block-kit/blocks
const LIMITS = { blocks: 50, header: 150, text: 3000, fields: 10, field: 2000, contextElements: 10, fallback: 40_000 };

/** Every way `message` breaks Slack's limits; an empty list when Slack would take it. */
function limitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (message.text.length === 0) problems.push('empty fallback text');
  if (message.text.length > LIMITS.fallback) problems.push(`fallback text of ${message.text.length} chars`);
  if (message.blocks.length > LIMITS.blocks) problems.push(`${message.blocks.length} blocks`);
  message.blocks.forEach((block, i) => {
    const where = `block ${i} (${block.type})`;
    if (block.type === 'header') {
      if (block.text.text.length > LIMITS.header) problems.push(`${where}: header of ${block.text.text.length} chars`);
      if (block.text.type !== 'plain_text') problems.push(`${where}: header is not plain_text`);
    }
    if (block.type === 'section') {
      if (!block.text && !block.fields) problems.push(`${where}: neither text nor fields`);
      if (block.text && (block.text.text.length === 0 || block.text.text.length > LIMITS.text)) problems.push(`${where}: text of ${block.text.text.length} chars`);
      if (block.fields && block.fields.length > LIMITS.fields) problems.push(`${where}: ${block.fields.length} fields`);
      for (const field of block.fields ?? []) {
        if (field.text.length === 0 || field.text.length > LIMITS.field) problems.push(`${where}: field of ${field.text.length} chars`);
      }
    }
    if (block.type === 'context') {
      if (block.elements.length === 0 || block.elements.length > LIMITS.contextElements) problems.push(`${where}: ${block.elements.length} elements`);
      for (const element of block.elements) {
        if ('text' in element && typeof element.text === 'string' && (element.text.length === 0 || element.text.length > LIMITS.text)) {
          problems.push(`${where}: element of ${element.text.length} chars`);
        }
      }
    }
  });
  return problems;
}

/** Asserts Slack would take the message, and hands it back. */
function checked(message: SlackMessage): SlackMessage {
  expect(limitProblems(message)).toEqual([]);
  return message;
}

/** The mrkdwn and plain text of each block, as people see it in the channel (the fallback text left out). */
function blockTexts(blocks: KnownBlock[]): string[] {
  return blocks.flatMap((block): string[] => {
    switch (block.type) {
      case 'header':
        return [block.text.text];
      case 'section':
        return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((f) => f.text)];
      case 'context':
        return block.elements.map((e) => ('text' in e && typeof e.text === 'string' ? e.text : ''));
      default:
        return [];
    }
  });
}

const shown = (message: SlackMessage): string => blockTexts(message.blocks).join('\n');
const lines = (message: SlackMessage): string[] => shown(message).split('\n');

function milestone(key: string, label: string, expectedMinutes: number, state: MilestoneState, extra: Partial<MilestoneProgress> = {}): MilestoneProgress {
  return { key, label, expectedAt: expectedMinutes * MINUTE, state, ...extra };
}

/** The guide's four milestones twenty minutes into release day. */
const MIDWAY: MilestoneProgress[] = [
  milestone('images', 'Docker images built', 30, 'done', { startedAt: at(1), finishedAt: at(12) }),
  milestone('staging', 'Deployed to staging', 45, 'running', { startedAt: at(12) }),
  milestone('production', 'Deployed to production', 60, 'pending'),
  milestone('verification', 'Post-release verification', 90, 'absent'),
];

describe('statusUpdateMessage: the guide\'s "Release In Progress" template', () => {
  const input: StatusUpdateInput = {
    version: 'v1.3.0',
    sinceStart: 15 * MINUTE,
    startedAt: T0,
    expectedCompletion: at(90),
    runUrl: RUN_URL,
    currentStep: 'Deployed to staging',
    interval: 15 * MINUTE,
    timeZone: 'UTC',
  };

  it('shows the template line by line', () => {
    const message = checked(statusUpdateMessage(input));
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'context']);
    expect(lines(message)).toEqual([
      '*📌 Release v1.3.0 IN PROGRESS · T+15*',
      '',
      '⏱️ Started: 14:00 UTC',
      '🎯 Expected completion: 15:30 UTC',
      `🔗 Status: <${RUN_URL}|GitHub Actions run>`,
      '',
      'Current step: Deployed to staging',
      "We'll update this thread every 15m.",
    ]);
    expect(message.text).toBe('📌 Release v1.3.0 IN PROGRESS · T+15 — Deployed to staging');
  });

  it('links the status page when there is one, and says what the run waits for when there is no run yet', () => {
    const withPage = checked(statusUpdateMessage({ ...input, statusPageUrl: 'https://status.acme.com' }));
    expect(lines(withPage)).toContain('🔗 Status: <https://status.acme.com|https://status.acme.com>');
    const noRun = checked(statusUpdateMessage({ ...input, runUrl: null, state: 'tagged' }));
    expect(lines(noRun)).toContain('🔗 Status: waiting for GitHub to start the deploy workflow run on the tag');
    const beforeTag = checked(statusUpdateMessage({ ...input, runUrl: null, state: 'started' }));
    expect(lines(beforeTag)).toContain('🔗 Status: no deploy run yet: tminus creates the tag once the readiness gate passes, and the tag starts the run');
    const gated = checked(statusUpdateMessage({ ...input, runUrl: null, state: 'awaiting_production_approval' }));
    expect(lines(gated)).toContain('🔗 Status: no production run yet: it starts once production is approved');
    // A known run is linked, whatever the release waits for.
    expect(lines(checked(statusUpdateMessage({ ...input, state: 'awaiting_production_approval' })))).toContain(`🔗 Status: <${RUN_URL}|GitHub Actions run>`);
  });

  it('counts T+N from the slot and says how often updates come', () => {
    const later = checked(statusUpdateMessage({ ...input, sinceStart: 75 * MINUTE, interval: MINUTE }));
    expect(lines(later)[0]).toBe('*📌 Release v1.3.0 IN PROGRESS · T+75*');
    expect(lines(later).at(-1)).toBe("We'll update this thread every 1m.");
    const demo = checked(statusUpdateMessage({ ...input, sinceStart: 30_000, interval: 30_000 }));
    expect(lines(demo)[0]).toBe('*📌 Release v1.3.0 IN PROGRESS · T+30s*');
    expect(lines(demo).at(-1)).toBe("We'll update this thread every 30s.");
  });

  it('says when an update is posted late', () => {
    const late = checked(statusUpdateMessage({ ...input, postedLate: true }));
    expect(late.blocks[1]).toEqual({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: "We'll update this thread every 15m.", verbatim: true },
        { type: 'mrkdwn', text: 'Posted late: tminus was not running when the last update was due; the updates missed meanwhile are not posted afterwards.', verbatim: true },
      ],
    });
    expect(shown(checked(statusUpdateMessage(input)))).not.toContain('Posted late');
  });

  it('escapes the current step', () => {
    const message = checked(statusUpdateMessage({ ...input, currentStep: HOSTILE }));
    expect(lines(message)).toContain(`Current step: ${HOSTILE_ESCAPED}`);
    expect(shown(message)).not.toContain('<!channel>');
  });

  it('writes times in the team\'s timezone', () => {
    const berlin = lines(checked(statusUpdateMessage({ ...input, timeZone: 'Europe/Berlin' })));
    expect(berlin[2]).toMatch(/^⏱️ Started: 15:00 \S+$/);
    expect(berlin[3]).toMatch(/^🎯 Expected completion: 16:30 \S+$/);
    const newYork = lines(checked(statusUpdateMessage({ ...input, timeZone: 'America/New_York' })));
    expect(newYork[2]).toBe('⏱️ Started: 09:00 EST');
    expect(newYork[3]).toBe('🎯 Expected completion: 10:30 EST');
  });

  // Known bug (src/messages/format.ts, zoneName): en-US has no short names for European zones, so
  // Berlin shows "GMT+1". Flip to `it` once fixed.
  it('names the zone as people there write it: 15:00 CET in Berlin in November', () => {
    const berlin = lines(statusUpdateMessage({ ...input, timeZone: 'Europe/Berlin' }));
    expect(berlin[2]).toBe('⏱️ Started: 15:00 CET');
    expect(berlin[3]).toBe('🎯 Expected completion: 16:30 CET');
  });
});

describe('tPlus', () => {
  it.each([
    [0, 'T+0'],
    [15 * MINUTE, 'T+15'],
    [90 * MINUTE, 'T+90'],
    [120 * MINUTE, 'T+120'],
    [30_000, 'T+30s'],
    [90_000, 'T+1m 30s'],
  ])('%i ms is %s', (ms, expected) => {
    expect(tPlus(ms)).toBe(expected);
  });
});

const GITHUB_NOTES = [
  "## What's Changed",
  '* feat: admin portal search by @erin in https://github.com/acme/wallet/pull/14',
  '* fix: rounding in receipts by @lee in https://github.com/acme/wallet/pull/15',
  '',
  '**Full Changelog**: https://github.com/acme/wallet/compare/v1.2.0...v1.3.0',
].join('\n');

describe('changesFromNotes', () => {
  it('takes the bullets of GitHub\'s generated notes, in order', () => {
    expect(changesFromNotes(GITHUB_NOTES)).toEqual([
      'feat: admin portal search by @erin in https://github.com/acme/wallet/pull/14',
      'fix: rounding in receipts by @lee in https://github.com/acme/wallet/pull/15',
    ]);
  });

  it('reads both bullet styles and indented bullets, and ignores what is not a bullet', () => {
    expect(changesFromNotes('Intro line\n- one\n  * two\n*bold* text\n-not a bullet\n**Full Changelog**: x')).toEqual(['one', 'two']);
  });

  it('stops at the limit', () => {
    const notes = Array.from({ length: 25 }, (_, i) => `* change ${i + 1}`).join('\n');
    expect(changesFromNotes(notes)).toHaveLength(10);
    expect(changesFromNotes(notes, 3)).toEqual(['change 1', 'change 2', 'change 3']);
  });

  it('finds nothing in notes without bullets', () => {
    expect(changesFromNotes('**Full Changelog**: https://github.com/acme/wallet/commits/v1.3.0')).toEqual([]);
  });

  // Known bug (src/messages/release-complete.ts, changesFromNotes): every bullet is taken, so GitHub's
  // "New Contributors" section is listed as changes. Flip to `it` once fixed.
  it('leaves out the "New Contributors" section GitHub adds after the changes', () => {
    const notes = [
      "## What's Changed",
      '* feat: admin portal search by @erin in https://github.com/acme/wallet/pull/14',
      '',
      '## New Contributors',
      '* @erin made their first contribution in https://github.com/acme/wallet/pull/14',
      '',
      '**Full Changelog**: https://github.com/acme/wallet/compare/v1.2.0...v1.3.0',
    ].join('\n');
    expect(changesFromNotes(notes)).toEqual(['feat: admin portal search by @erin in https://github.com/acme/wallet/pull/14']);
  });
});

describe('releaseCompleteMessage: the guide\'s "Release Complete" template', () => {
  const input: ReleaseCompleteInput = {
    version: 'v1.3.0',
    completedAt: at(88),
    deploymentMs: 88 * 60_000,
    releaseUrl: RELEASE_URL,
    notes: GITHUB_NOTES,
    timeZone: 'UTC',
  };

  it('shows the template line by line, the changes from GitHub\'s notes when there is no plan', () => {
    const message = checked(releaseCompleteMessage(input));
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'section', 'section', 'section', 'section', 'context']);
    expect(lines(message)).toEqual([
      '*✅ Release v1.3.0 COMPLETED*',
      '',
      '⏱️ Release completed at 15:28 UTC',
      '📦 Deployment time: 1h 28m',
      '*New features:*',
      '- Admin portal search',
      '*Bug fixes:*',
      '- Rounding in receipts',
      `📝 <${RELEASE_URL}|Release notes for v1.3.0>`,
      'Thank you for your patience!',
      "Changes listed from GitHub's generated release notes (no release plan).",
    ]);
    expect(message.text).toBe('✅ Release v1.3.0 COMPLETED in 1h 28m');
  });

  it('says "1m" for one minute, as every duration is written, and names the support contact when there is one', () => {
    const message = checked(releaseCompleteMessage({ ...input, deploymentMs: 1 * 60_000, supportContact: 'support@acme.example' }));
    expect(lines(message)).toContain('📦 Deployment time: 1m');
    expect(lines(message).slice(-3, -1)).toEqual(['Thank you for your patience!', 'Questions? support@acme.example']);
  });

  it('escapes pull request titles', () => {
    const message = checked(releaseCompleteMessage({ ...input, notes: `* ${HOSTILE}` }));
    expect(lines(message)).toContain(`- ${HOSTILE_ESCAPED.charAt(0).toUpperCase()}${HOSTILE_ESCAPED.slice(1)}`);
    expect(shown(message)).not.toContain('<!channel>');
  });

  it('says so when the notes list no changes', () => {
    const message = checked(releaseCompleteMessage({ ...input, notes: '**Full Changelog**: https://github.com/acme/wallet/commits/v1.3.0' }));
    expect(lines(message)).toContain('_No changes listed in the release notes._');
    expect(shown(message)).not.toContain("What's changed");
  });

  it('writes the completion time in the team\'s timezone', () => {
    expect(lines(checked(releaseCompleteMessage({ ...input, timeZone: 'America/New_York' })))).toContain('⏱️ Release completed at 10:28 EST');
    expect(lines(checked(releaseCompleteMessage({ ...input, timeZone: 'Europe/Berlin' }))).join('\n')).toMatch(/^⏱️ Release completed at 16:28 \S+$/m);
  });
});

describe('releaseFailedMessage', () => {
  const input: ReleaseFailedInput = {
    releaseId: '00000000-0000-4000-8000-000000000001',
    version: 'v1.3.0',
    failedAt: at(52),
    reason: 'the deploy workflow failed',
    failedJob: { job: 'deploy-production', step: 'Execute database migrations', url: JOB_URL },
    runUrl: RUN_URL,
    productionTouched: true,
    previousVersion: 'v1.2.0',
    rollbackCommand: './scripts/rollback.sh v1.2.0',
    rollbackTimeLimitMinutes: 15,
    timeZone: 'UTC',
  };

  it("after production was touched: the failed job, the run, tminus's own rollback (button and command), the manual command", () => {
    const message = checked(releaseFailedMessage(input));
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'actions']);
    expect(lines(message)).toEqual([
      '*❌ Release v1.3.0 FAILED*',
      '',
      '⏱️ Failed at 14:52 UTC: the deploy workflow failed',
      `💥 Job <${JOB_URL}|deploy-production> failed at step “Execute database migrations”.`,
      `🔗 <${RUN_URL}|GitHub Actions run>`,
      '',
      '⚠️ *Production was touched. Roll back to v1.2.0 within 15m of detection* (guide: Immediate Rollback): press *Roll back to v1.2.0* or `/release rollback v1.3.0 [what happened]`. tminus runs the rollback workflow, posts the Rollback Notice and its verification checklist.',
      'If the rollback workflow cannot run, by hand:',
      '```./scripts/rollback.sh v1.2.0```',
    ]);
    const button = (message.blocks[1] as { elements: { action_id: string; text: { text: string }; value: string }[] }).elements[0]!;
    expect(button).toMatchObject({ action_id: 'rollback_now', text: { text: 'Roll back to v1.2.0' }, value: `${input.releaseId}|v1.3.0` });
    expect(message.text).toBe('❌ Release v1.3.0 FAILED: the deploy workflow failed');
  });

  it('after production was touched without a rollback command: the button and command, no manual command', () => {
    const message = checked(releaseFailedMessage({ ...input, rollbackCommand: null }));
    expect(lines(message).at(-1)).toContain('press *Roll back to v1.2.0*');
    expect(shown(message)).not.toContain('```');
  });

  it('before production was touched: no rollback, and says the previous version is still live', () => {
    const message = checked(releaseFailedMessage({ ...input, productionTouched: false, failedJob: { job: 'deploy-staging', url: JOB_URL } }));
    expect(lines(message)).toContain(`💥 Job <${JOB_URL}|deploy-staging> failed.`);
    expect(lines(message).at(-1)).toBe('Production was not touched: v1.2.0 is still live. Fix the cause and start a new release.');
    expect(shown(message)).not.toContain('./scripts/rollback.sh');
    expect(shown(message)).not.toContain('Roll back');
  });

  it('without a job, a run or a previous version', () => {
    const message = checked(
      releaseFailedMessage({ ...input, failedJob: undefined, runUrl: null, previousVersion: null, productionTouched: false, reason: 'the tag could not be created' }),
    );
    expect(lines(message)).toEqual([
      '*❌ Release v1.3.0 FAILED*',
      '',
      '⏱️ Failed at 14:52 UTC: the tag could not be created',
      '',
      'Production was not touched: the current version is still live. Fix the cause and start a new release.',
    ]);
    const touched = checked(releaseFailedMessage({ ...input, previousVersion: null, rollbackCommand: null }));
    expect(lines(touched).at(-1)).toBe('⚠️ *Production was touched.* Roll back to the previous version within 15m of detection: tminus does not know which version ran before, so roll back by hand.');
  });

  it('links a job that has no URL by name only', () => {
    const message = checked(releaseFailedMessage({ ...input, failedJob: { job: 'deploy-production', url: null } }));
    expect(lines(message)).toContain('💥 Job deploy-production failed.');
  });

  it('escapes the reason, the job name and the step', () => {
    const message = checked(releaseFailedMessage({ ...input, reason: HOSTILE, failedJob: { job: `deploy ${HOSTILE}`, step: `step ${HOSTILE}`, url: JOB_URL } }));
    expect(lines(message)).toContain(`⏱️ Failed at 14:52 UTC: ${HOSTILE_ESCAPED}`);
    expect(lines(message)).toContain(`💥 Job <${JOB_URL}|deploy ${HOSTILE_ESCAPED}> failed at step “step ${HOSTILE_ESCAPED}”.`);
    expect(shown(message)).not.toContain('<!channel>');
  });

  it('writes the time in the team\'s timezone', () => {
    expect(lines(checked(releaseFailedMessage({ ...input, timeZone: 'America/New_York' })))).toContain(
      '⏱️ Failed at 09:52 EST: the deploy workflow failed',
    );
  });
});

describe('releaseProgressMessage: the live progress view', () => {
  const input: ReleaseProgressInput = {
    version: 'v1.3.0',
    type: 'minor',
    state: 'deploying',
    requestedBy: 'U0ENG',
    startedAt: T0,
    expectedCompletion: at(120),
    taggedAt: at(0),
    targetBranch: 'main',
    targetSha: 'abc1234def5678',
    runUrl: RUN_URL,
    finishedAt: null,
    failureReason: null,
    milestones: MIDWAY,
    now: at(20),
    timeZone: 'UTC',
  };

  it('mid-release: header, facts, run link, one line per milestone, elapsed and ETA', () => {
    const message = checked(releaseProgressMessage(input));
    expect(message.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: '📌 Release v1.3.0 started', emoji: true } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Type*\nminor', verbatim: true },
          { type: 'mrkdwn', text: '*Started by*\n<@U0ENG>', verbatim: true },
          { type: 'mrkdwn', text: '*Started*\n14:00 UTC', verbatim: true },
          { type: 'mrkdwn', text: '*⏱️ ETA*\n16:00 UTC', verbatim: true },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: `🔗 Status: <${RUN_URL}|GitHub Actions run>`, verbatim: true } },
      { type: 'divider' },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            '✅ Tag v1.3.0 created on `main` at `abc1234` — T+0',
            '✅ Docker images built — 12m after start (guide: T+30)',
            '⏳ Deployed to staging — running for 8m (guide: T+45)',
            '⚪ Deployed to production — expected at T+60',
            '➖ Post-release verification — no job in the deploy workflow',
          ].join('\n'),
          verbatim: true,
        },
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: 'Elapsed 20m · ETA 16:00 UTC', verbatim: true },
          { type: 'mrkdwn', text: 'Updates arrive in this thread.', verbatim: true },
        ],
      },
    ]);
    expect(message.text).toBe('📌 Release v1.3.0 started — Elapsed 20m · ETA 16:00 UTC');
  });

  it.each<[MilestoneState, string]>([
    ['done', '✅'],
    ['running', '⏳'],
    ['failed', '❌'],
    ['pending', '⚪'],
    ['skipped', '⏭️'],
    ['absent', '➖'],
  ])('marks a %s milestone with %s', (state, icon) => {
    const message = checked(releaseProgressMessage({ ...input, milestones: [milestone('production', 'Deployed to production', 60, state, { startedAt: at(15) })] }));
    const line = lines(message).find((l) => l.includes('Deployed to production'));
    expect(line?.startsWith(`${icon} Deployed to production — `)).toBe(true);
    const others = ['✅', '⏳', '❌', '⚪', '⏭️', '➖'].filter((i) => i !== icon);
    expect(others.some((i) => line?.startsWith(i))).toBe(false);
  });

  it('before the tag and the run exist', () => {
    const message = checked(releaseProgressMessage({ ...input, state: 'started', taggedAt: null, targetBranch: null, targetSha: null, runUrl: null, now: at(0) }));
    expect(lines(message)).toContain('⏳ Creating tag v1.3.0');
    expect(lines(message)).toContain('🔗 Status: no deploy run yet: tminus creates the tag once the readiness gate passes, and the tag starts the run');
    expect(lines(message)).toContain('Elapsed 0s · ETA 16:00 UTC');
  });

  it('a failed release: the failed job with its link, where it stopped, and why', () => {
    const message = checked(
      releaseProgressMessage({
        ...input,
        state: 'failed',
        finishedAt: at(52),
        now: at(55),
        failureReason: 'the deploy workflow failed',
        milestones: [
          MIDWAY[0]!,
          milestone('staging', 'Deployed to staging', 45, 'done', { startedAt: at(12), finishedAt: at(30) }),
          milestone('production', 'Deployed to production', 60, 'failed', {
            startedAt: at(31),
            finishedAt: at(52),
            failure: { job: 'deploy-production', step: 'Execute database migrations', url: JOB_URL },
          }),
          milestone('verification', 'Post-release verification', 90, 'skipped'),
        ],
      }),
    );
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '❌ Release v1.3.0 failed', emoji: true } });
    expect(lines(message)).toEqual(
      expect.arrayContaining([
        '✅ Deployed to staging — 30m after start (guide: T+45)',
        `❌ Deployed to production — <${JOB_URL}|deploy-production> failed at “Execute database migrations”`,
        '⏭️ Post-release verification — skipped',
        'Failed at 14:52 UTC after 52m: the deploy workflow failed',
      ]),
    );
    expect(message.text).toBe('❌ Release v1.3.0 failed — Failed at 14:52 UTC after 52m: the deploy workflow failed');
    // An ended release has no ETA and promises no more updates.
    expect(shown(message)).not.toMatch(/ETA|Updates arrive/);
  });

  it('a release that failed before its tag', () => {
    const message = checked(releaseProgressMessage({ ...input, state: 'failed', taggedAt: null, finishedAt: at(1), failureReason: null }));
    expect(lines(message)).toContain('❌ Tag v1.3.0 not created');
    expect(lines(message)).toContain('Failed at 14:01 UTC after 1m');
  });

  it('a completed release: when it ended and how long it took', () => {
    const done = MIDWAY.map((m) => ({ ...m, state: 'done' as const, finishedAt: at(m.expectedAt / MINUTE - 2) }));
    const message = checked(releaseProgressMessage({ ...input, state: 'completed', finishedAt: at(88), now: at(95), milestones: done }));
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '✅ Release v1.3.0 completed', emoji: true } });
    expect(lines(message)).toContain('✅ Post-release verification — 1h 28m after start (guide: T+90)');
    expect(lines(message)).toContain('Completed at 15:28 UTC · took 1h 28m');
    expect(shown(message)).not.toContain('⏳');
  });

  it('escapes the failure reason, the branch and the failed step', () => {
    const message = checked(
      releaseProgressMessage({
        ...input,
        state: 'failed',
        finishedAt: at(52),
        failureReason: HOSTILE,
        targetBranch: 'release/<x>&y',
        milestones: [milestone('production', 'Deployed to production', 60, 'failed', { failure: { job: 'deploy', step: HOSTILE, url: null } })],
      }),
    );
    expect(lines(message)).toContain(`Failed at 14:52 UTC after 52m: ${HOSTILE_ESCAPED}`);
    expect(lines(message)).toContain(`❌ Deployed to production — deploy failed at “${HOSTILE_ESCAPED}”`);
    expect(shown(message)).toContain('created on `release/&lt;x&gt;&amp;y`');
    expect(shown(message)).not.toContain('<!channel>');
  });

  it('writes times in the team\'s timezone', () => {
    const newYork = checked(releaseProgressMessage({ ...input, timeZone: 'America/New_York' }));
    expect(shown(newYork)).toContain('*Started*\n09:00 EST');
    expect(shown(newYork)).toContain('*⏱️ ETA*\n11:00 EST');
    const berlin = checked(releaseProgressMessage({ ...input, timeZone: 'Europe/Berlin' }));
    expect(shown(berlin)).toMatch(/\*Started\*\n15:00 \S+/);
  });
});

describe('releaseStatusMessage: /release status', () => {
  const input: ReleaseStatusInput = {
    version: 'v1.3.0',
    type: 'minor',
    state: 'deploying',
    requestedBy: 'U0ENG',
    startedAt: T0,
    finishedAt: null,
    expectedCompletion: at(90),
    runUrl: RUN_URL,
    releaseUrl: null,
    failureReason: null,
    threadUrl: THREAD_URL,
    milestones: MIDWAY,
    now: at(20),
    timeZone: 'UTC',
  };

  it('a release in flight: state, T+N and ETA, milestones, links', () => {
    const message = checked(releaseStatusMessage(input));
    expect(message.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Release v1.3.0: deploying', emoji: true } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Type*\nminor', verbatim: true },
          { type: 'mrkdwn', text: '*Started by*\n<@U0ENG>', verbatim: true },
          { type: 'mrkdwn', text: '*Started*\n14:00 UTC', verbatim: true },
          { type: 'mrkdwn', text: '*Timing*\nT+20 · ETA 15:30 UTC', verbatim: true },
        ],
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '✅ Docker images built\n⏳ Deployed to staging\n⚪ Deployed to production\n➖ Post-release verification', verbatim: true },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `<${THREAD_URL}|Thread> · <${RUN_URL}|Deploy run>`, verbatim: true }] },
    ]);
    expect(message.text).toBe('Release v1.3.0: deploying');
  });

  it('a finished release: how long it took, when it ended, its notes', () => {
    const message = checked(releaseStatusMessage({ ...input, state: 'completed', finishedAt: at(88), now: at(300), releaseUrl: RELEASE_URL }));
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Release v1.3.0: completed', emoji: true } });
    expect(shown(message)).toContain('*Timing*\nTook 1h 28m, ended 15:28 UTC');
    expect(shown(message)).toContain(`<${THREAD_URL}|Thread> · <${RUN_URL}|Deploy run> · <${RELEASE_URL}|Release notes>`);
  });

  it('a failed release says why', () => {
    const message = checked(releaseStatusMessage({ ...input, state: 'failed', finishedAt: at(52), failureReason: 'the deploy workflow failed' }));
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Release v1.3.0: failed', emoji: true } });
    expect(lines(message)).toContain('*Why it failed:* the deploy workflow failed');
  });

  it('a release with no milestones or links yet', () => {
    const message = checked(releaseStatusMessage({ ...input, state: 'started', milestones: [], threadUrl: null, runUrl: null }));
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Release v1.3.0: starting: the readiness gate, then the tag', emoji: true } });
    expect(lines(message)).toContain('_No milestones yet._');
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section']);
  });

  it('writes times in the team\'s timezone', () => {
    const message = checked(releaseStatusMessage({ ...input, timeZone: 'America/New_York' }));
    expect(shown(message)).toContain('*Started*\n09:00 EST');
    expect(shown(message)).toContain('*Timing*\nT+20 · ETA 10:30 EST');
  });

  // Known bug (src/messages/release-status.ts, the "Why it failed" section): the reason, which carries
  // Slack's and GitHub's error messages, is not escaped. Flip to `it` once fixed.
  it('escapes the failure reason', () => {
    const message = releaseStatusMessage({ ...input, state: 'failed', finishedAt: at(52), failureReason: HOSTILE });
    expect(lines(message)).toContain(`*Why it failed:* ${HOSTILE_ESCAPED}`);
    expect(shown(message)).not.toContain('<!channel>');
  });
});

describe('helpMessage', () => {
  it('lists every command with what it does', () => {
    const message = checked(helpMessage());
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'context']);
    expect(lines(message)).toEqual([
      '*tminus runs releases by the release management guide.*',
      '• `/release start vX.Y.Z [--override "&lt;reason&gt;"]` — Start a release: tag, follow the deploy workflow, post T+N updates in its thread.',
      '• `/release status [vX.Y.Z]` — Where a release stands (the one in flight, or the latest, when no version is given).',
      "• `/release hotfix vX.Y.Z &lt;what is broken&gt; [--severity high] [--detected HH:MM] [--from &lt;branch|sha&gt;]` — The emergency lane in the guide's order, its deadlines counted from detection: cut from what production runs (`hotfix/vX.Y.Z`), tested (by a person or CI), approved by the VP Eng, deployed at once.",
      "• `/release log vX.Y.Z` — The release's audit trail: every state change, approval and rejection, with who and when.",
      "• `/release rollback vX.Y.Z [--detected HH:MM] [what happened]` — Emergency rollback to the previous version (on-call or a release approver), also while a deploy that reached production still runs. The guide's 5 minutes count from detection (`--detected`, else the breach); your words are the Rollback Notice's \"What happened\".",
      '• `/release rollback vX.Y.Z --coordinated [reason]` — Coordinated rollback: after the VP Eng approves, a revert pull request to ship as the next patch.',
      '• `/release confirm vX.Y.Z &lt;what you checked&gt;` — Complete a release whose post-deploy checks tminus cannot read (Datadog down, no data), saying what you checked on the dashboards.',
      '• `/release waive vX.Y.Z &lt;checklists|cadence|freeze&gt; &lt;reason&gt;` — An approver of the type lets a release held at its readiness gate go on without that line (CI and the production gate are fixed, not waived).',
      "• `/release freeze &lt;reason&gt; [--until YYYY-MM-DD[ HH:MM]]` — Declare a deploy freeze: releases (not hotfixes) wait at their readiness gate until unfrozen or the date given.",
      "• `/release unfreeze [reason]` — End the ad-hoc freezes in force: the releases they held go on at once.",
      '• `/release abort vX.Y.Z &lt;reason&gt;` — End a release that is not over (stuck, waiting on a gate nobody will press, no longer wanted): gates close, updates stop, a deploy that has not reached production is cancelled.',
      '• `/release incident &lt;severity&gt; &lt;issue&gt;` — What the decision matrix says to do, and by when.',
      '• `/release plan vX.Y.Z [date]` — Plan a release: the plan card and a release-notes draft from what was merged, on the next slot of its type (or the date given).',
      '• `/release plan move vX.Y.Z &lt;date&gt; [HH:MM] | /release plan cancel vX.Y.Z &lt;reason&gt;` — Move a planned release to another date, or cancel it.',
      '• `/release schedule` — The coming minor and major slots, the releases planned in them, and the deploy freezes.',
      '• `/release stats [30d|90d|12w]` — The four DORA figures (deployment frequency, lead time, change failure rate, time to restore) with their band, the trend and a chart, posted in this channel.',
      '• `/release roles` — Who holds each role (engineering lead, VP Eng, CTO, …) that approves releases.',
      '• `/release help` — This list.',
      'Versions may be written with or without `v`; pre-releases like `v1.3.0-rc.1` are allowed.',
    ]);
    const usages = ['/release start vX.Y.Z [--override "<reason>"]', '/release status [vX.Y.Z]', '/release hotfix vX.Y.Z <what is broken> [--severity high] [--detected HH:MM] [--from <branch|sha>]', '/release log vX.Y.Z', '/release rollback vX.Y.Z [--detected HH:MM] [what happened]', '/release rollback vX.Y.Z --coordinated [reason]', '/release confirm vX.Y.Z <what you checked>', '/release waive vX.Y.Z <checklists|cadence|freeze> <reason>', '/release freeze <reason> [--until YYYY-MM-DD[ HH:MM]]', '/release unfreeze [reason]', '/release abort vX.Y.Z <reason>', '/release incident <severity> <issue>', '/release plan vX.Y.Z [date]', '/release plan move vX.Y.Z <date> [HH:MM] | /release plan cancel vX.Y.Z <reason>', '/release schedule', '/release stats [30d|90d|12w]', '/release roles', '/release help'];
    // The usages' <arguments> are escaped for Slack, in the text as in the blocks.
    expect(message.text).toBe(`tminus commands: ${usages.map((u) => u.replace(/</g, '&lt;').replace(/>/g, '&gt;')).join(', ')}`);
    expect(COMMANDS.map((c) => c.usage)).toEqual(usages);
  });

  it('opens with the line that says why it is shown', () => {
    const message = checked(helpMessage("I don't know `/release ship`."));
    expect(message.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: "I don't know `/release ship`.", verbatim: true } });
    expect(message.blocks).toHaveLength(3);
    expect(message.text.split('\n')[0]).toBe("I don't know `/release ship`.");
    expect(message.text.split('\n')[1]).toMatch(/^tminus commands: \/release start vX\.Y\.Z /);
  });
});

describe("Slack's limits hold for outsized input", () => {
  const long = (n: number): string => 'x'.repeat(n);
  const manyMilestones = Array.from({ length: 200 }, (_, i) => milestone(`m${i}`, `Milestone ${i} ${long(40)}`, i, 'done', { finishedAt: at(i) }));
  const longVersion = `v1.3.0-rc.${long(200)}`;

  const cases: [string, () => SlackMessage][] = [
    [
      'a status update with a long version and current step',
      () =>
        statusUpdateMessage({
          version: longVersion,
          sinceStart: 15 * MINUTE,
          startedAt: T0,
          expectedCompletion: at(90),
          runUrl: RUN_URL,
          currentStep: long(5_000),
          interval: 15 * MINUTE,
          timeZone: 'UTC',
        }),
    ],
    [
      'a completion with many long changes',
      () =>
        releaseCompleteMessage({
          version: longVersion,
          completedAt: at(88),
          deploymentMs: 88 * 60_000,
          releaseUrl: RELEASE_URL,
          notes: Array.from({ length: 40 }, (_, i) => `* change ${i} ${long(500)}`).join('\n'),
          timeZone: 'UTC',
        }),
    ],
    [
      'a failure with a long reason and rollback command',
      () =>
        releaseFailedMessage({
          releaseId: '00000000-0000-4000-8000-000000000001',
          version: longVersion,
          failedAt: at(52),
          reason: long(5_000),
          failedJob: { job: long(300), step: long(300), url: JOB_URL },
          runUrl: RUN_URL,
          productionTouched: true,
          previousVersion: 'v1.2.0',
          rollbackCommand: long(2_000),
          rollbackTimeLimitMinutes: 15,
          timeZone: 'UTC',
        }),
    ],
    [
      'a progress view with a long version and 200 milestones',
      () =>
        releaseProgressMessage({
          version: longVersion,
          type: 'minor',
          state: 'deploying',
          requestedBy: 'U0ENG',
          startedAt: T0,
          expectedCompletion: at(120),
          taggedAt: T0,
          targetBranch: 'main',
          targetSha: 'abc1234def',
          runUrl: RUN_URL,
          finishedAt: null,
          failureReason: null,
          milestones: manyMilestones,
          now: at(200),
          timeZone: 'UTC',
        }),
    ],
    [
      'a status answer with 200 milestones and a long failure reason',
      () =>
        releaseStatusMessage({
          version: longVersion,
          type: 'minor',
          state: 'failed',
          requestedBy: 'U0ENG',
          startedAt: T0,
          finishedAt: at(52),
          expectedCompletion: at(90),
          runUrl: RUN_URL,
          releaseUrl: RELEASE_URL,
          failureReason: long(5_000),
          threadUrl: THREAD_URL,
          milestones: manyMilestones,
          now: at(60),
          timeZone: 'UTC',
        }),
    ],
    ['help with a long lead', () => helpMessage(long(5_000))],
  ];

  it.each(cases)('%s', (_, build) => {
    const message = build();
    expect(limitProblems(message)).toEqual([]);
    const header = message.blocks.find((b) => b.type === 'header');
    if (header?.type === 'header') expect(header.text.text.length).toBeLessThanOrEqual(LIMITS.header);
  });

  it('the limit check itself catches what Slack refuses', () => {
    const tooMuch: SlackMessage = {
      text: 'x',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: long(151) } },
        { type: 'section', text: { type: 'mrkdwn', text: long(3_001) } },
        { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'f' })) },
        { type: 'context', elements: [{ type: 'mrkdwn', text: long(3_001) }] },
        ...Array.from({ length: 47 }, (): KnownBlock => ({ type: 'divider' })),
      ],
    };
    expect(limitProblems(tooMuch)).toEqual([
      '51 blocks',
      'block 0 (header): header of 151 chars',
      'block 1 (section): text of 3001 chars',
      'block 2 (section): 11 fields',
      'block 3 (context): element of 3001 chars',
    ]);
  });

  // Known bug (src/messages/format.ts, context): context elements are not cut to Slack's 3,000
  // characters, so a long failure reason makes the progress view's edit fail. Flip to `it` once fixed.
  it('a failed progress view with a long failure reason', () => {
    const message = releaseProgressMessage({
      version: 'v1.3.0',
      type: 'minor',
      state: 'failed',
      requestedBy: 'U0ENG',
      startedAt: T0,
      expectedCompletion: at(120),
      taggedAt: T0,
      targetBranch: 'main',
      targetSha: 'abc1234def',
      runUrl: RUN_URL,
      finishedAt: at(52),
      failureReason: long(5_000),
      milestones: MIDWAY,
      now: at(60),
      timeZone: 'UTC',
    });
    expect(limitProblems(message)).toEqual([]);
  });
});

describe("dates in the team's time zone", () => {
  // 23:30 UTC on 10 December is already 11 December in Sydney (AEDT, +11).
  const lateEvening = new Date('2026-12-10T23:30:00Z');

  it('writes the audit trail with the date of the team, not of UTC', () => {
    const entries = [{ at: lateEvening, actor: 'U0ENG', action: 'release.started', details: {} }];
    expect(lines(auditLogMessage('v1.3.0', entries, 'Australia/Sydney')).join('\n')).toMatch(/^`2026-12-11 10:30 \S+` <@U0ENG>/m);
    expect(lines(auditLogMessage('v1.3.0', entries, 'UTC')).join('\n')).toContain('`2026-12-10 23:30 UTC`');
  });

  it("says the stats window's dates on the team's calendar", () => {
    const summary = (timeZone: string) => ({
      window: { from: new Date('2026-11-10T23:30:00Z'), to: lateEvening, bucket: 'week' as const, timeZone },
      figures: { deployments: 0, deploymentsPerWeek: 0, deploymentsPerDay: 0, changes: 0, failures: 0, restores: 0 },
      bands: {},
      previous: { deployments: 0, deploymentsPerWeek: 0, deploymentsPerDay: 0, changes: 0, failures: 0, restores: 0 },
      trend: {},
      series: [],
    });
    expect(lines(statsMessage(summary('Australia/Sydney'), '30 days')).join('\n')).toContain('2026-11-11 to 2026-12-11');
    expect(lines(statsMessage(summary('UTC'), '30 days')).join('\n')).toContain('2026-11-10 to 2026-12-10');
  });
});
