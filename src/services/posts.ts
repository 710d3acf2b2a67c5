import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { and, eq, gt, isNotNull, isNull, like, lt, or, sql } from 'drizzle-orm';
import type { WebClient } from '@slack/web-api';
import type { Database } from '../integrations/database/client.js';
import type { Executor } from '../integrations/database/release-store.js';
import { releaseEvents, slackPosts } from '../integrations/database/schema.js';
import type { SlackMessage } from '../messages/types.js';

const METADATA_EVENT = 'tminus_post';
/** How long an edit waits for the post it edits to be confirmed before its job tries again. */
const POST_UNDER_WAY_WAIT_MS = 5_000;
/**
 * A claim unconfirmed for longer than this is a post that failed (its job died, or gave up), not one under way:
 * a post is one Slack call, not retried inside the client, that times out after 10 s (src/app.ts).
 */
export const ABANDONED_CLAIM_MS = 60_000;

/** An edit asked for while its message is being posted: the job tries again once the post is recorded. */
export class PostUnderWayError extends Error {
  constructor(readonly key: string) {
    super(`the message ${key} is being posted; its edit tries again once Slack has confirmed it`);
    this.name = 'PostUnderWayError';
  }
}

export interface PostTarget {
  releaseId?: string;
  channel: string;
  threadTs?: string;
}

function hashOf(message: SlackMessage): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('hex');
}

/**
 * Everything tminus posts goes through here, under a key that names the post (`status-update:<release>:3`).
 * A key is posted once, even when a job runs again after a crash: the claim is recorded in Postgres before
 * the post, and a claim that Slack never confirmed is looked up in the channel by the key carried in the
 * message's metadata before anything is posted again.
 */
/**
 * Bookkeeping of a post (claimed, updated) is wall time, never the release's clock: a claim is judged against
 * Postgres's own now() (`underWay`), which the sandbox's or a test's clock does not move.
 */
const wallTime = (): Date => new Date();

export class Posts {
  constructor(
    private readonly db: Database,
    private readonly slack: WebClient,
    /** Dates the `slack.posted` entries of the audit log (tminus's clock); claims and edits keep wall time. */
    private readonly clock: () => Date,
  ) {}

  /** Posts `message` under `key` unless it was posted already. */
  async postOnce(key: string, target: PostTarget, message: SlackMessage): Promise<{ ts: string; posted: boolean }> {
    const fresh = await this.claim(key, target);
    return this.deliver(key, target, message, fresh);
  }

  /**
   * Records that `key` is going to be posted; true when this call made the claim. `ex` lets a caller claim
   * inside the transaction that decided the post is due, so the decision and the claim commit together.
   */
  async claim(key: string, target: PostTarget, ex: Executor = this.db): Promise<boolean> {
    const claimed = await ex
      .insert(slackPosts)
      .values({ key, releaseId: target.releaseId, channelId: target.channel, threadTs: target.threadTs })
      .onConflictDoNothing()
      .returning({ key: slackPosts.key });
    return claimed.length > 0;
  }

  /** Posts a claimed key, unless it is posted already (found in Postgres, or in Slack by its metadata). */
  async deliver(key: string, target: PostTarget, message: SlackMessage, freshClaim: boolean): Promise<{ ts: string; posted: boolean }> {
    if (!freshClaim) {
      const [existing] = await this.db.select().from(slackPosts).where(eq(slackPosts.key, key));
      if (existing?.ts) return { ts: existing.ts, posted: false };
      const found = await this.findPosted(key, target, existing?.claimedAt);
      if (found) {
        // It shows what the interrupted attempt rendered: recorded with no hash, then brought up to `message`.
        await this.db.update(slackPosts).set({ ts: found, contentHash: null, postedAt: wallTime() }).where(eq(slackPosts.key, key));
        await this.slack.chat.update({ channel: target.channel, ts: found, text: message.text, blocks: message.blocks });
        await this.db.update(slackPosts).set({ contentHash: hashOf(message), updatedAt: wallTime() }).where(eq(slackPosts.key, key));
        return { ts: found, posted: false };
      }
    }
    const answer = await this.slack.chat.postMessage({
      channel: target.channel,
      ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      metadata: { event_type: METADATA_EVENT, event_payload: { key } },
    });
    const ts = answer.ts!;
    await this.confirm(key, ts, message);
    // Messages are part of a release's trail (`/release log`).
    if (target.releaseId) {
      await this.db.insert(releaseEvents).values({ at: this.clock(), releaseId: target.releaseId, actor: 'tminus', action: 'slack.posted', details: { key: key.split(':')[0], ts, text: message.text.slice(0, 200) } });
    }
    return { ts, posted: true };
  }

  /** Claims under `keyPrefix` for a release that Slack has not confirmed yet: posts under way, or interrupted. */
  async unconfirmed(releaseId: string, keyPrefix: string): Promise<{ key: string; claimedAt: Date }[]> {
    return this.db
      .select({ key: slackPosts.key, claimedAt: slackPosts.claimedAt })
      .from(slackPosts)
      .where(and(eq(slackPosts.releaseId, releaseId), isNull(slackPosts.ts), like(slackPosts.key, `${keyPrefix}%`)));
  }

  /** Claims under `keyPrefix` that Slack has not confirmed yet, for posts outside a release (a plan's thread). */
  async unconfirmedUnder(keyPrefix: string): Promise<{ key: string; claimedAt: Date }[]> {
    return this.db
      .select({ key: slackPosts.key, claimedAt: slackPosts.claimedAt })
      .from(slackPosts)
      .where(and(isNull(slackPosts.ts), like(slackPosts.key, `${keyPrefix}%`)));
  }

  /**
   * Edits a posted message in place with what `render` builds from the current state. Renders race (two
   * jobs, two replicas): each notes when it started reading, and an edit from older state never replaces
   * one from newer state. False when there is nothing to edit or nothing changed.
   *
   * A message being posted right now (claimed, not yet confirmed) may show state older than what this edit
   * was asked for (a click on a message Slack shows before tminus has recorded it): the edit waits for the
   * post, and when it is still under way after a few seconds throws `PostUnderWayError`, so the job asking
   * for the edit tries again. A claim left unconfirmed for a minute is a post that failed; its own job renders
   * afresh when it tries again, so there is nothing to edit.
   */
  async refresh(key: string, render: () => Promise<SlackMessage>, options: { redraw?: boolean } = {}): Promise<boolean> {
    const deadline = Date.now() + POST_UNDER_WAY_WAIT_MS;
    for (;;) {
      const outcome = await this.edit(key, render, options.redraw ?? false);
      if (outcome !== 'under-way') return outcome === 'edited';
      if (Date.now() > deadline) throw new PostUnderWayError(key);
      await delay(100);
    }
  }

  /** `redraw`: edit even when the content is unchanged, so Slack draws the message afresh (a box a person unticked, ticked again). */
  private async edit(key: string, render: () => Promise<SlackMessage>, redraw: boolean): Promise<'edited' | 'unchanged' | 'under-way'> {
    const asOf = wallTime();
    const message = await render();
    const hash = hashOf(message);
    const post = await this.claimRender(key, asOf);
    if (!post) return (await this.underWay(key)) ? 'under-way' : 'unchanged';
    if (!post.ts || (post.contentHash === hash && !redraw)) return 'unchanged';
    await this.slack.chat.update({ channel: post.channelId, ts: post.ts, text: message.text, blocks: message.blocks });
    await this.db.update(slackPosts).set({ contentHash: hash, updatedAt: wallTime() }).where(and(eq(slackPosts.key, key), eq(slackPosts.renderedAt, asOf)));
    return 'edited';
  }

  /** Takes the render of the posted message under `key` for `asOf`, unless a render as of later took it: the row, or undefined. */
  private async claimRender(key: string, asOf: Date) {
    const [post] = await this.db
      .update(slackPosts)
      .set({ renderedAt: asOf })
      .where(and(eq(slackPosts.key, key), isNotNull(slackPosts.ts), or(isNull(slackPosts.renderedAt), lt(slackPosts.renderedAt, asOf))))
      .returning();
    return post;
  }

  /** Whether `key` is claimed and not yet confirmed, claimed recently enough to be a post still under way. */
  private async underWay(key: string): Promise<boolean> {
    const [row] = await this.db
      .select({ key: slackPosts.key })
      .from(slackPosts)
      .where(and(eq(slackPosts.key, key), isNull(slackPosts.ts), gt(slackPosts.claimedAt, sql`now() - make_interval(secs => ${ABANDONED_CLAIM_MS / 1000})`)));
    return row !== undefined;
  }

  /**
   * Edits the message posted under `key` to `message`, which shows state read at `asOf`: a message already
   * showing state read later is left as it is ('older'), so a late job never brings back older readings. A
   * message someone deleted (`message_not_found`) is posted again, once however many replicas are told so,
   * and its new ts kept under the same key. `asOf` is on tminus's clock (the reading's time), where `refresh`
   * dates its renders by wall time: a message is edited by one of the two, never both.
   */
  async replaceAsOf(key: string, target: PostTarget, message: SlackMessage, asOf: Date): Promise<'edited' | 'unchanged' | 'older' | 'reposted'> {
    const hash = hashOf(message);
    const post = await this.claimRender(key, asOf);
    if (!post?.ts) {
      if (await this.underWay(key)) throw new PostUnderWayError(key);
      return 'older';
    }
    if (post.contentHash === hash) return 'unchanged';
    try {
      await this.slack.chat.update({ channel: post.channelId, ts: post.ts, text: message.text, blocks: message.blocks });
    } catch (error) {
      if ((error as { data?: { error?: string } }).data?.error !== 'message_not_found') throw error;
      return this.postAgain(key, post.ts, target, message, asOf);
    }
    await this.db.update(slackPosts).set({ contentHash: hash, updatedAt: wallTime() }).where(and(eq(slackPosts.key, key), eq(slackPosts.renderedAt, asOf)));
    return 'edited';
  }

  /** The message under `key` (at `goneTs`) was deleted: whoever clears its ts posts it again; the others leave it. */
  private async postAgain(key: string, goneTs: string, target: PostTarget, message: SlackMessage, asOf: Date): Promise<'reposted' | 'older'> {
    const [cleared] = await this.db
      .update(slackPosts)
      .set({ ts: null, contentHash: null, claimedAt: wallTime() })
      .where(and(eq(slackPosts.key, key), eq(slackPosts.ts, goneTs)))
      .returning({ key: slackPosts.key });
    if (!cleared) return 'older';
    await this.deliver(key, target, message, true);
    await this.db.update(slackPosts).set({ renderedAt: asOf }).where(eq(slackPosts.key, key));
    return 'reposted';
  }

  async tsOf(key: string): Promise<string | undefined> {
    const [post] = await this.db.select({ ts: slackPosts.ts }).from(slackPosts).where(eq(slackPosts.key, key));
    return post?.ts ?? undefined;
  }

  private async confirm(key: string, ts: string, message: SlackMessage): Promise<void> {
    await this.db
      .update(slackPosts)
      .set({ ts, contentHash: hashOf(message), postedAt: wallTime() })
      .where(eq(slackPosts.key, key));
  }

  /** Finds a message an earlier attempt posted but could not record, by the key in its metadata. */
  private async findPosted(key: string, target: PostTarget, claimedAt: Date | undefined): Promise<string | undefined> {
    const matches = (m: { ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }) =>
      m.metadata?.event_type === METADATA_EVENT && m.metadata.event_payload?.key === key;
    let cursor: string | undefined;
    do {
      const page = target.threadTs
        ? await this.slack.conversations.replies({ channel: target.channel, ts: target.threadTs, include_all_metadata: true, limit: 200, cursor })
        : await this.slack.conversations.history({
            channel: target.channel,
            include_all_metadata: true,
            limit: 200,
            cursor,
            ...(claimedAt ? { oldest: String(Math.floor(claimedAt.getTime() / 1000) - 60) } : {}),
          });
      const hit = (page.messages ?? []).find(matches);
      if (hit?.ts) return hit.ts;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  }
}
