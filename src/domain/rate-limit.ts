/**
 * At most `limit` requests per key in any `windowMs`, on the clock given (a person's `/release stats`).
 * In memory: each web process counts its own, which bounds what one person can make one process do.
 */
export class RateLimit {
  private readonly taken = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Takes one for `key`: 0 when allowed, else the ms until the next one is. */
  take(key: string): number {
    const now = this.now();
    const recent = (this.taken.get(key) ?? []).filter((at) => now - at < this.windowMs);
    if (recent.length >= this.limit) {
      this.taken.set(key, recent);
      return this.windowMs - (now - recent[0]!);
    }
    recent.push(now);
    this.taken.set(key, recent);
    // Forget the people who stopped asking, so the map stays as small as the recent askers.
    if (this.taken.size > 1_000) for (const [k, times] of this.taken) if (times.every((at) => now - at >= this.windowMs)) this.taken.delete(k);
    return 0;
  }
}
