import { runnableChecks, type CheckKey, type CheckResult } from '../domain/verification.js';
import type { Release } from '../integrations/database/release-store.js';
import type { JobContext } from './context.js';
import { readCheck } from './read-check.js';

/**
 * Reads the named checks from Datadog over [from, to] and judges each (see readCheck); checks without a
 * query are left out (they are shown for a person). Nothing when Datadog is not configured.
 */
export async function readChecks(ctx: JobContext, release: Release, keys: readonly CheckKey[], from: number, to: number): Promise<CheckResult[]> {
  if (!ctx.observability) return [];
  const checks = runnableChecks(ctx.policy).filter((c) => keys.includes(c.key));
  return Promise.all(checks.map((check) => readCheck(ctx, release, check, from, to)));
}
