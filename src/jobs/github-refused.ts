import { GitHubRefusedError } from '../integrations/github.js';
import type { Release } from '../integrations/database/release-store.js';
import { section } from '../messages/format.js';
import { slackFallback, slackMrkdwn } from '../messages/text.js';
import { postKeys, type JobContext } from './context.js';

/** Reads on the deploy path that tell tminus more about the run, but that the release can go on without. */
export type AuxiliaryRead = 'reviews' | 'pendingDeployments' | 'jobs';

const WHAT: Record<AuxiliaryRead, string> = {
  reviews: 'who answered the production review on GitHub',
  pendingDeployments: 'which deployments of the run wait for a review on GitHub',
  jobs: "the deploy run's jobs on GitHub",
};

const MEANWHILE: Record<AuxiliaryRead, string> = {
  reviews: "following the run's own status",
  pendingDeployments: "tminus cannot open its production gate, so approve the deployment in GitHub's UI; following the run's own status",
  jobs: "the milestones stay as last read; following the run's own status",
};

export const READ_REFUSED_EVENT = 'github.read_refused';

/**
 * An auxiliary read GitHub refuses for good (4xx: a token without the permission, a 404) must not hold the
 * release: it is logged at warn and audited once, said once in the thread, and undefined is returned so the
 * release follows the run's own status and conclusion. GitHub being down is still thrown (it is retried).
 */
export async function readUnlessRefused<T>(ctx: JobContext, release: Release, read: AuxiliaryRead, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof GitHubRefusedError)) throw error;
    await noteReadRefused(ctx, release, read, error);
    return undefined;
  }
}

async function noteReadRefused(ctx: JobContext, release: Release, read: AuxiliaryRead, error: GitHubRefusedError): Promise<void> {
  const said = (await ctx.store.events(release.id)).some((e) => e.action === READ_REFUSED_EVENT && e.details.read === read);
  if (!said) {
    ctx.log.warn({ releaseId: release.id, read, status: error.status, err: error.message }, 'GitHub refused an auxiliary read: following the run without it');
    await ctx.store.audit(release.id, READ_REFUSED_EVENT, { read, status: error.status, error: error.message });
  }
  if (!release.threadTs) return;
  const line = `could not read ${WHAT[read]}: ${error.status}; ${MEANWHILE[read]}`;
  await ctx.posts.postOnce(postKeys.githubReadRefused(release.id, read), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, {
    text: slackFallback(`⚠️ tminus ${line}`),
    blocks: [section(`⚠️ tminus ${slackMrkdwn(line, 600)}.\n_${slackMrkdwn(error.message, 1000)}_`)],
  });
}
