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
  const name = ctx.policy.productionApproval.environment;
  try {
    const environment = await ctx.github.environmentProtection(name);
    return productionGuard(ctx.policy, environment, release.type);
  } catch (error) {
    if (!(error instanceof GitHubUnavailableError || error instanceof GitHubRefusedError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error }, 'GitHub could not be asked how production is guarded');
    const why =
      error instanceof GitHubRefusedError
        ? `GitHub refused to show the \`${name}\` environment (${error.status})`
        : `GitHub could not be asked about the \`${name}\` environment`;
    return { guarded: false, unknown: true, how: `${why}: tminus cannot tell whether GitHub will stop the deploy.` };
  }
}
