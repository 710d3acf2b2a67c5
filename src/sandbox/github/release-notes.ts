import type { Repository } from './repository.js';
import type { RepoLinks } from './run-plan.js';

/**
 * GitHub's generated release notes (POST /releases/generate-notes, and a release created with
 * `generate_release_notes`) with the default configuration: the pull requests merged between the previous
 * tag and the new one, oldest merge first, as "* <title> by @<author> in <url>"; those whose author had no
 * pull request merged before as "New Contributors"; then the "Full Changelog" link. A commit pushed without
 * a pull request is not listed, as on GitHub.
 */

/** What the notes read of a pull request (pulls.ts's PullRecord has these fields). */
export interface NotedPull {
  number: number;
  title: string;
  user: string;
  mergedAt?: number;
  mergeCommitSha?: string;
}

export interface NotesSource {
  repository: Repository;
  links: RepoLinks;
  pulls: { all(): NotedPull[] };
}

export function releaseNotes(ctx: NotesSource, tagName: string, headSha: string, previousTagName?: string): { name: string; body: string } {
  const { repository, links } = ctx;
  const previous = previousTagName === undefined ? repository.previousTag(tagName, headSha) : repository.tag(previousTagName);
  if (previousTagName !== undefined && previous === undefined) throw new Error(`Unknown tag ${previousTagName}`);
  const commits = previous === undefined ? repository.history(headSha) : repository.compare(previous.sha, headSha).ahead;
  const inRange = new Set(commits.map((c) => c.sha));
  const merged = ctx.pulls
    .all()
    .filter((p) => p.mergedAt !== undefined && p.mergeCommitSha !== undefined)
    .sort((a, b) => (a.mergedAt ?? 0) - (b.mergedAt ?? 0));
  const shipped = merged.filter((p) => inRange.has(p.mergeCommitSha ?? ''));
  const url = (p: NotedPull) => `${links.web}/pull/${p.number}`;
  const lines: string[] = [];
  if (shipped.length > 0) {
    lines.push("## What's Changed", ...shipped.map((p) => `* ${p.title} by @${p.user} in ${url(p)}`), '');
    const firstOf = new Map<string, NotedPull>();
    for (const p of merged) if (!firstOf.has(p.user)) firstOf.set(p.user, p);
    const newcomers = [...firstOf.values()].filter((p) => shipped.includes(p));
    if (newcomers.length > 0) lines.push('## New Contributors', ...newcomers.map((p) => `* @${p.user} made their first contribution in ${url(p)}`), '');
  }
  lines.push(previous === undefined ? `**Full Changelog**: ${links.web}/commits/${tagName}` : `**Full Changelog**: ${links.web}/compare/${previous.name}...${tagName}`);
  return { name: tagName, body: lines.join('\n') };
}
