import { clockTime, context, escape, header, mention, section } from './format.js';
import type { SlackMessage } from './types.js';

export interface AuditEntry {
  at: Date;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

const DESCRIBE: Record<string, (d: Record<string, unknown>) => string> = {
  'release.requested': (d) => `asked for ${d.type} release ${d.version}${d.previousVersion ? ` (after ${d.previousVersion})` : ''}`,
  'hotfix.requested': (d) => `raised hotfix ${d.version} (${d.severity}): ${d.issue}`,
  'gate.opened': (d) => `opened the ${d.kind} approval gate`,
  'gate.approved': (d) => `${d.kind} gate approved`,
  'gate.rejected': (d) => `${d.kind} gate rejected`,
  'approval.approved': (d) => `approved (${d.kind} gate, as ${(d.roles as string[] | undefined)?.join(', ')})`,
  'approval.rejected': (d) => `rejected (${d.kind} gate): ${d.reason ?? ''}`,
  'release.tag_created': (d) => `created tag ${d.tag} at ${String(d.sha).slice(0, 7)} on ${d.branch}`,
  'release.deploy_run_found': (d) => `found the deploy run ${d.runId}`,
  'github.unreachable': (d) => `could not reach GitHub: ${d.error}`,
  'github.deployment_approved': (d) => `approved the GitHub deployment review for ${(d.approvers as string[] | undefined)?.map(mention).join(', ')}`,
  'github.deployment_rejected': () => 'rejected the GitHub deployment review',
  'hotfix.step_done': (d) => `ticked "${d.step}"`,
  'slack.posted': (d) => `posted: ${String(d.text ?? d.key)}`,
  'hotfix.step_overdue': (d) => `reminded: "${d.step}" is overdue`,
  'hotfix.step_escalated': (d) => `escalated "${d.step}" to the VP Eng`,
};

function describe(entry: AuditEntry): string {
  const known = DESCRIBE[entry.action];
  if (known) return known(entry.details);
  if (entry.action.startsWith('release.') && entry.details.to) {
    return `${entry.action.slice('release.'.length).replace(/_/g, ' ')}: ${entry.details.from} → ${entry.details.to}${entry.details.reason ? ` (${entry.details.reason})` : ''}`;
  }
  return entry.action;
}

/** `/release log`: the release's audit trail, in order, with who and when. */
export function auditLogMessage(version: string, entries: AuditEntry[], timeZone: string): SlackMessage {
  const lines = entries.map((e) => {
    const day = e.at.toISOString().slice(0, 10);
    return `\`${day} ${clockTime(e.at, timeZone)}\` ${e.actor === 'tminus' ? '🤖 tminus' : mention(e.actor)} — ${escape(describe(e))}`;
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
