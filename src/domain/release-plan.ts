/**
 * The guide's Release Planning, pure: merged pull requests sorted into the plan's sections (by the
 * policy's labels, else by conventional-commit titles), the database migrations among them (by the
 * policy's migration paths), the release type the changes call for, and the release-notes draft.
 */
import type { Policy } from './policy.js';
import { dateFormat, wallToInstant } from './time-zone.js';
import { inferReleaseType, nextVersions, type Version } from './version.js';

export interface PlannedPullRequest {
  number: number;
  title: string;
  url: string;
  labels: string[];
  files: string[];
  mergedAt: string | null;
}

export const PLAN_SECTIONS = ['features', 'fixes', 'improvements', 'breaking', 'migrations', 'other'] as const;
export type PlanSection = (typeof PLAN_SECTIONS)[number];
export type Kind = 'features' | 'fixes' | 'improvements' | 'other';
export type AdvisedType = 'patch' | 'minor' | 'major' | 'none';

export interface PlanItem {
  number: number;
  title: string;
  url: string;
  status: string;
}

export interface Classification {
  /** The one section a pull request's change belongs to. */
  kind: Kind;
  breaking: boolean;
  migration: boolean;
}

export interface ReleasePlanDraft {
  sections: Record<PlanSection, PlanItem[]>;
  advisedType: AdvisedType;
}

const CONVENTIONAL = /^(\w+)(?:\([^)]*\))?(!)?:\s*(.+)$/;
const KIND_OF_TYPE: Record<string, Kind> = { feat: 'features', feature: 'features', fix: 'fixes', perf: 'improvements', refactor: 'improvements', docs: 'improvements' };

/** Where a pull request goes: labels named in the policy decide first, the conventional title next. */
export function classifyPullRequest(pr: Pick<PlannedPullRequest, 'title' | 'labels' | 'files'>, planning: Policy['planning']): Classification {
  const has = (names: readonly string[]) => pr.labels.some((label) => names.some((name) => name.toLowerCase() === label.toLowerCase()));
  const conventional = CONVENTIONAL.exec(pr.title.trim());
  const type = conventional?.[1]?.toLowerCase();
  const byLabel: Kind | undefined = has(planning.labels.features)
    ? 'features'
    : has(planning.labels.fixes)
      ? 'fixes'
      : has(planning.labels.improvements)
        ? 'improvements'
        : undefined;
  const kind = byLabel ?? (type !== undefined ? KIND_OF_TYPE[type] : undefined) ?? 'other';
  const breaking = has(planning.labels.breaking) || conventional?.[2] === '!' || /BREAKING[ -]CHANGE/.test(pr.title);
  const migration = pr.files.some((file) => planning.migrationPaths.some((path) => touches(file, path)));
  return { kind, breaking, migration };
}

function touches(file: string, path: string): boolean {
  return path.endsWith('/') ? file.startsWith(path) : file === path || file.startsWith(`${path}/`);
}

/** The title without its conventional prefix, capitalised: "feat(api): wallet top-ups" → "Wallet top-ups". */
export function describeChange(title: string): string {
  const text = (CONVENTIONAL.exec(title.trim())?.[3] ?? title).trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The plan's sections and the release type its changes call for. */
export function buildReleasePlan(pulls: readonly PlannedPullRequest[], planning: Policy['planning']): ReleasePlanDraft {
  const sections = Object.fromEntries(PLAN_SECTIONS.map((s) => [s, [] as PlanItem[]])) as Record<PlanSection, PlanItem[]>;
  for (const pr of [...pulls].sort((a, b) => a.number - b.number)) {
    const item: PlanItem = { number: pr.number, title: pr.title, url: pr.url, status: pr.mergedAt === null ? 'Open' : 'Merged' };
    const { kind, breaking, migration } = classifyPullRequest(pr, planning);
    sections[kind].push(item);
    if (breaking) sections.breaking.push(item);
    if (migration) sections.migrations.push(item);
  }
  return { sections, advisedType: adviseType(sections) };
}

/** Breaking changes call for a major, features for a minor, anything else for a patch; nothing, for nothing. */
export function adviseType(sections: Record<PlanSection, PlanItem[]>): AdvisedType {
  if (sections.breaking.length > 0) return 'major';
  if (sections.features.length > 0) return 'minor';
  const any = PLAN_SECTIONS.some((s) => sections[s].length > 0);
  return any ? 'patch' : 'none';
}

const RANK = { none: -1, patch: 0, minor: 1, major: 2 } as const;

/**
 * A warning when `requested` is not the release type the changes call for, counted from `last` (the
 * last release tag); undefined when they agree.
 */
export function versionWarning(requested: Version, last: Version | undefined, plan: ReleasePlanDraft): string | undefined {
  if (plan.advisedType === 'none') return undefined;
  const inferred = inferReleaseType(requested, last);
  if (!inferred.ok) return inferred.reason;
  if (inferred.type === plan.advisedType) return undefined;
  const suggested = last === undefined ? undefined : nextVersions(last)[plan.advisedType].tag;
  const because = reasonFor(plan);
  const instead = suggested ? `: plan ${suggested} instead` : '';
  if (RANK[inferred.type] < RANK[plan.advisedType]) {
    return `${requested.tag} is a ${inferred.type} release, but ${because} call for a ${plan.advisedType}${instead}.`;
  }
  return `${requested.tag} is a ${inferred.type} release, but ${because} call only for a ${plan.advisedType}${instead} (or keep ${requested.tag} if that is intended).`;
}

function reasonFor(plan: ReleasePlanDraft): string {
  const list = (items: PlanItem[]) => items.map((i) => `#${i.number}`).join(', ');
  if (plan.advisedType === 'major') return `the breaking changes (${list(plan.sections.breaking)})`;
  if (plan.advisedType === 'minor') return `the new features (${list(plan.sections.features)})`;
  return 'the changes (fixes and improvements only)';
}

/** The guide's deployment steps for this release, with a migration step when there are migrations. */
export function deploymentSteps(version: string, plan: ReleasePlanDraft, policy: Policy): string[] {
  const migrations = plan.sections.migrations.map((i) => `#${i.number}`).join(', ');
  return [
    `Tag ${version} on the default branch (\`/release start ${version}\`): ${policy.deploy.workflow} builds the images`,
    'Deploy to staging and run the smoke tests',
    ...(plan.sections.migrations.length > 0 ? [`Back up the database, then run the migrations (${migrations})`] : []),
    `Deploy to production (${policy.productionApproval.approvers} approvers)`,
    'Post-release verification: error rate, latency, resources',
  ];
}

const TYPE_NAMES = { patch: 'Patch Release', minor: 'Minor Release', major: 'Major Release', hotfix: 'Hotfix' } as const;

export interface NotesInput {
  version: string;
  previous: string | undefined;
  type: 'patch' | 'minor' | 'major' | 'hotfix';
  /** The release date as the guide writes it: "2026-12-03 14:00 UTC". */
  date: string;
  plan: ReleasePlanDraft;
  policy: Policy;
}

/** The guide's "Release Notes Draft" (Phase 2, Step 4), in markdown. */
export function releaseNotesDraft(input: NotesInput): string {
  const { plan } = input;
  const bullets = (items: PlanItem[]) => (items.length === 0 ? ['None'] : items.map((i) => `- ${describeChange(i.title)} - #${i.number}`));
  const migrations = plan.sections.migrations;
  const upgrade =
    migrations.length > 0
      ? ['1. Back up the database.', `2. Run the database migrations (${migrations.map((i) => `#${i.number}`).join(', ')}).`, `3. Deploy ${input.version}.`]
      : [`Deploy ${input.version}: no database migrations.`];
  const command = input.policy.rollback.command;
  const rollback =
    command && input.previous
      ? command.replaceAll('{version}', input.version).replaceAll('{previous}', input.previous)
      : `run the ${input.policy.rollback.workflow} workflow${input.previous ? ` back to ${input.previous}` : ''}`;
  return [
    `# Release ${input.version}`,
    '',
    `**Release Date:** ${input.date}  `,
    `**Type:** ${TYPE_NAMES[input.type]}  `,
    '',
    '## New Features',
    ...bullets(plan.sections.features),
    '',
    '## Bug Fixes',
    ...bullets(plan.sections.fixes),
    '',
    '## Improvements',
    ...bullets(plan.sections.improvements),
    '',
    '## Breaking Changes',
    ...bullets(plan.sections.breaking),
    '',
    '## Upgrade Instructions',
    ...upgrade,
    '',
    '## Rollback Instructions',
    `If issues occur: ${rollback}`,
    '',
  ].join('\n');
}

export type PlannedAtResult = { ok: true; at: Date } | { ok: false; reason: string };

/**
 * The planned start from `2026-12-03 14:00` or `2026-12-03` (wall-clock time in `zone`; a bare date takes
 * `defaultTime`). Refuses what is not such a date or is in the past.
 */
export function parsePlannedAt(text: string, zone: string, defaultTime: string, now: Date): PlannedAtResult {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?$/.exec(text.trim());
  const example = 'a date like 2026-12-03 or a date and time like "2026-12-03 14:00"';
  if (!match) return { ok: false, reason: `"${text}" is not ${example} (${zone})` };
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const [hours, minutes] = match[4] === undefined ? defaultTime.split(':').map(Number) : [Number(match[4]), Number(match[5])];
  const wall = Date.UTC(year, month - 1, day, hours ?? 0, minutes ?? 0);
  const check = new Date(wall);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1 || (hours ?? 0) > 23 || (minutes ?? 0) > 59) {
    return { ok: false, reason: `"${text}" is not ${example}` };
  }
  const at = wallToInstant(wall, zone);
  if (at <= now.getTime()) return { ok: false, reason: `${text.trim()} (${zone}) is in the past` };
  return { ok: true, at: new Date(at) };
}


/** "2026-12-03 14:00 UTC": a plan's date as the card and the notes show it. */
export function formatPlannedAt(at: Date, zone: string): string {
  const parts: Record<string, string> = {};
  const format = dateFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  for (const part of format.formatToParts(at)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${zone}`;
}
