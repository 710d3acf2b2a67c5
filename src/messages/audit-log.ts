import { dateAndTime, context, header, mention, section } from './format.js';
import { slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface AuditEntry {
  at: Date;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

/** A detail as Slack shows it: whatever a person or GitHub put there is escaped, and cut so a line stays short. */
const t = (value: unknown): string => slackMrkdwn(typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value), 300);
const people = (ids: unknown): string => (Array.isArray(ids) ? ids.map((id) => mention(String(id))).join(', ') : '');

/** Each entry as mrkdwn: tminus's words, escaped details. */
const DESCRIBE: Record<string, (d: Record<string, unknown>) => string> = {
  'release.requested': (d) => `asked for ${t(d.type)} release ${t(d.version)}${d.previousVersion ? ` (after ${t(d.previousVersion)})` : ''}`,
  'hotfix.requested': (d) => `raised hotfix ${t(d.version)} (${t(d.severity)}): ${t(d.issue)}`,
  'gate.opened': (d) => `opened the ${t(d.kind)} approval gate`,
  'gate.approved': (d) => `${t(d.kind)} gate approved`,
  'gate.rejected': (d) => `${t(d.kind)} gate rejected`,
  'approval.approved': (d) => `approved (${t(d.kind)} gate, as ${t((d.roles as string[] | undefined)?.join(', '))})`,
  'approval.rejected': (d) => `rejected (${t(d.kind)} gate): ${t(d.reason)}`,
  'pre_deployment.ticked': (d) => `ticked the pre-deployment check "${t(d.label)}"${d.evidence ? `: ${t(d.evidence)}` : ''}`,
  'pre_deployment.not_ticked': (d) => `did not tick the pre-deployment check ${t(d.item)}: ${t(d.evidence)}`,
  'release.tag_created': (d) => `created tag ${t(d.tag)} at ${t(String(d.sha).slice(0, 7))} on ${t(d.branch)}`,
  'release.deploy_run_found': (d) => `found the deploy run ${t(d.runId)}`,
  'github.unreachable': (d) => `could not reach GitHub: ${t(d.error)}`,
  'github.deployment_approved': (d) => `approved the GitHub deployment review for ${people(d.approvers)}`,
  'github.deployment_rejected': () => 'rejected the GitHub deployment review',
  'hotfix.step_done': (d) => `ticked "${t(d.step)}"`,
  'slack.posted': (d) => `posted: ${t(d.text ?? d.key)}`,
  'hotfix.step_overdue': (d) => `reminded: "${t(d.step)}" is overdue`,
  'hotfix.step_escalated': (d) => `escalated "${t(d.step)}" to the VP Eng`,
  'hotfix.detected': (d) => `issue detected at ${t(d.at)}${d.given ? '' : ' (the time of the command)'}`,
  'hotfix.ci_passed': (d) => `CI passed on ${t(String(d.sha).slice(0, 7))}: hotfix tested`,
  'hotfix.ci_failed': (d) => `CI failed on ${t(String(d.sha).slice(0, 7))}`,
  'github.deployment_approved_by_policy': (d) => `approved the production deployment on GitHub by policy (no production gate for this type)${Array.isArray(d.approvers) && d.approvers.length > 0 ? `, on the approval of ${people(d.approvers)}` : ''}`,
  'github.deployment_by_policy_refused': (d) => `GitHub refused tminus's production approval: ${t(d.error)}`,
  'github.deployment_by_policy_claimed': (d) => `took the production approval of run ${t(d.runId)} by policy (one answer per run attempt)`,
  'github.deployment_by_policy_unclaimed': (d) => `gave back the production approval of run ${t(d.runId)}: GitHub did not answer, tried again`,
  'post_deploy_checks.read': (d) => `read the post-deploy checks (reading ${t(d.reading)}): ${t((d.results as { check: string; state: string }[] | undefined)?.map((r) => `${r.check} ${r.state}`).join(', '))}`,
  'post_deploy_checks.verdict': (d) => `post-deploy checks not passed: ${t((d.verdict as string[] | undefined)?.join(', '))}`,
  'release.post_deploy_checks_passed': (d) =>
    d.source === 'none'
      ? 'completed not verified (verification.source: none)'
      : d.skipped
        ? `completed without post-deploy checks: ${t(d.skipped)}`
        : 'post-deploy checks passed: complete',
  'post_deploy_checks.awaiting_confirmation': (d) => `waiting for \`/release confirm\`: ${t(d.reason)}`,
  'github.read_refused': (d) => `GitHub refused a read (${t(d.read)}, ${t(d.status)}): following the run's own status`,
  'release.post_deploy_checks_confirmed': (d) => `confirmed the post-deploy checks by hand: ${t(d.checked)}`,
  'release.post_deploy_checks_failed': (d) => `failed: ${t(d.reason)}`,
  'release.start_rollback': (d) => `started the emergency rollback to ${t(d.to)}${d.detectedAt ? ` (detected at ${t(d.detectedAt)})` : ''}${d.reason ? `: ${t(d.reason)}` : ''}`,
  'incident.reported': (d) => `reported an incident (${t(d.severity)}): ${t(d.issue)}`,
  'rollback.deploy_run_stopped': (d) => `cancelled the deploy run ${t(d.runId)} before rolling back (${t(d.outcome)})`,
  'release.backport': (d) => `backport on the ${t(d.line)} line (production runs ${t(d.productionRuns)})`,
  'release.deploy_within_passed': (d) => `not complete by its deadline ${t(d.deadline)} (policy deployWithin)`,
  'verification.deadline_passed': (d) => `decision-matrix deadline passed: ${t(d.check)} still breached (${t(d.severity)}: ${t(d.action)})`,
};

function describe(entry: AuditEntry): string {
  const known = Object.hasOwn(DESCRIBE, entry.action) ? DESCRIBE[entry.action] : undefined;
  if (known) return known(entry.details);
  if (entry.action.startsWith('release.') && entry.details.to) {
    const d = entry.details;
    return `${t(entry.action.slice('release.'.length).replace(/_/g, ' '))}: ${t(d.from)} → ${t(d.to)}${d.reason ? ` (${t(d.reason)})` : ''}`;
  }
  return t(entry.action);
}

/** `/release log`: the release's audit trail, in order, with who and when. */
export function auditLogMessage(version: string, entries: AuditEntry[], timeZone: string): SlackMessage {
  const lines = entries.map((e) => {
    return `\`${dateAndTime(e.at, timeZone)}\` ${e.actor === 'tminus' ? '🤖 tminus' : mention(e.actor)} — ${describe(e)}`;
  });
  // Sections hold 3000 characters: the trail is split over as many as it needs (at most 45).
  const chunks: string[] = [];
  for (const line of lines) {
    const last = chunks.at(-1);
    if (last !== undefined && last.length + line.length + 1 <= 2900) chunks[chunks.length - 1] = `${last}\n${line}`;
    else chunks.push(line);
  }
  const shown = chunks.slice(0, 45);
  return {
    text: `Audit log of ${version}: ${entries.length} entries`,
    blocks: [
      header(`Audit log of ${version}`),
      ...shown.map(section),
      context(chunks.length > shown.length ? `Showing the first ${shown.length} pages of ${chunks.length}.` : `${entries.length} entries, oldest first.`),
    ],
  };
}
