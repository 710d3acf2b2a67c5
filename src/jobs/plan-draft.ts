import type { Policy } from '../domain/policy.js';
import { buildReleasePlan, deploymentSteps, formatPlannedAt, PLAN_SECTIONS, versionWarning } from '../domain/release-plan.js';
import { parseVersion, type Version } from '../domain/version.js';
import type { PlanContent, ReleasePlanRow } from '../integrations/database/schema.js';
import type { MergedPullRequest } from '../integrations/github.js';
import { releaseNotesDraftBody, releasePlanCard } from '../messages/release-plan.js';
import type { SlackMessage } from '../messages/types.js';

/** What of a plan its card and its notes show besides the pull requests. */
export type PlanHeading = Pick<ReleasePlanRow, 'id' | 'version' | 'type' | 'plannedAt' | 'requestedBy'>;

/**
 * The plan's content and release-notes draft from the pull requests merged since `base` (the last release
 * tag) on `head` (the default branch): what build-plan stores first and refresh-plan stores again.
 */
export function draftPlan(policy: Policy, plan: PlanHeading, base: string, head: string, pulls: readonly MergedPullRequest[]): { content: PlanContent; notes: string } {
  const draft = buildReleasePlan(pulls, policy.planning);
  const { version, previous } = versionsOf(plan, base);
  const notes = releaseNotesDraftBody({ version: version.tag, previous: previous.tag, type: typeOf(plan), date: formatPlannedAt(plan.plannedAt, policy.timezone), plan: draft, policy });
  return { content: { base, head, sections: draft.sections, advisedType: draft.advisedType }, notes };
}

/** The guide's release-plan card for a plan's content: posted by build-plan, edited in place by refresh-plan. */
export function planCard(policy: Policy, plan: PlanHeading, content: PlanContent): SlackMessage {
  const { version, previous } = versionsOf(plan, content.base);
  const draft = { sections: content.sections, advisedType: content.advisedType };
  // Every pull request of the repository links below the same address.
  const repoWeb = PLAN_SECTIONS.flatMap((s) => content.sections[s])[0]?.url.replace(/\/pull\/\d+$/, '');
  return releasePlanCard({
    version: version.tag,
    previous: previous.tag,
    date: formatPlannedAt(plan.plannedAt, policy.timezone),
    type: typeOf(plan),
    requestedBy: plan.requestedBy,
    sections: draft.sections,
    advisedType: draft.advisedType,
    warning: versionWarning(version, previous, draft),
    deploymentSteps: deploymentSteps(version.tag, draft, policy),
    compareUrl: repoWeb ? `${repoWeb}/compare/${previous.tag}...${content.head}` : undefined,
  });
}

function versionsOf(plan: PlanHeading, base: string): { version: Version; previous: Version } {
  const version = parseVersion(plan.version);
  const previous = parseVersion(base);
  if (!version.ok) throw new Error(`plan ${plan.id} has an invalid version ${plan.version}`);
  if (!previous.ok) throw new Error(`plan ${plan.id} has an invalid base ${base}`);
  return { version: version.version, previous: previous.version };
}

function typeOf(plan: PlanHeading): 'patch' | 'minor' | 'major' {
  return plan.type as 'patch' | 'minor' | 'major';
}
