import type { KnownBlock } from '@slack/web-api';
import { ROLE_LABELS } from '../domain/approvals.js';
import { STATE_LABELS, type ReleaseState } from '../domain/release.js';
import { formatDuration } from '../domain/duration.js';
import type { HomeContent } from '../services/app-home.js';
import { gateButtons } from './approval-gate.js';
import { checklistItemValue, hotfixStepValue } from './button-values.js';
import { CHECKLIST_ACTIONS } from './checklist.js';
import { ACTIONS } from './approval-gate.js';
import { clockTime, context, divider, header, section } from './format.js';
import { plainText, slackMrkdwn } from './text.js';
import { dateFormat } from '../domain/time-zone.js';

/** Slack's limit for a Home tab. */
export const HOME_BLOCK_LIMIT = 100;

export interface HomeView {
  type: 'home';
  blocks: KnownBlock[];
}

const OUTCOME_ICONS: Partial<Record<ReleaseState, string>> = {
  completed: '✅',
  stable: '✅',
  rolled_back: '⏪',
  failed: '❌',
  rejected: '🚫',
  aborted: '⏹️',
};

const day = (at: Date, timeZone: string) => dateFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short' }).format(at);
const when = (at: Date, timeZone: string) => `${day(at, timeZone)} ${clockTime(at, timeZone)}`;

/** tminus's Home tab for one person: what needs them now, the release in flight, what comes next, what was. */
export function appHomeView(home: HomeContent): HomeView {
  const tz = home.timeZone;
  const roles = home.roles.map((r) => ROLE_LABELS[r]);
  const top: KnownBlock[] = [
    header('🚀 tminus: releases by the guide'),
    context(`For <@${home.userId}>${roles.length > 0 ? `, ${slackMrkdwn(roles.join(', '), 500)}` : ''} · as of ${when(home.now, tz)}`),
    header('Needs you now'),
  ];
  const rest: KnownBlock[] = [
    divider(),
    header(home.open.length > 1 ? 'Releases in flight' : 'Release in flight'),
    ...(home.open.length > 0 ? home.open.flatMap((r) => progressBlocks(r.progress.blocks)) : [section('_No release in flight._')]),
    divider(),
    header('Coming up'),
    // The schedule as `/release schedule` shows it, under the Home's own heading.
    ...home.schedule.blocks.filter((b) => b.type !== 'header'),
    divider(),
    header('Last ten releases'),
    section(home.lastReleases.length > 0 ? home.lastReleases.map((r) => outcomeLine(r, tz)).join('\n') : '_No release yet._'),
    divider(),
    header('DORA this month'),
    section(home.dora ? doraLines(home.dora).join('\n') : '_The DORA figures cannot be read right now._'),
  ];
  const needs = needsYou(home);
  const budget = HOME_BLOCK_LIMIT - top.length - rest.length;
  return { type: 'home', blocks: [...top, ...fit(needs, budget), ...rest] };
}

/** Gates to decide, checklist items to tick and overdue hotfix steps: each with the same buttons the thread has. */
function needsYou(home: HomeContent): KnownBlock[][] {
  const tz = home.timeZone;
  const groups: KnownBlock[][] = [];
  for (const gate of home.gates) {
    const what = gate.kind === 'production' ? `Production deploy of ${gate.version}` : gate.kind === 'rollback' ? `Coordinated rollback of ${gate.version}` : `${capital(gate.type)} release ${gate.version}`;
    const waiting = gate.waitingForTest ? ' · waiting for the test: an Approve counts once the hotfix is tested' : '';
    groups.push([
      section(`🗳️ *${what} needs approval* from ${gate.needs} (${gate.counted} of ${gate.needed})${waiting}.`),
      gateButtons({ releaseId: gate.releaseId, gateId: gate.gateId }),
    ]);
  }
  for (const step of home.overdueSteps) {
    groups.push([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `❗ *${slackMrkdwn(step.label, 200)}* — hotfix ${step.version}, overdue since ${clockTime(step.dueAt, tz)}`, verbatim: true },
        accessory: { type: 'button', action_id: `${ACTIONS.hotfixStep}:${step.step}`, text: { type: 'plain_text', text: plainText(`✔ ${step.label}`, 75) }, value: hotfixStepValue({ releaseId: step.releaseId, step: step.step }) },
      },
    ]);
  }
  for (const list of home.checklists) {
    const blocks: KnownBlock[] = [section(`☑️ *${slackMrkdwn(list.title, 200)}* for ${list.version} (planned ${when(list.plannedAt, tz)}): ${list.items.length} ${list.items.length === 1 ? 'item' : 'items'} for your roles`)];
    const sections = [...new Set(list.items.map((i) => i.section))];
    for (const s of sections) {
      const items = list.items.filter((i) => i.section === s);
      // Ten options per checkboxes element; the block id names the plan and checklist as the thread's do.
      for (let start = 0; start < items.length; start += 10) {
        const chunk = items.slice(start, start + 10);
        const first = chunk[0]!.id.split('.')[1];
        blocks.push({
          type: 'actions',
          block_id: `checklist:${list.planId}:${list.key}:${s}:${first}`,
          elements: [
            {
              type: 'checkboxes',
              action_id: `${CHECKLIST_ACTIONS.tick}:${list.key}:${s}:${first}`,
              options: chunk.map((item) => ({ text: { type: 'mrkdwn' as const, text: slackMrkdwn(item.text, 75), verbatim: true }, value: checklistItemValue({ planId: list.planId, checklist: list.key, item: item.id }) })),
            },
          ],
        });
      }
    }
    groups.push(blocks);
  }
  if (groups.length === 0) groups.push([section('Nothing needs you right now. ✨')]);
  return groups;
}

/** Whole groups while they fit; what does not is counted, never cut in half. */
function fit(groups: KnownBlock[][], budget: number): KnownBlock[] {
  const out: KnownBlock[] = [];
  let left = groups.length;
  for (const group of groups) {
    if (out.length + group.length > budget - 1) break;
    out.push(...group);
    left -= 1;
  }
  if (left > 0) out.push(context(`…and ${left} more: see #releases.`));
  return out;
}

/** The release's top message without its buttons (the Home's buttons are under "Needs you now", for who may press them). */
function progressBlocks(blocks: KnownBlock[]): KnownBlock[] {
  return blocks.filter((b) => b.type !== 'actions');
}

function outcomeLine(r: HomeContent['lastReleases'][number], tz: string): string {
  const state = r.state as ReleaseState;
  const icon = OUTCOME_ICONS[state] ?? '⏳';
  const at = r.completedAt ?? r.finishedAt ?? r.startedAt;
  return `${icon} *${r.version}* ${r.type} — ${STATE_LABELS[state] ?? r.state}, ${when(at, tz)}`;
}

const BAND_WORDS = { elite: 'elite', high: 'high', medium: 'medium', low: 'low' } as const;

/** The four DORA figures of the month, each with its performance band where there is data. */
function doraLines(dora: NonNullable<HomeContent['dora']>): string[] {
  const f = dora.figures;
  const band = (metric: keyof typeof dora.bands) => (dora.bands[metric] ? ` · _${BAND_WORDS[dora.bands[metric]]}_` : '');
  const none = '—';
  return [
    `*Deployment frequency:* ${f.deployments} ${f.deployments === 1 ? 'deployment' : 'deployments'} (${round(f.deploymentsPerWeek)} a week)${band('deploymentFrequency')}`,
    `*Lead time for changes:* ${f.leadTimeMs !== undefined ? `${formatDuration(f.leadTimeMs)} (median of ${f.changes} pull ${f.changes === 1 ? 'request' : 'requests'})` : none}${band('leadTime')}`,
    `*Change failure rate:* ${f.changeFailureRate !== undefined ? `${round(f.changeFailureRate * 100)} % (${f.failures} of ${f.deployments})` : none}${band('changeFailureRate')}`,
    `*Time to restore:* ${f.timeToRestoreMs !== undefined ? `${formatDuration(f.timeToRestoreMs)} (median of ${f.restores})` : none}${band('timeToRestore')}`,
  ];
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
