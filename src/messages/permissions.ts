import type { PermissionAction } from '../domain/policy.js';
import { context, header, section } from './format.js';
import type { SlackMessage } from './types.js';

export interface PermissionLine {
  action: PermissionAction;
  /** Who, in words: "anyone", "whoever asked for it, the type's approvers or the on-call engineer". */
  who: string;
}

const ACTIONS: Record<PermissionAction, string> = {
  start: 'Start a release',
  plan: 'Plan a release',
  changePlan: 'Move or cancel a plan',
  hotfix: 'Raise a hotfix, tick its steps',
  abort: 'Abort a release',
  confirm: 'Confirm post-deploy checks by hand',
  coordinatedRollback: 'Ask for a coordinated rollback',
  rollback: 'Roll back (emergency)',
  overrideCadence: 'Override the cadence',
  waive: 'Waive checklists, the cadence or a deploy freeze at the readiness gate',
  freeze: 'Freeze releases (`/release freeze`) or end a freeze (`/release unfreeze`)',
  checklist: 'Tick a pre-release checklist item',
  rollbackChecklist: 'Tick the rollback checklist',
};

/** `/release roles`, second part: who may do what, by the policy's `permissions`. */
export function permissionsMessage(lines: PermissionLine[]): SlackMessage {
  const text = lines.map((l) => `*${ACTIONS[l.action]}* (\`permissions.${l.action}\`): ${l.who}`).join('\n');
  return {
    text: `Permissions: ${lines.map((l) => `${l.action}: ${l.who}`).join('; ')}`,
    blocks: [
      header('Who may do what'),
      section(text),
      context('Set in the release policy (`permissions.<action>`: `anyone`, or roles and `requester`, `approvers`, `productionApprovers`). A checklist item may name its own `roles`. The approval gates decide separately.'),
    ],
  };
}
