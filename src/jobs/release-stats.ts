import { parseStatsWindow } from '../domain/dora.js';
import { statsChartComment, statsMessage } from '../messages/stats.js';
import { noticeMessage } from '../messages/help.js';
import { doraChartPng } from '../integrations/chart.js';
import { doraSummary } from '../services/dora.js';
import type { JobContext } from './context.js';
import { respondPrivately } from './respond.js';
import type { JobPayloads } from './queue.js';

const DAY = 24 * 60 * 60_000;

/**
 * `/release stats`: the command acked at once; here the figures are computed from Postgres. Asked in #releases,
 * they are posted there and the chart (SVG by Vega, PNG by resvg, in a worker thread) uploaded into their thread
 * with `files.uploadV2`; Slack shares files only in conversations, never in an ephemeral message nor through
 * response_url. Asked anywhere else, the asker alone gets the figures, through response_url: the team's figures
 * are not posted into whatever channel a person types in.
 */
export async function releaseStats(ctx: JobContext, data: JobPayloads['release-stats']): Promise<void> {
  const choice = parseStatsWindow(data.window);
  if (!choice.ok) return;
  const to = new Date(data.requestedAt);
  const summary = await doraSummary(ctx, { from: new Date(to.getTime() - choice.days * DAY), to, bucket: choice.bucket });
  const message = statsMessage(summary, choice.window);
  // Outside #releases, only the asker sees them: the team's figures are not posted into any channel a person types in.
  if (data.privately || data.channel !== ctx.releasesChannel) {
    const where = noticeMessage(`Only you can see these. In <#${ctx.releasesChannel}>, \`/release stats\` posts them for everyone, with the chart.`);
    await respondPrivately(data.responseUrl, { ...message, blocks: [...message.blocks, ...where.blocks] });
    return;
  }
  let ts: string;
  try {
    ({ ts } = await ctx.posts.postOnce(`release-stats:${data.requestId}`, { channel: data.channel }, message));
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code !== 'channel_not_found' && code !== 'not_in_channel') throw error;
    await respondPrivately(data.responseUrl, { ...message, blocks: [...message.blocks, ...noticeMessage('tminus is not in this channel, so the chart could not be shared here: invite it, or ask in #releases.').blocks] });
    return;
  }
  const filename = `dora-${choice.window}-${data.requestId}.png`;
  if (await chartShared(ctx, data.channel, ts, filename)) return;
  const title = `DORA figures, last ${choice.window}`;
  const png = await (ctx.charts ? ctx.charts.png(summary, title) : doraChartPng(summary, title));
  await ctx.slackFiles.filesUploadV2({
    channel_id: data.channel,
    thread_ts: ts,
    file: png,
    filename,
    title: `DORA figures, last ${choice.window}`,
    alt_text: message.text.slice(0, 1000),
    initial_comment: statsChartComment(choice.window, choice.bucket),
  });
  await respondPrivately(data.responseUrl, { ...noticeMessage('📊 The DORA figures are posted in this channel, the chart in their thread.'), replace_original: true });
}

/** A retried job finds the chart it shared before in the thread, by its file name. */
async function chartShared(ctx: JobContext, channel: string, ts: string, filename: string): Promise<boolean> {
  const replies = await ctx.slackFiles.conversations.replies({ channel, ts, limit: 200 });
  return (replies.messages ?? []).some((m) => (m.files ?? []).some((f) => f.name === filename));
}
