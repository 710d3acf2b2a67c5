import type { PlanItem, PlanSection } from '../domain/release-plan.js';
import { context, escape, header, link, section } from './format.js';
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

const item = (i: PlanItem) => `• ${link(i.url, `#${i.number}`)} ${escape(i.title)} - Status: ${i.status}`;
const list = (items: PlanItem[], none: string) => (items.length === 0 ? `_${none}_` : items.map(item).join('\n'));

/** The guide's release-plan card (Phase 1, Step 1), the top of the plan's thread in #releases. */
export function releasePlanCard(input: ReleasePlanCardInput): SlackMessage {
  const s = input.sections;
  const blocks = [
    header(`📋 Release plan: ${input.version}`),
    section(`*Release Date:* ${escape(input.date)}\n*Target Version:* ${input.version} (${input.type})\n*Changes since:* ${link(input.compareUrl, input.previous)}\n*Planned by:* <@${input.requestedBy}>`),
    section(`*Features Included*\n${list(s.features, 'No new features')}`),
    section(`*Bug Fixes*\n${list(s.fixes, 'No bug fixes')}`),
    section(`*Improvements*\n${list(s.improvements, 'No improvements')}`),
    ...(s.other.length > 0 ? [section(`*Other changes*\n${list(s.other, 'None')}`)] : []),
    section(`*Breaking Changes*\n${list(s.breaking, 'None')}`),
    section(`*Database Migrations*\n${list(s.migrations, 'None')}`),
    section(`*Deployment Steps*\n${input.deploymentSteps.map((step, n) => `${n + 1}. ${escape(step)}`).join('\n')}`),
    section(`*Advised version type:* ${input.advisedType}${input.warning ? `\n⚠️ ${escape(input.warning)}` : ' ✅ matches the requested version'}`),
    context('The release-notes draft is in the thread.'),
  ];
  const count = (['features', 'fixes', 'improvements', 'other'] as const).reduce((n, k) => n + s[k].length, 0);
  return { text: `Release plan ${input.version} for ${input.date}: ${count} pull request${count === 1 ? '' : 's'}${input.warning ? ` ⚠️ ${input.warning}` : ''}`, blocks };
}

/** The release-notes draft, in the plan's thread: the guide's template, ready to copy. */
export function releaseNotesDraftMessage(version: string, notes: string): SlackMessage {
  return {
    text: `Release notes draft for ${version}`,
    blocks: [section(`*Release notes draft for ${version}*`), section(`\`\`\`${notes.slice(0, 2900)}\`\`\``)],
  };
}

/** An empty range: nothing was merged since the last release tag, so the plan is cancelled. */
export function nothingToReleaseMessage(version: string, previous: string): SlackMessage {
  const text = `Nothing to release since ${previous}: no pull requests were merged after it, so the plan for ${version} is cancelled.`;
  return { text, blocks: [section(`📭 ${escape(text)}`)] };
}

/** The build-plan job gave up (GitHub refused or stayed away): the plan is cancelled so it can be planned again. */
export function planFailedMessage(version: string, reason: string): SlackMessage {
  const text = `The plan for ${version} could not be built: ${reason}. It is cancelled: run \`/release plan ${version}\` again once GitHub answers.`;
  return { text, blocks: [section(`⚠️ ${escape(text)}`)] };
}

/** No release tag below the planned version, so there is no range to read. */
export function noPreviousReleaseMessage(version: string): SlackMessage {
  const text = `No release tag before ${version} was found in the repository, so there is nothing to compare against: the plan for ${version} is cancelled.`;
  return { text, blocks: [section(`⚠️ ${escape(text)}`)] };
}
