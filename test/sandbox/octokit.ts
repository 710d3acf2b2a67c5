import { Octokit, RequestError } from 'octokit';
import type { GitHubStandIn } from '../../src/sandbox/github.js';

/** A real Octokit for the stand-in, without the throttling and retries that would slow tests down. */
export function standInOctokit(standIn: Pick<GitHubStandIn, 'url' | 'token'>, token = standIn.token): Octokit {
  return new Octokit({ auth: token, baseUrl: standIn.url, throttle: { enabled: false }, retry: { enabled: false } });
}

/** The RequestError a call must end in; fails the test when it succeeds. */
export async function requestFailure(promise: Promise<unknown>): Promise<RequestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}
