import { formatDuration } from '../domain/duration.js';
import type { RollbackDetails } from '../integrations/database/schema.js';
import { link, section } from './format.js';
import { githubMarkdown, slackFallback } from './text.js';
import type { SlackMessage } from './types.js';

/** Why a release gets a post-mortem. */
export type PostMortemReason = 'deploy_failed' | 'aborted' | 'rolled_back' | 'rollback_failed' | 'post_deploy_checks_failed';

const WHAT: Record<PostMortemReason, { title: (v: string) => string; said: string }> = {
  deploy_failed: { title: (v) => `Post-mortem: ${v} failed after touching production`, said: 'the deploy failed after production was touched' },
  aborted: { title: (v) => `Post-mortem: ${v} aborted after touching production`, said: 'the release was aborted after production was touched' },
  rolled_back: { title: (v) => `Post-mortem: rollback of ${v}`, said: 'the release was rolled back' },
  rollback_failed: { title: (v) => `Post-mortem: rollback of ${v} did not complete`, said: 'the rollback did not complete and was handed to a person' },
  post_deploy_checks_failed: { title: (v) => `Post-mortem: ${v} failed its post-deploy checks`, said: 'the post-deploy checks failed in production' },
};

export function postMortemTitle(reason: PostMortemReason, version: string): string {
  return WHAT[reason].title(version);
}

export interface PostMortemInput {
  version: string;
  type: string;
  /** Default: a rollback. */
  reason?: PostMortemReason;
  /** Why the release failed, when it did. */
  failureReason?: string | null;
  rollback?: Pick<RollbackDetails, 'by' | 'reason' | 'toVersion' | 'startedAt' | 'restoredAt' | 'runUrl'>;
  /** The guide's time to restore (policy `rollback.timeLimit`), in ms. */
  timeLimit: number;
  /** The release's audit log, oldest first. */
  events: { at: Date; actor: string; action: string; details: Record<string, unknown> }[];
}

/** GitHub refuses issue bodies past 65,536 characters. */
const BODY_LIMIT = 65_000;

const url = (address: string) => address.replace(/[\s<>()[\]|]/g, encodeURIComponent);

/**
 * The post-mortem issue's body (after a rollback, or a failure in production), from the release's audit log. Everything a person or
 * GitHub wrote (the reason, review comments, error messages in the timeline) is escaped for GitHub: it
 * notifies nobody and makes no link, image or table cell.
 */
export function postMortemBody(input: PostMortemInput): string {
  const { rollback } = input;
  const reason = input.reason ?? 'rolled_back';
  const md = (value: unknown, max = 300) => githubMarkdown(String(value ?? ''), max);
  const restore = rollback?.restoredAt ? Date.parse(rollback.restoredAt) - Date.parse(rollback.startedAt) : undefined;
  const breaches = input.events.filter((e) => e.action === 'verification.breach_opened' || e.action === 'verification.breach_escalated');
  const head = [
    rollback && reason === 'rolled_back'
      ? `Post-mortem for the rollback of **${md(input.version)}** to **${md(rollback.toVersion)}** (${md(input.type)} release).`
      : `Post-mortem for **${md(input.version)}** (${md(input.type)} release): ${WHAT[reason].said}.`,
    '',
    ...(input.failureReason ? [`- What failed: ${md(input.failureReason, 4000)}`] : []),
    ...(rollback
      ? [
          `- Rollback to ${md(rollback.toVersion)}: ${md(rollback.reason, 4000)}`,
          `- Rolled back by: ${rollback.by === 'tminus' ? 'tminus (automatic)' : md(rollback.by, 100)}`,
          `- Time to restore: ${restore !== undefined ? formatDuration(restore) : 'unknown'} (guide: within ${formatDuration(input.timeLimit)})`,
          rollback.runUrl ? `- Rollback run: ${url(rollback.runUrl)}` : '',
        ]
      : ['- Not rolled back (yet) by tminus: see the timeline.']),
    '',
    '## Breaches',
    ...(breaches.length > 0
      ? breaches.map((b) => {
          const d = b.details;
          return `- ${b.at.toISOString()} ${md(d.check)} (${md(d.severity ?? d.to)}${d.to ? `, escalated from ${md(d.from)}` : ''}): ${md(d.value ?? '')}`;
        })
      : ['- none recorded']),
    '',
    '## Timeline (from the audit log)',
    '| When (UTC) | Who | What |',
    '| --- | --- | --- |',
  ];
  const tail = ['', '## To do (the guide)', '- [ ] Root cause analysis', '- [ ] Fix planned for the next release', '- [ ] Communication with affected customers', '- [ ] Lessons learned documented'];
  // Action names are tminus's own. A table row is one line: line breaks in a cell become spaces.
  const cell = (value: string, max: number) => md(value.replace(/[\r\n\u2028\u2029]+/g, ' '), max);
  const rows = input.events.map(
    (e) => `| ${e.at.toISOString()} | ${cell(e.actor, 100)} | ${e.action}${Object.keys(e.details).length > 0 ? ` ${cell(JSON.stringify(e.details), 1000)}` : ''} |`,
  );
  let length = [...head, ...tail].join('\n').length + 200;
  const shown: string[] = [];
  for (const row of rows) {
    if (length + row.length + 1 > BODY_LIMIT) break;
    shown.push(row);
    length += row.length + 1;
  }
  const more = rows.length - shown.length;
  const left = more > 0 ? [`| … | | ${more} more entries: \`/release log ${input.version}\` in Slack |`] : [];
  return [...head, ...shown, ...left, ...tail].join('\n');
}

/** In the release's thread: the post-mortem issue is open. */
export function postMortemLinkMessage(version: string, issueUrl: string, reason: PostMortemReason = 'rolled_back'): SlackMessage {
  return {
    text: `📝 Post-mortem issue for ${version}: ${slackFallback(issueUrl)}`,
    blocks: [section(`📝 *Post-mortem* for ${version} (${WHAT[reason].said}): ${link(issueUrl, 'GitHub issue')}. Schedule it, find the root cause, plan the fix for the next release.`)],
  };
}
