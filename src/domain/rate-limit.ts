/** At most `limit` requests per key in any `windowMs` (a person's `/release stats`). */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export interface Taken {
  /** 0 when this request is allowed, else the ms until the next one is. */
  waitMs: number;
  /** The times (ms) of the requests still within the window, this one included when allowed: what to keep. */
  recent: number[];
}

/** Takes one at `now` from the times already taken: a sliding window, so no burst at a window's edge. */
export function takeOne(rule: RateLimitRule, taken: readonly number[], now: number): Taken {
  // A time ahead of `now` (another replica's clock a little ahead) still counts, until it leaves the window.
  const recent = taken.filter((at) => now - at < rule.windowMs).sort((a, b) => a - b);
  if (recent.length >= rule.limit) return { waitMs: Math.max(1, rule.windowMs - (now - recent[recent.length - rule.limit]!)), recent };
  return { waitMs: 0, recent: [...recent, now] };
}
