import { createHash } from 'node:crypto';
import { ErrorCode } from '@slack/web-api';
import { appHomeView, type HomeView } from '../messages/app-home.js';
import { homeFor, homeViewers, type AppHomeDeps } from '../services/app-home.js';
import type { JobContext } from './context.js';
import { progressView } from './progress-view.js';
import type { JobPayloads } from './queue.js';

/** `views.publish` is Tier 4 (100+ a minute): one call every 600 ms stays under it whatever the burst. */
export const PUBLISH_SPACING_MS = 600;
/** A 429 asking for longer than this is left to the queue's backoff rather than held in a worker. */
const LONGEST_WAIT_MS = 60_000;
const RATE_LIMITED_TRIES = 3;

/** When this process may next call views.publish (per tminus instance). */
const nextCall = new WeakMap<object, number>();

/**
 * Publishes the Home of one person who just opened it, or (no user) of everyone who opened theirs in the last
 * 30 days, each reading the state of now. Nobody who never opened the Home gets one. Idempotent: a publish
 * shows the state when it runs; an unchanged Home is not published again on a refresh.
 */
export async function publishAppHome(ctx: JobContext, data: JobPayloads['app-home']): Promise<void> {
  const wiring = ctx.appHome;
  if (!wiring) return;
  const deps: AppHomeDeps = { ...ctx, home: wiring.store, progress: (release) => progressView(ctx, release) };
  if (data.userId) {
    if (await wiring.store.viewer(data.userId)) await publishTo(ctx, deps, data.userId, { always: true });
    return;
  }
  for (const userId of await homeViewers(deps)) await publishTo(ctx, deps, userId, { always: false });
}

async function publishTo(ctx: JobContext, deps: AppHomeDeps, userId: string, options: { always: boolean }): Promise<void> {
  const wiring = ctx.appHome!;
  const view = appHomeView(await homeFor(deps, userId));
  const hash = digest(view);
  if (!options.always && (await wiring.store.viewer(userId))?.publishedHash === hash) return;
  for (let attempt = 1; ; attempt++) {
    await spaced(wiring);
    try {
      await wiring.slack.views.publish({ user_id: userId, view });
      break;
    } catch (error) {
      const retryAfterMs = rateLimitedFor(error);
      if (retryAfterMs === undefined || retryAfterMs > LONGEST_WAIT_MS || attempt >= RATE_LIMITED_TRIES) throw error;
      ctx.log.warn({ userId, retryAfterMs }, 'views.publish rate limited: waiting as Slack asks');
      // Slack's Retry-After is real time, whatever the sandbox's clock speed.
      nextCall.set(wiring, Math.max(nextCall.get(wiring) ?? 0, Date.now() + retryAfterMs));
    }
  }
  await wiring.store.published(userId, hash);
}

/** Waits for this instance's next free slot for views.publish, and takes it. */
async function spaced(wiring: object): Promise<void> {
  const now = Date.now();
  const at = Math.max(now, nextCall.get(wiring) ?? 0);
  nextCall.set(wiring, at + PUBLISH_SPACING_MS);
  if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
}

function rateLimitedFor(error: unknown): number | undefined {
  const e = error as { code?: string; retryAfter?: number };
  return e?.code === ErrorCode.RateLimitedError && typeof e.retryAfter === 'number' ? e.retryAfter * 1000 : undefined;
}

/** What the Home shows, without its "as of" line: an unchanged Home is not worth a call. */
function digest(view: HomeView): string {
  return createHash('sha1').update(JSON.stringify(view.blocks.filter((_, i) => i !== 1))).digest('hex');
}
