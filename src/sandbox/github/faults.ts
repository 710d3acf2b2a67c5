import type { ApiResponse } from './http.js';
import { errorResponse } from './http.js';
import type { FailNextOptions, OutageOptions } from './types.js';

/** Injected failures: outages (every request) and one-off failures of matching requests. */

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  remaining: number;
  afterProcessing: boolean;
}

const SECONDARY_RATE_LIMIT_DOCS = 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';

export class Faults {
  private readonly list: Fault[] = [];
  private down: OutageOptions | undefined;

  failNext(method: string, path: RegExp, status: number, times: number, options: FailNextOptions): void {
    this.list.push({ method: method.toUpperCase(), path, status, remaining: times, afterProcessing: options.afterProcessing === true });
  }

  outage(on: boolean | OutageOptions): void {
    if (on === false) this.down = undefined;
    else if (on === true) this.down = { status: 503 };
    else {
      if (![500, 502, 503, 429].includes(on.status)) throw new Error(`An outage answers 500, 502, 503 or 429, not ${on.status}`);
      this.down = { ...on };
    }
  }

  /** The answer every request gets during an outage; undefined when there is none. */
  outageAnswer(requestId: string): ApiResponse | undefined {
    return this.down === undefined ? undefined : failure(this.down.status, requestId, this.down.retryAfterSeconds);
  }

  /** The next planned failure of this request, used up by this call; undefined when there is none. */
  take(method: string, path: string): Fault | undefined {
    const fault = this.list.find((f) => f.remaining > 0 && f.method === method && f.path.test(path));
    if (fault !== undefined) fault.remaining -= 1;
    return fault;
  }
}

/**
 * GitHub's error answer for `status`: 429 is its secondary rate limit (a message that says so, which
 * Octokit's throttling recognises, the rate-limit headers with requests remaining, and `retry-after`
 * when given); anything else is the status's reason phrase.
 */
export function failure(status: number, requestId: string, retryAfterSeconds?: number): ApiResponse {
  const retryAfter: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
  if (status !== 429) return { ...errorResponse(status), headers: retryAfter };
  const message =
    'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
    `If you reach out to GitHub Support for help, please include the request ID ${requestId}.`;
  return {
    ...errorResponse(429, message, {}, SECONDARY_RATE_LIMIT_DOCS),
    headers: {
      ...retryAfter,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4990',
      'x-ratelimit-used': '10',
      'x-ratelimit-resource': 'core',
    },
  };
}
