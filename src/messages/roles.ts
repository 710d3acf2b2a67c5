import { ROLE_LABELS } from '../domain/approvals.js';
import type { RoleName } from '../domain/policy.js';
import { context, header, mention, section } from './format.js';
import { slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface RoleHolding {
  role: RoleName;
  users: string[];
  groups: string[];
  members: string[];
}

/** `/release roles`: who holds each of the guide's roles, and through which groups. */
export function rolesMessage(roles: RoleHolding[]): SlackMessage {
  const lines = roles.map((r) => {
    const who = r.members.length > 0 ? r.members.map(mention).join(', ') : '_nobody_';
    const via = r.groups.length > 0 ? ` (groups: ${r.groups.map((g) => slackMrkdwn(`@${g}`, 100)).join(', ')})` : '';
    return `*${ROLE_LABELS[r.role]}* (\`${r.role}\`): ${who}${via}`;
  });
  return {
    text: `Roles: ${roles.map((r) => `${r.role}: ${r.members.length}`).join(', ')}`,
    blocks: [header('Who holds each role'), section(lines.join('\n')), context('Roles are set in the release policy (`roles.&lt;role&gt;.users` and `.groups`).')],
  };
}
