import { RequestError } from 'octokit';
import type { Scrub } from '../domain/external-text.js';
import { hostOf, networkFailure } from './network-errors.js';

/** GitHub could not be reached or answered with a server error: worth trying again later. */
export class GitHubUnavailableError extends Error {
  override name = 'GitHubUnavailableError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** GitHub understood and said no (4xx): trying again will not help. */
export class GitHubRefusedError extends Error {
  override name = 'GitHubRefusedError';
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/**
 * A failed GitHub call as one of tminus's two errors. GitHub's own words (or a proxy's, which may echo the
 * request's Authorization header) pass through `scrub` here, where they enter tminus: the message goes on to
 * Slack, `failure_reason`, the audit log and post-mortems.
 */
export function translateGitHubError(what: string, error: unknown, scrub: Scrub): Error {
  // Octokit reports a request that got no answer (refused, DNS, timeout) as a RequestError with status 500 and no response.
  const unreached = error instanceof RequestError && error.response ? undefined : networkFailure(error);
  if (unreached !== undefined) {
    const where = error instanceof RequestError && error.request.url ? hostOf(error.request.url) : 'GitHub';
    return new GitHubUnavailableError(`tminus could not reach ${where} when it tried to ${what}: ${scrub(unreached, 500)}`);
  }
  if (error instanceof RequestError) {
    const detail = `GitHub answered ${error.status} when tminus tried to ${what}: ${scrub(error.message, 500)}`;
    const retryable = error.status >= 500 || error.status === 429 || error.status === 0 || isRateLimited(error);
    return retryable ? new GitHubUnavailableError(detail, error.status) : new GitHubRefusedError(detail, error.status);
  }
  const why = scrub(error instanceof Error ? error.message : String(error), 500);
  return new GitHubUnavailableError(`GitHub could not be reached when tminus tried to ${what}: ${why}`);
}

function isRateLimited(error: RequestError): boolean {
  return error.status === 403 && error.response?.headers['x-ratelimit-remaining'] === '0';
}
