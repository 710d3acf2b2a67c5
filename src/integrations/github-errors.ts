import { RequestError } from 'octokit';
import type { Scrub } from '../domain/external-text.js';

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
