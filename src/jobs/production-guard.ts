import { productionGuard, type ProductionGuard } from '../domain/production-guard.js';
import { GitHubRefusedError, GitHubUnavailableError } from '../integrations/github.js';
import type { Release } from '../integrations/database/release-store.js';
import type { JobContext } from './context.js';

/** The guard as read at start; `unknown` when GitHub could not be asked, which never counts as guarded. */
export type ProductionGuardReading = ProductionGuard & { unknown?: true };

/**
 * How GitHub guards production for `release` (its type decides whether the policy's production gate applies):
 * reads the policy's production environment and judges it. For the readiness gate before tagging.
 */
export async function readProductionGuard(
  ctx: Pick<JobContext, 'github' | 'policy' | 'log'>,
  release: Pick<Release, 'id' | 'type'>,
): Promise<ProductionGuardReading> {
  const { environment: name, mode, workflow } = ctx.policy.productionApproval;
  try {
    // Dispatch mode: tminus holds production itself, with the production workflow GitHub must have; the
    // environment only says whether the dispatched run waits at reviewers too (a refused read: it does not matter).
    const environment =
      mode === 'dispatch'
        ? await ctx.github.environmentProtection(name).catch((error: unknown) => {
            if (error instanceof GitHubRefusedError) return undefined;
            throw error;
          })
        : await ctx.github.environmentProtection(name);
    const production = mode === 'dispatch' ? await ctx.github.workflow(workflow) : undefined;
    return productionGuard(ctx.policy, environment, release.type, production);
  } catch (error) {
    if (!(error instanceof GitHubUnavailableError || error instanceof GitHubRefusedError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error }, 'GitHub could not be asked how production is guarded');
    const what = mode === 'dispatch' ? `the workflow \`${workflow}\`` : `the \`${name}\` environment`;
    const why = error instanceof GitHubRefusedError ? `GitHub refused to show ${what} (${error.status})` : `GitHub could not be asked about ${what}`;
    const cannot = `tminus cannot tell whether ${mode === 'dispatch' ? 'GitHub has the production workflow' : 'GitHub will stop the deploy'}`;
    return { guarded: false, unknown: true, how: `${why}: ${cannot}.` };
  }
}
