import { releaseNotesDraft, type NotesInput, type PlanItem, type PlanSection } from '../domain/release-plan.js';
import { context, header, link, mention, section } from './format.js';
import { codeBlock, githubMarkdown, slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface ReleasePlanCardInput {
  version: string;
  previous: string;
  /** "2026-12-03 14:00 UTC" */
  date: string;
  type: string;
  requestedBy: string;
  sections: Record<PlanSection, PlanItem[]>;
  advisedType: string;
  /** Set when the requested version is not the type the changes call for. */
  warning?: string;
  deploymentSteps: string[];
  compareUrl?: string;
}

const item = (i: PlanItem) => `• ${link(i.url, `#${i.number}`)} ${slackMrkdwn(i.title, 300)} - Status: ${i.status}`;
const list = (items: PlanItem[], none: string) => (items.length === 0 ? `_${none}_` : items.map(item).join('\n'));

/** The guide's release-plan card (Phase 1, Step 1), the top of the plan's thread in #releases. */
export function releasePlanCard(input: ReleasePlanCardInput): SlackMessage {
  const s = input.sections;
  const blocks = [
    header(`📋 Release plan: ${input.version}`),
    section(`*Release Date:* ${slackMrkdwn(input.date)}\n*Target Version:* ${input.version} (${input.type})\n*Changes since:* ${link(input.compareUrl, input.previous)}\n*Planned by:* ${mention(input.requestedBy)}`),
    section(`*Features Included*\n${list(s.features, 'No new features')}`),
    section(`*Bug Fixes*\n${list(s.fixes, 'No bug fixes')}`),
    section(`*Improvements*\n${list(s.improvements, 'No improvements')}`),
    ...(s.other.length > 0 ? [section(`*Other changes*\n${list(s.other, 'None')}`)] : []),
    section(`*Breaking Changes*\n${list(s.breaking, 'None')}`),
    section(`*Database Migrations*\n${list(s.migrations, 'None')}`),
    section(`*Deployment Steps*\n${input.deploymentSteps.map((step, n) => `${n + 1}. ${slackMrkdwn(step, 300)}`).join('\n')}`),
    section(`*Advised version type:* ${input.advisedType}${input.warning ? `\n⚠️ ${slackMrkdwn(input.warning, 1000)}` : ' ✅ matches the requested version'}`),
    context('The release-notes draft is in the thread.'),
  ];
  const count = (['features', 'fixes', 'improvements', 'other'] as const).reduce((n, k) => n + s[k].length, 0);
  return { text: `Release plan ${input.version} for ${input.date}: ${count} pull request${count === 1 ? '' : 's'}${input.warning ? ` ⚠️ ${slackFallback(input.warning)}` : ''}`, blocks };
}

/**
 * The guide's release-notes draft as markdown to paste into GitHub: pull request titles are GitHub's text,
 * so they are escaped for GitHub (no mentions, references, links or images from a title).
 */
export function releaseNotesDraftBody(input: NotesInput): string {
  const escaped = (items: PlanItem[]) => items.map((i) => ({ ...i, title: githubMarkdown(i.title, 300) }));
  const sections = Object.fromEntries(Object.entries(input.plan.sections).map(([key, items]) => [key, escaped(items)])) as Record<PlanSection, PlanItem[]>;
  return releaseNotesDraft({ ...input, plan: { ...input.plan, sections } });
}

/** The release-notes draft, in the plan's thread: the guide's template in a code block, ready to copy. */
export function releaseNotesDraftMessage(version: string, notes: string): SlackMessage {
  return {
    text: `Release notes draft for ${version}`,
    blocks: [section(`*Release notes draft for ${version}*`), section(codeBlock(notes, 'slack', 3000))],
  };
}

/** An empty range, told privately to the person who typed `/release plan`: nothing was merged since the last tag. */
export function nothingMergedMessage(version: string, previous: string): SlackMessage {
  const text = `Nothing merged since ${previous}: no plan made for ${version}. Plan it again once pull requests are merged: \`/release plan ${version}\`.`;
  return { text, blocks: [section(`📭 ${slackMrkdwn(text)}`)] };
}

/** The same in the channel, when the person cannot be answered privately (a draft picked up after a restart). */
export function nothingToReleaseMessage(version: string, previous: string): SlackMessage {
  const text = `Nothing merged since ${previous}: no plan made for ${version}.`;
  return { text, blocks: [section(`📭 ${slackMrkdwn(text)}`)] };
}

/** The build-plan job gave up (GitHub refused or stayed away): the plan is cancelled so it can be planned again. */
export function planFailedMessage(version: string, reason: string): SlackMessage {
  const text = (why: string) => `The plan for ${version} could not be built: ${why}. It is cancelled: run \`/release plan ${version}\` again once GitHub answers.`;
  return { text: text(slackFallback(reason)), blocks: [section(`⚠️ ${text(slackMrkdwn(reason, 1000))}`)] };
}

/** No release tag below the planned version, so there is no range to read. */
export function noPreviousReleaseMessage(version: string): SlackMessage {
  const text = `No release tag before ${version} was found in the repository, so there is nothing to compare against: the plan for ${version} is cancelled.`;
  return { text, blocks: [section(`⚠️ ${slackMrkdwn(text)}`)] };
}

export interface PlanChangedInput {
  version: string;
  change: { kind: 'cancelled' } | { kind: 'moved'; from: string; to: string };
  actor: string;
  reason?: string;
}

/** In the plan's thread (and where its announcement went): the plan was cancelled or moved, by whom, why. */
export function planChangedMessage(input: PlanChangedInput): SlackMessage {
  const reason = input.reason?.trim() ? input.reason : undefined;
  // The fallback text loses tminus's bold, never the asterisks a person typed.
  const say = (bold: (s: string) => string, why: string) =>
    input.change.kind === 'cancelled'
      ? `🗓️ ${bold(`The plan for ${input.version} was cancelled`)} by ${mention(input.actor)}${why}. Nothing it scheduled will happen.`
      : `🗓️ ${bold(`${input.version} moved`)} from ${input.change.from} to ${input.change.to} by ${mention(input.actor)}${why}. Its checklists and T-0 follow the new date.`;
  return {
    text: say((s) => s, reason ? `: ${slackFallback(reason)}` : ''),
    blocks: [section(say((s) => `*${s}*`, reason ? `: ${slackMrkdwn(reason, 1500)}` : ''))],
  };
}

export interface PlanRefreshedInput {
  version: string;
  /** The pull requests merged after the plan was drafted, now in its card and notes. */
  added: PlanItem[];
  /** Set when they change the release type the plan's changes call for. */
  advisedType?: { from: string; to: string };
}

const REFRESH_LISTED = 15;

/** In the plan's thread, once per refresh that found something: what was merged since the plan was drafted. */
export function planRefreshedMessage(input: PlanRefreshedInput): SlackMessage {
  const shown = input.added.slice(0, REFRESH_LISTED);
  const more = input.added.length - shown.length;
  const advice = input.advisedType ? ` The changes now call for a ${input.advisedType.to} (was ${input.advisedType.from}): see the card.` : '';
  const updated = `The plan card and the release-notes draft of ${input.version} are updated.${advice}`;
  const fallback = shown.map((i) => `#${i.number} ${slackFallback(i.title, 150)}`).join(', ') + (more > 0 ? ` and ${more} more` : '');
  const lines = shown.map((i) => `• ${link(i.url, `#${i.number}`)} ${slackMrkdwn(i.title, 150)}`).join('\n') + (more > 0 ? `\n…and ${more} more` : '');
  return {
    text: `Merged since this plan was drafted: ${fallback}. ${updated}`,
    blocks: [section(`🔄 *Merged since this plan was drafted:*\n${lines}`), context(updated)],
  };
}
