/**
 * Plain words for people outside engineering: the guide's Rollback Notice says what happened "without
 * technical jargon", and customer messages list changes as sentences, not pull request titles.
 */

/** "What happened", in plain words, for each issue of the guide's decision matrix (`decisionMatrix[].issue`). */
export const WHAT_HAPPENED: Readonly<Record<string, string>> = {
  'Data loss': 'Some information may not have been saved correctly with the new version.',
  'Security vuln': 'We found a security weakness in the new version.',
  'Feature broken': 'Part of the service stopped working as it should after the update.',
  'Performance issue': 'The service became slower than it should be after the update.',
  'Minor bug': 'We found a small problem in the new version.',
  'UI issue': 'Some screens did not look or behave as they should after the update.',
};

/** When nobody said which issue it is: true of every rollback, and says no more than is known. */
export const WHAT_HAPPENED_FALLBACK = 'We found a problem with the new version and are returning to the previous one while we look into it.';

/** The plain sentence for a decision-matrix issue (matched without regard to case), or the generic one. */
export function whatHappened(issue: string | undefined): string {
  if (!issue) return WHAT_HAPPENED_FALLBACK;
  const key = Object.keys(WHAT_HAPPENED).find((name) => name.toLowerCase() === issue.trim().toLowerCase());
  return key ? WHAT_HAPPENED[key]! : WHAT_HAPPENED_FALLBACK;
}

/**
 * A change as a plain sentence: a pull request title or a line of GitHub's generated notes without its
 * conventional-commit prefix ("feat(api):"), its number ("(#123)"), GitHub's "by @user in <url>" and
 * bracketed tags ("[skip ci]"), capitalised. "feat: wallet top-ups (#12)" → "Wallet top-ups".
 */
export function plainChange(title: string): string {
  const text = title
    .replace(/\s+by @[\w-]+(\[bot\])?(\s+in\s+https?:\/\/\S+)?\s*$/i, '')
    .replace(/\s+in https?:\/\/\S+\/pull\/\d+\s*$/i, '')
    .replace(/^\s*\w+(\([^)]*\))?!?:\s*/, '')
    .replace(/\s*\[[^\]]*\]\s*/g, ' ')
    .replace(/\s*\((#\d+(,\s*)?)+\)/g, '')
    .replace(/\s+#\d+\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Words that must not reach customers: Slack mentions, metric names and the team's own jargon. The golden
 * tests read every customer variant against this list.
 */
export const INTERNAL_JARGON = [
  'p99',
  'p95',
  'error rate',
  'latency',
  'cpu',
  'memory',
  'cache hit',
  'connection pool',
  'workflow',
  'run',
  'deploy run',
  'github actions',
  'datadog',
  'breach',
  'threshold',
  'emergency rollback',
  'T+',
  'tminus',
  'on-call',
  'pull request',
] as const;

/** The jargon words in `text`, matched as whole words (case-insensitive): "run" is found, "running" is not. */
export function jargonIn(text: string): string[] {
  return INTERNAL_JARGON.filter((word) => {
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const before = /^[a-z0-9]/i.test(word) ? '(?<![a-z0-9])' : '';
    const after = /[a-z0-9]$/i.test(word) ? '(?![a-z0-9])' : '';
    return new RegExp(`${before}${escaped}${after}`, 'i').test(text);
  });
}

/** Who a template is written for: the team in #releases (and its threads), or customers in their channel. */
export type Audience = 'team' | 'customers';
