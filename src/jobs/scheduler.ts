import cron, { type RunCoordinator, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { dueEvents, planEvents } from '../domain/plan-schedule.js';
import type { Policy } from '../domain/policy.js';
import type { PlanScheduleStore } from '../integrations/database/plan-schedule-store.js';
import type { ReleaseJobs } from './queue.js';
import { scheduleDeployWithinWatch } from './deploy-within.js';

/** Every minute by default; tests use seconds (`*\/1 * * * * *`). */
export const PLAN_SCHEDULE_CRON = '* * * * *';

export interface PlanSchedulerDeps {
  plans: PlanScheduleStore;
  jobs: ReleaseJobs;
  policy: Policy;
  clock: () => Date;
  log: Logger;
}

export const scheduledRunKey = (planId: string, event: string) => `${planId}:${event}`;

/**
 * One pass over the planned releases: each event that fell due and has no scheduled run yet is queued under
 * its deterministic job id, then claimed in `scheduled_runs`. Either makes a second replica's pass harmless.
 * An event older than the catch-up grace is claimed as skipped and only said in the thread.
 */
export async function scanPlans(deps: PlanSchedulerDeps): Promise<number> {
  const now = deps.clock();
  let queued = 0;
  for (const plan of await deps.plans.planned()) {
    const runs = await deps.plans.runs(plan.id);
    for (const due of dueEvents(planEvents(deps.policy, plan), now, deps.policy.planning.catchUpGrace)) {
      const key = scheduledRunKey(plan.id, due.event.key);
      if (runs.get(key) === 'queued') {
        // Queued but never done: its job was lost with the queue's data, or gave up. Queue it again.
        if ((await deps.jobs.ensure('plan-event', { planId: plan.id, event: due.event.key, attempt: 0 })) !== 'there') queued++;
        continue;
      }
      if (runs.has(key)) continue;
      await deps.jobs.add('plan-event', { planId: plan.id, event: due.event.key, attempt: 0, ...(due.late ? { late: true } : {}) });
      if (await deps.plans.claimRun(key, plan.id, due.event.dueAt, due.late ? 'skipped' : 'queued')) {
        queued++;
        deps.log.info({ planId: plan.id, version: plan.version, event: due.event.key, late: due.late }, due.late ? 'scheduled event missed: skipped' : 'scheduled event queued');
      }
    }
  }
  return queued;
}

export interface PlanScheduler {
  /** A pass now (at start-up: the catch-up of slots that passed while no process ran). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/** `runCoordinator` elects one replica per slot (on Redis, or on the database when there is no Redis). */
export function startPlanScheduler(deps: PlanSchedulerDeps, options: { expression?: string; runCoordinator: RunCoordinator; prefix: string }): PlanScheduler {
  const run = async () => {
    try {
      await scanPlans(deps);
    } catch (err) {
      deps.log.error({ err }, 'plan scheduler pass failed');
    }
    await scheduleDeployWithinWatch(deps).catch((err: unknown) => deps.log.error({ err }, 'queueing the deployWithin watch failed'));
  };
  const task: ScheduledTask = cron.schedule(options.expression ?? PLAN_SCHEDULE_CRON, run, {
    name: `tminus-plans-${options.prefix}`,
    timezone: 'UTC',
    noOverlap: true,
    distributed: true,
    runCoordinator: options.runCoordinator,
    suppressMissedWarning: true,
  });
  return {
    runOnce: run,
    stop: async () => {
      await task.stop();
      await task.destroy();
    },
  };
}
