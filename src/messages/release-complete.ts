import { formatDuration } from '../domain/duration.js';
import type { KnownBlock } from '@slack/web-api';
import { classifyPullRequest, type PlanItem, type PlanSection } from '../domain/release-plan.js';
import type { Policy } from '../domain/policy.js';
import { clockTime, context, link, section } from './format.js';
import { plainChange, type Audience } from './plain-words.js';
import { slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';
import { verifiedByForCustomers, verifiedByForTeam, verifiedByShort } from './verified-by.js';
import type { HowVerified } from '../domain/verified-by.js';

/** What the release changed, sorted into the template's parts, each a plain sentence. */
export interface ReleaseChanges {
  /** Where the lists come from: the release plan's sections, or GitHub's generated notes when there was no plan. */
  source: 'plan' | 'notes';
  features: string[];
  /** Improvements that are about speed (a `perf:` title, or one that says performance, faster or speed). */
  performance: string[];
  improvements: string[];
  fixes: string[];
  /** Anything not classified: shown to the team only. */
  other: string[];
}

export interface ReleaseCompleteInput {
  version: string;
  completedAt: Date;
  deploymentMs: number;
  releaseUrl: string;
  /** From `releaseCompleteChanges` (the plan's sections, else GitHub's notes). */
  changes?: ReleaseChanges;
  /** GitHub's generated notes: read only when `changes` is not given. */
  notes?: string;
  timeZone: string;
  supportContact?: string;
  /** `team` (the release's thread, the default) or `customers` (no link to GitHub, no unclassified changes). */
  audience?: Audience;
  /** How the release was verified before it was complete (its audit log), said to both audiences. */
  verified?: HowVerified;
}

/** The "What's changed" bullets of GitHub's generated notes (the "New Contributors" part left out), as typed. */
export function changesFromNotes(notes: string, limit = 10): string[] {
  const lines = notes.split('\n').map((line) => line.trim());
  const start = lines.findIndex((line) => /^##\s+What's Changed/i.test(line));
  const section = start >= 0 ? lines.slice(start + 1) : lines;
  const end = section.findIndex((line) => line.startsWith('## '));
  const bullets = (end >= 0 ? section.slice(0, end) : section).filter((line) => /^[*-] /.test(line)).map((line) => line.slice(2).trim());
  return bullets.slice(0, limit).map((line) => (line.length > 200 ? `${line.slice(0, 199)}…` : line));
}

const PERFORMANCE = /^perf(\([^)]*\))?!?:|\b(performance|faster|speed|speeds|speedup)\b/i;
const NO_LABELS = { labels: { features: [], fixes: [], improvements: [], breaking: [] }, migrationPaths: [] } as unknown as Policy['planning'];

/**
 * The "Release Complete" lists for a release: from its plan's sections (sorted at plan time by
 * `planning.labels` and conventional titles) when it has a plan, else from GitHub's generated notes, sorted
 * by their conventional titles. Each entry is a plain sentence (`plainChange`). Pure.
 *
 * complete-release calls it with the plan of the release's version (`ReleasePlanStore.findByVersion`, its
 * `plan` column) and the notes GitHub generated: `releaseCompleteChanges({ sections: row?.plan?.sections, notes })`.
 */
export function releaseCompleteChanges(input: { sections?: Partial<Record<PlanSection, Pick<PlanItem, 'title'>[]>> | null; notes: string }): ReleaseChanges {
  const plain = (items: readonly { title: string }[] | undefined) => unique((items ?? []).map((i) => plainChange(i.title)).filter(Boolean));
  const speed = (items: readonly { title: string }[] | undefined) => (items ?? []).filter((i) => PERFORMANCE.test(i.title));
  const rest = (items: readonly { title: string }[] | undefined) => (items ?? []).filter((i) => !PERFORMANCE.test(i.title));
  const changes = (source: ReleaseChanges['source'], from: Partial<Record<(typeof PLAN_KINDS)[number], readonly { title: string }[]>>): ReleaseChanges => ({
    source,
    features: plain(from.features),
    performance: plain(speed(from.improvements)),
    improvements: plain(rest(from.improvements)),
    fixes: plain(from.fixes),
    other: plain(from.other),
  });
  const sections = input.sections;
  if (sections && PLAN_KINDS.some((kind) => (sections[kind]?.length ?? 0) > 0)) return changes('plan', sections);
  const sorted: Record<(typeof PLAN_KINDS)[number], { title: string }[]> = { features: [], improvements: [], fixes: [], other: [] };
  for (const title of changesFromNotes(input.notes, 100)) {
    // GitHub's line is "<title> by @user in <url>": the title alone is classified.
    sorted[classifyPullRequest({ title: plainTitle(title), labels: [], files: [] }, NO_LABELS).kind].push({ title });
  }
  return changes('notes', sorted);
}

const PLAN_KINDS = ['features', 'improvements', 'fixes', 'other'] as const;

function plainTitle(line: string): string {
  return line.replace(/\s+by @[\w-]+(\[bot\])?(\s+in\s+https?:\/\/\S+)?\s*$/i, '');
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

const LIST_LIMIT = 10;

/** A titled list as the guide writes it ("New features:" and "- " lines); undefined when there is nothing to list. */
function list(title: string, items: readonly string[]): string | undefined {
  if (items.length === 0) return undefined;
  const shown = items.slice(0, LIST_LIMIT).map((item) => `- ${slackMrkdwn(item, 200)}`);
  if (items.length > LIST_LIMIT) shown.push(`- …and ${items.length - LIST_LIMIT} more`);
  return `*${title}*\n${shown.join('\n')}`;
}

/** The guide's "Release Complete" template: the team's version in the release's thread, or the customers'. */
export function releaseCompleteMessage(input: ReleaseCompleteInput): SlackMessage {
  const team = (input.audience ?? 'team') === 'team';
  const title = `✅ Release ${input.version} COMPLETED`;
  const minutes = formatDuration(input.deploymentMs);
  const changes = input.changes ?? releaseCompleteChanges({ notes: input.notes ?? '' });
  const parts = [
    list('New features:', changes.features),
    list('Performance improvements:', changes.performance),
    list('Improvements:', changes.improvements),
    list('Bug fixes:', changes.fixes),
    team ? list('Other changes:', changes.other) : undefined,
  ].filter((part): part is string => part !== undefined);
  const verified = input.verified ? `\n${team ? verifiedByForTeam(input.verified) : verifiedByForCustomers(input.verified)}` : '';
  const when = `⏱️ Release completed at ${clockTime(input.completedAt, input.timeZone)}\n📦 Deployment time: ${minutes}`;
  const blocks: KnownBlock[] = [section(`*${title}*\n\n${when}${verified}`)];
  blocks.push(...parts.map(section));
  if (team) {
    if (parts.length === 0) blocks.push(section(`_No changes listed in the ${changes.source === 'plan' ? 'release plan' : 'release notes'}._`));
    blocks.push(section(`📝 ${link(input.releaseUrl, `Release notes for ${input.version}`)}`));
  }
  blocks.push(section(['Thank you for your patience!', ...(input.supportContact ? [`Questions? ${slackMrkdwn(input.supportContact, 300)}`] : [])].join('\n')));
  if (team) blocks.push(context(changes.source === 'plan' ? 'Changes listed from the release plan.' : "Changes listed from GitHub's generated release notes (no release plan)."));
  const how = input.verified ? `, ${team ? verifiedByShort(input.verified) : verifiedByForCustomers(input.verified).toLowerCase().replace(/\.$/, '')}` : '';
  return { text: team ? `${title} in ${minutes}${how}` : slackFallback(`${title}${how}`), blocks };
}
