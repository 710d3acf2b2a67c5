import type { KnownBlock, MrkdwnOption } from '@slack/web-api';
import { preDeploymentValue } from './button-values.js';
import { clockTime, mention, section } from './format.js';
import { plainText, slackMrkdwn } from './text.js';

export const PRE_DEPLOYMENT_ACTIONS = {
  /** The checkboxes of a production gate's pre-deployment checks; each option's value names the release, the gate and the check. */
  tick: 'pre_deployment_tick',
} as const;

/** One of the guide's T+60 pre-deployment checks as the gate shows it. */
export interface PreDeploymentItemView {
  key: string;
  label: string;
  /** "the on-call engineer or the DevOps lead": who may tick it. */
  who: string;
  /** tminus ticks it itself from Datadog (people cannot, unless Datadog could not be read). */
  byTminus: boolean;
  tick?: { by: string; at: Date; evidence?: string };
  /** Why it is not ticked yet, when tminus knows: Datadog's reading, or why tminus cannot read it. */
  note?: string;
}

export interface PreDeploymentView {
  releaseId: string;
  gateId: string;
  items: PreDeploymentItemView[];
  timeZone: string;
}

/** "2 of 4": how many checks are ticked. */
export function checksCount(view: PreDeploymentView): { done: number; total: number } {
  return { done: view.items.filter((i) => i.tick).length, total: view.items.length };
}

function line(item: PreDeploymentItemView, timeZone: string): string {
  const label = `*${slackMrkdwn(item.label, 150)}*`;
  if (item.tick) {
    const who = item.tick.by === 'tminus' ? 'tminus' : mention(item.tick.by);
    return `✅ ${label}: ${who} at ${clockTime(item.tick.at, timeZone)}${item.tick.evidence ? ` (${slackMrkdwn(item.tick.evidence, 200)})` : ''}`;
  }
  const note = item.note ? `${slackMrkdwn(item.note, 200)}. ` : '';
  if (item.byTminus) return item.note ? `⛔ ${label}: ${note}tminus ticks it once they recover` : `⬜ ${label}: tminus is reading Datadog`;
  return `⬜ ${label}: ${note}${note ? 'Ticked' : 'ticked'} by ${slackMrkdwn(item.who, 200)}`;
}

const AUTO = ' (tminus checks)';
const ticked = (tick: { by: string; at: Date }, timeZone: string) => `${tick.by === 'tminus' ? 'tminus' : 'ticked'} at ${clockTime(tick.at, timeZone)}`;

/**
 * The checks as blocks under the production gate's approvals: each with who ticked it and when (tminus's
 * own with its evidence), and while the gate is open the checkboxes to tick them (ten at most, one element).
 */
export function preDeploymentBlocks(view: PreDeploymentView, open: boolean): KnownBlock[] {
  const { done, total } = checksCount(view);
  const blocks: KnownBlock[] = [section([`*Pre-deployment checks* (${done} of ${total})`, ...view.items.map((i) => line(i, view.timeZone))].join('\n'))];
  if (!open) return blocks;
  const options = view.items.map((item): MrkdwnOption & { value: string } => ({
    text: { type: 'mrkdwn', text: item.byTminus ? `${slackMrkdwn(item.label, 75 - AUTO.length)}${AUTO}` : slackMrkdwn(item.label, 75), verbatim: true },
    value: preDeploymentValue({ releaseId: view.releaseId, gateId: view.gateId, key: item.key }),
    ...(item.tick ? { description: { type: 'plain_text' as const, text: plainText(ticked(item.tick, view.timeZone), 75) } } : {}),
  }));
  const initial = options.filter((_, i) => view.items[i]!.tick);
  blocks.push({
    type: 'actions',
    block_id: `pre-deployment:${view.gateId}`,
    elements: [{ type: 'checkboxes', action_id: PRE_DEPLOYMENT_ACTIONS.tick, options, ...(initial.length > 0 ? { initial_options: initial } : {}) }],
  });
  return blocks;
}
