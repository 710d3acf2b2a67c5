import { ErrorCode, type WebAPIPlatformError } from '@slack/web-api';
import type { Release } from '../integrations/database/release-store.js';
import { section } from '../messages/format.js';
import type { SlackMessage } from '../messages/types.js';
import { postKeys, type JobContext } from './context.js';

/** Slack's answers that say the customer channel is wrong, not that Slack is down: retrying will not help. */
const CHANNEL_REFUSALS = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'restricted_action', 'cant_post_to_channel']);

/**
 * Posts (or, with `edit`, edits in place) what the guide writes to customers in `communication.customerChannel`.
 * A channel Slack refuses (wrong id, tminus not invited, archived) never holds up the release: the thread is
 * told once what to fix, and the refusal is audited. Slack being down is thrown, so the job retries.
 */
export async function tellCustomers(ctx: JobContext, release: Release, key: string, message: SlackMessage, edit = false): Promise<void> {
  const channel = ctx.policy.communication.customerChannel;
  if (!channel) return;
  try {
    if (edit && (await ctx.posts.tsOf(key))) await ctx.posts.refresh(key, async () => message);
    else await ctx.posts.postOnce(key, { releaseId: release.id, channel }, message);
  } catch (error) {
    const refusal = (error as Partial<WebAPIPlatformError>).code === ErrorCode.PlatformError ? (error as WebAPIPlatformError).data.error : undefined;
    if (!refusal || !CHANNEL_REFUSALS.has(refusal)) throw error;
    ctx.log.warn({ releaseId: release.id, channel, error: refusal }, 'the customer channel refused a post');
    if (!release.threadTs) return;
    const said = await ctx.posts.postOnce(postKeys.customerChannelRefused(release.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, {
      text: `⚠️ tminus could not post to the customer channel: ${refusal}`,
      blocks: [section(`⚠️ *Customers were not told*: Slack refused tminus's post to <#${channel}> (\`${refusal}\`). Invite tminus to the channel, or fix \`communication.customerChannel\` in the release policy.`)],
    });
    if (said.posted) await ctx.store.audit(release.id, 'customers.post_refused', { channel, error: refusal, key });
  }
}
