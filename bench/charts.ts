/**
 * Twenty people asking `/release stats` in #releases at once: each answer draws a chart (Vega + resvg, ~20 ms of
 * CPU), drawn in a worker thread so that Slack's acks, which share tminus's event loop, are not held up.
 * Figures: the event loop's longest stall while the charts are drawn, and the acks of `/release help` meanwhile.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RELEASES_CHANNEL, waitFor, type Bot, type World } from '../test/support/harness.js';

export interface ChartsAtOnce {
  loopMaxMs: number;
  loopP99Ms: number;
  acks: number[];
}

export async function chartsAtOnce(world: World, bot: Bot, people = 20): Promise<ChartsAtOnce> {
  const uploads = () => world.slack.calls.filter((c) => c.method.startsWith('files.completeUploadExternal')).length;
  const before = uploads();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await Promise.all(
    Array.from({ length: people }, (_, i) => world.slack.sendCommand(bot.eventsUrl, { text: 'stats 12w', userId: `U0BENCH${i}`, channelId: RELEASES_CHANNEL })),
  );
  const acks: number[] = [];
  for (let i = 0; i < people; i++) acks.push((await world.slack.sendCommand(bot.eventsUrl, { text: 'help', userId: 'U0LEAD' })).durationMs);
  await waitFor(`${people} charts uploaded`, () => uploads() >= before + people, 120_000);
  delay.disable();
  return { loopMaxMs: delay.max / 1e6, loopP99Ms: delay.percentile(99) / 1e6, acks };
}
