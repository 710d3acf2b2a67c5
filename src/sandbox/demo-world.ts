import semver from 'semver';
import type { Policy, RoleName } from '../domain/policy.js';
import type { DatabaseHandle } from '../integrations/database/client.js';
import { releasedVersions, releases } from '../integrations/database/schema.js';
import type { GitHubStandIn, WorkflowScript } from './github.js';

/** The sandbox's small world: the people of the guide, the SwipeSavvy repository, its release-day and rollback workflows. */

export const RELEASES_CHANNEL = { id: 'C0RELEASES', name: 'releases' } as const;

export interface SandboxPerson {
  id: string;
  name: string;
  realName: string;
  /** As the page shows it in the identity switch. */
  role: string;
  /** The policy roles the person fills when the policy names no one for them. */
  roles: RoleName[];
}

export const SANDBOX_PEOPLE: SandboxPerson[] = [
  { id: 'U0ENG', name: 'erin', realName: 'Erin Engineer', role: 'Engineer', roles: ['releaseEngineer'] },
  { id: 'U0LEAD', name: 'lee', realName: 'Lee Lead', role: 'Engineering lead', roles: ['engineeringLead', 'engineeringLeadership'] },
  { id: 'U0VPENG', name: 'val', realName: 'Val Vance', role: 'VP Eng', roles: ['vpEng', 'engineeringLeadership'] },
  { id: 'U0CTO', name: 'chris', realName: 'Chris Cho', role: 'CTO', roles: ['cto', 'engineeringLeadership'] },
  { id: 'U0DEVOPS', name: 'dana', realName: 'Dana Devops', role: 'DevOps lead', roles: ['devopsLead'] },
  { id: 'U0QA', name: 'quinn', realName: 'Quinn QA', role: 'QA lead', roles: ['qaLead'] },
  { id: 'U0ONCALL', name: 'omar', realName: 'Omar Oncall', role: 'On-call', roles: ['onCall'] },
];

/** The policy with the sandbox's people in every role the policy leaves empty (the guide's default names no one). */
export function withSandboxPeople(policy: Policy): Policy {
  const roles = { ...policy.roles };
  for (const name of Object.keys(roles) as RoleName[]) {
    const people = roles[name];
    if (people.users.length > 0 || people.groups.length > 0) continue;
    roles[name] = { users: SANDBOX_PEOPLE.filter((p) => p.roles.includes(name)).map((p) => p.id), groups: [] };
  }
  // In the sandbox a release can be tried at any time: the calendar is shown (`/release schedule`), not enforced,
  // and its checklists are posted and shown but hold nothing (`readiness.checklists: advisory`).
  return { ...policy, roles, planning: { ...policy.planning, enforceCadence: false }, readiness: { ...policy.readiness, checklists: 'advisory' } };
}

const MINUTE = 60_000;

/**
 * deploy-production.yml as the guide's release day runs it, in virtual time: T+30 images, T+45 staging,
 * T+60 production (in `productionEnvironment`, where "manual approval required" waits), T+90 verified.
 */
export function releaseDayWorkflow(productionEnvironment: string): WorkflowScript {
  return {
    trigger: 'tag',
    name: 'Deploy to production',
    jobs: [
      {
        name: 'build-images',
        steps: ['Build admin-portal', 'Build wallet-web', 'Build ai-agents', 'Tag images with version + latest', 'Push images to container registry', 'Verify image signatures'],
        durationMs: 30 * MINUTE,
      },
      {
        name: 'deploy-staging',
        steps: ['Deploy to staging environment', 'Run smoke tests', 'Verify all services healthy', 'Check logs for errors', 'Test critical workflows'],
        durationMs: 15 * MINUTE,
      },
      {
        name: 'deploy-production',
        steps: ['Create pre-deployment backup', 'Deploy new containers', 'Execute database migrations', 'Warm up caches', 'Run smoke tests'],
        durationMs: 15 * MINUTE,
        environment: productionEnvironment,
      },
      {
        name: 'post-release-verification',
        steps: ['Verify metrics', 'Post-deployment checks'],
        durationMs: 30 * MINUTE,
      },
    ],
  };
}

/** The rollback workflow's job after which the previous version serves again (the sandbox's metrics heal then). */
export const RESTORE_JOB = 'start-previous-version';

/**
 * rollback.yml, dispatched by the emergency rollback (`on: workflow_dispatch` with inputs `version`, the
 * previous production version, and `from`): the guide's Immediate Rollback in about 2½ virtual minutes.
 */
export function rollbackWorkflow(): WorkflowScript {
  return {
    trigger: 'dispatch',
    name: 'Rollback',
    inputs: { version: { required: true }, from: {} },
    jobs: [
      { name: 'stop-new-version', steps: ['docker-compose down'], durationMs: 30_000 },
      { name: RESTORE_JOB, steps: ['docker-compose -f docker-compose.previous.yml up -d', 'Wait for health checks'], durationMs: MINUTE },
      { name: 'verify-rollback', steps: ['Check the health endpoint', 'Run smoke tests'], durationMs: MINUTE },
    ],
  };
}

const HOUR = 60 * MINUTE;

/** A pull request of the demo history: its title, who opened it, and how long before the sandbox started its commit was written. */
interface DemoPull {
  title: string;
  author: string;
  writtenHoursAgo: number;
}

/** Pull requests released in v1.2.0. */
const RELEASED: DemoPull[] = [
  { title: 'feat: wallet top-ups', author: 'erin', writtenHoursAgo: 240 },
  { title: 'fix: admin portal session timeout', author: 'lee', writtenHoursAgo: 200 },
];

/** Pull requests merged since v1.2.0, waiting for the next release: the lead time of its changes starts at their first commits. */
const UNRELEASED: DemoPull[] = [
  { title: 'feat: admin portal search', author: 'erin', writtenHoursAgo: 120 },
  { title: 'feat: wallet-web dark mode', author: 'quinn', writtenHoursAgo: 96 },
  { title: 'fix: rounding in wallet receipts', author: 'erin', writtenHoursAgo: 72 },
  { title: 'perf: faster ai-agents cold start', author: 'dana', writtenHoursAgo: 48 },
  { title: 'docs: release checklist in the README', author: 'lee', writtenHoursAgo: 26 },
];

/** What an earlier sandbox run left in the database: versions it tagged or released, and its latest moment. */
export interface Remembered {
  released: string[];
  tagged: string[];
  latestAt: number;
}

/** The GitHub stand-in forgets everything when the sandbox stops; the database does not. */
export async function rememberedReleases(database: DatabaseHandle): Promise<Remembered> {
  const rows = await database.db.select({ version: releases.version, state: releases.state, taggedAt: releases.taggedAt, startedAt: releases.startedAt, finishedAt: releases.finishedAt }).from(releases);
  // Read before the sandbox's clock exists (its anchor comes from here): the table, not a store that writes.
  const fromTags = (await database.db.select({ version: releasedVersions.version }).from(releasedVersions)).map((r) => r.version);
  const released = new Set([...fromTags, ...rows.filter((r) => r.state === 'completed').map((r) => r.version)]);
  const tagged = rows.filter((r) => r.taggedAt !== null && !released.has(r.version)).map((r) => r.version);
  const latestAt = Math.max(0, ...rows.map((r) => (r.finishedAt ?? r.startedAt).getTime()));
  return { released: [...released], tagged, latestAt };
}

/**
 * The demo repository: v1.2.0 released, then whatever an earlier run of the sandbox released (so the
 * repository agrees with the database), then a few pull requests with conventional titles merged since.
 * Every change is a merged pull request, as on GitHub: its notes list them, and DORA's lead time reads them.
 * `now` is the sandbox's virtual time.
 */
export function seedDemoRepository(github: GitHubStandIn, remembered: Remembered, now: number): void {
  const merge = (pull: DemoPull) => github.mergePullRequest({ title: pull.title, author: pull.author, writtenAt: now - pull.writtenHoursAgo * HOUR });
  RELEASED.forEach(merge);
  github.addRelease('v1.2.0');
  const later = [...new Set([...remembered.released, ...remembered.tagged])]
    .filter((v) => semver.valid(v) !== null && semver.gt(v, 'v1.2.0'))
    .sort(semver.compare);
  for (const version of later) {
    merge({ title: `chore: changes shipped in ${version}`, author: 'erin', writtenHoursAgo: 1 });
    if (remembered.released.includes(version)) github.addRelease(version);
    else github.addTag(version);
  }
  UNRELEASED.forEach(merge);
}
