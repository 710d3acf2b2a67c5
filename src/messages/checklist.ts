import type { KnownBlock, MrkdwnOption } from '@slack/web-api';
import { progressBar, type ChecklistItem, type Tick } from '../domain/checklist.js';
import type { ChecklistKey } from '../domain/plan-schedule.js';
import type { Checklist } from '../domain/policy.js';
import { checklistItemValue, planValue } from './button-values.js';
import { clockTime, context, header, mention, section } from './format.js';
import { fitMrkdwn, plainText, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export const CHECKLIST_ACTIONS = {
  /** `checklist-tick:<checklist>:<section>:<start>`; each option's value names the plan, the checklist and the item. */
  tick: 'checklist-tick',
  override: 'checklist-override',
  overrideModal: 'checklist-override-modal',
} as const;

export interface ChecklistView {
  planId: string;
  version: string;
  key: ChecklistKey;
  checklist: Checklist;
  items: ChecklistItem[];
  ticks: Tick[];
  timeZone: string;
}

const AUTO = ' _(tminus checks)_';

function tickLine(tick: Tick, timeZone: string): string {
  const who = tick.tickedBy === 'tminus' ? 'tminus' : mention(tick.tickedBy);
  return `${who} at ${clockTime(tick.at, timeZone)}${tick.evidence ? ` — ${slackMrkdwn(tick.evidence, 300)}` : ''}`;
}

/** One of the guide's pre-release checklists: a checkboxes element per section, who ticked what, and a progress bar. */
export function checklistMessage(view: ChecklistView): SlackMessage {
  const ticks = new Map(view.ticks.filter((t) => t.checklist === view.key).map((t) => [t.item, t]));
  const done = view.items.filter((i) => ticks.has(i.id)).length;
  const bar = progressBar(done, view.items.length);
  const blocks: KnownBlock[] = [
    header(`✅ ${view.checklist.title}: ${view.version}`),
    section(`\`${bar}\`${done === view.items.length ? '  All items ticked.' : ''}`),
  ];
  view.checklist.sections.forEach((part, s) => {
    const items = view.items.filter((i) => i.section === s);
    blocks.push(section(`*${slackMrkdwn(part.title, 2000)}*`));
    // Slack allows ten options per checkboxes element: a longer section is split.
    for (let start = 0; start < items.length; start += 10) {
      const chunk = items.slice(start, start + 10);
      const options = chunk.map((item): MrkdwnOption & { value: string } => {
        const tick = ticks.get(item.id);
        const option: MrkdwnOption & { value: string } = {
          // An option's text holds 75 characters.
          text: { type: 'mrkdwn', text: item.auto.length > 0 ? `${slackMrkdwn(item.text, 75 - AUTO.length)}${AUTO}` : slackMrkdwn(item.text, 75), verbatim: true },
          value: checklistItemValue({ planId: view.planId, checklist: view.key, item: item.id }),
        };
        if (tick) option.description = { type: 'plain_text', text: plainText(`${tick.tickedBy === 'tminus' ? 'tminus' : `ticked by ${tick.tickedBy}`} at ${clockTime(tick.at, view.timeZone)}${tick.evidence ? `: ${tick.evidence}` : ''}`, 75) };
        return option;
      });
      const initial = options.filter((_, i) => ticks.has(chunk[i]!.id));
      blocks.push({
        type: 'actions',
        block_id: `checklist:${view.planId}:${view.key}:${s}:${start}`,
        elements: [
          {
            type: 'checkboxes',
            action_id: `${CHECKLIST_ACTIONS.tick}:${view.key}:${s}:${start}`,
            options,
            ...(initial.length > 0 ? { initial_options: initial } : {}),
          },
        ],
      });
    }
  });
  const evidence = view.items.flatMap((i) => {
    const t = ticks.get(i.id);
    return t ? [`• ${slackMrkdwn(i.text, 250)}: ${tickLine(t, view.timeZone)}`] : [];
  });
  if (evidence.length > 0) blocks.push(context(evidence.join('\n')));
  return { text: `${view.checklist.title} for ${view.version}: ${done}/${view.items.length} ticked`, blocks };
}

export interface AnnouncementView {
  version: string;
  plannedAt: Date;
  windowEnd: Date;
  features: string[];
  expectedDowntime: string;
  supportContact?: string;
}

function utcDate(at: Date): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(at);
}

/** The guide's "Pre-Release Announcement (3 days before)", filled from the plan. */
export function preReleaseAnnouncement(view: AnnouncementView): SlackMessage {
  const time = (at: Date) => clockTime(at, 'UTC').replace(' UTC', '');
  const features = view.features.length > 0 ? view.features.map((f) => `- ${slackMrkdwn(f, 300)}`).join('\n') : '- Fixes and improvements';
  const text = [
    `*Scheduled Maintenance: ${utcDate(view.plannedAt)} ${view.version} Release*`,
    '',
    `We are planning to release version ${view.version} on ${utcDate(view.plannedAt)} at ${time(view.plannedAt)} UTC.`,
    '',
    'Features included:',
    features,
    '',
    `Expected downtime: ${slackMrkdwn(view.expectedDowntime, 300)}`,
    `Planned window: ${time(view.plannedAt)} - ${time(view.windowEnd)} UTC`,
    ...(view.supportContact ? ['', `Questions? Contact: ${slackMrkdwn(view.supportContact, 300)}`] : []),
  ].join('\n');
  return {
    text: `Scheduled Maintenance: ${utcDate(view.plannedAt)} ${view.version} Release`,
    blocks: [section(text)],
  };
}

/** A plain note in a plan's thread (timeline steps, missed slots, the T-0 gate). */
export function note(text: string, button?: { actionId: string; text: string; value: string }): SlackMessage {
  const blocks: KnownBlock[] = [section(text)];
  if (button) blocks.push({ type: 'actions', elements: [{ type: 'button', action_id: button.actionId, text: { type: 'plain_text', text: plainText(button.text, 75) }, value: button.value }] });
  return { text: fitMrkdwn(text.replace(/[*_`]/g, ''), 300), blocks };
}

/** In the plan's thread at T-0: the release started, every item ticked or on an approver's override (its reason escaped). */
export function startedAtT0Note(version: string, override?: { by: string; reason: string }): SlackMessage {
  return note(
    override
      ? `▶️ ${version} started at T-0 on ${mention(override.by)}'s override: ${slackMrkdwn(override.reason, 1500)}`
      : `▶️ ${version} started at T-0: every checklist item is ticked.`,
  );
}

/** The override modal: an approver says why the release starts without every item ticked. */
export function overrideModal(planId: string, version: string) {
  return {
    type: 'modal' as const,
    callback_id: CHECKLIST_ACTIONS.overrideModal,
    private_metadata: planValue(planId),
    title: { type: 'plain_text' as const, text: 'Override checklists' },
    submit: { type: 'plain_text' as const, text: 'Start release' },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    blocks: [
      { type: 'section' as const, text: { type: 'mrkdwn' as const, text: `Start ${slackMrkdwn(version)} although some checklist items are not ticked.`, verbatim: true } },
      { type: 'input' as const, block_id: 'reason', label: { type: 'plain_text' as const, text: 'Reason' }, element: { type: 'plain_text_input' as const, action_id: 'reason', multiline: true, max_length: 1000 } },
    ],
  };
}
