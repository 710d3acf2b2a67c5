import { sql } from 'drizzle-orm';
import { bigint, bigserial, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { WorkflowJob } from '../../domain/milestones.js';

/** Release states during which a deployment is in flight (the guide's "zero in-flight deployments"). */
export const IN_FLIGHT_STATES_SQL = sql`state in ('started', 'tagged', 'deploying', 'awaiting_production_approval', 'verifying', 'rolling_back')`;
/** A planned (non-hotfix) release that is open, waiting for approval or deploying: one at a time. */
export const OPEN_PLANNED_SQL = sql`type <> 'hotfix' and state in ('awaiting_approval', 'started', 'tagged', 'deploying', 'awaiting_production_approval', 'verifying', 'rolling_back')`;

export interface RollbackDetails {
  by: string;
  reason: string;
  toVersion: string;
  startedAt: string;
  /**
   * When the problem was detected: the breach's first reading, the incident command, or the time a person
   * gave (`--detected`). The guide's time limit ("within 5 minutes of detection") counts from it.
   */
  detectedAt?: string;
  /** The plain-language "What happened" of the Rollback Notice, as a person gave or picked it. */
  whatHappened?: string;
  /**
   * What this rollback is expected to take (ms): the median of the team's last restored rollbacks, read when it
   * started, and how many it rests on. Absent with no earlier rollback: the notice then gives no ETA.
   */
  expected?: { typicalMs: number; from: number };
  /** Started while the deploy ran or its post-deploy checks did: the deploy run is cancelled first. */
  duringDeploy?: boolean;
  /**
   * The rollback workflow's dispatch, claimed before GitHub is asked: `sent` when GitHub answered it,
   * `unknown` while the answer was lost (the run is looked for before anything is sent again).
   */
  dispatch?: { at: string; outcome: 'unknown' | 'sent'; attempts: number };
  runId?: number;
  runUrl?: string;
  restoredAt?: string;
  /** Set when tminus gave up (GitHub unreachable or the run never finished in time): why. */
  gaveUp?: string;
  /** Rollback verification checklist: item → who ticked it (tminus for automatic checks) and when. */
  checklist: Record<string, { at: string; by: string; evidence?: string }>;
}

export interface HotfixDetails {
  issue: string;
  severity: 'critical' | 'high';
  /** Steps of the guide's hotfix timeline that are done: who ticked them, and when. */
  steps: Record<string, { at: string; by: string }>;
  /** When the issue was detected (`--detected`, else the command's time): every step's deadline counts from it. */
  detectedAt?: string;
  /** The last CI result tminus read on the hotfix's commit: "tested" is ticked on a success. */
  ci?: { sha: string; state: 'success' | 'failure'; at: string; checks: number; failing: string[] };
  /** The branch or full commit sha the person named (`--from`); else the hotfix is cut from production's tag. */
  from?: string;
  /** What the hotfix ships, as last read: its commit, its branch, and what it carries beyond production (a clause for Slack). */
  ships?: { branch: string; sha: string; text: string; ahead: number | null };
}

/** A backport patch, fixed when it is requested: it never becomes what production's main line runs. */
export interface BackportDetails {
  /** `v1.2`: the older minor line it patches. */
  line: string;
  /** The branch whose head is tagged (`release/v1.2`). */
  branch: string;
  /** The workflow its tag push runs (`deploy.backportWorkflow`). */
  workflow: string;
}

/**
 * `productionApproval.mode: dispatch`: the tag's run built and deployed to staging; tminus dispatches the
 * production workflow once the production gate is met (or at once for a type outside its `appliesTo`).
 */
export interface ProductionDispatchDetails {
  /** The tag's run (build, staging) that succeeded, and its jobs: its milestones stay shown beside the production run's. */
  stagingRunId: number;
  stagingRunUrl: string;
  stagingJobs: WorkflowJob[];
  stagedAt: string;
  /** The workflow dispatched (`productionApproval.workflow` when staging succeeded). */
  workflow: string;
  /** Who let production go: the production gate's approvers, or (outside `appliesTo`) the release gate's. */
  approvers?: string[];
  /** Claimed in Postgres before GitHub is asked, as a rollback's is: `sent` once GitHub answered it. */
  dispatch?: { at: string; outcome: 'unknown' | 'sent'; attempts: number };
  runId?: number;
  runUrl?: string;
}

export interface StoredMilestone {
  key: string;
  label: string;
  expectedAt: number;
  state: 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'absent';
  startedAt?: string;
  finishedAt?: string;
  failure?: { job: string; step?: string; url: string | null };
}

export const releases = pgTable(
  'releases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    version: text('version').notNull(),
    type: text('type').notNull(),
    state: text('state').notNull(),
    previousVersion: text('previous_version'),
    requestedBy: text('requested_by').notNull(),
    /** Slack's trigger_id of the command that asked for it: a repeated delivery finds the release again. */
    requestId: text('request_id'),
    channelId: text('channel_id').notNull(),
    threadTs: text('thread_ts'),
    targetBranch: text('target_branch'),
    targetSha: text('target_sha'),
    deployRunId: bigint('deploy_run_id', { mode: 'number' }),
    deployRunUrl: text('deploy_run_url'),
    /** The run's attempt tminus follows: a re-run on GitHub makes a new one. */
    deployRunAttempt: integer('deploy_run_attempt').notNull().default(1),
    releaseUrl: text('release_url'),
    /** The milestones as last read from the deploy run, so status answers need no GitHub call. */
    progress: jsonb('progress').$type<StoredMilestone[]>(),
    /** Set while GitHub cannot be reached during the release; cleared when it answers again. */
    githubUnreachableSince: timestamp('github_unreachable_since', { withTimezone: true }),
    hotfix: jsonb('hotfix').$type<HotfixDetails>(),
    /** A backport patch (a patch on an older minor line): its line, the branch it is tagged on, the workflow that deploys it. */
    backport: jsonb('backport').$type<BackportDetails>(),
    /** The emergency rollback, once started: its run, who asked, why, and the time to restore. */
    rollback: jsonb('rollback').$type<RollbackDetails>(),
    /** `productionApproval.mode: dispatch`: the staging run that succeeded and the production workflow's dispatch. */
    productionDispatch: jsonb('production_dispatch').$type<ProductionDispatchDetails>(),
    stableAt: timestamp('stable_at', { withTimezone: true }),
    /** When the release was asked for; startedAt is T-0, when it was approved and tagging began. */
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    failureReason: text('failure_reason'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    taggedAt: timestamp('tagged_at', { withTimezone: true }),
    deployStartedAt: timestamp('deploy_started_at', { withTimezone: true }),
    /** When production finished deploying (the deploy run's end): the post-release watch counts from it. */
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** When the post-deploy checks passed (or a person confirmed them): the release is complete. */
    completedAt: timestamp('completed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('releases_version_unique').on(t.version),
    uniqueIndex('releases_request_id_unique').on(t.requestId),
    // At most one release in flight, enforced by Postgres even when two replicas race.
    uniqueIndex('releases_one_in_flight').on(sql`(true)`).where(IN_FLIGHT_STATES_SQL),
    uniqueIndex('releases_one_open_planned').on(sql`(true)`).where(OPEN_PLANNED_SQL),
    // One hotfix waits for the VP Eng at a time, also when two commands race.
    uniqueIndex('releases_one_hotfix_waiting').on(sql`(true)`).where(sql`type = 'hotfix' and state = 'awaiting_approval'`),
    // `/release status` (the latest release) and /metrics (releases by state) read these on every call.
    index('releases_started_at').on(t.startedAt),
    index('releases_state').on(t.state),
  ],
);

/** An approval gate of a release: the type's gate before the tag, the production gate at T+60. */
export const approvalGates = pgTable(
  'approval_gates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id),
    kind: text('kind').notNull(),
    rule: jsonb('rule').$type<{ roles: string[]; rule: 'any' | 'all'; approvers: number }>().notNull(),
    state: text('state').notNull().default('open'),
    /** Production gate: the GitHub environment the deploy run waits on. */
    environmentId: bigint('environment_id', { mode: 'number' }),
    /** How the gate ended when not by decisions in Slack: "approved on GitHub by @octocat", "closed: the release was aborted". */
    outcome: text('outcome'),
    /** The deploy run's attempt a production gate is for: a re-run on GitHub waits at a gate of its own. */
    runAttempt: integer('run_attempt').notNull().default(1),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('approval_gates_release_kind_attempt').on(t.releaseId, t.kind, t.runAttempt)],
);

/** One decision per person per gate: a double click or two racing clicks record one. */
export const approvals = pgTable(
  'approvals',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    gateId: uuid('gate_id')
      .notNull()
      .references(() => approvalGates.id),
    userId: text('user_id').notNull(),
    decision: text('decision').notNull(),
    roles: jsonb('roles').$type<string[]>().notNull(),
    reason: text('reason'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('approvals_gate_user').on(t.gateId, t.userId)],
);

/**
 * The production gate's pre-deployment checks: one row per gate and check, ticked once (who, when, evidence);
 * for the check tminus ticks from Datadog, its last reading until then. Times come from tminus's clock.
 */
export const preDeploymentChecks = pgTable(
  'pre_deployment_checks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    gateId: uuid('gate_id')
      .notNull()
      .references(() => approvalGates.id),
    item: text('item').notNull(),
    /** A Slack user id, or `tminus`; null while not ticked. */
    tickedBy: text('ticked_by'),
    tickedAt: timestamp('ticked_at', { withTimezone: true }),
    evidence: text('evidence'),
    /** `alerting` or `unreadable`: why tminus did not tick it at its last reading. */
    reading: text('reading'),
    readAt: timestamp('read_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('pre_deployment_checks_gate_item').on(t.gateId, t.item)],
);

/** A check that breached after a release: open until the check passes again. Alerted once. */
export const breaches = pgTable(
  'breaches',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id),
    check: text('check').notNull(),
    severity: text('severity').notNull(),
    value: doublePrecision('value'),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('breaches_one_open_per_check').on(t.releaseId, t.check).where(sql`resolved_at is null`)],
);

/** What `/release plan` found: the guide's release-plan card, stored with the release it plans. */
export interface PlanContent {
  base: string;
  head: string;
  sections: Record<'features' | 'fixes' | 'improvements' | 'breaking' | 'migrations' | 'other', { number: number; title: string; url: string; status: string }[]>;
  advisedType: 'patch' | 'minor' | 'major' | 'none';
}

/** A planned release: its version, its slot, the plan and the release-notes draft. */
export const releasePlans = pgTable(
  'release_plans',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    version: text('version').notNull(),
    type: text('type').notNull(),
    plannedAt: timestamp('planned_at', { withTimezone: true }).notNull(),
    requestedBy: text('requested_by').notNull(),
    channelId: text('channel_id').notNull(),
    threadTs: text('thread_ts'),
    /** 'drafting' while GitHub is read, then 'planned'; 'started' once the release began; 'cancelled'. */
    state: text('state').notNull(),
    plan: jsonb('plan').$type<PlanContent>(),
    notes: text('notes'),
    releaseId: uuid('release_id').references(() => releases.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // One live plan per version; cancelled ones stay, with their history, beside a new plan of the same version.
  (t) => [uniqueIndex('release_plans_version_unique').on(t.version).where(sql`state <> 'cancelled'`)],
);

/**
 * The audit log of planned releases before they start: cancelled, moved. Append-only like release_events;
 * the version is kept with the plan's id, since a cancelled plan's row may be replaced by a new plan.
 */
export const planEvents = pgTable(
  'plan_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    planId: uuid('plan_id').notNull(),
    version: text('version').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('plan_events_plan_idx').on(t.planId, t.id)],
);

/** Each scheduled post or job happens once, whatever the number of replicas: its key is claimed here. */
export const scheduledRuns = pgTable('scheduled_runs', {
  key: text('key').primaryKey(),
  planId: uuid('plan_id').references(() => releasePlans.id),
  dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
  ranAt: timestamp('ran_at', { withTimezone: true }).notNull().defaultNow(),
  outcome: text('outcome').notNull(),
});

/** Who ticked which pre-release checklist item, when, and with what evidence (tminus's own checks). */
export const checklistTicks = pgTable(
  'checklist_ticks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    planId: uuid('plan_id')
      .notNull()
      .references(() => releasePlans.id),
    checklist: text('checklist').notNull(),
    item: text('item').notNull(),
    tickedBy: text('ticked_by').notNull(),
    evidence: text('evidence'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('checklist_ticks_once').on(t.planId, t.checklist, t.item)],
);

export type ReleasePlanRow = typeof releasePlans.$inferSelect;
export type PlanEventRow = typeof planEvents.$inferSelect;

export type ApprovalGateRow = typeof approvalGates.$inferSelect;
export type ApprovalRow = typeof approvals.$inferSelect;

/** Append-only audit log: who did what to a release, and when. */
export const releaseEvents = pgTable(
  'release_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('release_events_release_idx').on(t.releaseId, t.id)],
);

/** Every message tminus posted, under a key that makes posting it twice impossible. */
export const slackPosts = pgTable(
  'slack_posts',
  {
    key: text('key').primaryKey(),
    releaseId: uuid('release_id').references(() => releases.id),
    channelId: text('channel_id').notNull(),
    threadTs: text('thread_ts'),
    /** Null while a post is claimed but Slack has not confirmed it yet. */
    ts: text('ts'),
    contentHash: text('content_hash'),
    /** When the state shown by the last edit was read: an edit rendered from older state never overwrites it. */
    renderedAt: timestamp('rendered_at', { withTimezone: true }),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull().defaultNow(),
    postedAt: timestamp('posted_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }),
  },
  (t) => [index('slack_posts_release_idx').on(t.releaseId)],
);

/** Versions already released, from the repository's tags and from tminus's own completed releases. */
export const releasedVersions = pgTable('released_versions', {
  version: text('version').primaryKey(),
  sha: text('sha'),
  source: text('source').notNull(),
  recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Small facts tminus keeps about the outside world, such as when the tags were last read. */
export const syncState = pgTable('sync_state', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<Record<string, unknown>>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The merged pull requests a release carried to production, with their first commit: read from GitHub once
 * when the release reached production, so DORA's lead time never calls GitHub. Recorded once per release.
 */
export const releaseChanges = pgTable(
  'release_changes',
  {
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id),
    number: integer('number').notNull(),
    firstCommitAt: timestamp('first_commit_at', { withTimezone: true }).notNull(),
    mergedAt: timestamp('merged_at', { withTimezone: true }),
    mergeSha: text('merge_sha'),
  },
  (t) => [uniqueIndex('release_changes_release_number').on(t.releaseId, t.number)],
);

/**
 * Ad-hoc deploy freezes (`/release freeze`, `/release unfreeze`): the row is their audit trail, who froze and
 * why, who ended it and why. Times come from tminus's clock, never the database's. Open while `ended_at` is null.
 */
export const freezes = pgTable('freezes', {
  id: uuid('id').primaryKey().defaultRandom(),
  reason: text('reason').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  /** Null: until someone unfreezes it. */
  until: timestamp('until', { withTimezone: true }),
  endedBy: text('ended_by'),
  endedAt: timestamp('ended_at', { withTimezone: true }),
  endReason: text('end_reason'),
});

export type FreezeRow = typeof freezes.$inferSelect;
export type PreDeploymentCheckRow = typeof preDeploymentChecks.$inferSelect;

export type ReleaseRow = typeof releases.$inferSelect;
export type ReleaseEventRow = typeof releaseEvents.$inferSelect;
