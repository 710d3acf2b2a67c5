import type { ReadinessLine } from './readiness.js';

/**
 * Where a hotfix's commit comes from. A hotfix is a patch on what production runs: it is cut from the
 * production version's tag, not from the default branch's head (which may carry a rolled-back release). The
 * person may name another branch or commit (`--from`). Pure: the jobs read GitHub and hand the facts in.
 */

/** The branch tminus cuts from production's tag when the hotfix has none: the fix is pushed there. */
export function hotfixBranch(version: string): string {
  return `hotfix/${version}`;
}

/** The branches a hotfix is taken from, first found first: its own `hotfix/vX.Y.Z`, then `release/vX.Y.Z`. */
export function hotfixBranches(version: string): string[] {
  return [hotfixBranch(version), `release/${version}`];
}

const SHA = /^[0-9a-f]{40}$/;
const BRANCH = /^(?!.*\.\.)(?!\/)(?!.*\/$)[\w][\w./-]{0,199}$/;

/** `--from <branch or full commit sha>`: what the person named, or why it cannot be one. */
export function parseHotfixFrom(text: string): { ok: true; from: string } | { ok: false; reason: string } {
  if (SHA.test(text) || BRANCH.test(text)) return { ok: true, from: text };
  return { ok: false, reason: `\`--from\` takes a branch name or a full 40-character commit sha, not "${text.slice(0, 60)}"` };
}

export function isCommitSha(ref: string): boolean {
  return SHA.test(ref);
}

/** What the hotfix's commit carries beyond what production runs, as read from GitHub's compare. */
export interface HotfixChange {
  branch: string;
  sha: string;
  /** What production runs (its tag) and that tag's commit; undefined when nothing was released yet. */
  production?: { tag: string; sha: string };
  /** Undefined: GitHub could not be asked. */
  ahead?: number;
  behind?: number;
  /** The newest commits beyond production, newest first (short sha and first line, already made safe). */
  newest?: { sha: string; title: string }[];
  /** The person named the branch or commit (`--from`). */
  named?: boolean;
}

/** What the hotfix ships, in a clause: "`abc1234` on `hotfix/v1.2.1`, 1 commit beyond production v1.2.0 (…)". */
export function describeHotfixChange(change: HotfixChange): string {
  const at = `\`${change.sha.slice(0, 7)}\` on \`${change.branch}\``;
  if (!change.production) return `${at} (nothing released yet to compare with)`;
  if (change.ahead === undefined) return `${at}; what it carries beyond production ${change.production.tag} could not be read yet`;
  if (change.ahead === 0) return `${at}, the same code production runs (${change.production.tag})`;
  const commits = `${change.ahead} commit${change.ahead === 1 ? '' : 's'}`;
  const titles = (change.newest ?? []).map((c) => `\`${c.sha.slice(0, 7)}\` ${c.title}`).join('; ');
  const behind = change.behind ? `; it lacks ${change.behind} commit${change.behind === 1 ? '' : 's'} production runs` : '';
  return `${at}, ${commits} beyond production ${change.production.tag}${titles ? ` (${titles}${change.ahead > (change.newest?.length ?? 0) ? '; …' : ''})` : ''}${behind}`;
}

/**
 * The readiness line of a hotfix's change: it holds when its commit carries something beyond production; the
 * same code as production is nothing to ship (push the fix to the branch), and unknown waits.
 */
export function changeLine(change: HotfixChange): ReadinessLine {
  const text = `Ships ${describeHotfixChange(change)}`;
  if (change.production && change.ahead === undefined) return { key: 'change', state: 'waiting', text: `${text}; looking again` };
  if (change.production && change.ahead === 0) {
    return { key: 'change', state: 'waiting', text: `${text}: nothing to ship. Push the fix to \`${change.branch}\`; the hotfix takes its new head` };
  }
  return { key: 'change', state: 'holds', text };
}
