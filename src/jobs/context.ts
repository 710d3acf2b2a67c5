import type { Logger } from 'pino';
import type { Policy } from '../domain/policy.js';
import type { Observability } from '../integrations/datadog.js';
import type { ReleaseRepository } from '../integrations/github.js';
import type { GateStore } from '../integrations/database/gate-store.js';
import type { PreDeploymentStore } from '../integrations/database/pre-deployment-store.js';
import type { ProductionHistory } from '../integrations/database/production-history.js';
import type { ReleaseStore } from '../integrations/database/release-store.js';
import type { DoraRecords } from '../integrations/database/dora-records.js';
import type { PlanScheduleStore } from '../integrations/database/plan-schedule-store.js';
import type { ReleasePlanStore } from '../integrations/database/release-plan-store.js';
import type { GitHubDeliveries } from '../integrations/database/github-deliveries.js';
import type { AppHomeStore } from '../integrations/database/app-home-store.js';
import type { FreezeStore } from '../integrations/database/freeze-store.js';
import type { WebClient } from '@slack/web-api';
import type { StatusPageCalls } from '../integrations/database/status-page-calls.js';
import type { StatusPage } from '../integrations/status-page.js';
import type { RoleDirectory } from '../services/roles.js';
import type { Posts } from '../services/posts.js';
import type { ChartRenderer } from '../integrations/chart-renderer.js';
import type { ReleaseJobs } from './queue.js';

/** What every job processor is given: the store, the outside world and the policy. Nothing is global. */
export interface JobContext {
  store: ReleaseStore;
  /** What production runs: rollback targets and the next versions are judged against it, not the tags. */
  production: ProductionHistory;
  /** Release plans (`/release plan`). */
  releasePlans: ReleasePlanStore;
  /** DORA's records: releases as the figures read them, and the changes each carried (`doraSummary`). */
  dora: DoraRecords;
  /** Slack's Web API for `/release stats`: the chart's upload, and the thread it looks in first. */
  slackFiles: Pick<WebClient, 'filesUploadV2' | 'conversations'>;
  gates: GateStore;
  /** The production gate's pre-deployment checks: who ticked what, and tminus's readings of Datadog. */
  preDeployment: PreDeploymentStore;
  /** Ad-hoc deploy freezes (`/release freeze`): the readiness gate holds releases while one is in force. */
  freezes: FreezeStore;
  roles: RoleDirectory;
  posts: Posts;
  github: ReleaseRepository;
  jobs: ReleaseJobs;
  policy: Policy;
  /** The deploy workflow file: DEPLOY_WORKFLOW when set, else the policy's. */
  deployWorkflow: string;
  releasesChannel: string;
  /** Datadog, when DD_API_KEY and DD_APP_KEY are set: post-release verification and deploy markers. */
  observability?: Observability;
  /** The Datadog service tag: the policy's, else the repository's name. */
  service: string;
  clock: () => Date;
  log: Logger;
  /** Planned releases' scheduled runs and checklist ticks (the scheduler's jobs). */
  plans?: PlanScheduleStore;
  /** GitHub's webhook deliveries, when GITHUB_WEBHOOK_SECRET is set: while they arrive, polling slows down. */
  webhooks?: GitHubDeliveries;
  /** The hosted status page, when STATUSPAGE_API_KEY is set, and its calls claimed in Postgres. */
  statusPage?: { page: StatusPage; calls: StatusPageCalls };
  /** The App Home: who opened it (Postgres), and the Web API that publishes it. */
  appHome?: { store: AppHomeStore; slack: Pick<WebClient, 'views'> };
  /** Draws `/release stats`'s chart off the event loop (a worker thread); unset, in this thread. */
  charts?: Pick<ChartRenderer, 'png'>;
}

/** Keys of everything a release posts, so each is posted once. */
export const postKeys = {
  top: (releaseId: string) => `release-top:${releaseId}`,
  readiness: (releaseId: string) => `readiness:${releaseId}`,
  readinessCiRed: (releaseId: string, sha: string) => `readiness-ci-red:${releaseId}:${sha}`,
  statusUpdate: (releaseId: string, n: number) => `status-update:${releaseId}:${n}`,
  complete: (releaseId: string) => `release-complete:${releaseId}`,
  completeForCustomers: (releaseId: string) => `release-complete:${releaseId}:customers`,
  inProgressForCustomers: (releaseId: string) => `release-in-progress:${releaseId}:customers`,
  customerChannelRefused: (releaseId: string) => `customer-channel-refused:${releaseId}`,
  postDeployChecks: (releaseId: string, what: string) => `post-deploy-checks:${releaseId}:${what}`,
  /** The first attempt's failure keeps its old key; a re-run that fails again is a new post. */
  failed: (releaseId: string, attempt = 1) => (attempt > 1 ? `release-failed:${releaseId}:${attempt}` : `release-failed:${releaseId}`),
  productionAnsweredOnGitHub: (releaseId: string) => `production-answered-on-github:${releaseId}`,
  githubReadRefused: (releaseId: string, read: string) => `github-read-refused:${releaseId}:${read}`,
  rerun: (releaseId: string, attempt: number) => `deploy-rerun:${releaseId}:${attempt}`,
  rerunNotFollowed: (releaseId: string, attempt: number) => `deploy-rerun-not-followed:${releaseId}:${attempt}`,
  jobGaveUp: (releaseId: string, job: string) => `job-gave-up:${releaseId}:${job}`,
  aborted: (releaseId: string) => `release-aborted:${releaseId}`,
  autoRollbackRefused: (releaseId: string, at: string) => `auto-rollback-refused:${releaseId}:${at}`,
  githubUnreachable: (releaseId: string, since: Date) => `github-unreachable:${releaseId}:${since.getTime()}`,
  gate: (gateId: string) => `gate:${gateId}`,
  gateDecided: (gateId: string) => `gate-decided:${gateId}`,
  waitingForDeployment: (releaseId: string) => `waiting-for-deployment:${releaseId}`,
  hotfixStep: (releaseId: string, step: string, stage: string) => `hotfix-${stage}:${releaseId}:${step}`,
  /** What CI said on a hotfix's commit: once per commit and outcome. */
  hotfixCi: (releaseId: string, sha: string, state: string) => `hotfix-ci:${releaseId}:${sha}:${state}`,
  hotfixBranchCut: (releaseId: string) => `hotfix-branch-cut:${releaseId}`,
  /** The production deploy approved by tminus where the policy's gate does not apply: once per run attempt. */
  productionByPolicy: (releaseId: string, attempt: number) => `production-by-policy:${releaseId}:${attempt}`,
  /** `productionApproval.mode: dispatch`: the production workflow dispatched, said once with its run. */
  productionDispatched: (releaseId: string) => `production-dispatched:${releaseId}`,
  verification: (releaseId: string, run: number, attempt: number) => `verification:${releaseId}:${run}:${attempt}`,
  /** The one live "Verification" summary of a release, edited by every run. */
  verificationLive: (releaseId: string) => `verification-live:${releaseId}`,
  /** A run that changed something (a breach, a recovery, data gained or lost, a severity): one reply per run and try. */
  verificationChange: (releaseId: string, run: number, attempt: number) => `verification-change:${releaseId}:${run}:${attempt}`,
  /** The guide's milestones (end of the first hour, of the first 24 hours, of the week): once per phase. */
  verificationMilestone: (releaseId: string, phase: number) => `verification-milestone:${releaseId}:${phase}`,
  breachAlert: (breachId: number) => `breach-alert:${breachId}`,
  breachResolved: (releaseId: string, check: string, at: Date) => `breach-resolved:${releaseId}:${check}:${at.getTime()}`,
  /** A breach's decision-matrix deadline passed while it was open: once in the thread, once in #releases. */
  breachOverdue: (breachId: number, severity: string, where: 'thread' | 'channel') => `breach-overdue:${breachId}:${severity}:${where}`,
  stable: (releaseId: string) => `stable:${releaseId}`,
  /** One notice per rollback of a release: a rollback tried again after one that failed is a new notice. */
  rollbackNotice: (releaseId: string, startedAt: string) => `rollback-notice:${releaseId}:${Date.parse(startedAt)}`,
  rollbackNoticeForCustomers: (releaseId: string, startedAt: string) => `rollback-notice:${releaseId}:${Date.parse(startedAt)}:customers`,
  rollbackChecklist: (releaseId: string) => `rollback-checklist:${releaseId}`,
  rollbackOutcome: (releaseId: string, startedAt: string) => `rollback-outcome:${releaseId}:${Date.parse(startedAt)}`,
  rollbackOverdue: (releaseId: string, startedAt: string) => `rollback-overdue:${releaseId}:${Date.parse(startedAt)}`,
  postMortem: (releaseId: string) => `post-mortem:${releaseId}`,
  /** `releaseTypes.<type>.deployWithin` passed during release day: once in the thread, once in #releases. */
  releaseDayLate: (releaseId: string, where: 'thread' | 'channel') => `release-day-late:${releaseId}:${where}`,
  /** Merged bug fixes past the patch's deadline, warned together in #releases (each pull request once). */
  unreleasedFixes: (pulls: readonly number[]) => `unreleased-fixes:${pulls.join('-')}`,
  notStable: (releaseId: string, attempt: number) => `not-stable:${releaseId}:${attempt}`,
  /** An ad-hoc deploy freeze, and its end, said once in #releases. */
  freeze: (freezeId: string, event: 'frozen' | 'unfrozen') => `freeze:${freezeId}:${event}`,
  plan: (planId: string) => `plan:${planId}`,
  planNotes: (planId: string) => `plan-notes:${planId}`,
  planFailed: (planId: string) => `plan-failed:${planId}`,
  /** What a refresh found merged after the plan was drafted: once per set of pull requests added (no numbers: the prefix). */
  planRefreshed: (planId: string, added: readonly number[] = []) => `plan-refreshed:${planId}:${added.join('-')}`,
};
