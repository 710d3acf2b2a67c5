import { baselineWindow, fillQuery, judgeCheck, type CheckDefinition, type CheckResult, type Series } from '../domain/verification.js';
import { DatadogUnavailableError, type Observability } from '../integrations/datadog.js';
import type { Release } from '../integrations/database/release-store.js';
import type { JobContext } from './context.js';

/** What a query answers over a window: a metric query's series, or a log search's count as one series. */
async function read(observability: Observability, check: CheckDefinition, query: string, from: number, to: number): Promise<Series[]> {
  if (check.source === 'logs') return [{ scope: '*', values: [await observability.countLogs(query, from, to)] }];
  return observability.querySeries(query, from, to);
}

/**
 * Reads one check (with a query) from Datadog over [from, to] and judges it: a metric query's series, or the
 * Logs aggregate API's count for `source: logs`; a check judged against its baseline is read again over as
 * long a window just before the deploy. A check Datadog could not answer is `unreachable`, never healthy.
 */
export async function readCheck(ctx: JobContext, release: Release, check: CheckDefinition, from: number, to: number): Promise<CheckResult> {
  const observability = ctx.observability!;
  const query = fillQuery(check.query!, { service: ctx.service, env: ctx.policy.verification.env, version: release.version });
  try {
    const now = await read(observability, check, query, from, to);
    // The decision matrix's critical error rate (`verification.criticalErrorRateFactor`) is alerted from its first reading.
    const critical = check.key === 'errorRate' && check.threshold !== undefined ? { criticalAt: check.threshold * ctx.policy.verification.criticalErrorRateFactor } : {};
    if (check.baselineFactor === undefined || !release.finishedAt) return judgeCheck(check, now, [], critical);
    const before = baselineWindow(release.finishedAt.getTime(), from, to);
    return judgeCheck(check, now, await read(observability, check, query, before.from, before.to));
  } catch (error) {
    if (!(error instanceof DatadogUnavailableError)) throw error;
    ctx.log.warn({ releaseId: release.id, check: check.key, err: error.message }, 'Datadog unavailable');
    return { key: check.key, label: check.label, state: 'unreachable', threshold: check.threshold, direction: check.direction, unit: check.unit, error: error.message };
  }
}
