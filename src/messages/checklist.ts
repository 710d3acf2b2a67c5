import type { KnownBlock, MrkdwnOption } from '@slack/web-api';
import { progressBar, type ChecklistItem, type Tick } from '../domain/checklist.js';
import type { ChecklistKey } from '../domain/plan-schedule.js';
import type { Checklist, Policy } from '../domain/policy.js';
import type { PlanItem, PlanSection } from '../domain/release-plan.js';
import type { ReleaseType } from '../domain/version.js';
import { checklistItemValue, planValue } from './button-values.js';
import { clockTime, context, header, mention, section } from './format.js';
import { plainChange, type Audience } from './plain-words.js';
import { fitMrkdwn, plainText, slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';
import { dateFormat } from '../domain/time-zone.js';

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
  /** T-0 plus `deploy.completeAt`: the planned window ends at the one ETA every message gives. */
  windowEnd: Date;
  /** Titles of the plan's sections, as planned (cleaned into plain sentences here). */
  features: string[];
  improvements?: string[];
  fixes?: string[];
  /** "How this affects you": the policy's lines for the type, then the plan's breaking changes. */
  howThisAffectsYou?: string[];
  /** The type's `communication.expectedDowntime`; the line is left out without one. */
  expectedDowntime?: string;
  supportContact?: string;
  /** `communication.signOff`, under "Thank you," in the customers' version. */
  signOff?: string;
  /** `team` (#releases, the default) or `customers` (`communication.customerChannel`: greeting and sign-off). */
  audience?: Audience;
}

/** The announcement of a plan, for `audience`: its sections, and the policy's words for its type. */
export function announcementFromPlan(
  plan: { version: string; type: string; plannedAt: Date; plan?: { sections: Partial<Record<PlanSection, Pick<PlanItem, 'title'>[]>> } | null },
  policy: Pick<Policy, 'deploy' | 'communication'>,
  audience: Audience,
): AnnouncementView {
  const sections = plan.plan?.sections ?? {};
  const titles = (kind: PlanSection) => (sections[kind] ?? []).map((i) => i.title);
  const type = plan.type as ReleaseType;
  const comms = policy.communication;
  return {
    version: plan.version,
    plannedAt: plan.plannedAt,
    windowEnd: new Date(plan.plannedAt.getTime() + policy.deploy.completeAt),
    features: titles('features'),
    improvements: titles('improvements'),
    fixes: titles('fixes'),
    howThisAffectsYou: [...(comms.howThisAffectsYou[type] ?? []), ...titles('breaking').map((t) => `${plainChange(t)}: this may need changes on your side`)],
    ...(comms.expectedDowntime[type] ? { expectedDowntime: comms.expectedDowntime[type] } : {}),
    ...(comms.supportContact ? { supportContact: comms.supportContact } : {}),
    ...(comms.signOff ? { signOff: comms.signOff } : {}),
    audience,
  };
}

function utcDate(at: Date): string {
  return dateFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(at);
}

const ANNOUNCED_ITEMS = 10;

/** A titled list of plain sentences; undefined when there is nothing to list. */
function bullets(title: string, items: readonly string[] | undefined, clean = true): string | undefined {
  const lines = [...new Set((items ?? []).map((i) => (clean ? plainChange(i) : i.trim())).filter(Boolean))];
  if (lines.length === 0) return undefined;
  const shown = lines.slice(0, ANNOUNCED_ITEMS).map((line) => `- ${slackMrkdwn(line, 300)}`);
  if (lines.length > ANNOUNCED_ITEMS) shown.push(`- …and ${lines.length - ANNOUNCED_ITEMS} more`);
  return `${title}\n${shown.join('\n')}`;
}

/** The guide's "Pre-Release Announcement (3 days before)", filled from the plan: for #releases or for customers. */
export function preReleaseAnnouncement(view: AnnouncementView): SlackMessage {
  const customers = view.audience === 'customers';
  const time = (at: Date) => clockTime(at, 'UTC').replace(' UTC', '');
  const subject = `Scheduled Maintenance: ${utcDate(view.plannedAt)} ${view.version} Release`;
  const opening = [...(customers ? ['Dear Customers,', ''] : []), `We are planning to release version ${view.version} on ${utcDate(view.plannedAt)} at ${time(view.plannedAt)} UTC.`];
  const changes = [bullets('Features included:', view.features), bullets('Improvements included:', view.improvements), bullets('Fixes included:', view.fixes)];
  const timing = [...(view.expectedDowntime ? [`Expected downtime: ${slackMrkdwn(view.expectedDowntime, 300)}`] : []), `Planned window: ${time(view.plannedAt)} - ${time(view.windowEnd)} UTC`];
  const closing = [
    ...(view.supportContact ? [`Questions? Contact: ${slackMrkdwn(view.supportContact, 300)}`] : []),
    ...(customers ? [view.signOff ? `Thank you,\n${slackMrkdwn(view.signOff, 300)}` : 'Thank you.'] : []),
  ];
  const parts = [opening.join('\n'), ...changes, timing.join('\n'), bullets('How this affects you:', view.howThisAffectsYou, false), closing.join('\n\n')].filter(
    (part): part is string => part !== undefined && part.length > 0,
  );
  return { text: slackFallback(subject), blocks: [section(`*${subject}*`), ...parts.map(section)] };
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
