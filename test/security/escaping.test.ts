import type { KnownBlock, ModalView } from '@slack/web-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checklistItems } from '../../src/domain/checklist.js';
import type { MilestoneProgress } from '../../src/domain/milestones.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { buildReleasePlan, type PlannedPullRequest } from '../../src/domain/release-plan.js';
import { abortConfirmMessage, abortedMessage, parseAbortConfirmValue } from '../../src/messages/abort.js';
import { approvedNotice, gateMessage, productionAnsweredMessage, rejectedNotice, rejectModal, type GateMessageInput } from '../../src/messages/approval-gate.js';
import { auditLogMessage } from '../../src/messages/audit-log.js';
import { checklistMessage, note, overrideModal, preReleaseAnnouncement, startedAtT0Note } from '../../src/messages/checklist.js';
import { escape } from '../../src/messages/format.js';
import { jobGaveUpMessage, planStepGaveUpMessage } from '../../src/messages/gave-up.js';
import { deploymentReviewComment, revertPullRequestBody } from '../../src/messages/github-texts.js';
import { helpMessage, noticeMessage } from '../../src/messages/help.js';
import { hotfixMessage, type HotfixMessageInput } from '../../src/messages/hotfix.js';
import { incidentMessage } from '../../src/messages/incident.js';
import { postMortemBody, postMortemLinkMessage, type PostMortemInput } from '../../src/messages/post-mortem.js';
import { plainChange } from '../../src/messages/plain-words.js';
import { changesFromNotes, releaseCompleteMessage } from '../../src/messages/release-complete.js';
import { releaseFailedMessage, type ReleaseFailedInput } from '../../src/messages/release-failed.js';
import {
  nothingToReleaseMessage,
  noPreviousReleaseMessage,
  planChangedMessage,
  planFailedMessage,
  releaseNotesDraftBody,
  releaseNotesDraftMessage,
  releasePlanCard,
  type ReleasePlanCardInput,
} from '../../src/messages/release-plan.js';
import { releaseProgressMessage, type ReleaseProgressInput } from '../../src/messages/release-progress.js';
import { releaseStatusMessage, type ReleaseStatusInput } from '../../src/messages/release-status.js';
import { rolesMessage } from '../../src/messages/roles.js';
import { manualRollbackMessage, revertOpenedMessage, rollbackChecklistMessage, rollbackNoticeMessage, rollbackTurnedDownMessage, type RollbackNoticeInput } from '../../src/messages/rollback.js';
import { scheduleMessage } from '../../src/messages/schedule.js';
import { statusUpdateMessage } from '../../src/messages/status-update.js';
import { codeBlock, fromSlashCommand, githubMarkdown, slackMrkdwn } from '../../src/messages/text.js';
import type { SlackMessage } from '../../src/messages/types.js';
import { breachAlertMessage, verificationMessage } from '../../src/messages/verification.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { FAST_TIMINGS, RELEASES_CHANNEL, startBot, startWorld, waitFor, type Bot, type World } from '../support/harness.js';

/** What people and GitHub may send: Slack's live syntax, markdown and HTML, invisible and reordering characters, sheer length. */
const CORPUS = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U0ATTACK>',
  '<!subteam^S0TEAM|@release-team>',
  '<https://evil.example/x|Approve>',
  '<#C123>',
  '<mailto:a@b.example|x>',
  '```',
  '```\n<!channel>\n```',
  '&<>',
  '&amp; &lt; &gt;',
  '*bold* _it_ ~st~',
  '`code`',
  'line one\nline two\n\n# heading\n> quote\n- item\n1. first',
  '\u200b',
  '\u202eevil\u202c rtl',
  'a'.repeat(10_000),
  '&'.repeat(10_000),
  '🚀 👩‍👩‍👧‍👦 🇫🇷',
  '@org/team',
  '@octocat',
  '![x](https://evil.example/x.png)',
  '[Approve](https://evil.example)',
  '<img src=x onerror=alert(1)>',
  '#1',
  'GH-1',
  '| a | b |',
  '\\*not bold\\*',
  '$x^2$',
  'p95 < 400ms & errors > 1%',
  '<!channel> p95 < 400ms & errors > 1% <https://evil|Approve>',
];

const T0 = new Date('2026-03-04T14:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const RUN_URL = 'https://github.com/acme/wallet/actions/runs/42';
const JOB_URL = 'https://github.com/acme/wallet/actions/runs/42/job/7';
const RELEASE_URL = 'https://github.com/acme/wallet/releases/tag/v1.3.0';
const ISSUE_URL = 'https://github.com/acme/wallet/issues/9';
const PR_URL = 'https://github.com/acme/wallet/pull/';
const RELEASE_ID = '0b7c6a8e-9a55-4d0e-8e57-2f6f3a1f4c11';
const GATE_ID = '7d1e5c3b-2b7a-4f5e-9a0c-6c3d2e1f0a22';
const PLAN_ID = '5f0c9a7e-1d2b-4c3a-8e9f-0a1b2c3d4e33';
const policy = loadPolicy(undefined);

// ------------------------------------------------------------------ what Slack would show, and refuse

type TextObject = { type: 'mrkdwn' | 'plain_text'; text: string };

/** Every text object of the blocks (modals' too), with its kind. */
function textObjects(blocks: unknown): TextObject[] {
  const found: TextObject[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') found.push(o as unknown as TextObject);
      else Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return found;
}

const unescapeSlack = (text: string) => text.replace(/&(amp|lt|gt);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>' })[name]!);

interface LooseText {
  type: string;
  text: string;
}
interface LooseElement {
  type: string;
  action_id?: string;
  text?: LooseText | string;
  value?: string;
  options?: { text: LooseText; value: string; description?: LooseText }[];
}
interface LooseBlock {
  type: string;
  block_id?: string;
  text?: LooseText;
  fields?: LooseText[];
  elements?: LooseElement[];
  alt_text?: string;
  label?: LooseText;
}

/** Every way the message breaks Block Kit's limits (docs.slack.dev, "Blocks" and "Composition objects"). */
function blockKitProblems(message: { text?: string; blocks: KnownBlock[] }, maxBlocks = 50): string[] {
  const problems: string[] = [];
  const len = (value: unknown, max: number, what: string) => {
    const text = typeof value === 'string' ? value : '';
    if (text.length === 0 || text.length > max) problems.push(`${what}: ${text.length} chars (1..${max})`);
  };
  const textOf = (value: LooseText | string | undefined) => (typeof value === 'string' ? value : value?.text);
  if (message.text !== undefined) len(message.text, 40_000, 'fallback text');
  if (message.blocks.length > maxBlocks) problems.push(`${message.blocks.length} blocks`);
  message.blocks.forEach((block, i) => {
    const b = block as unknown as LooseBlock;
    const where = `block ${i} (${b.type})`;
    const elements = b.elements ?? [];
    if (b.block_id !== undefined) len(b.block_id, 255, `${where} block_id`);
    switch (b.type) {
      case 'header':
        if (b.text?.type !== 'plain_text') problems.push(`${where}: not plain_text`);
        len(b.text?.text, 150, where);
        break;
      case 'section':
        if (!b.text && !b.fields) problems.push(`${where}: neither text nor fields`);
        if (b.text) len(b.text.text, 3000, `${where} text`);
        if (b.fields && b.fields.length > 10) problems.push(`${where}: ${b.fields.length} fields`);
        for (const f of b.fields ?? []) len(f.text, 2000, `${where} field`);
        break;
      case 'context':
        if (elements.length === 0 || elements.length > 10) problems.push(`${where}: ${elements.length} elements`);
        for (const e of elements) if (e.type === 'mrkdwn' || e.type === 'plain_text') len(textOf(e.text), 3000, `${where} element`);
        break;
      case 'actions':
        if (elements.length === 0 || elements.length > 25) problems.push(`${where}: ${elements.length} elements`);
        for (const e of elements) {
          len(e.action_id, 255, `${where} action_id`);
          if (e.type === 'button') {
            len(textOf(e.text), 75, `${where} button text`);
            if (e.value !== undefined) len(e.value, 2000, `${where} button value`);
          }
          if (e.type === 'checkboxes') {
            const options = e.options ?? [];
            if (options.length === 0 || options.length > 10) problems.push(`${where}: ${options.length} options`);
            for (const o of options) {
              len(o.text.text, 75, `${where} option text`);
              len(o.value, 150, `${where} option value`);
              if (o.description) len(o.description.text, 75, `${where} option description`);
            }
          }
        }
        break;
      case 'image':
        len(b.alt_text, 2000, `${where} alt_text`);
        break;
      case 'input':
        len(b.label?.text, 2000, `${where} label`);
        break;
    }
  });
  return problems;
}

function modalProblems(view: ModalView): string[] {
  const problems = blockKitProblems({ blocks: view.blocks as KnownBlock[] }, 100);
  for (const [key, value] of Object.entries({ title: view.title, submit: view.submit, close: view.close })) {
    if (value && (value.text.length === 0 || value.text.length > 24)) problems.push(`modal ${key}: ${value.text.length} chars`);
  }
  if ((view.private_metadata ?? '').length > 3000) problems.push('private_metadata past 3000');
  return problems;
}

/**
 * Slack's live syntax in a message: every `<…>` must be a mention or link tminus means to make, and no
 * `&`, `<` or `>` may stand unescaped outside them. Each mrkdwn text keeps its code fences balanced.
 */
function syntaxProblems(message: SlackMessage, intended: { mentions: string[]; links: string[] }): string[] {
  const problems: string[] = [];
  const mrkdwn = [message.text, ...textObjects(message.blocks).filter((t) => t.type === 'mrkdwn').map((t) => t.text)];
  for (const text of mrkdwn) {
    for (const [, inner] of text.matchAll(/<([^<>]*)>/g)) {
      const ok = inner!.startsWith('@') ? intended.mentions.includes(inner!.slice(1)) : intended.links.some((url) => inner!.split('|')[0] === url);
      if (!ok) problems.push(`unintended <${inner!.slice(0, 60)}>`);
    }
    const rest = text.replace(/<[^<>]*>/g, '').replace(/&(amp|lt|gt);/g, '');
    if (/[<>&]/.test(rest)) problems.push(`unescaped control character in ${JSON.stringify(text.slice(0, 80))}`);
    if ((text.split('```').length - 1) % 2 !== 0) problems.push(`unbalanced code fence in ${JSON.stringify(text.slice(0, 80))}`);
  }
  return problems;
}

/** What people read: mrkdwn with Slack's entities reversed, plain text as it is. */
function shown(message: SlackMessage): string {
  return textObjects(message.blocks)
    .map((t) => (t.type === 'mrkdwn' ? unescapeSlack(t.text) : t.text))
    .join('\n');
}

/**
 * Whether `visible` shows `typed` whole, or a start of it (16 characters at least) cut for a limit and ending in "…". Zero-width spaces
 * are left out on both sides: tminus puts them between backticks (Slack) and after `@` and `#` (GitHub).
 */
function showsTyped(shownText: string, typedText: string): boolean {
  const visible = shownText.replace(/\u200b/g, '');
  const typed = typedText.replace(/\u200b/g, '');
  if (visible.includes(typed)) return true;
  const head = typed.slice(0, 16);
  for (let from = visible.indexOf(head); from >= 0; from = visible.indexOf(head, from + 1)) {
    let same = 0;
    while (same < typed.length && visible[from + same] === typed[same]) same += 1;
    if (visible.startsWith('…', from + same)) return true;
  }
  return false;
}

// ------------------------------------------------------------------ what GitHub would render

const isEscaped = (text: string, at: number) => {
  let backslashes = 0;
  for (let i = at - 1; i >= 0 && text[i] === '\\'; i -= 1) backslashes += 1;
  return backslashes % 2 === 1;
};

/** No mention, reference, link, image, HTML or code fence in a GitHub body that tminus did not write itself. */
function githubProblems(body: string, intended: { refs: number[]; taskList?: boolean }): string[] {
  const problems: string[] = [];
  if (/@[A-Za-z0-9]/.test(body)) problems.push(`mention: ${body.match(/.{0,20}@[A-Za-z0-9].{0,20}/)?.[0]}`);
  for (const [, n] of body.matchAll(/#(\d+)/g)) if (!intended.refs.includes(Number(n))) problems.push(`reference #${n}`);
  if (/\bGH-\d/i.test(body)) problems.push('GH- reference');
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i];
    const entity = c === '&' && /^&(#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/i.test(body.slice(i, i + 40));
    if ((c === '<' || entity || c === '`' || c === '|') && !isEscaped(body, i) && !tminusSyntax(body, i)) {
      problems.push(`unescaped ${c} at ${i}: ${JSON.stringify(body.slice(Math.max(0, i - 20), i + 20))}`);
    }
    if ((c === '[' || c === ']') && !isEscaped(body, i) && !(intended.taskList && /^- \[ \] /.test(body.slice(body.lastIndexOf('\n', i) + 1)))) {
      problems.push(`unescaped ${c} at ${i}: ${JSON.stringify(body.slice(Math.max(0, i - 20), i + 20))}`);
    }
  }
  for (const line of body.split('\n')) if (/^ {0,3}(`{3,}|~{3,})/.test(line)) problems.push(`code fence line ${JSON.stringify(line.slice(0, 40))}`);
  return problems.slice(0, 5);
}

/** The `|` of tminus's tables and the backticks of its code spans. */
function tminusSyntax(body: string, at: number): boolean {
  const line = body.slice(body.lastIndexOf('\n', at - 1) + 1, (body.indexOf('\n', at) + 1 || body.length + 1) - 1);
  const column = at - (body.lastIndexOf('\n', at - 1) + 1);
  if (body[at] === '|') return line.startsWith('| ') && (column === 0 || line[column - 1] === ' ');
  if (body[at] === '`') return /`\/release log v[\w.-]+`/.test(line);
  return false;
}

/** GitHub's rendering: backslash escapes read. */
const showsTypedOnGitHub = (body: string, typed: string) => showsTyped(body.replace(/\\([!-/:-@[-`{-~])/g, '$1'), typed);

// ------------------------------------------------------------------ every builder, one field carrying the hostile text

interface SlackCase {
  name: string;
  build: (hostile: string) => SlackMessage;
  mentions?: string[];
  links?: string[];
  /** What the person should see for `hostile` (default: exactly it); null when the builder transforms it on purpose. */
  expected?: ((hostile: string) => string) | null;
  /** Whether the top-level `text` carries it too. */
  inText?: boolean;
}

const gateInput = (over: Partial<GateMessageInput>): GateMessageInput => ({
  releaseId: RELEASE_ID,
  gateId: GATE_ID,
  kind: 'release',
  version: 'v1.3.0',
  type: 'minor',
  needs: 'engineering leadership',
  approvers: ['U0HEAD', 'U0HEAD2'],
  state: 'open',
  decisions: [],
  counted: 0,
  needed: 1,
  testing: 'full regression',
  timeZone: 'UTC',
  ...over,
});

const milestones = (step?: string): MilestoneProgress[] => [
  { key: 'images', label: 'Docker images built', expectedAt: 30 * 60_000, state: 'done', finishedAt: at(12) },
  { key: 'production', label: 'Deployed to production', expectedAt: 60 * 60_000, state: 'failed', failure: { job: 'deploy-production', ...(step !== undefined ? { step } : {}), url: JOB_URL } },
];

const progressInput = (over: Partial<ReleaseProgressInput>): ReleaseProgressInput => ({
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
  failureReason: 'the deploy workflow failed',
  milestones: milestones(),
  now: at(60),
  timeZone: 'UTC',
  ...over,
});

const statusInput = (failureReason: string): ReleaseStatusInput => ({
  version: 'v1.3.0',
  type: 'minor',
  state: 'failed',
  requestedBy: 'U0ENG',
  startedAt: T0,
  finishedAt: at(52),
  expectedCompletion: at(90),
  runUrl: RUN_URL,
  releaseUrl: null,
  failureReason,
  threadUrl: null,
  milestones: milestones(),
  now: at(60),
  timeZone: 'UTC',
});

const failedInput = (over: Partial<ReleaseFailedInput>): ReleaseFailedInput => ({
  releaseId: '00000000-0000-4000-8000-000000000001',
  version: 'v1.3.0',
  failedAt: at(52),
  reason: 'the deploy workflow failed',
  failedJob: { job: 'deploy-production', step: 'Migrate', url: JOB_URL },
  runUrl: RUN_URL,
  productionTouched: true,
  previousVersion: 'v1.2.0',
  rollbackCommand: './scripts/rollback.sh v1.2.0',
  rollbackTimeLimitMinutes: 5,
  timeZone: 'UTC',
  ...over,
});

const hotfixInput = (issue: string): HotfixMessageInput => ({
  ...progressInput({ version: 'v1.2.1', type: 'hotfix', state: 'deploying', finishedAt: null, failureReason: null }),
  releaseId: RELEASE_ID,
  gateId: GATE_ID,
  gateOpen: true,
  details: { issue, severity: 'critical', steps: { emergencyCall: { at: at(5).toISOString(), by: 'U0VP' } } },
  detectedAt: T0,
  steps: [
    { key: 'emergencyCall', label: 'Emergency call', dueAt: at(15), byButton: true },
    { key: 'hotfixTested', label: 'Hotfix tested', dueAt: at(60), byButton: true },
  ],
});

const rollbackInput = (reason: string): RollbackNoticeInput => ({
  version: 'v1.3.0',
  toVersion: 'v1.2.0',
  reason,
  by: 'U0ONCALL',
  startedAt: T0,
  limit: 5 * 60_000,
  runUrl: RUN_URL,
  state: 'running',
  now: at(1),
  timeZone: 'UTC',
});

const pull = (number: number, title: string): PlannedPullRequest => ({ number, title, url: `${PR_URL}${number}`, labels: [], files: [], mergedAt: T0.toISOString() });
const plan = (title: string) => buildReleasePlan([pull(12, 'feat: wallet top-ups'), pull(14, title)], policy.planning);

const planCard = (title: string, warning?: string): ReleasePlanCardInput => ({
  version: 'v1.3.0',
  previous: 'v1.2.0',
  date: '2026-03-04 14:00 UTC',
  type: 'minor',
  requestedBy: 'U0ENG',
  sections: plan(title).sections,
  advisedType: 'minor',
  ...(warning !== undefined ? { warning } : {}),
  deploymentSteps: ['Tag v1.3.0', 'Deploy to staging'],
  compareUrl: 'https://github.com/acme/wallet/compare/v1.2.0...main',
});

const notesInput = (title: string) => ({ version: 'v1.3.0', previous: 'v1.2.0', type: 'minor' as const, date: '2026-03-04 14:00 UTC', plan: plan(title), policy });

const bigChecklist = { title: 'Pre-release (72h)', before: 0, appliesTo: ['minor' as const], sections: [{ title: 'Code', items: ['Tests pass', 'Changelog written'] }] };

const SLACK_CASES: SlackCase[] = [
  { name: 'gate: a rejection reason', build: (h) => gateMessage(gateInput({ state: 'rejected', decisions: [{ userId: 'U0HEAD2', decision: 'rejected', at: at(3), reason: h }] })), mentions: ['U0HEAD', 'U0HEAD2'] },
  { name: 'gate: answered on GitHub with a comment', build: (h) => gateMessage(gateInput({ kind: 'production', state: 'closed', outcome: `Rejected on GitHub by @octocat: “${h}”` })), mentions: ['U0HEAD', 'U0HEAD2'], expected: (h) => `Rejected on GitHub by @octocat: “${h}”` },
  { name: 'gate: the testing the policy names', build: (h) => gateMessage(gateInput({ testing: h })), mentions: ['U0HEAD', 'U0HEAD2'] },
  { name: 'rejection notice', build: (h) => rejectedNotice('v1.3.0', 'U0HEAD2', h, true), mentions: ['U0HEAD2'], inText: true },
  { name: 'approval notice', build: () => approvedNotice('Production deploy of v1.3.0', ['U0HEAD', 'U0HEAD2'], 'The deploy continues.'), mentions: ['U0HEAD', 'U0HEAD2'], expected: null },
  { name: 'production answered on GitHub', build: (h) => productionAnsweredMessage('v1.3.0', true, `Rejected on GitHub by @octocat: “${h}”`), expected: (h) => `Rejected on GitHub by @octocat: “${h}”`, inText: true },
  {
    name: 'audit log: every detail',
    build: (h) =>
      auditLogMessage(
        'v1.3.0',
        [
          { at: T0, actor: 'U0ENG', action: 'hotfix.requested', details: { version: 'v1.2.1', severity: 'critical', issue: h } },
          { at: T0, actor: 'U0HEAD2', action: 'approval.rejected', details: { kind: 'release', reason: h } },
          { at: T0, actor: 'github:octocat', action: 'release.production_rejected_on_github', details: { from: 'deploying', to: 'failed', reason: h } },
          { at: T0, actor: 'tminus', action: 'github.deployment_approved', details: { approvers: ['U0HEAD', 'U0HEAD2'] } },
          { at: T0, actor: 'tminus', action: h.slice(0, 50) || 'x', details: {} },
        ],
        'UTC',
      ),
    mentions: ['U0ENG', 'U0HEAD', 'U0HEAD2'],
  },
  { name: 'abort: the confirmation', build: (h) => abortConfirmMessage({ releaseId: RELEASE_ID, version: 'v1.3.0', previousVersion: 'v1.2.0', reason: h }) },
  { name: 'abort: the notice, with the reason', build: (h) => abortedMessage({ version: 'v1.3.0', by: 'U0ENG', reason: h, deploy: { kind: 'cancelled', runUrl: RUN_URL } }), mentions: ['U0ENG'], links: [RUN_URL], inText: true },
  { name: 'abort: the notice, with GitHub refusing', build: (h) => abortedMessage({ version: 'v1.3.0', by: 'U0ENG', reason: 'stuck', deploy: { kind: 'cancel-refused', error: h, runUrl: RUN_URL } }), mentions: ['U0ENG'], links: [RUN_URL] },
  {
    name: 'checklist: tick evidence',
    build: (h) =>
      checklistMessage({ planId: PLAN_ID, version: 'v1.3.0', key: 'before72h', checklist: bigChecklist, items: checklistItems(bigChecklist, 'v1.3.0'), ticks: [{ checklist: 'before72h', item: '0.0', tickedBy: 'U0QA', evidence: h, at: T0 }], timeZone: 'UTC' }),
    mentions: ['U0QA'],
  },
  { name: 'checklist: an item and a section from the policy', build: (h) => { const c = { ...bigChecklist, sections: [{ title: h || 'x', items: [h || 'x'] }] }; return checklistMessage({ planId: PLAN_ID, version: 'v1.3.0', key: 'before72h', checklist: c, items: checklistItems(c, 'v1.3.0'), ticks: [], timeZone: 'UTC' }); }, expected: (h) => h || 'x' },
  // Features are shown as plain sentences (no conventional prefix, no "(#12)", capitalised): what was typed, so cleaned.
  { name: 'pre-release announcement: a feature', build: (h) => preReleaseAnnouncement({ version: 'v1.3.0', plannedAt: T0, windowEnd: at(90), features: [h], expectedDowntime: 'none', supportContact: 'support@acme.example', audience: 'customers' }), expected: (h) => plainChange(h) },
  { name: 'started at T-0 on an override: the reason', build: (h) => startedAtT0Note('v1.3.0', { by: 'U0HEAD', reason: h }), mentions: ['U0HEAD'] },
  { name: 'a note in a plan thread', build: (h) => note(`Override by <@U0HEAD>: ${slackMrkdwn(h, 1000)}`), mentions: ['U0HEAD'] },
  { name: 'help, after an unknown subcommand', build: (h) => helpMessage(`I don't know \`/release ${escape(h)}\`.`), expected: null },
  { name: 'a notice', build: (h) => noticeMessage(`🚫 ${slackMrkdwn(h, 1000)}`), inText: true },
  { name: 'hotfix: what is broken', build: (h) => hotfixMessage(hotfixInput(h)), mentions: ['U0ENG', 'U0VP'], links: [RUN_URL, JOB_URL], inText: true },
  { name: 'incident: the issue', build: (h) => incidentMessage('critical', h, policy.decisionMatrix.filter((r) => r.severity === 'critical')) },
  {
    name: 'release complete: a change from GitHub\'s notes',
    build: (h) => releaseCompleteMessage({ version: 'v1.3.0', completedAt: at(88), deploymentMs: 88 * 60_000, releaseUrl: RELEASE_URL, notes: `## What's Changed\n* ${h.split('\n')[0]}`, timeZone: 'UTC' }),
    links: [RELEASE_URL],
    expected: (h) => plainChange(changesFromNotes(`* ${h.split('\n')[0]}`)[0] ?? ''),
  },
  { name: 'release failed: the reason', build: (h) => releaseFailedMessage(failedInput({ reason: h })), links: [RUN_URL, JOB_URL], inText: true },
  { name: 'release failed: the job', build: (h) => releaseFailedMessage(failedInput({ failedJob: { job: h, step: 'Migrate', url: JOB_URL } })), links: [RUN_URL, JOB_URL] },
  { name: 'release failed: the step', build: (h) => releaseFailedMessage(failedInput({ failedJob: { job: 'deploy', step: h, url: JOB_URL } })), links: [RUN_URL, JOB_URL] },
  { name: 'plan card: a pull request title', build: (h) => releasePlanCard(planCard(h)), mentions: ['U0ENG'], links: [`${PR_URL}12`, `${PR_URL}14`, 'https://github.com/acme/wallet/compare/v1.2.0...main'] },
  { name: 'plan card: the warning', build: (h) => releasePlanCard(planCard('fix: x', h)), mentions: ['U0ENG'], links: [`${PR_URL}12`, `${PR_URL}14`, 'https://github.com/acme/wallet/compare/v1.2.0...main'], inText: true },
  { name: 'release-notes draft: a pull request title', build: (h) => releaseNotesDraftMessage('v1.3.0', releaseNotesDraftBody(notesInput(h))), expected: null },
  { name: 'plan failed: GitHub\'s error', build: (h) => planFailedMessage('v1.3.0', h), inText: true },
  { name: 'nothing to release', build: () => nothingToReleaseMessage('v1.3.0', 'v1.2.0'), expected: null },
  { name: 'no previous release', build: () => noPreviousReleaseMessage('v1.3.0'), expected: null },
  { name: 'plan cancelled: the reason', build: (h) => planChangedMessage({ version: 'v1.3.0', change: { kind: 'cancelled' }, actor: 'U0ENG', reason: h }), mentions: ['U0ENG'], expected: (h) => (h.trim() ? h : ''), inText: true },
  { name: 'plan moved: the reason', build: (h) => planChangedMessage({ version: 'v1.3.0', change: { kind: 'moved', from: '2026-03-04 14:00 UTC', to: '2026-03-11 14:00 UTC' }, actor: 'U0ENG', reason: h }), mentions: ['U0ENG'], expected: (h) => (h.trim() ? h : '') },
  { name: 'progress view: the failure reason', build: (h) => releaseProgressMessage(progressInput({ failureReason: h })), mentions: ['U0ENG'], links: [RUN_URL, JOB_URL], inText: true },
  { name: 'progress view: the failed step', build: (h) => releaseProgressMessage(progressInput({ milestones: milestones(h) })), mentions: ['U0ENG'], links: [RUN_URL, JOB_URL] },
  { name: 'progress view: the branch', build: (h) => releaseProgressMessage(progressInput({ targetBranch: h || 'main' })), mentions: ['U0ENG'], links: [RUN_URL, JOB_URL], expected: (h) => h || 'main' },
  { name: 'status: the failure reason', build: (h) => releaseStatusMessage(statusInput(h || 'x')), mentions: ['U0ENG'], links: [RUN_URL], expected: (h) => h || 'x' },
  { name: 'roles: a group handle', build: (h) => rolesMessage([{ role: 'vpEng', users: ['U0VP'], groups: [h], members: ['U0VP'] }]), mentions: ['U0VP'], expected: (h) => `@${h}` },
  // The reason as given goes to the team's context line ("What happened" is plain words): a blank one is left out.
  { name: 'rollback notice: the reason', build: (h) => rollbackNoticeMessage(rollbackInput(h)), mentions: ['U0ONCALL'], links: [RUN_URL], expected: (h) => (h.trim() ? h : '') },
  { name: 'rollback notice for customers: what happened, in words a person wrote', build: (h) => rollbackNoticeMessage({ ...rollbackInput('x'), whatHappened: h.trim() ? h : 'x', audience: 'customers' }), expected: (h) => (h.trim() ? h.trim() : 'x') },
  { name: 'rollback checklist: evidence', build: (h) => rollbackChecklistMessage({ releaseId: RELEASE_ID, version: 'v1.3.0', ticked: { teamNotified: { at: T0.toISOString(), by: 'U0ONCALL', evidence: h } }, timeZone: 'UTC' }), mentions: ['U0ONCALL'] },
  { name: 'manual rollback: why tminus gave up', build: (h) => manualRollbackMessage({ version: 'v1.3.0', toVersion: 'v1.2.0', why: h, command: './rollback.sh v1.2.0', runUrl: RUN_URL, people: ['U0ONCALL'] }), mentions: ['U0ONCALL'], links: [RUN_URL] },
  { name: 'coordinated rollback turned down', build: (h) => rollbackTurnedDownMessage('v1.3.0', 'U0VP', h), mentions: ['U0VP'] },
  { name: 'revert pull request opened', build: () => revertOpenedMessage({ version: 'v1.3.0', previous: 'v1.2.0', approver: 'U0VP', pullRequest: { url: `${PR_URL}99`, number: 99 }, patch: 'v1.3.1' }), mentions: ['U0VP'], links: [`${PR_URL}99`], expected: null },
  { name: 'schedule', build: () => scheduleMessage({ slots: [{ type: 'minor', at: T0 }], plans: [{ version: 'v1.3.0', type: 'minor', plannedAt: T0, state: 'planned' }], rules: ['Minor releases on Wednesdays'], timeZone: 'UTC' }), expected: null },
  { name: 'status update: the current step', build: (h) => statusUpdateMessage({ version: 'v1.3.0', sinceStart: 15 * 60_000, startedAt: T0, expectedCompletion: at(90), runUrl: RUN_URL, currentStep: h, interval: 15 * 60_000, timeZone: 'UTC' }), links: [RUN_URL], inText: true },
  {
    name: 'verification: a breached scope',
    build: (h) => verificationMessage({ version: 'v1.3.0', sinceDeploy: 5 * 60_000, phase: 'First check', results: [{ key: 'errorRate', label: 'Error rate', state: 'breach', value: 3, threshold: 1, direction: 'above', unit: '%', scope: h || 'host:web-1' }], attempt: 1 }),
    expected: (h) => h || 'host:web-1',
  },
  {
    name: 'breach alert: why the automatic rollback was refused',
    build: (h) =>
      breachAlertMessage({
        releaseId: RELEASE_ID,
        version: 'v1.3.0',
        result: { key: 'errorRate', label: 'Error rate', state: 'breach', value: 3, threshold: 1, direction: 'above', unit: '%' },
        classification: { ...policy.decisionMatrix[0]!, rollbackNow: true },
        deadline: at(15),
        mentions: ['U0ONCALL'],
        timeZone: 'UTC',
        autoRollback: false,
        autoRollbackRefused: h,
      }),
    mentions: ['U0ONCALL'],
  },
  { name: 'a job gave up: the error', build: (h) => jobGaveUpMessage('tminus could not read the deploy run of v1.3.0.', h) },
  { name: 'a plan step gave up: the error', build: (h) => planStepGaveUpMessage('v1.3.0', 'before72h', h) },
  { name: 'post-mortem link', build: () => postMortemLinkMessage('v1.3.0', ISSUE_URL), links: [ISSUE_URL], expected: null },
];

function checkSlack(c: SlackCase, hostile: string): void {
  const message = c.build(hostile);
  expect(blockKitProblems(message), c.name).toEqual([]);
  expect(syntaxProblems(message, { mentions: c.mentions ?? [], links: c.links ?? [] }), c.name).toEqual([]);
  if (c.expected === null) return;
  const typed = c.expected ? c.expected(hostile) : hostile;
  expect(showsTyped(shown(message), typed), `${c.name}: the blocks show what was typed`).toBe(true);
  if (c.inText) expect(showsTyped(unescapeSlack(message.text), typed), `${c.name}: the text shows what was typed`).toBe(true);
}

interface GitHubCase {
  name: string;
  build: (hostile: string) => string;
  refs?: number[];
  taskList?: boolean;
  /** What GitHub should show for `hostile`; null when the body transforms it on purpose (the notes' change descriptions). */
  expected?: ((hostile: string) => string) | null;
}

const postMortemInput = (h: string): PostMortemInput => ({
  version: 'v1.3.0',
  type: 'minor',
  rollback: { by: 'U0ONCALL', reason: h, toVersion: 'v1.2.0', startedAt: T0.toISOString(), restoredAt: at(3).toISOString(), runUrl: RUN_URL },
  timeLimit: 5 * 60_000,
  events: [
    { at: T0, actor: 'U0ONCALL', action: 'release.start_rollback', details: { reason: h } },
    { at: T0, actor: 'github:octocat', action: 'release.production_rejected_on_github', details: { comment: h, reviewer: 'octocat' } },
    { at: T0, actor: 'tminus', action: 'verification.breach_opened', details: { check: 'errorRate', severity: 'critical', value: h } },
    { at: T0, actor: h.slice(0, 40) || 'x', action: 'job.gave_up', details: { error: h } },
  ],
});

const GITHUB_CASES: GitHubCase[] = [
  { name: 'post-mortem issue', build: (h) => postMortemBody(postMortemInput(h)), taskList: true },
  { name: 'revert pull request', build: (h) => revertPullRequestBody({ version: 'v1.3.0', previous: 'v1.2.0', approver: h }) },
  { name: 'deployment review comment: rejected', build: (h) => deploymentReviewComment({ state: 'rejected', by: 'U0HEAD2', reason: h }) },
  { name: 'deployment review comment: approved', build: (h) => deploymentReviewComment({ state: 'approved', approvers: ['U0HEAD', h] }) },
  { name: 'release-notes draft', build: (h) => releaseNotesDraftBody(notesInput(h)), refs: [12, 14], expected: null },
];

function checkGitHub(c: GitHubCase, hostile: string): void {
  const body = c.build(hostile);
  expect(githubProblems(body, { refs: c.refs ?? [], taskList: c.taskList ?? false }), c.name).toEqual([]);
  if (c.name === 'post-mortem issue') {
    const rows = body.split('\n').filter((line) => /^\| \d{4}-/.test(line));
    const pipes = (row: string) => Array.from(row.matchAll(/\|/g)).filter((m) => !isEscaped(row, m.index)).length;
    for (const row of rows) expect(pipes(row), `a timeline row keeps its 3 cells: ${row.slice(0, 80)}`).toBe(4);
    expect(body.length).toBeLessThanOrEqual(65_536);
  }
  if (c.expected === null) return;
  const typed = c.expected ? c.expected(hostile) : hostile;
  expect(showsTypedOnGitHub(body, typed), `${c.name}: GitHub shows what was typed`).toBe(true);
}

/** Strings as fast-check makes them, with the corpus mixed in and glued together. */
const hostileText = fc.oneof(
  fc.constantFrom(...CORPUS),
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(fc.oneof(fc.constantFrom(...CORPUS.filter((c) => c.length < 1000)), fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 6 }).map((parts) => parts.join('')),
);

describe('every message builder, with hostile text in a field', () => {
  it.each(CORPUS.map((text) => [JSON.stringify(text.length > 60 ? `${text.slice(0, 20)}… (${text.length})` : text), text]))('%s', (_, text) => {
    for (const c of SLACK_CASES) checkSlack(c, text);
  });

  it('fast-check: no broadcast, mention or link is made, what was typed is shown, every limit holds', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        for (const c of SLACK_CASES) checkSlack(c, text);
      }),
      { numRuns: 150 },
    );
  });

  it('the abort button carries a reason Slack takes, and gives it back', () => {
    for (const reason of [...CORPUS, '"'.repeat(3_000), '\\'.repeat(3_000), '🚀'.repeat(3_000)]) {
      const message = abortConfirmMessage({ releaseId: RELEASE_ID, version: 'v1.3.0', previousVersion: 'v1.2.0', reason });
      const button = (message.blocks[1] as { elements: { value: string }[] }).elements[0]!;
      expect(button.value.length).toBeLessThanOrEqual(2000);
      const parsed = parseAbortConfirmValue(button.value)!;
      expect(showsTyped(parsed.reason, reason)).toBe(true);
    }
  });

  it('the modals hold Slack\'s limits', () => {
    expect(modalProblems(rejectModal({ releaseId: RELEASE_ID, gateId: GATE_ID }, 'v1.3.0'))).toEqual([]);
    expect(modalProblems(overrideModal(PLAN_ID, 'v1.3.0') as ModalView)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('catch what Slack refuses or would turn into a broadcast, a mention or a link', () => {
    const tooMuch = {
      text: '',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'b'.repeat(76) }, value: 'v' }] },
        { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) },
        ...Array.from({ length: 48 }, () => ({ type: 'divider' })),
      ] as KnownBlock[],
    };
    expect(blockKitProblems(tooMuch)).toEqual(['fallback text: 0 chars (1..40000)', '51 blocks', 'block 0 (header): 151 chars (1..150)', 'block 1 (actions) button text: 76 chars (1..75)', 'block 2 (context): 11 elements']);
    const live = { text: '<!channel> & <https://evil|Approve>', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '```<@U0ENG>' } }] as KnownBlock[] };
    expect(syntaxProblems(live, { mentions: ['U0ENG'], links: [] })).toEqual(['unintended <!channel>', 'unintended <https://evil|Approve>', 'unescaped control character in "<!channel> & <https://evil|Approve>"', 'unbalanced code fence in "```<@U0ENG>"']);
    expect(showsTyped('a &lt; b', 'a < b')).toBe(false);
    expect(showsTyped(`said: ${'x'.repeat(20)}…`, 'x'.repeat(30))).toBe(true);
    expect(showsTyped(`said: ${'x'.repeat(20)}`, 'x'.repeat(30))).toBe(false);
  });

  it('catch a mention, a reference, a link, an image, a tag or a fence in a GitHub body', () => {
    const problems = githubProblems('cc @org/team, fixes #12 ![x](https://e/x.png) [a](https://e) <img src=x>\n```', { refs: [] });
    expect(problems).toHaveLength(5);
    expect(githubProblems(githubMarkdown('cc @org/team, fixes #12 ![x](https://e/x.png) [a](https://e) <img src=x>\n```'), { refs: [] })).toEqual([]);
  });
});

describe('every body tminus writes to GitHub, with hostile text in a field', () => {
  it.each(CORPUS.map((text) => [JSON.stringify(text.length > 60 ? `${text.slice(0, 20)}… (${text.length})` : text), text]))('%s', (_, text) => {
    for (const c of GITHUB_CASES) checkGitHub(c, text);
  });

  it('fast-check: no mention, reference, link, image, tag or fence is made, and GitHub shows what was typed', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        for (const c of GITHUB_CASES) checkGitHub(c, text);
      }),
      { numRuns: 150 },
    );
  });

  it('a post-mortem of a long audit log stays within GitHub\'s body limit, and says what it left out', () => {
    const input = postMortemInput('x'.repeat(2_000));
    const events = Array.from({ length: 500 }, (_, i) => ({ ...input.events[0]!, details: { reason: `${i} ${'y'.repeat(2_000)}` } }));
    const body = postMortemBody({ ...input, events });
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toMatch(/more entries: `\/release log v1\.3\.0` in Slack/);
    expect(body).toContain('## To do (the guide)');
  });
});

describe('the escaping functions', () => {
  it('code blocks cannot be closed from inside, on Slack or on GitHub', () => {
    for (const text of ['```', 'a ``` b', '`', '````x````', '``', 'x`', '`x']) {
      const slack = codeBlock(text, 'slack');
      expect(slack.startsWith('```') && slack.endsWith('```')).toBe(true);
      expect(slack.slice(3, -3)).not.toContain('``');
      expect(slack.slice(3, -3).replace(/\u200b/g, '')).toBe(text);
      const github = codeBlock(text, 'github');
      const fence = github.split('\n')[0]!;
      expect(github.endsWith(`\n${fence}`)).toBe(true);
      expect(github.slice(fence.length + 1, -fence.length - 1)).toBe(text);
      expect(text).not.toContain(fence);
    }
  });

  it('cuts to the limit after escaping, at a whole character, ending in "…"', () => {
    expect(slackMrkdwn('&'.repeat(100), 23)).toBe(`${'&amp;'.repeat(4)}…`);
    expect(slackMrkdwn('🚀'.repeat(10), 6)).toBe('🚀🚀…');
    expect(githubMarkdown('@a'.repeat(10), 10)).toBe('@\u200ba@\u200ba@\u200ba…');
    expect(slackMrkdwn('short', 100)).toBe('short');
  });

  it('isolates right-to-left overrides so they cannot reorder tminus\'s words', () => {
    expect(slackMrkdwn('\u202eevil')).toBe('\u2068\u202eevil\u2069');
    expect(slackMrkdwn('plain')).toBe('plain');
  });

  it('reads slash-command text back to what was typed', () => {
    expect(fromSlashCommand('p95 &lt; 400ms &amp; errors &gt; 1%')).toBe('p95 < 400ms & errors > 1%');
    expect(fromSlashCommand('ask <@U0ENG|erin> in <#C0RELEASES|releases>, <!here>, <!subteam^S0TEAM|@release-team>')).toBe('ask @erin in #releases, @here, @release-team');
    expect(fromSlashCommand('see <https://example.com/x|example.com/x> and <https://example.com>')).toBe('see example.com/x and https://example.com');
    expect(fromSlashCommand('typed &amp;lt; itself')).toBe('typed &lt; itself');
  });
});

// ------------------------------------------------------------------ through the real app

const ROLES = `
roles:
  engineeringLead: { users: [U0LEAD] }
  engineeringLeadership: { users: [U0HEAD, U0HEAD2] }
  vpEng: { users: [U0VP] }
  cto: { users: [U0CTO] }
`;

describe('a hostile rejection reason through the real app', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { policy: FAST_TIMINGS + ROLES });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('is shown literally in the thread, in blocks and text, and makes no broadcast or link', async () => {
    const reason = '<!channel> p95 < 400ms & errors > 1% <https://evil|Approve>';
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const top = await waitFor('the release message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 ')));
    const gate = await waitFor('the gate', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => JSON.stringify(m.blocks).includes('"action_id":"gate_reject"')));
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0HEAD2', channelId: RELEASES_CHANNEL, messageTs: gate.ts, actionId: 'gate_reject' });
    const modal = await waitFor('the rejection modal', () => world.slack.views().find((v) => v.view.callback_id === 'gate_reject_modal' && !v.closed));
    const submitted = await world.slack.sendViewSubmission(bot.eventsUrl, { userId: 'U0HEAD2', viewId: modal.id, values: { reason: { reason: { type: 'plain_text_input', value: reason } } } });
    expect(submitted.status).toBe(200);

    const notice = await waitFor('the rejection notice', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('was rejected')));
    const edited = await waitFor('the gate message to show the rejection', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.ts === gate.ts && m.text.includes('rejected')));
    const seen = (m: StoredMessage) => ({ text: m.text, blocks: m.blocks as KnownBlock[] });
    for (const message of [notice, edited]) {
      expect(syntaxProblems(seen(message), { mentions: ['U0HEAD', 'U0HEAD2', 'U0ENG'], links: [] })).toEqual([]);
      // As sent to Slack (before Slack shows the entities as characters): no live broadcast or link syntax.
      expect(JSON.stringify({ text: message.text, blocks: message.blocks })).not.toMatch(/<!channel>|<https:\/\/evil/);
      expect(shown(seen(message))).toContain(reason);
    }
    expect(unescapeSlack(notice.text)).toContain(reason);
    expect(notice.text).not.toContain('<!channel>');
  });
});
