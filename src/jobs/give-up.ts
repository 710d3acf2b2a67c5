import { jobGaveUpMessage, planStepGaveUpMessage } from '../messages/gave-up.js';
import { planThread } from '../services/plan-checklists.js';
import { abandonPlan } from './build-plan.js';
import { postKeys, type JobContext } from './context.js';
import type { JobName, JobPayloads } from './queue.js';

type GiveUp<N extends JobName> = (ctx: JobContext, data: JobPayloads[N], error: Error) => Promise<void>;

/**
 * What a release does when a job gives up for good (its retries are spent, or the error is one retrying
 * cannot change). Jobs that start a release fail it with the reason; the others leave the release where a
 * person can see it: the thread says what failed and what happens next, and the reconciler (every minute)
 * queues again what the release's state needs.
 */
const ENDINGS: Partial<{ [N in JobName]: GiveUp<N> }> = {
  'announce-release': (ctx, data, error) =>
    ctx.jobs.add('fail-release', { releaseId: data.releaseId, event: 'start_failed', reason: `Slack did not take the announcement: ${error.message}`, finishedAt: ctx.clock().toISOString() }),
  'create-tag': (ctx, data, error) =>
    ctx.jobs.add('fail-release', { releaseId: data.releaseId, event: 'start_failed', reason: `the tag could not be created: ${error.message}`, finishedAt: ctx.clock().toISOString() }),
  'build-plan': abandonPlan,
  // The plan stays as it was drafted or last refreshed: the next merge or scheduled checklist reads it again.
  'refresh-plan': async (ctx, data, error) => ctx.log.warn({ planId: data.planId, err: error }, 'plan refresh gave up; the plan keeps its content until the next refresh'),
};

/** What the thread is told, per job that can give up without ending the release. */
const NEXT_STEP: Partial<Record<JobName, (version: string) => string>> = {
  'follow-deploy': (v) => `tminus could not read the deploy run of ${v}. It tries again every minute; if this persists, check the GitHub token (Actions: read), or end the release with \`/release abort ${v} <reason>\`.`,
  'deploy-succeeded': (v) => `The deploy run of ${v} succeeded, but tminus could not record it and start the post-deploy checks. It tries again every minute.`,
  'post-deploy-checks': (v) => `tminus could not read the post-deploy checks of ${v}. It tries again every minute; \`/release confirm ${v} <what you checked>\` completes it by hand, \`/release rollback ${v}\` undoes it.`,
  'complete-release': (v) => `The post-deploy checks of ${v} passed, but tminus could not finish it (the GitHub release or the complete message). It tries again every minute; publish the GitHub release by hand if this persists.`,
  'fail-release': (v) => `tminus could not finish failing ${v}. It tries again every minute.`,
  'gate-decision': (v) => `tminus could not act on a decision at a gate of ${v} (tell the thread, answer GitHub's deployment review, or start the release). It tries again every minute.`,
  'run-rollback': (v) => `tminus could not follow the rollback of ${v}. It tries again every minute, until the rollback's time is up; then it hands over to a person.`,
  'verify-release': (v) => `A post-release verification run of ${v} could not run. The watch goes on with the next run; missing data never counts as healthy.`,
  'mark-stable': (v) => `tminus could not decide whether ${v} is stable. It asks again later.`,
  'breach-deadline': (v) => `tminus could not follow up a decision-matrix deadline of ${v}: look at its open breaches in the thread.`,
  'post-mortem': (v) => `tminus could not open the post-mortem issue for ${v}: open it by hand from \`/release log ${v}\`.`,
  'record-changes': (v) => `tminus could not read from GitHub the pull requests ${v} carried, for the DORA lead time. It tries again every minute for a week; until then its lead time is "no data", never a guess.`,
  'status-page': (v) => `tminus could not update the status page for ${v} (it was down, or refused the call). The release goes on without it; tminus tries again every minute while the page is behind, or update the page by hand.`,
  'start-rollback': (v) => `The automatic rollback of ${v} could not be started: roll back now with \`/release rollback ${v}\`.`,
};

export async function onGiveUp(ctx: JobContext, name: JobName, data: unknown, error: Error): Promise<void> {
  const ending = ENDINGS[name] as GiveUp<JobName> | undefined;
  if (ending) return ending(ctx, data as JobPayloads[JobName], error);
  const ids = data as { releaseId?: string; planId?: string };
  if (ids.releaseId) return tellRelease(ctx, name, ids.releaseId, error);
  if (ids.planId && name === 'plan-event') return tellPlan(ctx, ids.planId, (data as JobPayloads['plan-event']).event, error);
}

async function tellRelease(ctx: JobContext, name: JobName, releaseId: string, error: Error): Promise<void> {
  const advice = NEXT_STEP[name];
  const release = await ctx.store.findById(releaseId);
  if (!advice || !release) return;
  await ctx.store.audit(release.id, 'job.gave_up', { job: name, error: error.message });
  if (!release.threadTs) return;
  await ctx.posts.postOnce(postKeys.jobGaveUp(release.id, name), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, jobGaveUpMessage(advice(release.version), error.message));
}

async function tellPlan(ctx: JobContext, planId: string, event: string, error: Error): Promise<void> {
  const plan = await ctx.plans?.find(planId);
  if (!plan) return;
  await ctx.posts.postOnce(`plan-event-gave-up:${planId}:${event}`, planThread(plan), planStepGaveUpMessage(plan.version, event, error.message));
}
