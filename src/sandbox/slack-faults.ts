/**
 * What the Slack stand-in does wrong on purpose, as Slack does on a bad day: an error answer, HTTP 5xx or
 * 429 with `Retry-After` instead of the work; or the work done and its answer late (a message people already
 * see in the channel while the app still waits to hear its `ts`).
 */

export type SlackFault =
  | { kind: 'error'; status?: number; error?: string; retryAfterSeconds?: number }
  | { kind: 'slow-answer'; answerAfterMs: number };

interface Queued {
  fault: SlackFault;
  remaining: number;
  /** Only calls whose arguments match take it; others pass it by. */
  when?: (args: Record<string, unknown>) => boolean;
}

/** Faults queued per Web API method, taken by the calls they match, in order. */
export class SlackFaults {
  private readonly queues = new Map<string, Queued[]>();

  add(method: string, fault: SlackFault, options: { times?: number; when?: (args: Record<string, unknown>) => boolean } = {}): void {
    const queue = this.queues.get(method) ?? [];
    queue.push({ fault, remaining: options.times ?? 1, ...(options.when ? { when: options.when } : {}) });
    this.queues.set(method, queue);
  }

  /** The fault this call of `method` meets, if any; it is used up by the call. */
  take(method: string, args: Record<string, unknown>): SlackFault | undefined {
    const queue = this.queues.get(method);
    const index = queue?.findIndex((q) => !q.when || q.when(args)) ?? -1;
    if (!queue || index < 0) return undefined;
    const queued = queue[index]!;
    queued.remaining -= 1;
    if (queued.remaining <= 0) queue.splice(index, 1);
    return queued.fault;
  }
}
